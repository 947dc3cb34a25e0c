//! The code generator: random codes from the unambiguous alphabet in batches
//! of one transaction each (so other writers never wait long), skipping any
//! text a coupon, promotion code or set code holds. A run is a job
//! (`db::jobs`): each batch commits under the job's lease, so a run resumes
//! from its last committed batch in whichever process takes the job over,
//! and a cancelled job (its coupon archived or deleted, its set deleted)
//! adds nothing more. A run that cannot finish is removed whole.

use std::collections::HashSet;

use crate::db::FirstRow;
use crate::db::jobs::{self, Lease};
use crate::domain::status::{JobStatus, SetCodeState, SetStatus};
use diesel::prelude::*;

use crate::db::schema::{coupon_sets, coupons, promotion_codes, set_codes};
use crate::db::{Conn, DbError, upper};
use crate::domain::code::normal_form;
use crate::domain::codegen::{leads_for, random_codes_in};
use crate::domain::ids::{CouponSetId, JobId, StoreId};

/// Codes per batch (one transaction).
pub const BATCH: usize = 50_000;

/// A generation opened by `create` or `add_codes`: its job, and what the
/// caller reports (the count).
#[derive(Debug, Clone)]
pub struct Run {
    pub store: StoreId,
    pub set: CouponSetId,
    pub job: JobId,
    pub count: u64,
}

