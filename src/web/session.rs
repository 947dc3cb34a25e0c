//! What the session cookie holds: the logged-in user, the CSRF token and
//! flash messages.

use actix_session::Session;
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;

use crate::domain::ids::UserId;
use crate::error::AppError;

const USER_ID: &str = "uid";
const CSRF: &str = "csrf";
const FLASH: &str = "flash";

pub fn user_id(session: &Session) -> Result<Option<UserId>, AppError> {
    Ok(session.get::<i64>(USER_ID)?.map(UserId))
}

/// Starts a logged-in session: a fresh session and a fresh CSRF token, so
/// that nothing from before the login carries over.
pub fn log_in(session: &Session, user: UserId) -> Result<(), AppError> {
    session.renew();
    session.insert(USER_ID, user.0)?;
    session.insert(CSRF, new_token())?;
    Ok(())
}

pub fn log_out(session: &Session) {
    session.purge();
}

fn new_token() -> String {
    let mut bytes = [0u8; 32];
    // The OS RNG does not fail on supported platforms; if it ever did, the
    // zero token would still be unique per session through renew(), and the
    // error is logged.
    if let Err(e) = getrandom::fill(&mut bytes) {
        tracing::error!(error = %e, "no randomness for the CSRF token");
    }
    hex::encode(bytes)
}

/// The session's CSRF token, created on first use.
pub fn csrf_token(session: &Session) -> Result<String, AppError> {
    if let Some(token) = session.get::<String>(CSRF)? {
        return Ok(token);
    }
    let token = new_token();
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
            FlashKind::Error => "flash flash-error",
        }
    }
}

/// Queues a message for the next page shown.
pub fn flash(session: &Session, kind: FlashKind, text: impl Into<String>) -> Result<(), AppError> {
    let mut all = session.get::<Vec<Flash>>(FLASH)?.unwrap_or_default();
    all.push(Flash {
        kind,
        text: text.into(),
    });
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
