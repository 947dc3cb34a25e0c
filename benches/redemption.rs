//! Redemptions over HTTP on loopback: concurrent customers check out with one
//! coupon code through the public form (session cookie and CSRF token, as a
//! browser does), on SQLite and (when reachable) PostgreSQL. Prints
//! successful redemptions per second and the latency of a checkout POST.
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

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

async fn run(label: &str, bench: common::Bench, concurrency: usize) {
    let product = common::catalog(&bench.base, &bench.client).await;
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
                let mut times = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= REDEMPTIONS || started.elapsed() > LIMIT {
                        break;
                    }
                    let email = format!("customer{i}@example.com");
                    let begun = Instant::now();
                    let response = http
                        .post(format!("{base}/bench/checkout"))
                        .form(&[
                            ("csrf_token", token.as_str()),
                            ("email", email.as_str()),
                            ("coupon", "BENCH10"),
                            (quantity.as_str(), "1"),
                        ])
                        .send()
                        .await
                        .expect("checkout");
                    assert_eq!(response.status(), 303, "checkout {i} was not placed");
                    times.push(begun.elapsed());
                }
                times
            })
        })
        .collect();
    let mut times = Vec::new();
    for task in tasks {
        times.extend(task.await.expect("task"));
    }
    let elapsed = started.elapsed();
    times.sort();
    // The coupon's page must count every one of them.
    let coupon = bench
        .client
        .get(format!("{}/admin/s/bench/coupons?q=BENCH10", bench.base))
        .send()
        .await
        .expect("coupons")
        .text()
        .await
        .expect("body");
    let counted = format!("data-field=\"times_redeemed\">{}<", times.len());
    assert!(
        coupon.contains(&counted),
        "the coupon does not show {} redemptions",
        times.len()
    );
    println!(
        "{label:<11} {} redemptions in {:.2} s = {:>6.0}/s   median {:>6.2} ms   p99 {:>6.2} ms   max {:>6.2} ms   ({concurrency} concurrent customers)",
        times.len(),
        elapsed.as_secs_f64(),
        times.len() as f64 / elapsed.as_secs_f64(),
        common::percentile(&times, 50.0).as_secs_f64() * 1000.0,
        common::percentile(&times, 99.0).as_secs_f64() * 1000.0,
        times.last().map_or(0.0, |d| d.as_secs_f64() * 1000.0),
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
