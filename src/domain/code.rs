//! Codes customers type: coupon codes (exact, case-sensitive) and the normal
//! form that promotion and set codes match on.

/// A coupon's code: 1–40 US-QWERTY letters and digits, case-sensitive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CouponCode(String);

pub const COUPON_CODE_MAX: usize = 40;
/// No code of any kind is longer than this (in normal form): a longer typed
/// code is unknown without a lookup, and is stored cut to this length.
pub const TYPED_CODE_MAX: usize = 64;

impl CouponCode {
    pub fn parse(raw: &str) -> Result<CouponCode, String> {
        let code = raw.trim();
        if code.is_empty() {
            return Err("Enter a code, e.g. SUMMER10.".into());
        }
        if let Some(bad) = super::text::not_allowed(code, |c| c.is_ascii_alphanumeric()) {
            return Err(format!("Use only letters A–Z, a–z and digits 0–9: {bad}."));
        }
        if code.len() > COUPON_CODE_MAX {
            return Err(format!(
                "Use at most {COUPON_CODE_MAX} characters (this one has {}).",
                code.len()
            ));
        }
        Ok(CouponCode(code.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The form codes are matched and kept unique in: upper case, without
/// spaces or dashes. `fall-25 off` and `FALL25OFF` are the same code.
pub fn normal_form(raw: &str) -> String {
    raw.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .flat_map(char::to_uppercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coupon_codes_are_letters_and_digits() {
        assert_eq!(
            CouponCode::parse(" Summer10 ").map(|c| c.0),
            Ok("Summer10".into())
        );
        assert!(CouponCode::parse(&"A".repeat(40)).is_ok());
        for bad in [
            "",
            "  ",
            "SUMMER-10",
            "SUMMER 10",
            "ÉTÉ10",
            "10%",
            &"A".repeat(41),
        ] {
            assert!(CouponCode::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn normal_form_ignores_case_spaces_and_dashes() {
        assert_eq!(normal_form("fall-25 off"), "FALL25OFF");
        assert_eq!(normal_form(" FALL25OFF "), "FALL25OFF");
        assert_eq!(normal_form("a-b-c"), "ABC");
    }
}
