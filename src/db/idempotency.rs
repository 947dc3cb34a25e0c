//! Idempotency keys of API redemptions (SPEC 10): the first request with a
//! key claims it (with a random claim token); its answer is stored under
//! that claim, inside the order's own transaction, and replayed for 24
//! hours.
//!
//! A claim without an answer is a request still running, or one whose
//! process died: its order, written in the same transaction as the answer,
//! never committed. After `STALE` such a claim may be taken over by a retry
//! with the same body. The old request, if it was only slow, can then no
//! longer write its answer (its claim is gone), so its order rolls back:
//! one key never makes two orders.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::api_idempotency as idem;
use super::{Conn, DbError, is_unique_violation, now};
use crate::db::{Cache, FirstRow};
use crate::domain::ids::StoreId;

/// How long an answer is kept for replays.
pub const KEPT_FOR: chrono::Duration = chrono::Duration::hours(24);
/// How long a claim without an answer counts as running.
pub const STALE: chrono::Duration = chrono::Duration::seconds(60);

/// What claiming a key came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The key is ours (new, older than 24 hours, or abandoned): go on, and
    /// write the answer under this claim token.
    Fresh(String),
    /// The same request was answered: send this again.
    Replay { status: u16, body: String },
    /// The key was used with another request body.
    Mismatch,
    /// The first request with this key is still running.
    InFlight,
}

/// A stored key: request hash, claim, status and body (once answered),
/// when it was claimed.
type Stored = (String, String, Option<i32>, Option<String>, NaiveDateTime);

/// Runs a single write: on SQLite it queues on the writer lock like every
/// write; on PostgreSQL it is one statement.
fn single<T>(conn: &mut Conn, f: impl FnOnce(&mut Conn) -> QueryResult<T>) -> QueryResult<T> {
    match conn {
        Conn::Sqlite(_) => super::write_transaction(conn, f),
        Conn::Postgres(_) => f(conn),
    }
}

/// Claims `key` for a request whose body hashes to `request_hash`, with
/// `token` (random) naming this request.
pub fn claim(
    conn: &mut Conn,
    store: StoreId,
    key: &str,
    request_hash: &str,
    token: &str,
) -> Result<Claim, DbError> {
    let at = now();
    let token = token.to_string();
    let row = idem::table
        .filter(idem::store_id.eq(store))
        .filter(idem::idempotency_key.eq(key));
    let insert = |conn: &mut Conn| {
        diesel::insert_into(idem::table)
            .values((
                idem::store_id.eq(store),
                idem::idempotency_key.eq(key),
                idem::request_hash.eq(request_hash),
                idem::claim.eq(&token),
                idem::created_at.eq(at),
            ))
            .cached()
            .execute(conn)
    };
    match single(conn, insert) {
        Ok(_) => return Ok(Claim::Fresh(token)),
        Err(e) if is_unique_violation(&e) => {}
        Err(e) => return Err(e),
    }
    // Taken: an answer older than 24 hours no longer counts.
    let expired = single(conn, |conn| {
        diesel::delete(row.filter(idem::created_at.lt(at - KEPT_FOR))).execute(conn)
    })?;
    if expired > 0 {
        match single(conn, insert) {
            Ok(_) => return Ok(Claim::Fresh(token)),
            Err(e) if is_unique_violation(&e) => {}
            Err(e) => return Err(e),
        }
    }
    let found: Option<Stored> = row
        .select((
            idem::request_hash,
            idem::claim,
            idem::status,
            idem::body,
            idem::created_at,
        ))
        .first_row(conn)
        .optional()?;
    Ok(match found {
        // Given up in between: the caller may retry.
        None => Claim::InFlight,
        Some((hash, ..)) if hash != request_hash => Claim::Mismatch,
        Some((_, _, Some(status), Some(body), _)) => Claim::Replay {
            status: u16::try_from(status).unwrap_or(500),
            body,
        },
        // No answer for a while: its process died before its order
        // committed. Take the claim over (one retrier wins).
        Some((_, old, _, _, claimed)) if claimed < at - STALE => {
            let taken = single(conn, |conn| {
                diesel::update(
                    row.filter(idem::claim.eq(&old))
                        .filter(idem::status.is_null()),
                )
                .set((idem::claim.eq(&token), idem::created_at.eq(at)))
                .cached()
                .execute(conn)
            })?;
            if taken == 1 {
                Claim::Fresh(token)
            } else {
                Claim::InFlight
            }
        }
        Some(_) => Claim::InFlight,
    })
}

/// Stores the answer of the request that holds `claim`.
pub fn finish(
    conn: &mut Conn,
    store: StoreId,
    key: &str,
    claim: &str,
    status: u16,
    body: &str,
) -> Result<(), DbError> {
    super::write_transaction(conn, |conn| {
        finish_in(conn, store, key, claim, status, body)
    })
}

/// `finish` inside the caller's transaction (the order's). Fails, and so
/// rolls the order back, when the claim was taken over meanwhile.
pub fn finish_in(
    conn: &mut Conn,
    store: StoreId,
    key: &str,
    claim: &str,
    status: u16,
    body: &str,
) -> Result<(), DbError> {
    let written = diesel::update(
        idem::table
            .filter(idem::store_id.eq(store))
            .filter(idem::idempotency_key.eq(key))
            .filter(idem::claim.eq(claim))
            .filter(idem::status.is_null()),
    )
    .set((
        idem::status.eq(Some(i32::from(status))),
        idem::body.eq(Some(body)),
    ))
    .cached()
    .execute(conn)?;
    if written == 1 {
        Ok(())
    } else {
        Err(DbError::RollbackTransaction)
    }
}

/// Gives `key` up after a failure that wrote nothing, so a retry may run.
pub fn abandon(conn: &mut Conn, store: StoreId, key: &str, claim: &str) -> Result<(), DbError> {
    single(conn, |conn| {
        diesel::delete(
            idem::table
                .filter(idem::store_id.eq(store))
                .filter(idem::idempotency_key.eq(key))
                .filter(idem::claim.eq(claim))
                .filter(idem::status.is_null()),
        )
        .cached()
        .execute(conn)
    })
    .map(|_| ())
}

/// Deletes the answers older than 24 hours; how many went.
pub fn prune(conn: &mut Conn, before: NaiveDateTime) -> Result<usize, DbError> {
    single(conn, |conn| {
        diesel::delete(idem::table.filter(idem::created_at.lt(before))).execute(conn)
    })
}
