//! What the session cookie holds: the logged-in user, the CSRF token and
//! flash messages.

use actix_session::Session;
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;

use crate::error::AppError;

const SESSION_ID: &str = "sid";
const CSRF: &str = "csrf";
const FLASH: &str = "flash";
/// At most this many unread messages are kept (the newest): a client that
/// posts without following the redirects cannot grow the cookie.
const MAX_FLASHES: usize = 3;
/// A longer message is cut to this many characters.
const MAX_FLASH_CHARS: usize = 300;

/// The id of the server-side session the cookie names, if any. Whether it
/// is still live is `db::sessions::user`'s call.
pub fn session_id(session: &Session) -> Result<Option<String>, AppError> {
    Ok(session.get::<String>(SESSION_ID)?)
}

/// A new random session id, for `db::sessions::create` and then `log_in`.
pub fn new_session_id() -> Result<String, AppError> {
    random_hex(getrandom::fill)
}

/// Starts a logged-in session: a fresh cookie and a fresh CSRF token, so
/// that nothing from before the login carries over.
pub fn log_in(session: &Session, session_id: &str) -> Result<(), AppError> {
    session.renew();
    session.insert(SESSION_ID, session_id)?;
    session.insert(CSRF, random_hex(getrandom::fill)?)?;
    Ok(())
}

pub fn log_out(session: &Session) {
    session.purge();
}

/// 32 random bytes, hex. Without randomness there is no safe token: the
/// request fails (500) rather than fall back to a guessable value.
fn random_hex<E>(fill: impl FnOnce(&mut [u8]) -> Result<(), E>) -> Result<String, AppError>
where
    E: std::error::Error + Send + Sync + 'static,
{
    let mut bytes = [0u8; 32];
    fill(&mut bytes).map_err(AppError::internal)?;
    Ok(hex::encode(bytes))
}

/// The session's CSRF token, created on first use.
pub fn csrf_token(session: &Session) -> Result<String, AppError> {
    if let Some(token) = session.get::<String>(CSRF)? {
        return Ok(token);
    }
    let token = random_hex(getrandom::fill)?;
    session.insert(CSRF, &token)?;
    Ok(token)
}

/// Checks a submitted token against the session's, in constant time.
pub fn check_csrf(session: &Session, submitted: Option<&str>) -> Result<(), AppError> {
    let expected = session.get::<String>(CSRF).ok().flatten();
    match (expected, submitted) {
        (Some(expected), Some(submitted))
            if !expected.is_empty()
                && bool::from(expected.as_bytes().ct_eq(submitted.as_bytes())) =>
        {
            Ok(())
        }
        _ => Err(AppError::Csrf),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FlashKind {
    Success,
    /// Done, but worth a second look (e.g. a code that differs from
    /// another only in case).
    Warning,
    Error,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Flash {
    pub kind: FlashKind,
    pub text: String,
}

impl Flash {
    pub fn css_class(&self) -> &'static str {
        match self.kind {
            FlashKind::Success => "flash flash-success",
            FlashKind::Warning => "flash flash-warning",
            FlashKind::Error => "flash flash-error",
        }
    }
}

/// Queues a message for the next page shown.
pub fn flash(session: &Session, kind: FlashKind, text: impl Into<String>) -> Result<(), AppError> {
    let mut all = session.get::<Vec<Flash>>(FLASH)?.unwrap_or_default();
    let text: String = text.into();
    all.push(Flash {
        kind,
        text: text.chars().take(MAX_FLASH_CHARS).collect(),
    });
    let unread = all.len().saturating_sub(MAX_FLASHES);
    all.drain(..unread);
    session.insert(FLASH, all)?;
    Ok(())
}

/// Takes the queued messages, so each is shown once.
pub fn take_flashes(session: &Session) -> Vec<Flash> {
    session
        .remove_as::<Vec<Flash>>(FLASH)
        .and_then(Result::ok)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_hex() {
        let a = random_hex(getrandom::fill).expect("randomness");
        let b = random_hex(getrandom::fill).expect("randomness");
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
    }

    #[test]
    fn no_randomness_means_no_token() {
        let failing = |_: &mut [u8]| Err(std::io::Error::other("no entropy"));
        let result = random_hex(failing);
        assert!(matches!(result, Err(AppError::Internal(_))), "{result:?}");
    }
}
