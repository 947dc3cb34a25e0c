//! The code generator: random codes from the unambiguous alphabet in batches
//! of one transaction each (so other writers never wait long), skipping any
//! text a coupon, promotion code or set code holds. A run that fails is
//! removed whole.

use std::collections::HashSet;

use crate::domain::status::{SetCodeState, SetStatus};
use diesel::prelude::*;

use crate::db::schema::{coupon_sets, coupons, promotion_codes, set_codes};
use crate::db::{Conn, DbError, Pool, upper};
use crate::domain::code::normal_form;
use crate::domain::codegen::random_codes;
use crate::domain::ids::{CouponSetId, StoreId};

/// Codes per batch (one transaction, one multi-row INSERT per 2,000 rows).
pub const BATCH: usize = 50_000;
const INSERT_ROWS: usize = 2_000;

/// What a run needs to know.
#[derive(Debug, Clone)]
pub struct Run {
    pub store: StoreId,
    pub set: CouponSetId,
    pub generation: i64,
    pub prefix: String,
    pub length: usize,
    pub count: u64,
}

fn rng_error(e: getrandom::Error) -> DbError {
    DbError::QueryBuilderError(format!("no randomness: {e}").into())
}

/// Texts among `normals` that a coupon or promotion code of the store holds.
pub(super) fn held_elsewhere(
    conn: &mut Conn,
    store: StoreId,
    normals: &[String],
) -> QueryResult<HashSet<String>> {
    let mut held: HashSet<String> = promotion_codes::table
        .filter(promotion_codes::store_id.eq(store))
        .filter(promotion_codes::normal.eq_any(normals))
        .select(promotion_codes::normal)
        .load::<String>(conn)?
        .into_iter()
        .collect();
    let coupon_codes: Vec<String> = coupons::table
        .filter(coupons::store_id.eq(store))
        .filter(coupons::deleted_at.is_null())
        .filter(upper(coupons::code).eq_any(normals))
        .select(upper(coupons::code))
        .load(conn)?;
    held.extend(coupon_codes);
    Ok(held)
}

/// Adds up to `n` codes in one transaction; returns how many were added
/// (fewer when a drawn text was taken: the caller draws again).
pub fn batch(conn: &mut Conn, run: &Run, n: usize) -> Result<usize, DbError> {
    let mut drawn: Vec<(String, String)> = Vec::with_capacity(n);
    let mut seen = HashSet::with_capacity(n);
    while drawn.len() < n {
        for random in random_codes(n - drawn.len(), run.length).map_err(rng_error)? {
            let code = format!("{}{random}", run.prefix);
            let normal = normal_form(&code);
            if seen.insert(normal.clone()) {
                drawn.push((code, normal));
            }
        }
    }
    // In index order: the unique index on (store, normal) then grows along
    // one path instead of touching a random page per code.
    drawn.sort_unstable_by(|a, b| a.1.cmp(&b.1));
    crate::db::write_transaction(conn, |conn| {
        let mut added = 0;
        for chunk in drawn.chunks(INSERT_ROWS) {
            let normals: Vec<String> = chunk.iter().map(|(_, n)| n.clone()).collect();
            let held = held_elsewhere(conn, run.store, &normals)?;
            let rows: Vec<_> = chunk
                .iter()
                .filter(|(_, normal)| !held.contains(normal))
                .map(|(code, normal)| {
                    (
                        set_codes::store_id.eq(run.store),
                        set_codes::set_id.eq(run.set),
                        set_codes::code.eq(code),
                        set_codes::normal.eq(normal),
                        set_codes::state.eq(SetCodeState::Unused.as_str()),
                        set_codes::generation.eq(run.generation),
                    )
                })
                .collect();
            // A text another set holds is skipped by the unique index.
            added += crate::on_backend!(conn, c => diesel::insert_into(set_codes::table)
                .values(&rows)
                .on_conflict_do_nothing()
                .execute(c))?;
        }
        diesel::update(coupon_sets::table.find(run.set))
            .set((
                coupon_sets::generated.eq(coupon_sets::generated + added as i64),
                coupon_sets::total_codes.eq(coupon_sets::total_codes + added as i64),
            ))
            .execute(conn)?;
        Ok(added)
    })
}

/// Runs a whole generation: batches until `count` codes are added, then the
/// set is ready. On any error the run's codes are removed and the set says
/// why.
pub fn run(conn: &mut Conn, run: &Run) -> Result<(), DbError> {
    // Random keys land all over the unique index: give SQLite room to keep
    // it cached while this run lasts (the default is 2 MB).
    if let Conn::Sqlite(c) = conn {
        diesel::connection::SimpleConnection::batch_execute(c, "PRAGMA cache_size = -98304")?;
    }
    let outcome = run_batches(conn, run);
    if let Conn::Sqlite(c) = conn {
        diesel::connection::SimpleConnection::batch_execute(c, "PRAGMA cache_size = -2000")?;
    }
    outcome
}

fn run_batches(conn: &mut Conn, run: &Run) -> Result<(), DbError> {
    let mut added: u64 = 0;
    let mut fruitless = 0;
    let result = loop {
        if added >= run.count {
            break Ok(());
        }
        let n = (run.count - added).min(BATCH as u64) as usize;
        match batch(conn, run, n) {
            Ok(0) => {
                fruitless += 1;
                if fruitless > 20 {
                    break Err(
                        "the code space is too crowded: use longer codes or another prefix"
                            .to_string(),
                    );
                }
            }
            Ok(k) => {
                fruitless = 0;
                added += k as u64;
            }
            Err(e) => break Err(e.to_string()),
        }
    };
    match result {
        Ok(()) => {
            diesel::update(coupon_sets::table.find(run.set))
                .set(coupon_sets::status.eq(SetStatus::Ready.as_str()))
                .execute(conn)?;
            Ok(())
        }
        Err(why) => {
            tracing::error!(set = run.set.0, error = %why, "code generation failed");
            abandon(conn, run.set, run.generation, &why)
        }
    }
}

/// Removes the codes of run `generation` and marks the set failed.
pub fn abandon(
    conn: &mut Conn,
    set: CouponSetId,
    generation: i64,
    why: &str,
) -> Result<(), DbError> {
    crate::db::write_transaction(conn, |conn| {
        let removed = diesel::delete(
            set_codes::table
                .filter(set_codes::set_id.eq(set))
                .filter(set_codes::generation.eq(generation))
                .filter(set_codes::state.eq(SetCodeState::Unused.as_str())),
        )
        .execute(conn)?;
        diesel::update(coupon_sets::table.find(set))
            .set((
                coupon_sets::status.eq(SetStatus::Failed.as_str()),
                coupon_sets::error.eq(Some(format!("Generation failed and was undone: {why}."))),
                coupon_sets::total_codes.eq(coupon_sets::total_codes - removed as i64),
                coupon_sets::generated.eq(0),
            ))
            .execute(conn)?;
        Ok(())
    })
}

/// Runs a generation on its own thread, so no worker waits for it; the set's
/// page shows the progress from the database.
pub fn spawn(pool: Pool, job: Run) {
    std::thread::spawn(move || {
        let outcome = pool
            .get()
            .map_err(|e| e.to_string())
            .and_then(|mut conn| run(&mut conn, &job).map_err(|e| e.to_string()));
        if let Err(e) = outcome {
            tracing::error!(set = job.set.0, error = %e, "code generation could not run");
        }
    });
}
