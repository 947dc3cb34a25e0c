//! Redemptions over HTTP on loopback: concurrent customers check out with one
//! coupon code through the public form (session cookie and CSRF token, as a
//! browser does), on SQLite and (when reachable) PostgreSQL. Prints
//! successful redemptions per second and the latency of a checkout POST.
//!
//! Two paths: the unlimited coupon BENCH10 (every checkout is an order), and
//! the limit path: the coupon LIMITED with `max_redemptions` = 2,000 raced by
//! 4,000 checkouts, where exactly 2,000 must be placed and the rest refused.
//! Each run is verified against the coupon's page and the paid orders in the
//! database before its figures are printed.
//!
//! `cargo bench --bench redemption` (PostgreSQL from TEST_POSTGRES_URL,
//! default postgres://postgres@127.0.0.1:5432). Bounded: REDEMPTIONS
//! checkouts or `common::CHECKOUT_LIMIT` (60 s), whichever comes first.
//!
//! Then the same unlimited run with a webhook endpoint subscribed to
//! `redemption.succeeded` (a local receiver), to show what the outbox costs
//! a redemption, with the commit-to-delivery delay of its events (off and
//! on alternate `WEBHOOK_PAIRS` times, 3 by default, and their medians are
//! compared; `ONLY=webhooks` runs just that, `SQLITE_ONLY=1` and
//! `POSTGRES_ONLY=1` one database's runs); then webhooks on against off
//! below full load: checkouts due at a steady rate (`STEADY_RATE`), their
//! latency counted from when each was due (`ONLY=steady` runs just that);
//! and on
//! PostgreSQL the real binary as one process, then two on one database,
//! each given half of the customers (no load balancer).

mod common;

use std::time::Duration;

const REDEMPTIONS: usize = 10_000;
/// Concurrent customers; each level runs on a fresh database.
const LEVELS: [usize; 2] = [8, 32];
/// The limit path: this many uses, raced by twice as many checkouts.
const LIMITED: usize = 2_000;

/// Creates the 10%-off coupon LIMITED with `max` uses.
async fn limited_coupon(bench: &common::Bench, max: usize) {
    let admin = format!("{}/admin/s/bench", bench.base);
    let form = bench
        .client
        .get(format!("{admin}/coupons/new"))
        .send()
        .await
        .expect("form");
    let token = common::csrf_of(&form.text().await.expect("body"));
    let max = max.to_string();
    let created = bench
        .client
        .post(format!("{admin}/coupons/new"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("code", "LIMITED"),
            ("discount_type", "percent"),
            ("percent_off", "10"),
            ("duration", "once"),
            ("max_redemptions", max.as_str()),
        ])
        .send()
        .await
        .expect("coupon");
    assert_eq!(created.status(), 303, "the LIMITED coupon was not created");
}

/// The coupon's redemption count on its list row, and its paid orders in
/// the database; both must be `expected`.
async fn verify(bench: &common::Bench, code: &str, expected: usize) -> String {
    let list = bench
        .client
        .get(format!("{}/admin/s/bench/coupons?q={code}", bench.base))
        .send()
        .await
        .expect("coupons");
    assert_eq!(list.status(), 200);
    let body = list.text().await.expect("body");
    let counted = format!(
        "data-field=\"times_redeemed\">{}<",
        promodesk::domain::text::thousands(expected as i64)
    );
    assert!(
        body.contains(&counted),
        "the coupon {code} does not show {expected} redemptions"
    );
    let url = bench.database_url.clone();
    let sql = format!(
        "SELECT COUNT(*) AS n FROM orders o JOIN coupons c ON c.id = o.coupon_id \
         WHERE c.code = '{code}' AND o.status = 'paid'"
    );
    let paid = tokio::task::spawn_blocking(move || common::count(&url, &sql))
        .await
        .expect("count");
    assert_eq!(paid, expected as i64, "paid orders with {code}");
    format!("{expected} redemptions on the coupon's page, {paid} paid orders")
}