/// What the generator works from: the set as stored (a resumed run picks up
/// where the last committed batch left it).
struct Work {
    store: StoreId,
    set: CouponSetId,
    generation: i64,
    prefix: String,
    length: usize,
    requested: u64,
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ended {
    /// Every code was added (or there was nothing left to do): the set is
    /// ready.
    Finished,
    /// The code space was too crowded: the run's codes were removed and
    /// the set says why.
    Failed(String),
    /// The lease was lost (another process took the job over) or the job
    /// was cancelled: nothing more was written.
    Lost,
    /// This process is stopping: the lease was given back after the last
    /// committed batch, for any process to resume.
    Stopped,
}

/// A batch that did not commit.
#[derive(Debug)]
enum BatchError {
    Lost,
    Db(DbError),
}

impl From<DbError> for BatchError {
    fn from(e: DbError) -> BatchError {
        BatchError::Db(e)
    }
}

fn rng_error(e: getrandom::Error) -> DbError {
    DbError::QueryBuilderError(format!("no randomness: {e}").into())
}

/// Texts among `normals` that a live coupon or promotion code of the store
/// holds (what `bulk::add` skips; imports say why).
pub(super) fn held_elsewhere(
    conn: &mut Conn,
    store: StoreId,
    normals: &[String],
) -> QueryResult<HashSet<String>> {
    let mut held: HashSet<String> = promotion_codes::table
        .filter(promotion_codes::store_id.eq(store))
        .filter(promotion_codes::deleted_at.is_null())
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

/// Adds up to `n` codes in one transaction under the job's lease; returns
/// how many were added (fewer when a drawn text was taken: the caller draws
/// again).
fn batch(
    conn: &mut Conn,
    lease: &Lease,
    work: &Work,
    done: u64,
    n: usize,
) -> Result<usize, BatchError> {
    // The batch's own slice of the index (see `leads_for`).
    let leads = leads_for(done, n as u64, work.requested);
    // In index order: the unique index on (store, normal) then grows along
    // one path instead of touching a random page per code.
    let mut drawn: Vec<(String, String)> = Vec::with_capacity(n);
    while drawn.len() < n {
        let wanted = n - drawn.len();
        for random in random_codes_in(wanted, work.length, leads.clone()).map_err(rng_error)? {
            let code = format!("{}{random}", work.prefix);
            let normal = normal_form(&code);
            drawn.push((code, normal));
        }
        drawn.sort_unstable_by(|a, b| a.1.cmp(&b.1));
        drawn.dedup_by(|a, b| a.1 == b.1);
    }
    crate::db::write_transaction(conn, |conn| {
        // First: the job row (lock order job → store → codes → set; a cancel
        // takes the job before the codes, and never the store).
        if !jobs::hold(conn, lease)? {
            return Err(BatchError::Lost);
        }
        // Then the store's code lock, as every code writer (`db::codes`):
        // no promotion code can take a text between the check and the
        // insert.
        crate::db::codes::lock_store(conn, work.store)?;
        // Taken texts are skipped (`bulk::add`): the caller draws again.
        let added = super::bulk::add(conn, work.store, work.set, work.generation, &drawn)?;
        diesel::update(coupon_sets::table.find(work.set))
            .set((
                coupon_sets::generated.eq(coupon_sets::generated + added as i64),
                coupon_sets::total_codes.eq(coupon_sets::total_codes + added as i64),
            ))
            .execute(conn)?;
        // Again at the end, so a long batch leaves a whole lease behind it.
        jobs::hold(conn, lease)?;
        Ok(added)
    })
}

/// Runs (or resumes) the generation of `set` under `lease`: batches until
/// the set holds what was asked, then the set is ready and the job done.
/// `stop` is asked between batches. A database error is returned with every
/// committed batch kept, for the job to be tried again.
pub fn run(
    conn: &mut Conn,
    lease: &Lease,
    set: CouponSetId,
    stop: &dyn Fn() -> bool,
) -> Result<Ended, DbError> {
    // Random keys land all over the unique index: give SQLite room to keep
    // it cached while this run lasts (the default is 2 MB).
    if let Conn::Sqlite(c) = conn {
        diesel::connection::SimpleConnection::batch_execute(c, "PRAGMA cache_size = -98304")?;
    }
    let outcome = run_batches(conn, lease, set, stop);
    if let Conn::Sqlite(c) = conn {
        diesel::connection::SimpleConnection::batch_execute(c, "PRAGMA cache_size = -2000")?;
    }
    outcome
}

fn run_batches(
    conn: &mut Conn,
    lease: &Lease,
    set: CouponSetId,
    stop: &dyn Fn() -> bool,
) -> Result<Ended, DbError> {
    let row: super::SetRow = coupon_sets::table
        .find(set)
        .select(super::SetRow::as_select())
        .first_row(conn)?;
    let store: StoreId = coupon_sets::table
        .find(set)
        .select(coupon_sets::store_id)
        .first_row(conn)?;
    let work = Work {
        store,
        set,
        generation: row.generation,
        prefix: row.prefix.clone(),
        length: row.code_length as usize,
        requested: row.requested.max(0) as u64,
    };
    let mut generated = row.generated;
    let mut fruitless = 0;
    if row.generating() {
        while generated < row.requested {
            if stop() {
                crate::db::write_transaction(conn, |conn| jobs::release(conn, lease))?;
                return Ok(Ended::Stopped);
            }
            let n = (row.requested - generated).min(BATCH as i64) as usize;
            match batch(conn, lease, &work, generated.max(0) as u64, n) {
                Ok(0) => {
                    fruitless += 1;
                    if fruitless > 20 {
                        let why =
                            "the code space is too crowded: use longer codes or another prefix";
                        tracing::error!(set = set.0, error = why, "code generation failed");
                        return abandon(conn, lease, &work, why);
                    }
                }
                Ok(k) => {
                    fruitless = 0;
                    generated += k as i64;
                }
                Err(BatchError::Lost) => return Ok(Ended::Lost),
                Err(BatchError::Db(e)) => return Err(e),
            }
        }
    }
    crate::db::write_transaction(conn, |conn| {
        if !jobs::hold(conn, lease)? {
            return Ok(Ended::Lost);
        }
        diesel::update(
            coupon_sets::table
                .find(set)
                .filter(coupon_sets::status.eq(SetStatus::Generating.as_str())),
        )
        .set(coupon_sets::status.eq(SetStatus::Ready.as_str()))
        .execute(conn)?;
        crate::db::webhooks::record(
            conn,
            work.store,
            "coupon_set.generated",
            crate::db::webhooks::Subject::CouponSet(set.0),
        )?;
        jobs::finish(conn, lease, JobStatus::Done, None)?;
        Ok(Ended::Finished)
    })
}

/// Removes the codes of the run and marks the set failed (and the job),
/// under the lease.
fn abandon(conn: &mut Conn, lease: &Lease, work: &Work, why: &str) -> Result<Ended, DbError> {
    crate::db::write_transaction(conn, |conn| {
        if !jobs::hold(conn, lease)? {
            return Ok(Ended::Lost);
        }
        fail_set(conn, work.set, work.generation, why)?;
        jobs::finish(conn, lease, JobStatus::Failed, Some(why))?;
        Ok(Ended::Failed(why.to_string()))
    })
}

/// Gives up on a job that kept failing: its run is undone as in `abandon`.
pub fn give_up(conn: &mut Conn, lease: &Lease, set: CouponSetId, why: &str) -> Result<(), DbError> {
    crate::db::write_transaction(conn, |conn| {
        if !jobs::hold(conn, lease)? {
            return Ok(());
        }
        let generation: i64 = coupon_sets::table
            .find(set)
            .select(coupon_sets::generation)
            .first_row(conn)?;
        fail_set(conn, set, generation, why)?;
        jobs::finish(conn, lease, JobStatus::Failed, Some(why))?;
        Ok(())
    })
}

/// Removes the unused codes of run `generation` and marks the set failed;
/// inside the caller's transaction.
fn fail_set(conn: &mut Conn, set: CouponSetId, generation: i64, why: &str) -> Result<(), DbError> {
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
}
