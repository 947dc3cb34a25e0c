//! Jobs with leases (SPEC 11): long work kept in the database so that any
//! server process may run it and none runs one twice at once.
//!
//! A job is claimable while it is `pending`, due (`run_at`) and not leased
//! (`lease_until` empty or past). Claiming writes the claimer's name into
//! `claimed_by` and a lease end: on PostgreSQL with `FOR UPDATE SKIP LOCKED`
//! (two processes never wait for, or take, the same row), on SQLite under
//! the writer lock (`BEGIN IMMEDIATE`). Each step of the work begins its
//! transaction with `hold`, which extends the lease only if it is still the
//! claimer's and the job still pending: a process that lost its lease (it
//! stalled past it and another took over) or whose job was cancelled commits
//! nothing more. On PostgreSQL `hold` also locks the job row for the step,
//! so a cancel waits for the step and then sees its rows.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text, Timestamp};

use super::schema::jobs;
use super::{Conn, now};
use crate::db::{Cache, FirstRow, Inline};
use crate::domain::ids::{JobId, StoreId};
use crate::domain::status::{JobKind, JobStatus};

/// This process's wake-up for its workers: a counter bumped when a
/// transaction that queued work commits (`queued` inside it, the signal
/// from `db::write_transaction` after the commit), so a worker starts at
/// once instead of at its next poll. Other processes find the job when they
/// next poll.
static SIGNAL: (std::sync::Mutex<Signals>, std::sync::Condvar) = (
    std::sync::Mutex::new(Signals {
        count: 0,
        waiting: 0,
    }),
    std::sync::Condvar::new(),
);

/// The signals sent so far, and how many workers wait for the next one (a
/// signal with none waiting wakes nobody: no system call on a busy
/// worker's account, once per order).
struct Signals {
    count: u64,
    waiting: u32,
}

