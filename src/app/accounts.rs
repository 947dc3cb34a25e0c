//! Staff accounts: logging in and changing a password. A failing client is
//! throttled, not the account (`domain::login`), and every failed attempt
//! costs exactly one password verification.

use crate::db::users::User;
use crate::db::{self, Conn, DbError};
use crate::domain::email::Email;
use crate::domain::login::{self, Throttle};
use crate::domain::password;

/// What a login attempt did.
pub enum LogIn {
    /// Logged in: the server-side session `session_id` now names `User`.
    LoggedIn(User),
    WrongCredentials,
    Throttled(Throttle),
}

/// Tries `password` for `email` from `client` and, when it matches, starts
/// the server-side session `session_id`.
pub fn log_in(
    conn: &mut Conn,
    email: &Email,
    password: &str,
    client: &str,
    session_id: &str,
) -> Result<LogIn, DbError> {
    let now = db::now();
    let window_start = now - login::WINDOW;
    let failures = db::login_failures::recent(conn, email, client, window_start)?;
    if let Err(throttle) = login::gate(&failures, now) {
        return Ok(LogIn::Throttled(throttle));
    }
    let user = db::users::find_by_email(conn, email)?;
    let stored = user.as_ref().map(|u| u.password_hash.as_str());
    // One verification on every path, against a dummy hash for an unknown
    // email: the same time and the same answer either way.
    let matched =
        login::password_matches(stored, password::dummy_hash(), password, password::verify);
    match user {
        Some(user) if matched => {
            db::login_failures::clear(conn, email, client, window_start)?;
            db::sessions::create(conn, session_id, user.id())?;
            Ok(LogIn::LoggedIn(user))
        }
        _ => {
            db::login_failures::record(conn, email, client)?;
            Ok(LogIn::WrongCredentials)
        }
    }
}

/// What a password change did.
pub enum PasswordChange {
    /// Changed; every session of the user ended and `session_id` started.
    Changed,
    WrongPassword,
    Throttled(Throttle),
}

/// Replaces `user`'s password with `new_hash` when `current` is right.
/// Every session of the user ends (SPEC section 9), other browsers
/// included; this browser goes on in the new session `session_id`. Wrong
/// current passwords count as failed logins, so a stolen session cannot
/// try passwords without limit.
pub fn change_password(
    conn: &mut Conn,
    user: &User,
    current: &str,
    new_hash: &str,
    client: &str,
    session_id: &str,
) -> Result<PasswordChange, DbError> {
    let email = Email::parse(&user.email).map_err(|e| DbError::DeserializationError(e.into()))?;
    let now = db::now();
    let failures = db::login_failures::recent(conn, &email, client, now - login::WINDOW)?;
    if let Err(throttle) = login::gate(&failures, now) {
        return Ok(PasswordChange::Throttled(throttle));
    }
    if !password::verify(current, &user.password_hash) {
        db::login_failures::record(conn, &email, client)?;
        return Ok(PasswordChange::WrongPassword);
    }
    db::write_transaction(conn, |conn| {
        db::users::set_password_hash(conn, user.id(), new_hash)?;
        db::sessions::end_all(conn, user.id())?;
        db::sessions::create(conn, session_id, user.id())?;
        Ok(PasswordChange::Changed)
    })
}

/// The user of a live staff session, if any.
pub fn session_user(conn: &mut Conn, sid: &str) -> Result<Option<User>, DbError> {
    db::sessions::user(conn, sid)
}

/// Ends a staff session on the server: a copy of its cookie stops working.
pub fn log_out(conn: &mut Conn, sid: &str) -> Result<(), DbError> {
    db::sessions::end(conn, sid)
}

/// Is first-run setup still open (no user yet)?
pub fn setup_open(conn: &mut Conn) -> Result<bool, DbError> {
    Ok(!db::users::any_exists(conn)?)
}

/// First-run setup: the owner, the first store and the owner's session
/// (`sid`), all or nothing.
pub fn set_up(
    conn: &mut Conn,
    email: &Email,
    password_hash: &str,
    store: &crate::domain::store::StoreFields,
    sid: &str,
) -> Result<Result<(), db::setup::FirstRunError>, DbError> {
    match db::setup::create_owner_and_store(conn, email, password_hash, store) {
        Ok((user, _)) => {
            db::sessions::create(conn, sid, user)?;
            Ok(Ok(()))
        }
        Err(e) => Ok(Err(e)),
    }
}

/// Is the database reachable and up to date (the readiness check)?
pub fn database_ready(conn: &mut crate::db::Conn) -> Result<bool, crate::db::DbError> {
    crate::db::ready(conn)
}
