//! Email addresses of staff and customers: trimmed and lower-cased.

use validator::ValidateEmail;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Email, String> {
        let email = super::text::plain(raw)?.to_lowercase();
        if email.is_empty() {
            return Err("Enter an email address.".into());
        }
        if email.chars().count() > 254 || !email.validate_email() {
            return Err("Enter a valid email address, like name@example.com.".into());
        }
        Ok(Email(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_and_lowercases() {
        assert_eq!(
            Email::parse("  Jane@Example.COM ").map(|e| e.0),
            Ok("jane@example.com".to_string())
        );
    }

    #[test]
    fn refuses_empty_and_malformed() {
        for bad in [
            "",
            "   ",
            "jane",
            "jane@",
            "@example.com",
            "a b@example.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }
}
