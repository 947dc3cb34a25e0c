//! Idempotency keys of API redemptions (SPEC 10): a key's answer is kept
//! for 24 hours and replayed to a repeat of the same request.
//!
//! The answer is written in the same transaction as what it answers: with
//! the order (inside its transaction), or alone for a refusal. The key is
//! the table's primary key, so one key has one answer: a second request
//! that reaches the write first loses it and rolls back (its order too),
//! then replays the winner's answer. One key never makes two orders.
//!
//! A request with a key asks `lookup` first. A row without an answer is
//! not written any more, but one left by an earlier version counts as a
//! request still running; after `STALE` it is taken over by a retry with
//! the same body.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::api_idempotency as idem;
use super::{Conn, DbError, now};
use crate::db::{Cache, FirstRow};
use crate::domain::ids::StoreId;

/// How long an answer is kept for replays.
pub const KEPT_FOR: chrono::Duration = chrono::Duration::hours(24);
/// How long a row without an answer counts as a request still running.
pub const STALE: chrono::Duration = chrono::Duration::seconds(60);

/// What a key holds when a request comes with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// Nothing (new, older than 24 hours, or abandoned): the request runs.
    Free,
    /// The same request was answered: send this again.
    Replay { status: u16, body: String },
    /// The key was used with another request body.
    Mismatch,
    /// A request with this key has no answer yet.
    InFlight,
}

/// A stored key: request hash, claim, status and body (once answered),
/// when it was written.
type Stored = (String, String, Option<i32>, Option<String>, NaiveDateTime);

/// Runs a single write: on SQLite it queues on the writer lock like every
/// write; on PostgreSQL it is one statement.
fn single<T>(conn: &mut Conn, f: impl FnOnce(&mut Conn) -> QueryResult<T>) -> QueryResult<T> {
    match conn {
        Conn::Sqlite(_) => super::write_transaction(conn, f),
        Conn::Postgres(_) => f(conn),
    }
}

/// What `key` holds for a request whose body hashes to `request_hash`.
/// An answer older than 24 hours, or a stale row without one, is deleted
/// on the way (the request then runs).
pub fn lookup(
    conn: &mut Conn,
    store: StoreId,
    key: &str,
    request_hash: &str,
) -> Result<Lookup, DbError> {
    let at = now();
    let row = idem::table
        .filter(idem::store_id.eq(store))
        .filter(idem::idempotency_key.eq(key));
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
        None => Lookup::Free,
        Some((.., written)) if written < at - KEPT_FOR => {
            single(conn, |conn| {
                diesel::delete(row.filter(idem::created_at.lt(at - KEPT_FOR))).execute(conn)
            })?;
            Lookup::Free
        }
        Some((hash, ..)) if hash != request_hash => Lookup::Mismatch,
        Some((_, _, Some(status), Some(body), _)) => Lookup::Replay {
            status: u16::try_from(status).unwrap_or(500),
            body,
        },
        // No answer for a while: its process died. The retry runs; if two
        // do, the first answer written wins.
        Some((_, old, _, _, written)) if written < at - STALE => {
            single(conn, |conn| {
                diesel::delete(
                    row.filter(idem::claim.eq(&old))
                        .filter(idem::status.is_null()),
                )
                .execute(conn)
            })?;
            Lookup::Free
        }
        Some(_) => Lookup::InFlight,
    })
}

/// Keeps the answer to the request with `key`, inside the caller's
/// transaction (the order's). `false` when the key holds an answer
/// already (another request's, written meanwhile): the caller rolls back
/// and looks again. On PostgreSQL this waits for a concurrent writer of
/// the same key to end.
pub fn keep_in(
    conn: &mut Conn,
    store: StoreId,
    key: &str,
    request_hash: &str,
    status: u16,
    body: &str,
) -> Result<bool, DbError> {
    let at = now();
    let values = (
        idem::store_id.eq(store),
        idem::idempotency_key.eq(key),
        idem::request_hash.eq(request_hash),
        idem::claim.eq(""),
        idem::status.eq(Some(i32::from(status))),
        idem::body.eq(Some(body)),
        idem::created_at.eq(at),
    );
    let written = crate::on_backend!(conn, c => diesel::insert_into(idem::table)
        .values(values)
        .on_conflict_do_nothing()
        .cached_at(crate::site!())
        .execute(c))?;
    Ok(written == 1)
}

/// `keep_in` in a transaction of its own (a refusal's answer).
pub fn keep(
    conn: &mut Conn,
    store: StoreId,
    key: &str,
    request_hash: &str,
    status: u16,
    body: &str,
) -> Result<bool, DbError> {
    single(conn, |conn| {
        keep_in(conn, store, key, request_hash, status, body)
    })
}

/// Deletes the answers older than 24 hours; how many went.
pub fn prune(conn: &mut Conn, before: NaiveDateTime) -> Result<usize, DbError> {
    single(conn, |conn| {
        diesel::delete(idem::table.filter(idem::created_at.lt(before))).execute(conn)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db;

    /// One key keeps one answer: a second writer learns it lost, and its
    /// transaction (the order's) rolls back with nothing of it kept.
    #[test]
    fn the_first_answer_kept_wins() {
        let (_dir, pool) = db::temp_sqlite();
        let mut conn = pool.get().expect("conn");
        let store = db::seed::bare_store(&mut conn, "keys").expect("store");
        assert_eq!(
            lookup(&mut conn, store, "k", "h1").expect("lookup"),
            Lookup::Free
        );
        assert!(keep(&mut conn, store, "k", "h1", 201, "first").expect("keep"));
        let second = db::write_transaction(&mut conn, |conn| {
            if keep_in(conn, store, "k", "h1", 201, "second")? {
                Ok(())
            } else {
                Err(DbError::RollbackTransaction)
            }
        });
        assert!(matches!(second, Err(DbError::RollbackTransaction)));
        let replay = Lookup::Replay {
            status: 201,
            body: "first".into(),
        };
        assert_eq!(lookup(&mut conn, store, "k", "h1").expect("lookup"), replay);
        assert_eq!(
            lookup(&mut conn, store, "k", "h2").expect("lookup"),
            Lookup::Mismatch
        );
    }
}