thread_local! {
    static QUEUED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    static RECORDED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Events committed since a worker last began to dispatch (`dispatching`):
/// the first one wakes the workers, the rest find them awake.
static UNDISPATCHED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Notes that the current transaction queued work (or made some due).
pub fn queued() {
    QUEUED.with(|q| q.set(true));
}

/// Notes that the current transaction recorded a webhook event, for the
/// workers to dispatch.
pub fn recorded() {
    RECORDED.with(|r| r.set(true));
}

/// Called by a worker before it reads the events to dispatch: an event
/// committed from now on wakes the workers again.
pub fn dispatching() {
    UNDISPATCHED.store(false, std::sync::atomic::Ordering::SeqCst);
}

/// Called by `db::write_transaction` when its transaction ends: wakes the
/// workers if it committed work. Recorded events wake them once per
/// dispatch, not once per event: under a storm of redemptions that is a
/// wake-up (and a look by every idle worker) per order saved.
pub(super) fn transaction_ended(committed: bool) {
    let queued = QUEUED.with(|q| q.replace(false));
    let recorded = RECORDED.with(|r| r.replace(false));
    if !committed {
        return;
    }
    if queued || (recorded && !UNDISPATCHED.swap(true, std::sync::atomic::Ordering::SeqCst)) {
        signal();
    }
}

/// Wakes every worker of this process.
pub fn signal() {
    let (signals, cond) = &SIGNAL;
    let mut signals = signals
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    signals.count += 1;
    if signals.waiting > 0 {
        cond.notify_all();
    }
}

/// How many signals this process has seen so far: read before looking for
/// work and passed to `wait_for_signal`, so that a signal sent while the
/// worker looked is not missed.
pub fn signals() -> u64 {
    SIGNAL
        .0
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .count
}

/// Waits up to `timeout` for a signal after the `seen`-th, or until `stop`
/// says so.
pub fn wait_for_signal(seen: u64, timeout: std::time::Duration, stop: &dyn Fn() -> bool) {
    let (signals, cond) = &SIGNAL;
    let mut guard = signals
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    guard.waiting += 1;
    let (mut guard, _) = cond
        .wait_timeout_while(guard, timeout, |now| now.count == seen && !stop())
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    guard.waiting -= 1;
}

/// A claimed job's lease: which job, who holds it, for how long each
/// extension lasts.
#[derive(Debug, Clone)]
pub struct Lease {
    pub job: JobId,
    pub holder: String,
    pub length: chrono::Duration,
}

impl Lease {
    fn until(&self) -> NaiveDateTime {
        now() + self.length
    }
}

/// A job as claimed.
#[derive(Debug, Clone, QueryableByName)]
pub struct Claimed {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub kind: String,
    #[diesel(sql_type = BigInt)]
    pub store_id: i64,
    #[diesel(sql_type = BigInt)]
    pub subject_id: i64,
    /// Claims so far, this one included.
    #[diesel(sql_type = BigInt)]
    pub attempts: i64,
}

impl Claimed {
    pub fn id(&self) -> JobId {
        JobId(self.id)
    }
}

/// A job row, for pages and tests.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = jobs)]
pub struct JobRow {
    pub id: i64,
    pub kind: String,
    pub subject_id: i64,
    #[diesel(deserialize_as = String)]
    pub status: JobStatus,
    pub claimed_by: Option<String>,
    pub lease_until: Option<NaiveDateTime>,
    pub attempts: i64,
    pub last_error: Option<String>,
}

/// Adds a job due now, in the caller's transaction (so it exists exactly
/// when the change that asks for it commits). With `holder` it starts out
/// claimed by that process (which runs it at once), until the lease ends.
pub fn enqueue(
    conn: &mut Conn,
    kind: JobKind,
    store: StoreId,
    subject: i64,
    holder: Option<(&str, NaiveDateTime)>,
) -> QueryResult<JobId> {
    let at = now();
    diesel::insert_into(jobs::table)
        .values((
            jobs::kind.eq(kind.as_str()),
            jobs::store_id.eq(store),
            jobs::subject_id.eq(subject),
            jobs::status.eq(JobStatus::Pending.as_str()),
            jobs::run_at.eq(at),
            jobs::claimed_by.eq(holder.map(|h| h.0)),
            jobs::lease_until.eq(holder.map(|h| h.1)),
            jobs::attempts.eq(i64::from(holder.is_some())),
            jobs::created_at.eq(at),
        ))
        .execute(conn)?;
    if holder.is_none() {
        queued();
    }
    Ok(JobId(super::last_insert_id(conn)?))
}

/// Claims the oldest due job for `holder` until `until`, if there is one.
pub fn claim(conn: &mut Conn, holder: &str, until: NaiveDateTime) -> QueryResult<Option<Claimed>> {
    let at = now();
    match conn {
        Conn::Postgres(c) => diesel::sql_query(
            "UPDATE jobs SET claimed_by = $1, lease_until = $2, attempts = attempts + 1 \
             WHERE id = (SELECT id FROM jobs WHERE status = 'pending' AND run_at <= $3 \
               AND (lease_until IS NULL OR lease_until < $3) \
               ORDER BY run_at, id LIMIT 1 FOR UPDATE SKIP LOCKED) \
             RETURNING id, kind, store_id, subject_id, attempts",
        )
        .bind::<Text, _>(holder)
        .bind::<Timestamp, _>(until)
        .bind::<Timestamp, _>(at)
        .cached()
        .get_result(c)
        .optional(),
        Conn::Sqlite(_) => {
            // A plain read first: an idle worker's look takes no writer
            // lock from the checkouts (it did, on each wake-up).
            if first_due(conn, at)?.is_none() {
                return Ok(None);
            }
            claim_sqlite(conn, holder, until, at)
        }
    }
}

/// The claimable job first in line at `at`.
fn first_due(conn: &mut Conn, at: NaiveDateTime) -> QueryResult<Option<i64>> {
    jobs::table
        .filter(jobs::status.eq(Inline(JobStatus::Pending.as_str())))
        .filter(jobs::run_at.le(at))
        .filter(jobs::lease_until.is_null().or(jobs::lease_until.lt(at)))
        .order((jobs::run_at, jobs::id))
        .select(jobs::id)
        .first_row(conn)
        .optional()
}

/// `claim` on SQLite, under the writer lock.
fn claim_sqlite(
    conn: &mut Conn,
    holder: &str,
    until: NaiveDateTime,
    at: NaiveDateTime,
) -> QueryResult<Option<Claimed>> {
    super::write_transaction(conn, |conn| {
        let Some(id) = first_due(conn, at)? else {
            return Ok(None);
        };
        diesel::update(jobs::table.find(id))
            .set((
                jobs::claimed_by.eq(holder),
                jobs::lease_until.eq(until),
                jobs::attempts.eq(jobs::attempts + 1),
            ))
            .cached()
            .execute(conn)?;
        jobs::table
            .find(id)
            .select((
                jobs::id,
                jobs::kind,
                jobs::store_id,
                jobs::subject_id,
                jobs::attempts,
            ))
            .first_row::<(i64, String, i64, i64, i64)>(conn)
            .map(|(id, kind, store_id, subject_id, attempts)| {
                Some(Claimed {
                    id,
                    kind,
                    store_id,
                    subject_id,
                    attempts,
                })
            })
    })
}

/// This lease's job row, if it is still pending and held by this lease. The
/// conditions are on the updated row itself (no subquery), so PostgreSQL
/// checks them again after waiting for a concurrent cancel or claim.
macro_rules! held {
    ($lease:expr) => {
        jobs::table
            .filter(jobs::id.eq($lease.job))
            .filter(jobs::claimed_by.eq(&$lease.holder))
            .filter(jobs::status.eq(Inline(JobStatus::Pending.as_str())))
    };
}

/// Extends the lease if it is still held and the job pending: call first in
/// each step's transaction, and commit nothing when it says `false`.
pub fn hold(conn: &mut Conn, lease: &Lease) -> QueryResult<bool> {
    let n = diesel::update(held!(lease))
        .set(jobs::lease_until.eq(lease.until()))
        .cached()
        .execute(conn)?;
    Ok(n == 1)
}

/// Ends a held job as `status` (done, failed), with the error if any.
/// `false` when the lease was no longer held.
pub fn finish(
    conn: &mut Conn,
    lease: &Lease,
    status: JobStatus,
    error: Option<&str>,
) -> QueryResult<bool> {
    let n = diesel::update(held!(lease))
        .set((
            jobs::status.eq(status.as_str()),
            jobs::lease_until.eq(None::<NaiveDateTime>),
            jobs::last_error.eq(error),
            jobs::finished_at.eq(Some(now())),
        ))
        .cached()
        .execute(conn)?;
    Ok(n == 1)
}

/// Gives a held job back after an error, to be tried again at `at`.
pub fn retry_at(
    conn: &mut Conn,
    lease: &Lease,
    at: NaiveDateTime,
    error: &str,
) -> QueryResult<bool> {
    let n = diesel::update(held!(lease))
        .set((
            jobs::claimed_by.eq(None::<String>),
            jobs::lease_until.eq(None::<NaiveDateTime>),
            jobs::run_at.eq(at),
            jobs::last_error.eq(Some(error)),
        ))
        .cached()
        .execute(conn)?;
    Ok(n == 1)
}

/// Puts a held job to sleep until `at` (it has work then, not before):
/// anyone may claim it then, and its attempts start again.
pub fn reschedule(conn: &mut Conn, lease: &Lease, at: NaiveDateTime) -> QueryResult<bool> {
    let n = diesel::update(held!(lease))
        .set((
            jobs::claimed_by.eq(None::<String>),
            jobs::lease_until.eq(None::<NaiveDateTime>),
            jobs::run_at.eq(at),
            jobs::attempts.eq(0),
            jobs::last_error.eq(None::<String>),
        ))
        .cached()
        .execute(conn)?;
    Ok(n == 1)
}

/// Gives a held job back at once because this process is stopping: anyone
/// may claim it now, and this claim does not count as an attempt.
pub fn release(conn: &mut Conn, lease: &Lease) -> QueryResult<bool> {
    let n = diesel::update(held!(lease))
        .set((
            jobs::claimed_by.eq(None::<String>),
            jobs::lease_until.eq(None::<NaiveDateTime>),
            jobs::attempts.eq(jobs::attempts - 1),
        ))
        .cached()
        .execute(conn)?;
    Ok(n == 1)
}

/// Cancels the pending jobs of `kind` on `subjects`, in the caller's
/// transaction. On PostgreSQL this waits for a step that holds one of them,
/// so the caller's next statements see what that step wrote.
pub fn cancel(conn: &mut Conn, kind: JobKind, subjects: &[i64]) -> QueryResult<usize> {
    if subjects.is_empty() {
        return Ok(0);
    }
    diesel::update(
        jobs::table
            .filter(jobs::kind.eq(kind.as_str()))
            .filter(jobs::subject_id.eq_any(subjects))
            .filter(jobs::status.eq(Inline(JobStatus::Pending.as_str()))),
    )
    .set((
        jobs::status.eq(JobStatus::Cancelled.as_str()),
        jobs::lease_until.eq(None::<NaiveDateTime>),
        jobs::finished_at.eq(Some(now())),
    ))
    .execute(conn)
}

/// Makes the pending job of `kind` on `subject` due now if it sleeps until
/// later (`reschedule`): work for it came early (a Resend). A job being
/// run is due already and is left alone.
pub fn due_now(conn: &mut Conn, kind: JobKind, subject: i64) -> QueryResult<usize> {
    let at = now();
    diesel::update(
        jobs::table
            .filter(jobs::kind.eq(kind.as_str()))
            .filter(jobs::subject_id.eq(subject))
            .filter(jobs::status.eq(Inline(JobStatus::Pending.as_str())))
            .filter(jobs::run_at.gt(at)),
    )
    .set(jobs::run_at.eq(at))
    .execute(conn)
}

/// The jobs of `kind` on `subject`, oldest first.
pub fn of_subject(conn: &mut Conn, kind: JobKind, subject: i64) -> QueryResult<Vec<JobRow>> {
    jobs::table
        .filter(jobs::kind.eq(kind.as_str()))
        .filter(jobs::subject_id.eq(subject))
        .order(jobs::id.asc())
        .select(JobRow::as_select())
        .load(conn)
}

/// Pending jobs by kind: how many, and when the oldest became due.
pub fn queue(conn: &mut Conn) -> QueryResult<Vec<(String, i64, Option<NaiveDateTime>)>> {
    jobs::table
        .filter(jobs::status.eq(Inline(JobStatus::Pending.as_str())))
        .group_by(jobs::kind)
        .select((
            jobs::kind,
            diesel::dsl::count_star(),
            diesel::dsl::min(jobs::run_at),
        ))
        .load(conn)
}