fn print(label: &str, path: &str, outcome: &common::Outcome, concurrency: usize, verified: &str) {
    let times = &outcome.placed;
    println!(
        "{label:<11} {path:<9} {} redemptions in {:.2} s = {:>6.0}/s   median {:>6.2} ms   p99 {:>6.2} ms   max {:>6.2} ms   ({concurrency} concurrent customers)   verified: {verified}",
        times.len(),
        outcome.elapsed.as_secs_f64(),
        times.len() as f64 / outcome.elapsed.as_secs_f64(),
        common::percentile(times, 50.0).as_secs_f64() * 1000.0,
        common::percentile(times, 99.0).as_secs_f64() * 1000.0,
        times.last().map_or(0.0, |d| d.as_secs_f64() * 1000.0),
    );
}

/// The unlimited run: every checkout with BENCH10 is an order. Returns the
/// product bought, the outcome and what was verified.
async fn unlimited(bench: &common::Bench, concurrency: usize) -> (i64, common::Outcome, String) {
    let product = common::catalog(&bench.base, &bench.client).await;
    let open = common::checkouts(
        &bench.base,
        product,
        "BENCH10",
        concurrency,
        REDEMPTIONS,
        false,
    )
    .await;
    let verified = verify(bench, "BENCH10", open.placed.len()).await;
    (product, open, verified)
}

async fn run(label: &str, bench: common::Bench, concurrency: usize, limit: bool) -> f64 {
    let (product, open, verified) = unlimited(&bench, concurrency).await;
    print(label, "unlimited", &open, concurrency, &verified);
    if !limit {
        bench.stop().await;
        return rate(&open);
    }

    limited_coupon(&bench, LIMITED).await;
    let limited = common::checkouts(
        &bench.base,
        product,
        "LIMITED",
        concurrency,
        2 * LIMITED,
        true,
    )
    .await;
    assert_eq!(
        (limited.placed.len(), limited.refused),
        (LIMITED, LIMITED),
        "exactly the limit is placed, the rest refused"
    );
    let verified = verify(&bench, "LIMITED", LIMITED).await;
    print(
        label,
        "limit",
        &limited,
        concurrency,
        &format!("{verified}, {} refused", limited.refused),
    );
    bench.stop().await;
    rate(&open)
}

fn rate(outcome: &common::Outcome) -> f64 {
    outcome.placed.len() as f64 / outcome.elapsed.as_secs_f64()
}

/// The unlimited run on a fresh database with a webhook endpoint: every
/// order also writes its event and delivery in its transaction, and this
/// process's worker delivers them meanwhile. Verified: every order's event
/// arrived, signed; compared with `off`, the run without webhooks.
async fn with_webhooks(label: &str, bench: common::Bench, concurrency: usize, off: f64) -> f64 {
    let product = common::catalog(&bench.base, &bench.client).await;
    let receiver = common::Receiver::start().await;
    common::add_endpoint(&bench.base, &bench.client, &receiver).await;
    let open = common::checkouts(
        &bench.base,
        product,
        "BENCH10",
        concurrency,
        REDEMPTIONS,
        false,
    )
    .await;
    let verified = delivered(&bench, receiver, open.placed.len()).await;
    print(label, "webhooks", &open, concurrency, &verified);
    bench.stop().await;
    let on = rate(&open);
    println!(
        "{label:<11} webhooks on: {on:.0}/s against {off:.0}/s off = {:+.1}% ({concurrency} concurrent customers)",
        (on / off - 1.0) * 100.0
    );
    on
}

/// Verifies a webhooks run of `placed` orders: the coupon's page and the
/// paid orders count them, and every order's event arrived at `receiver`,
/// signed; says so, with the delays from commit to delivery.
async fn delivered(bench: &common::Bench, receiver: common::Receiver, placed: usize) -> String {
    let mut verified = verify(bench, "BENCH10", placed).await;
    let arrived = receiver.wait_for(placed, Duration::from_secs(300)).await;
    assert_eq!(arrived, placed, "every order's event arrives");
    assert_eq!(receiver.unsigned(), 0, "every delivery is signed");
    let url = bench.database_url.clone();
    let delays = tokio::task::spawn_blocking(move || common::delivery_delays(&url, &receiver))
        .await
        .expect("delays");
    assert_eq!(delays.len(), placed, "a delay for each order");
    verified.push_str(&format!(
        ", {arrived} events delivered and signed; commit to delivery median {:.1} ms, p99 {:.1} ms",
        common::percentile(&delays, 50.0).as_secs_f64() * 1000.0,
        common::percentile(&delays, 99.0).as_secs_f64() * 1000.0,
    ));
    verified
}

