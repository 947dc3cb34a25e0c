//! Prometheus metrics (`GET /metrics`, SPEC 11 operations): counters kept
//! in this process (requests by route and status with latency histograms,
//! redemptions and refusals by key), and figures read from the database at
//! each scrape (job queue depth and age, webhook deliveries by outcome) and
//! from the pool (connections in use), and SQLite's write transactions
//! against its commits (`db::writer`'s group commit: fewer commits than
//! transactions means batches formed).

use std::sync::LazyLock;

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGaugeVec, Opts, Registry,
    TextEncoder,
};

struct Meters {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    redemptions: IntCounterVec,
    refusals: IntCounterVec,
    jobs: IntGaugeVec,
    job_age: IntGaugeVec,
    deliveries: IntGaugeVec,
    pool: IntGaugeVec,
    sqlite_transactions: IntCounter,
    sqlite_commits: IntCounter,
}

/// Builds a metric and registers it; the names are constants, so a
/// failure is a bug caught by the tests, never a request's.
fn registered<M: prometheus::core::Collector + Clone + 'static>(
    registry: &Registry,
    metric: prometheus::Result<M>,
) -> M {
    let metric = metric.unwrap_or_else(|e| unreachable!("a metric's options are constants: {e}"));
    registry
        .register(Box::new(metric.clone()))
        .unwrap_or_else(|e| unreachable!("each metric is registered once: {e}"));
    metric
}

static METERS: LazyLock<Meters> = LazyLock::new(|| {
    let registry = Registry::new_custom(Some("promodesk".into()), None)
        .unwrap_or_else(|e| unreachable!("a constant prefix: {e}"));
    let r = &registry;
    Meters {
        requests: registered(
            r,
            IntCounterVec::new(
                Opts::new("http_requests_total", "HTTP requests by route and status"),
                &["method", "route", "status"],
            ),
        ),
        latency: registered(
            r,
            HistogramVec::new(
                HistogramOpts::new("http_request_duration_seconds", "HTTP request latency")
                    .buckets(vec![
                        0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                    ]),
                &["method", "route"],
            ),
        ),
        redemptions: registered(
            r,
            IntCounterVec::new(
                Opts::new(
                    "redemptions_total",
                    "Orders placed, by how the code resolved",
                ),
                &["via"],
            ),
        ),
        refusals: registered(
            r,
            IntCounterVec::new(
                Opts::new(
                    "refusals_total",
                    "Checkouts refused because of their code, by key",
                ),
                &["reason"],
            ),
        ),
        jobs: registered(
            r,
            IntGaugeVec::new(
                Opts::new("jobs_pending", "Pending jobs, by kind"),
                &["kind"],
            ),
        ),
        job_age: registered(
            r,
            IntGaugeVec::new(
                Opts::new(
                    "jobs_oldest_due_seconds",
                    "How long the oldest due job has waited, by kind",
                ),
                &["kind"],
            ),
        ),
        deliveries: registered(
            r,
            IntGaugeVec::new(
                Opts::new("webhook_deliveries", "Webhook deliveries, by status"),
                &["status"],
            ),
        ),
        pool: registered(
            r,
            IntGaugeVec::new(
                Opts::new("db_pool_connections", "Database pool connections, by state"),
                &["state"],
            ),
        ),
        sqlite_transactions: registered(
            r,
            IntCounter::new(
                "sqlite_write_transactions_total",
                "SQLite write transactions run on the write connection",
            ),
        ),
        sqlite_commits: registered(
            r,
            IntCounter::new(
                "sqlite_commits_total",
                "SQLite commits of the write connection (one per batch of transactions)",
            ),
        ),
        registry,
    }
});

/// One request served (`route` is the router's pattern, not the path).
pub fn request(method: &str, route: &str, status: u16, seconds: f64) {
    let m = &*METERS;
    m.requests
        .with_label_values(&[method, route, &status.to_string()])
        .inc();
    m.latency
        .with_label_values(&[method, route])
        .observe(seconds);
}

/// A SQLite write transaction ran on the write connection; `commit`: it
/// committed its batch.
pub fn sqlite_write(commit: bool) {
    let m = &*METERS;
    m.sqlite_transactions.inc();
    if commit {
        m.sqlite_commits.inc();
    }
}

/// An order placed: `via` is `coupon`, `promotion_code`, `set_code` or
/// `none` (no code).
pub fn redeemed(via: &str) {
    METERS.redemptions.with_label_values(&[via]).inc();
}

/// A checkout refused because of its code, by the refusal's key.
pub fn refused(reason: &str) {
    METERS.refusals.with_label_values(&[reason]).inc();
}

/// What the database and the pool say at a scrape.
pub struct Snapshot {
    /// `(kind, pending, seconds the oldest due one has waited)`.
    pub jobs: Vec<(String, i64, i64)>,
    /// `(status, count)`.
    pub deliveries: Vec<(String, i64)>,
    pub pool_size: u32,
    pub pool_idle: u32,
    pub pool_max: u32,
}

/// The Prometheus text exposition of every metric.
pub fn render(snapshot: &Snapshot) -> Result<String, prometheus::Error> {
    let m = &*METERS;
    m.jobs.reset();
    m.job_age.reset();
    for (kind, pending, age) in &snapshot.jobs {
        m.jobs.with_label_values(&[kind]).set(*pending);
        m.job_age.with_label_values(&[kind]).set(*age);
    }
    m.deliveries.reset();
    for (status, n) in &snapshot.deliveries {
        m.deliveries.with_label_values(&[status]).set(*n);
    }
    let in_use = snapshot.pool_size.saturating_sub(snapshot.pool_idle);
    m.pool.with_label_values(&["in_use"]).set(i64::from(in_use));
    m.pool
        .with_label_values(&["idle"])
        .set(i64::from(snapshot.pool_idle));
    m.pool
        .with_label_values(&["max"])
        .set(i64::from(snapshot.pool_max));
    let mut out = Vec::new();
    TextEncoder::new().encode(&m.registry.gather(), &mut out)?;
    String::from_utf8(out).map_err(|e| prometheus::Error::Msg(e.to_string()))
}
