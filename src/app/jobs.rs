//! Background work (SPEC 11): this process's name and lease length for the
//! jobs it claims (`Jobs`), and `run_next`, which claims one due job and
//! runs the use case its kind names. The worker thread that calls it lives
//! in `crate::worker`; any server process (or `promodesk worker`) runs one.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use chrono::NaiveDateTime;

use crate::db::coupon_sets::generate::Ended;
use crate::db::jobs::{self, Claimed, Lease};
use crate::db::{Conn, DbError, now};
use crate::domain::ids::{CouponSetId, JobId};
use crate::domain::status::JobKind;

/// Claims of one job, this one included, before it is given up.
pub const MAX_ATTEMPTS: i64 = 10;

/// This process as a job runner: its name in `jobs.claimed_by`, the length
/// of its leases and a stop flag. Cheap to clone.
#[derive(Clone)]
pub struct Jobs {
    inner: Arc<Inner>,
}

struct Inner {
    holder: String,
    webhooks: super::webhooks::Settings,
    lease: Duration,
    stop: AtomicBool,
}

impl Jobs {
    /// A runner named after this host and process, with a random part (a
    /// restarted process with the same pid is another runner).
    pub fn new(lease: Duration, webhooks: super::webhooks::Settings) -> Jobs {
        let mut random = [0u8; 4];
        let _ = getrandom::fill(&mut random);
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|h| h.trim().to_string())
            .unwrap_or_else(|_| "host".into());
        Jobs {
            inner: Arc::new(Inner {
                holder: format!("{host}:{}:{}", std::process::id(), hex::encode(random)),
                webhooks,
                lease,
                stop: AtomicBool::new(false),
            }),
        }
    }

    /// How this process delivers webhooks.
    pub fn webhooks(&self) -> &super::webhooks::Settings {
        &self.inner.webhooks
    }

    pub fn holder(&self) -> &str {
        &self.inner.holder
    }

    /// When a lease taken now ends.
    pub fn lease_end(&self) -> NaiveDateTime {
        now() + self.lease_length()
    }

    fn lease_length(&self) -> chrono::Duration {
        chrono::Duration::from_std(self.inner.lease).unwrap_or(chrono::Duration::seconds(30))
    }

    /// This process's lease on `job`.
    pub fn lease(&self, job: JobId) -> Lease {
        Lease {
            job,
            holder: self.inner.holder.clone(),
            length: self.lease_length(),
        }
    }

    /// Tells this process's workers that a job is due.
    pub fn wake(&self) {
        jobs::signal();
    }

    /// Waits up to `timeout` for `wake`, for a transaction that queued work
    /// (`db::jobs::queued`), or for `stop`, counting from `seen`
    /// (`db::jobs::signals`, read before the worker last looked for work).
    pub fn wait(&self, seen: u64, timeout: Duration) {
        jobs::wait_for_signal(seen, timeout, &|| self.stopping());
    }

    /// Asks the worker to stop after its current step (its lease is given
    /// back for another process to resume).
    pub fn stop(&self) {
        self.inner.stop.store(true, Ordering::SeqCst);
        self.wake();
    }

    pub fn stopping(&self) -> bool {
        self.inner.stop.load(Ordering::SeqCst)
    }
}

/// What `run_next` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ran {
    /// No job was due.
    Idle,
    /// A job ran (to its end, or until it was lost, stopped or failed).
    Job { id: JobId, ended: String },
}

/// Claims the oldest due job and runs it. A database error ends this try:
/// the job is given back to be tried again later (every committed step
/// kept), or given up after `MAX_ATTEMPTS` claims.
pub fn run_next(conn: &mut Conn, runner: &Jobs) -> Result<Ran, DbError> {
    let Some(job) = jobs::claim(conn, runner.holder(), runner.lease_end())? else {
        return Ok(Ran::Idle);
    };
    let lease = runner.lease(job.id());
    let stop = || runner.stopping();
    let ended = match run(conn, runner, &job, &lease, &stop) {
        Ok(ended) => format!("{ended:?}"),
        Err(e) => {
            let why = e.to_string();
            tracing::warn!(job = job.id, attempt = job.attempts, error = %why, "job failed");
            if job.attempts >= MAX_ATTEMPTS {
                give_up(conn, &job, &lease, &why)?;
                "GaveUp".into()
            } else {
                // 2, 4, 8... seconds, at most 5 minutes.
                let wait = 2i64
                    .saturating_pow(job.attempts.clamp(1, 8) as u32)
                    .min(300);
                let at = now() + chrono::Duration::seconds(wait);
                crate::db::write_transaction(conn, |conn| jobs::retry_at(conn, &lease, at, &why))?;
                "Retry".into()
            }
        }
    };
    Ok(Ran::Job {
        id: job.id(),
        ended,
    })
}

fn kind_of(job: &Claimed) -> Result<JobKind, DbError> {
    JobKind::parse(&job.kind).ok_or_else(|| {
        DbError::DeserializationError(format!("unknown job kind {:?}", job.kind).into())
    })
}

/// Runs one claimed job: the use case its kind names.
fn run(
    conn: &mut Conn,
    runner: &Jobs,
    job: &Claimed,
    lease: &Lease,
    stop: &dyn Fn() -> bool,
) -> Result<Ended, DbError> {
    match kind_of(job)? {
        JobKind::GenerateCodes => {
            super::coupon_sets::generate(conn, lease, CouponSetId(job.subject_id), stop)
        }
        JobKind::DeliverWebhooks => {
            super::webhooks::deliver(conn, lease, job.subject_id, runner.webhooks(), stop)
        }
    }
}

fn give_up(conn: &mut Conn, job: &Claimed, lease: &Lease, why: &str) -> Result<(), DbError> {
    match kind_of(job)? {
        JobKind::GenerateCodes => {
            super::coupon_sets::give_up(conn, lease, CouponSetId(job.subject_id), why)
        }
        // Its deliveries keep their own retry schedule: the next one that
        // is recorded, resent or swept queues the job again.
        JobKind::DeliverWebhooks => crate::db::write_transaction(conn, |conn| {
            jobs::finish(
                conn,
                lease,
                crate::domain::status::JobStatus::Failed,
                Some(why),
            )
        })
        .map(|_| ()),
    }
}

/// Pending jobs by kind `(kind, pending, seconds the oldest due one has
/// waited)` and webhook deliveries by status, for `/metrics`.
#[allow(clippy::type_complexity)]
pub fn queue(conn: &mut Conn) -> Result<(Vec<(String, i64, i64)>, Vec<(String, i64)>), DbError> {
    let at = now();
    let jobs = jobs::queue(conn)?
        .into_iter()
        .map(|(kind, n, oldest)| {
            let age = oldest.map_or(0, |t| (at - t).num_seconds().max(0));
            (kind, n, age)
        })
        .collect();
    Ok((jobs, crate::db::webhooks::counts(conn)?))
}