/// How many off/on pairs a webhooks comparison runs (`WEBHOOK_PAIRS`, 3).
fn webhook_pairs() -> usize {
    std::env::var("WEBHOOK_PAIRS")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(3)
        .max(1)
}

/// The middle value of a comparison's runs (at least one).
fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// Clients that the steady runs spread their checkouts over.
const STEADY_CUSTOMERS: usize = 64;

/// One steady run on a fresh database (`webhooks`: with an endpoint and
/// its receiver): `rate` checkouts a second for four seconds, verified,
/// printed; returns the median and p99 latency.
async fn steady_run(
    label: &str,
    postgres: bool,
    rate: f64,
    webhooks: bool,
) -> Option<(Duration, Duration)> {
    let (bench, _db) = fresh(postgres, "steady").await?;
    let product = common::catalog(&bench.base, &bench.client).await;
    let receiver = if webhooks {
        let receiver = common::Receiver::start().await;
        common::add_endpoint(&bench.base, &bench.client, &receiver).await;
        Some(receiver)
    } else {
        None
    };
    let attempts = (rate * 4.0) as usize;
    let run = common::paced(
        &bench.base,
        product,
        "BENCH10",
        rate,
        STEADY_CUSTOMERS,
        attempts,
    )
    .await;
    let verified = match receiver {
        Some(receiver) => delivered(&bench, receiver, run.placed.len()).await,
        None => verify(&bench, "BENCH10", run.placed.len()).await,
    };
    let (median, p99) = (
        common::percentile(&run.placed, 50.0),
        common::percentile(&run.placed, 99.0),
    );
    println!(
        "{label:<11} steady {:<3} {} checkouts at {rate:.0}/s due (done {:.0}/s)   median {:>6.2} ms   p99 {:>6.2} ms   max {:>6.2} ms   verified: {verified}",
        if webhooks { "on" } else { "off" },
        run.placed.len(),
        run.placed.len() as f64 / run.elapsed.as_secs_f64(),
        median.as_secs_f64() * 1000.0,
        p99.as_secs_f64() * 1000.0,
        run.placed.last().map_or(0.0, |d| d.as_secs_f64() * 1000.0),
    );
    bench.stop().await;
    Some((median, p99))
}

/// Webhooks on against off below full load: checkouts due at a steady
/// rate (`STEADY_RATE`, else 3,000/s on SQLite and 1,000/s on PostgreSQL,
/// below what the closed runs reach with webhooks on), due whether or not
/// the earlier ones have answered, and their latency counted from when
/// each was due. Pairs as in
/// `compare_webhooks`; the medians of the runs' median and p99 latency.
async fn steady(label: &str, postgres: bool) {
    let rate: f64 = std::env::var("STEADY_RATE")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(if postgres { 1_000.0 } else { 3_000.0 });
    let pairs = webhook_pairs();
    let (mut offs, mut ons) = (Vec::new(), Vec::new());
    for _ in 0..pairs {
        let Some(off) = steady_run(label, postgres, rate, false).await else {
            return;
        };
        offs.push(off);
        let Some(on) = steady_run(label, postgres, rate, true).await else {
            return;
        };
        ons.push(on);
    }
    let ms = |runs: &[(Duration, Duration)], pick: fn(&(Duration, Duration)) -> Duration| {
        median(
            runs.iter()
                .map(|r| pick(r).as_secs_f64() * 1000.0)
                .collect(),
        )
    };
    println!(
        "{label:<11} steady {rate:.0}/s, median of {pairs}: webhooks on median {:.2} ms, p99 {:.2} ms; off median {:.2} ms, p99 {:.2} ms",
        ms(&ons, |r| r.0),
        ms(&ons, |r| r.1),
        ms(&offs, |r| r.0),
        ms(&offs, |r| r.1),
    );
}

