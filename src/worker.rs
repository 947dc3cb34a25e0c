//! The job worker: one thread per process (unless `--no-worker`) that
//! claims due jobs from the database and runs them (`app::jobs::run_next`).
//! It sleeps up to a second between polls, or until this process queues a
//! job (`Jobs::wake`). When asked to stop it gives its lease back after the
//! current batch, so that another process resumes at once.

use std::thread::JoinHandle;
use std::time::Duration;

use crate::app::jobs::{Jobs, Ran, run_next};
use crate::db::Pool;

/// How long an idle worker waits before it looks for due jobs again.
const POLL: Duration = Duration::from_secs(1);

/// Starts the worker thread.
pub fn spawn(runner: Jobs, pool: Pool) -> std::io::Result<JoinHandle<()>> {
    std::thread::Builder::new()
        .name("promodesk-worker".into())
        .spawn(move || work(&runner, &pool))
}

/// How often a worker makes sure every endpoint with pending deliveries
/// has its delivery job.
const SWEEP: Duration = Duration::from_secs(5);

fn work(runner: &Jobs, pool: &Pool) {
    tracing::info!(worker = runner.holder(), "job worker started");
    let mut swept = std::time::Instant::now();
    while !runner.stopping() {
        let seen = crate::db::jobs::signals();
        let mut conn = match pool.get() {
            Ok(conn) => conn,
            Err(e) => {
                tracing::warn!(error = %e, "job worker: no database connection");
                runner.wait(seen, POLL);
                continue;
            }
        };
        if swept.elapsed() >= SWEEP {
            swept = std::time::Instant::now();
            if let Err(e) = crate::app::webhooks::sweep(&mut conn) {
                tracing::warn!(error = %e, "job worker: cannot sweep webhook deliveries");
            }
        }
        // Events committed since the last look become deliveries (and
        // their endpoints' jobs).
        if let Err(e) = crate::app::webhooks::dispatch(&mut conn, runner.webhooks()) {
            tracing::warn!(error = %e, "job worker: cannot dispatch webhook events");
        }
        match run_next(&mut conn, runner) {
            Ok(Ran::Idle) => {
                drop(conn);
                runner.wait(seen, POLL);
            }
            Ok(Ran::Job { id, ended }) => {
                tracing::info!(job = id.0, ended, "job ran");
            }
            Err(e) => {
                tracing::warn!(error = %e, "job worker: cannot claim or end a job");
                drop(conn);
                runner.wait(seen, POLL);
            }
        }
    }
    tracing::info!(worker = runner.holder(), "job worker stopped");
}

/// Stops `runner`'s worker and waits (up to `grace`) for it to give its
/// lease back.
pub fn stop(runner: &Jobs, handle: JoinHandle<()>, grace: Duration) {
    runner.stop();
    let started = std::time::Instant::now();
    while !handle.is_finished() && started.elapsed() < grace {
        std::thread::sleep(Duration::from_millis(20));
    }
    if !handle.is_finished() {
        tracing::warn!("job worker still busy at shutdown: its lease will run out");
    }
}
