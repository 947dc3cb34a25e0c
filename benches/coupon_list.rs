//! The coupon list with 100,000 coupons on SQLite, over HTTP on loopback:
//! median and p99 latency of first pages, deep pages (keyset cursors),
//! state filters (the seed has coupons in every state, scheduled and
//! expired too) and code-prefix searches; and the coupon pickers (issue
//! 15): the type-ahead's JSON by code prefix and by name, and the new set
//! form's own search without JavaScript. Every answer is checked: status
//! 200 and the number of rows it lists.
//!
//! `cargo bench --bench coupon_list` (set COUPONS to change the count).

mod common;

use common::{Check, PAGE};

/// Pages with at least `min` and at most a page of coupons.
fn rows(min: usize) -> Check<'static> {
    common::rows("data-coupon=", min)
}

use std::time::Instant;

use promodesk::db;

const REQUESTS: usize = 300;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let count: usize = std::env::var("COUPONS")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(100_000);
    let bench = common::start().await;
    let url = bench.database_url.clone();
    let started = Instant::now();
    let seeded = tokio::task::spawn_blocking(move || {
        let pool = db::open(&url, 1).expect("db");
        let mut conn = pool.get().expect("conn");
        let store = db::seed::store_id(&mut conn, "bench").expect("store");
        db::seed::coupons(&mut conn, store, count).expect("seed")
    })
    .await
    .expect("seed task");
    println!("seeded {seeded} coupons in {:.1?}", started.elapsed());

    let list = format!("{}/admin/s/bench/coupons", bench.base);
    let n = count as u64;
    let pick = |i: usize| (i as u64 * 7919 + 13) % n + 1;
    let repeat =
        |url: &str, times: usize| -> Vec<String> { (0..times).map(|_| url.to_string()).collect() };
    let client = &bench.client;
    println!("coupon list over HTTP, {count} coupons, SQLite:");
    common::measure(client, "first page", &repeat(&list, REQUESTS), rows(PAGE)).await;
    let next: Vec<String> = (0..REQUESTS)
        .map(|i| format!("{list}?next={}", pick(i)))
        .collect();
    common::measure(client, "any page (next=<random id>)", &next, rows(0)).await;
    let prev: Vec<String> = (0..REQUESTS)
        .map(|i| format!("{list}?prev={}", pick(i)))
        .collect();
    common::measure(client, "any page (prev=<random id>)", &prev, rows(0)).await;
    for state in ["active", "exhausted", "archived", "scheduled", "expired"] {
        let first = repeat(&format!("{list}?state={state}"), REQUESTS / 3);
        common::measure(
            client,
            &format!("state={state}, first page"),
            &first,
            rows(PAGE),
        )
        .await;
        let any: Vec<String> = (0..REQUESTS / 3)
            .map(|i| format!("{list}?state={state}&next={}", pick(i)))
            .collect();
        common::measure(client, &format!("state={state}, any page"), &any, rows(0)).await;
    }
    let prefixes: Vec<String> = (0..REQUESTS)
        .map(|i| {
            let code = format!("SEED{:07}", pick(i));
            format!(
                "{list}?q={}",
                &code[..(5 + i % 7).min(code.len())].to_lowercase()
            )
        })
        .collect();
    common::measure(client, "code-prefix search", &prefixes, rows(1)).await;
    let prefix_pages: Vec<String> = (0..REQUESTS)
        .map(|i| format!("{list}?q=seed&next={}", pick(i)))
        .collect();
    common::measure(
        client,
        "code-prefix search, any page",
        &prefix_pages,
        rows(0),
    )
    .await;

    println!("coupon pickers, {count} coupons:");
    let admin = format!("{}/admin/s/bench", bench.base);
    let typed: Vec<String> = (0..REQUESTS)
        .map(|i| {
            let code = format!("seed{:07}", pick(i));
            format!("{admin}/coupons/choices?q={}", &code[..(5 + i % 7)])
        })
        .collect();
    common::measure(
        client,
        "type-ahead JSON, code prefix",
        &typed,
        common::rows("\"id\":", 1),
    )
    .await;
    let named: Vec<String> = (0..REQUESTS)
        .map(|i| format!("{admin}/coupons/choices?q=coupon%20{}", pick(i)))
        .collect();
    common::measure(
        client,
        "type-ahead JSON, name contains",
        &named,
        common::rows("\"id\":", 1),
    )
    .await;
    let no_js: Vec<String> = (0..REQUESTS / 3)
        .map(|i| format!("{admin}/coupon-sets/new?coupon_q=seed{:07}", pick(i)))
        .collect();
    common::measure(
        client,
        "new set form, searched (no JS)",
        &no_js,
        common::rows("data-remaining=", 1),
    )
    .await;
    common::measure(
        client,
        "new promotion code form",
        &repeat(&format!("{admin}/promotion-codes/new"), REQUESTS / 3),
        common::rows("data-remaining=", PAGE),
    )
    .await;
}
