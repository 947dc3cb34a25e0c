//! Staff sessions kept on the server (SPEC section 9): the session cookie
//! only names a row here, so deleting the row ends the session for good,
//! even for a copied cookie.

use chrono::{NaiveDateTime, TimeDelta};
use diesel::prelude::*;

use super::schema::{staff_sessions, users};
use super::users::User;
use super::{Conn, now};
use crate::db::FirstRow;
use crate::domain::ids::UserId;

/// A session ends this long after its last request.
pub const IDLE: TimeDelta = TimeDelta::hours(12);
/// A session ends this long after the login, however busy.
pub const ABSOLUTE: TimeDelta = TimeDelta::days(7);
/// `last_seen_at` is written at most this often, so that most requests
/// only read.
const TOUCH_EVERY: TimeDelta = TimeDelta::minutes(5);

/// Starts a session for `user` with the random `id` kept in the cookie.
pub fn create(conn: &mut Conn, id: &str, user: UserId) -> QueryResult<()> {
    let now = now();
    diesel::insert_into(staff_sessions::table)
        .values((
            staff_sessions::id.eq(id),
            staff_sessions::user_id.eq(user),
            staff_sessions::created_at.eq(now),
            staff_sessions::last_seen_at.eq(now),
        ))
        .execute(conn)?;
    // Sessions that ended by time are of no further use.
    diesel::delete(
        staff_sessions::table.filter(
            staff_sessions::created_at
                .le(now - ABSOLUTE)
                .or(staff_sessions::last_seen_at.le(now - IDLE)),
        ),
    )
    .execute(conn)
    .map(|_| ())
}

/// The user of a live session, or `None` when the session was ended or has
/// run out; marks the session as seen.
pub fn user(conn: &mut Conn, id: &str) -> QueryResult<Option<User>> {
    let now = now();
    let found: Option<(User, NaiveDateTime)> = staff_sessions::table
        .inner_join(users::table)
        .filter(staff_sessions::id.eq(id))
        .filter(staff_sessions::created_at.gt(now - ABSOLUTE))
        .filter(staff_sessions::last_seen_at.gt(now - IDLE))
        .select((User::as_select(), staff_sessions::last_seen_at))
        .first_row(conn)
        .optional()?;
    let Some((user, seen)) = found else {
        return Ok(None);
    };
    if now - seen >= TOUCH_EVERY {
        diesel::update(staff_sessions::table.find(id))
            .set(staff_sessions::last_seen_at.eq(now))
            .execute(conn)?;
    }
    Ok(Some(user))
}

/// Ends one session (logout).
pub fn end(conn: &mut Conn, id: &str) -> QueryResult<()> {
    diesel::delete(staff_sessions::table.find(id))
        .execute(conn)
        .map(|_| ())
}

/// Ends every session of `user` (password changed, membership removed).
pub fn end_all(conn: &mut Conn, user: UserId) -> QueryResult<usize> {
    diesel::delete(staff_sessions::table.filter(staff_sessions::user_id.eq(user))).execute(conn)
}
