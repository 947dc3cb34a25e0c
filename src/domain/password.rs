//! Passwords: the rule for new ones, and argon2id hashing.

use std::sync::LazyLock;

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};

pub const MIN_LEN: usize = 8;
pub const MAX_LEN: usize = 128;

/// A password that meets the rules for a new account. Never logged or shown.
pub struct NewPassword(String);

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword(..)")
    }
}

impl NewPassword {
    pub fn parse(raw: &str) -> Result<NewPassword, String> {
        let len = raw.chars().count();
        if len < MIN_LEN {
            return Err(format!("Use at least {MIN_LEN} characters."));
        }
        if len > MAX_LEN {
            return Err(format!("Use at most {MAX_LEN} characters."));
        }
        Ok(NewPassword(raw.to_string()))
    }

    /// The argon2id PHC string to store.
    pub fn hash(&self) -> Result<String, argon2::password_hash::Error> {
        Ok(Argon2::default()
            .hash_password(self.0.as_bytes())?
            .to_string())
    }
}

/// Does `password` match the stored PHC string? A malformed hash never matches.
pub fn verify(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// A hash of a password nobody knows, with the same parameters as real ones:
/// checked when the email is unknown, so that a failed login takes as long
/// whether or not the account exists.
pub fn dummy_hash() -> &'static str {
    static DUMMY: LazyLock<String> = LazyLock::new(|| {
        Argon2::default()
            .hash_password(b"no account has this password")
            .map(|h| h.to_string())
            .unwrap_or_default()
    });
    &DUMMY
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_rules() {
        assert!(NewPassword::parse("short").is_err());
        assert!(NewPassword::parse(&"x".repeat(MAX_LEN + 1)).is_err());
        assert!(NewPassword::parse("long enough").is_ok());
    }

    #[test]
    fn hash_then_verify() {
        let hash = NewPassword::parse("correct horse")
            .and_then(|p| p.hash().map_err(|e| e.to_string()))
            .unwrap_or_default();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify("correct horse", &hash));
        assert!(!verify("wrong horse", &hash));
        assert!(!verify("anything", "not a hash"));
    }

    #[test]
    fn dummy_hash_is_well_formed() {
        assert!(PasswordHash::new(dummy_hash()).is_ok());
        assert!(!verify("", dummy_hash()));
    }
}
