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
//! checkouts or LIMIT seconds, whichever comes first.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const REDEMPTIONS: usize = 10_000;
/// Concurrent customers; each level runs on a fresh database.
const LEVELS: [usize; 2] = [8, 32];
const LIMIT: Duration = Duration::from_secs(60);
/// The limit path: this many uses, raced by twice as many checkouts.
const LIMITED: usize = 2_000;

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

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

/// What a run came to: the latency of each placed order, and the refusals.
struct Outcome {
    placed: Vec<Duration>,
    refused: usize,
    elapsed: Duration,
}

/// `concurrency` customers check out `attempts` times in all with `code`;
/// a checkout answers 303 (placed) or, when `may_refuse`, 422.
async fn checkouts(
    bench: &common::Bench,
    product: i64,
    code: &'static str,
    concurrency: usize,
    attempts: usize,
    may_refuse: bool,
) -> Outcome {
    let quantity = format!("quantity_{product}");
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let tasks: Vec<_> = (0..concurrency)
        .map(|_| {
            let base = bench.base.clone();
            let quantity = quantity.clone();
            let next = Arc::clone(&next);
            tokio::spawn(async move {
                let http = client();
                let page = http
                    .get(format!("{base}/bench"))
                    .send()
                    .await
                    .expect("store page");
                let token = common::csrf_of(&page.text().await.expect("body"));
                let (mut placed, mut refused) = (Vec::new(), 0);
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= attempts || started.elapsed() > LIMIT {
                        break;
                    }
                    let email = format!("{code}-customer{i}@example.com");
                    let begun = Instant::now();
                    let response = http
                        .post(format!("{base}/bench/checkout"))
                        .form(&[
                            ("csrf_token", token.as_str()),
                            ("email", email.as_str()),
                            ("coupon", code),
                            (quantity.as_str(), "1"),
                        ])
                        .send()
                        .await
                        .expect("checkout");
                    match response.status().as_u16() {
                        303 => placed.push(begun.elapsed()),
                        422 if may_refuse => refused += 1,
                        other => panic!("checkout {i} with {code} answered {other}"),
                    }
                }
                (placed, refused)
            })
        })
        .collect();
    let mut outcome = Outcome {
        placed: Vec::new(),
        refused: 0,
        elapsed: Duration::ZERO,
    };
    for task in tasks {
        let (placed, refused) = task.await.expect("task");
        outcome.placed.extend(placed);
        outcome.refused += refused;
    }
    outcome.elapsed = started.elapsed();
    outcome.placed.sort();
    outcome
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
    let counted = format!("data-field=\"times_redeemed\">{expected}<");
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

fn print(label: &str, path: &str, outcome: &Outcome, concurrency: usize, verified: &str) {
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

async fn run(label: &str, bench: common::Bench, concurrency: usize) {
    let product = common::catalog(&bench.base, &bench.client).await;
    let open = checkouts(&bench, product, "BENCH10", concurrency, REDEMPTIONS, false).await;
    let verified = verify(&bench, "BENCH10", open.placed.len()).await;
    print(label, "unlimited", &open, concurrency, &verified);

    limited_coupon(&bench, LIMITED).await;
    let limited = checkouts(&bench, product, "LIMITED", concurrency, 2 * LIMITED, true).await;
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
}

#[tokio::main]
async fn main() {
    for concurrency in LEVELS {
        run("SQLite", common::start().await, concurrency).await;
    }
    for concurrency in LEVELS {
        if let Some(pg) = common::postgres_db("redeem") {
            run(
                "PostgreSQL",
                common::start_at(pg.url.clone(), None).await,
                concurrency,
            )
            .await;
        }
    }
}