/// Webhooks on against off: `WEBHOOK_PAIRS` (3) pairs of runs, off then
/// on, each on a fresh database, compared by their medians (one run of
/// each swings by ±10% on a shared 2-core machine). The first off run also
/// runs the limit path.
async fn compare_webhooks(label: &str, postgres: bool, concurrency: usize) {
    let pairs = webhook_pairs();
    let (mut offs, mut ons) = (Vec::new(), Vec::new());
    for pair in 0..pairs {
        let Some((bench, _db)) = fresh(postgres, "redeem").await else {
            return;
        };
        let off = run(label, bench, concurrency, pair == 0).await;
        offs.push(off);
        let Some((bench, _db)) = fresh(postgres, "webhooks").await else {
            return;
        };
        ons.push(with_webhooks(label, bench, concurrency, off).await);
    }
    let (off, on) = (median(offs), median(ons));
    println!(
        "{label:<11} webhooks on, median of {pairs}: {on:.0}/s against {off:.0}/s off = {:+.1}% ({concurrency} concurrent customers)",
        (on / off - 1.0) * 100.0
    );
}

/// A server on a fresh database (and the PostgreSQL database, dropped
/// with it), or `None` when PostgreSQL is not reachable.
async fn fresh(postgres: bool, name: &str) -> Option<(common::Bench, Option<common::PostgresDb>)> {
    if !postgres {
        return Some((common::start().await, None));
    }
    let db = common::postgres_db(name)?;
    let bench = common::start_at(db.url.clone(), None).await;
    Some((bench, Some(db)))
}

