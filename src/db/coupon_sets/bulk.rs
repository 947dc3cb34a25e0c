//! Adding many codes to a set at once, for the generator and imports: one
//! statement per chunk whatever its size, so the cost is the database's
//! own insert work and not parsing or binding. PostgreSQL receives the
//! codes by `COPY` (binary) into a temporary table and moves them with one
//! `INSERT … SELECT`; SQLite reads them from one JSON parameter with
//! `json_each`. Both skip, in the same statement, any text a live coupon or
//! promotion code of the store holds, and (by the unique index) any text a
//! set code already has.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use crate::db::Conn;
use crate::domain::ids::{CouponSetId, StoreId};

diesel::table! {
    /// Per-connection staging table for `COPY` (PostgreSQL only; created on
    /// first use, emptied at each commit).
    set_code_stage (normal) {
        code -> Text,
        normal -> Text,
    }
}

#[derive(Insertable)]
#[diesel(table_name = set_code_stage)]
#[diesel(treat_none_as_default_value = false)]
struct Staged<'a> {
    code: &'a str,
    normal: &'a str,
}

/// Codes per statement on SQLite (one JSON text of about 0.5 MB).
const SQLITE_CHUNK: usize = 10_000;

/// What a new code must not be: a live coupon's code (ignoring case) or a
/// live promotion code of the store, as the namespace rules say
/// (`db::codes`); `{new}` is the new code's normal form, `{store}` the store.
fn free_text(new: &str, store: &str) -> String {
    format!(
        "NOT EXISTS (SELECT 1 FROM promotion_codes p WHERE p.store_id = {store} \
           AND p.normal = {new} AND p.deleted_at IS NULL) \
         AND NOT EXISTS (SELECT 1 FROM coupons c WHERE c.store_id = {store} \
           AND c.deleted_at IS NULL AND UPPER(c.code) = {new})"
    )
}

/// Adds `codes` (code, normal form; distinct normal forms, best in normal
/// order) to `set` as unused codes of run `generation`, skipping taken
/// texts; returns how many were added. Inside the caller's transaction,
/// which holds the store's code lock.
pub(super) fn add(
    conn: &mut Conn,
    store: StoreId,
    set: CouponSetId,
    generation: i64,
    codes: &[(String, String)],
) -> QueryResult<usize> {
    if codes.is_empty() {
        return Ok(0);
    }
    match conn {
        Conn::Postgres(c) => {
            use diesel::connection::SimpleConnection;
            c.batch_execute(
                "CREATE TEMPORARY TABLE IF NOT EXISTS set_code_stage \
                 (code TEXT NOT NULL, normal TEXT NOT NULL) ON COMMIT DELETE ROWS",
            )?;
            let rows: Vec<Staged> = codes
                .iter()
                .map(|(code, normal)| Staged { code, normal })
                .collect();
            diesel::copy_from(set_code_stage::table)
                .from_insertable(&rows)
                .execute(c)?;
            let added = diesel::sql_query(format!(
                "INSERT INTO set_codes (store_id, set_id, code, normal, state, generation) \
                 SELECT $1, $2, s.code, s.normal, 'unused', $3 FROM set_code_stage s \
                 WHERE {} ORDER BY s.normal COLLATE \"C\" ON CONFLICT DO NOTHING",
                free_text("s.normal", "$1")
            ))
            .bind::<BigInt, _>(store.0)
            .bind::<BigInt, _>(set.0)
            .bind::<BigInt, _>(generation)
            .execute(c)?;
            // Emptied now too: a caller may add several chunks in one
            // transaction.
            c.batch_execute("TRUNCATE set_code_stage")?;
            Ok(added)
        }
        Conn::Sqlite(c) => {
            let sql = format!(
                "INSERT INTO set_codes (store_id, set_id, code, normal, state, generation) \
                 SELECT ?1, ?2, n.code, n.normal, 'unused', ?3 FROM \
                 (SELECT value ->> 0 AS code, value ->> 1 AS normal FROM json_each(?4)) AS n \
                 WHERE {} ON CONFLICT DO NOTHING",
                free_text("n.normal", "?1")
            );
            let mut added = 0;
            for chunk in codes.chunks(SQLITE_CHUNK) {
                let json = serde_json::to_string(chunk)
                    .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
                added += diesel::sql_query(&sql)
                    .bind::<BigInt, _>(store.0)
                    .bind::<BigInt, _>(set.0)
                    .bind::<BigInt, _>(generation)
                    .bind::<Text, _>(json)
                    .execute(c)?;
            }
            Ok(added)
        }
    }
}
