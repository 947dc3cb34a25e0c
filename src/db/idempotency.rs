//! Idempotency keys of API redemptions (SPEC 10): the first request with a
//! key claims it; its answer is stored for replays within 24 hours.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::api_idempotency as idem;
use super::{Conn, DbError, is_unique_violation, now};
use crate::domain::ids::StoreId;

/// How long an answer is kept for replays.
pub const KEPT_FOR: chrono::Duration = chrono::Duration::hours(24);

/// What claiming a key came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The key is new (or its earlier use is older than 24 hours): go on.
    Fresh,
    /// The same request was answered: send this again.
    Replay { status: u16, body: String },
    /// The key was used with another request body.
    Mismatch,
    /// The first request with this key is still running.
    InFlight,
}

/// Claims `key` for a request whose body hashes to `request_hash`.
pub fn claim(
    conn: &mut Conn,
    store: StoreId,
    key: &str,
    request_hash: &str,
) -> Result<Claim, DbError> {
    let at = now();
    let row = idem::table
        .filter(idem::store_id.eq(store))
        .filter(idem::idempotency_key.eq(key));
    let insert = |conn: &mut Conn| {
        diesel::insert_into(idem::table)
            .values((
                idem::store_id.eq(store),
                idem::idempotency_key.eq(key),
                idem::request_hash.eq(request_hash),
                idem::created_at.eq(at),
            ))
            .execute(conn)
    };
    // One statement in the common case (a new key). On SQLite it still
    // queues on the writer lock like every write.
    let single = |conn: &mut Conn| match conn {
        Conn::Sqlite(_) => super::write_transaction(conn, insert),
        Conn::Postgres(_) => insert(conn),
    };
    match single(conn) {
        Ok(_) => return Ok(Claim::Fresh),
        Err(e) if is_unique_violation(&e) => {}
        Err(e) => return Err(e),
    }
    // Taken: an answer older than 24 hours no longer counts.
    let expired = super::write_transaction(conn, |conn| {
        diesel::delete(row.filter(idem::created_at.lt(at - KEPT_FOR))).execute(conn)
    })?;
    if expired > 0 {
        match single(conn) {
            Ok(_) => return Ok(Claim::Fresh),
            Err(e) if is_unique_violation(&e) => {}
            Err(e) => return Err(e),
        }
    }
    let found: Option<(String, Option<i32>, Option<String>)> = row
        .select((idem::request_hash, idem::status, idem::body))
        .first(conn)
        .optional()?;
    Ok(match found {
        // Abandoned in between: the caller may retry.
        None => Claim::InFlight,
        Some((hash, _, _)) if hash != request_hash => Claim::Mismatch,
        Some((_, Some(status), Some(body))) => Claim::Replay {
            status: u16::try_from(status).unwrap_or(500),
            body,
        },
        Some(_) => Claim::InFlight,
    })
}

/// Stores the answer of the request that claimed `key`.
pub fn finish(
    conn: &mut Conn,
    store: StoreId,
    key: &str,
    status: u16,
    body: &str,
) -> Result<(), DbError> {
    super::write_transaction(conn, |conn| finish_in(conn, store, key, status, body))
}

/// `finish` inside the caller's transaction (the order's).
pub fn finish_in(
    conn: &mut Conn,
    store: StoreId,
    key: &str,
    status: u16,
    body: &str,
) -> Result<(), DbError> {
    diesel::update(
        idem::table
            .filter(idem::store_id.eq(store))
            .filter(idem::idempotency_key.eq(key)),
    )
    .set((
        idem::status.eq(Some(i32::from(status))),
        idem::body.eq(Some(body)),
    ))
    .execute(conn)
    .map(|_| ())
}

/// Gives `key` up after a failure that wrote nothing, so a retry may run.
pub fn abandon(conn: &mut Conn, store: StoreId, key: &str) -> Result<(), DbError> {
    diesel::delete(
        idem::table
            .filter(idem::store_id.eq(store))
            .filter(idem::idempotency_key.eq(key))
            .filter(idem::status.is_null()),
    )
    .execute(conn)
    .map(|_| ())
}

/// Deletes the answers older than 24 hours; how many went.
pub fn prune(conn: &mut Conn, before: NaiveDateTime) -> Result<usize, DbError> {
    diesel::delete(idem::table.filter(idem::created_at.lt(before))).execute(conn)
}