/// The redemptions BENCH10's page counts (its funnel), once the counts
/// written a quarter second after each redemption have landed.
async fn counted(bench: &common::Bench, expected: usize) -> usize {
    let url = bench.database_url.clone();
    let id = tokio::task::spawn_blocking(move || {
        common::count(&url, "SELECT id AS n FROM coupons WHERE code = 'BENCH10'")
    })
    .await
    .expect("coupon id");
    let page = format!("{}/admin/s/bench/coupons/{id}", bench.base);
    let marker = "data-field=\"funnel_redeemed\">";
    let mut seen = 0;
    for _ in 0..50 {
        let body = bench
            .client
            .get(&page)
            .send()
            .await
            .expect("coupon page")
            .text()
            .await
            .expect("body");
        seen = body
            .find(marker)
            .and_then(|at| body[at + marker.len()..].split('<').next())
            .and_then(|n| n.replace(',', "").parse().ok())
            .expect("the coupon page shows its funnel");
        if seen == expected {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    seen
}

/// Counting for analytics (SPEC 12) on and off: the unlimited run on a
/// fresh database each time, alternately on and off, twice each, and the
/// best run of each compared. Verified: with counting on the coupon's page
/// counts every redemption; with it off, none.
async fn counting(label: &str, postgres: bool, concurrency: usize) {
    let mut best = [0.0f64; 2];
    for round in 0..4 {
        let on = round % 2 == 0;
        // The database lives as long as this round's server.
        let mut _database = None;
        let bench = if postgres {
            let Some(pg) = common::postgres_db("counting") else {
                return;
            };
            let url = pg.url.clone();
            _database = Some(pg);
            common::start_with(url, None, |c| c.analytics = on).await
        } else {
            common::start_sqlite_with(|c| c.analytics = on).await
        };
        let (_, open, mut verified) = unlimited(&bench, concurrency).await;
        let placed = open.placed.len();
        let expected = if on { placed } else { 0 };
        let seen = counted(&bench, expected).await;
        assert_eq!(
            seen, expected,
            "the coupon page's redemptions with counting {on}"
        );
        verified.push_str(&format!(", {seen} counted on the coupon's page"));
        print(
            label,
            if on { "count on" } else { "count off" },
            &open,
            concurrency,
            &verified,
        );
        let i = usize::from(!on);
        best[i] = best[i].max(rate(&open));
    }
    println!(
        "{label:<11} counting on: {:.0}/s against {:.0}/s off = {:+.1}% (best of two each, {concurrency} concurrent customers)",
        best[0],
        best[1],
        (best[0] / best[1] - 1.0) * 100.0
    );
}

/// The real binary on one PostgreSQL database: one process with every
/// customer, then two processes each given half of them. Orders per second
/// for both, verified against the paid orders in the database.
async fn processes(concurrency: usize) {
    let mut rates = Vec::new();
    for count in [1usize, 2] {
        let Some(pg) = common::postgres_db("processes") else {
            return;
        };
        let first = common::serve(&pg.url).await;
        let owner = common::setup_store(&first.base).await;
        let product = common::catalog(&first.base, &owner).await;
        let mut servers = vec![first];
        while servers.len() < count {
            servers.push(common::serve(&pg.url).await);
        }
        let started = std::time::Instant::now();
        let runs = servers.iter().map(|server| {
            common::checkouts(
                &server.base,
                product,
                "BENCH10",
                concurrency / count,
                REDEMPTIONS / count,
                false,
            )
        });
        let outcomes = futures_util::future::join_all(runs).await;
        let elapsed = started.elapsed();
        let placed: usize = outcomes.iter().map(|o| o.placed.len()).sum();
        let url = pg.url.clone();
        let paid = tokio::task::spawn_blocking(move || {
            common::count(
                &url,
                "SELECT COUNT(*) AS n FROM orders WHERE status = 'paid'",
            )
        })
        .await
        .expect("count");
        assert_eq!(paid, placed as i64, "every placed order is in the database");
        let mut all: Vec<Duration> = outcomes.into_iter().flat_map(|o| o.placed).collect();
        all.sort();
        let per_second = placed as f64 / elapsed.as_secs_f64();
        println!(
            "PostgreSQL  {count} process{} {placed} redemptions in {:.2} s = {per_second:>6.0}/s   median {:>6.2} ms   p99 {:>6.2} ms   ({concurrency} concurrent customers, {} per process)   verified: {paid} paid orders",
            if count == 1 { "  " } else { "es" },
            elapsed.as_secs_f64(),
            common::percentile(&all, 50.0).as_secs_f64() * 1000.0,
            common::percentile(&all, 99.0).as_secs_f64() * 1000.0,
            concurrency / count,
        );
        rates.push(per_second);
    }
    println!(
        "PostgreSQL  2 processes against 1: {:+.1}% orders/s (both on this one machine, with PostgreSQL)",
        (rates[1] / rates[0] - 1.0) * 100.0
    );
}

#[tokio::main]
async fn main() {
    // `ONLY=counting cargo bench --bench redemption`: just the analytics
    // on/off comparison; `ONLY=webhooks`: just the webhooks on/off ones;
    // `ONLY=steady`: just the one below full load.
    let only = std::env::var("ONLY").unwrap_or_default();
    if only.is_empty() || only == "counting" {
        for concurrency in LEVELS {
            counting("SQLite", false, concurrency).await;
        }
        counting("PostgreSQL", true, 32).await;
        if only == "counting" {
            return;
        }
    }
    if !only.is_empty() && only != "webhooks" && only != "steady" {
        return;
    }
    // `SQLITE_ONLY=1` / `POSTGRES_ONLY=1`: one database's runs.
    let sqlite = std::env::var_os("POSTGRES_ONLY").is_none();
    let postgres = std::env::var_os("SQLITE_ONLY").is_none();
    let closed = only != "steady";
    for concurrency in LEVELS.into_iter().filter(|_| sqlite && closed) {
        compare_webhooks("SQLite", false, concurrency).await;
    }
    for concurrency in LEVELS.into_iter().filter(|_| postgres && closed) {
        compare_webhooks("PostgreSQL", true, concurrency).await;
    }
    if sqlite {
        steady("SQLite", false).await;
    }
    if postgres {
        steady("PostgreSQL", true).await;
    }
    if only.is_empty() {
        processes(32).await;
    }
}
