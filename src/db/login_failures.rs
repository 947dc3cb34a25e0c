//! Failed logins per email and client address, for throttling password
//! guessing (`domain::login` decides).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::login_failures;
use super::{Conn, now};
use crate::db::FirstRow;
use crate::domain::email::Email;
use crate::domain::login::Failures;

/// The failures after `since` that concern `email` and `client`.
pub fn recent(
    conn: &mut Conn,
    email: &Email,
    client: &str,
    since: NaiveDateTime,
) -> QueryResult<Failures> {
    let recent = login_failures::table.filter(login_failures::attempted_at.gt(since));
    let (client_count, client_oldest): (i64, Option<NaiveDateTime>) = recent
        .filter(login_failures::client.eq(client))
        .select((
            diesel::dsl::count_star(),
            diesel::dsl::min(login_failures::attempted_at),
        ))
        .first_row(conn)?;
    let (email_count, email_oldest): (i64, Option<NaiveDateTime>) = recent
        .filter(login_failures::email.eq(email.as_str()))
        .select((
            diesel::dsl::count_star(),
            diesel::dsl::min(login_failures::attempted_at),
        ))
        .first_row(conn)?;
    let email_from_client = recent
        .filter(login_failures::email.eq(email.as_str()))
        .filter(login_failures::client.eq(client))
        .count()
        .get_result(conn)?;
    Ok(Failures {
        client: client_count,
        client_oldest,
        email: email_count,
        email_oldest,
        email_from_client,
    })
}

pub fn record(conn: &mut Conn, email: &Email, client: &str) -> QueryResult<()> {
    diesel::insert_into(login_failures::table)
        .values((
            login_failures::email.eq(email.as_str()),
            login_failures::client.eq(client),
            login_failures::attempted_at.eq(now()),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Forgets this client's failures for `email` (after it logged in) and every
/// failure older than `before`. Other clients' failures stay counted.
pub fn clear(
    conn: &mut Conn,
    email: &Email,
    client: &str,
    before: NaiveDateTime,
) -> QueryResult<()> {
    diesel::delete(
        login_failures::table.filter(
            login_failures::email
                .eq(email.as_str())
                .and(login_failures::client.eq(client))
                .or(login_failures::attempted_at.lt(before)),
        ),
    )
    .execute(conn)
    .map(|_| ())
}
