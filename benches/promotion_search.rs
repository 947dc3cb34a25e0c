//! Promotion code search with 1,000,000 codes on SQLite, over HTTP on
//! loopback: median and p99 latency of normal-form searches (whole codes
//! typed with dashes and lower case, short and long prefixes), their later
//! pages, and the plain list.
//!
//! `cargo bench --bench promotion_search` (set CODES to change the count).

mod common;

use common::{Check, PAGE};

/// Pages with at least `min` and at most a page of promotion codes.
fn rows(min: usize) -> Check<'static> {
    common::rows("data-promotion-code=", min)
}

use std::time::Instant;

use promodesk::db;

const REQUESTS: usize = 300;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let count: usize = std::env::var("CODES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(1_000_000);
    let bench = common::start().await;
    let url = bench.database_url.clone();
    let started = Instant::now();
    let sample = tokio::task::spawn_blocking(move || {
        let pool = db::open(&url, 1).expect("db");
        let mut conn = pool.get().expect("conn");
        let store = db::seed::store_id(&mut conn, "bench").expect("store");
        db::seed::coupons(&mut conn, store, 100).expect("coupons");
        let coupon = db::seed::newest_coupon(&mut conn, store).expect("coupon");
        db::seed::promotion_codes(&mut conn, store, coupon, count).expect("seed")
    })
    .await
    .expect("seed task");
    println!(
        "seeded {count} promotion codes in {:.1?}",
        started.elapsed()
    );

    let list = format!("{}/admin/s/bench/promotion-codes", bench.base);
    let pick = |i: usize| &sample[(i * 7919 + 13) % sample.len()];
    let client = &bench.client;
    println!("promotion codes over HTTP, {count} codes, SQLite:");
    // Typed as a customer might: lower case, with a dash and a trailing space.
    let whole: Vec<String> = (0..REQUESTS)
        .map(|i| {
            let code = pick(i).to_lowercase();
            format!("{list}?q={}-{}+", &code[..4], &code[4..])
        })
        .collect();
    let expected: Vec<String> = (0..REQUESTS).map(|i| pick(i).clone()).collect();
    common::measure(
        client,
        "search, whole code (normal form)",
        &whole,
        Check::Shows(&expected),
    )
    .await;
    let short: Vec<String> = (0..REQUESTS)
        .map(|i| format!("{list}?q={}", &pick(i)[..1 + i % 3]))
        .collect();
    common::measure(client, "search, 1-3 character prefix", &short, rows(1)).await;
    let long: Vec<String> = (0..REQUESTS)
        .map(|i| format!("{list}?q={}", &pick(i)[..4 + i % 4]))
        .collect();
    common::measure(client, "search, 4-7 character prefix", &long, rows(1)).await;
    let later: Vec<String> = (0..REQUESTS)
        .map(|i| format!("{list}?q={}&next={}", &pick(i)[..1], (i * 7919) % count + 1))
        .collect();
    common::measure(client, "search, later page (next=<id>)", &later, rows(0)).await;
    let first: Vec<String> = (0..REQUESTS).map(|_| list.clone()).collect();
    common::measure(client, "list, first page", &first, rows(PAGE)).await;
    let any: Vec<String> = (0..REQUESTS)
        .map(|i| format!("{list}?next={}", (i * 7919) % count + 1))
        .collect();
    common::measure(client, "list, any page (next=<id>)", &any, rows(0)).await;
}
