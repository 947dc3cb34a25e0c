//! Failed logins per email, for throttling password guessing.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::login_failures;
use super::{Conn, now};
use crate::domain::email::Email;

/// How many logins failed for `email` after `since`, and when the first of
/// them was (the throttle lifts 15 minutes after it).
pub fn recent(
    conn: &mut Conn,
    email: &Email,
    since: NaiveDateTime,
) -> QueryResult<(i64, Option<NaiveDateTime>)> {
    login_failures::table
        .filter(login_failures::email.eq(email.as_str()))
        .filter(login_failures::attempted_at.gt(since))
        .select((
            diesel::dsl::count_star(),
            diesel::dsl::min(login_failures::attempted_at),
        ))
        .first(conn)
}

pub fn record(conn: &mut Conn, email: &Email) -> QueryResult<()> {
    diesel::insert_into(login_failures::table)
        .values((
            login_failures::email.eq(email.as_str()),
            login_failures::attempted_at.eq(now()),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Forgets an email's failures (after a successful login) and every failure
/// older than `before`.
pub fn clear(conn: &mut Conn, email: &Email, before: NaiveDateTime) -> QueryResult<()> {
    diesel::delete(
        login_failures::table.filter(
            login_failures::email
                .eq(email.as_str())
                .or(login_failures::attempted_at.lt(before)),
        ),
    )
    .execute(conn)
    .map(|_| ())
}
