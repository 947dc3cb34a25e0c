//! The coupon list with 100,000 coupons on SQLite, over HTTP on loopback:
//! median and p99 latency of first pages, deep pages (keyset cursors),
//! state filters and code-prefix searches.
//!
//! `cargo bench --bench coupon_list` (set COUPONS to change the count).

use std::time::{Duration, Instant};

use promodesk::config::Config;
use promodesk::db;
use promodesk::startup::Application;

const REQUESTS: usize = 300;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn token(body: &str) -> String {
    let marker = "name=\"csrf_token\" value=\"";
    let start = body.find(marker).map(|i| i + marker.len()).unwrap_or(0);
    body[start..]
        .split('"')
        .next()
        .unwrap_or_default()
        .to_string()
}

async fn measure(client: &reqwest::Client, label: &str, urls: &[String]) {
    let mut times = Vec::with_capacity(urls.len());
    for url in urls {
        let started = Instant::now();
        let response = client.get(url).send().await.expect("GET");
        assert_eq!(response.status(), 200, "{url}");
        let body = response.text().await.expect("body");
        times.push(started.elapsed());
        assert!(body.contains("Coupons"));
    }
    times.sort();
    println!(
        "{label:<34} n={:<4} median {:>7.2} ms   p99 {:>7.2} ms   max {:>7.2} ms",
        times.len(),
        percentile(&times, 50.0).as_secs_f64() * 1000.0,
        percentile(&times, 99.0).as_secs_f64() * 1000.0,
        times.last().map_or(0.0, |d| d.as_secs_f64() * 1000.0),
    );
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let count: usize = std::env::var("COUPONS")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("bench.db").display());
    let app = Application::build(Config::for_tests(url.clone()))
        .await
        .expect("app");
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());

    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let setup = client
        .get(format!("{base}/admin/setup"))
        .send()
        .await
        .expect("setup page");
    let csrf = token(&setup.text().await.expect("body"));
    let created = client
        .post(format!("{base}/admin/setup"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("email", "bench@example.com"),
            ("password", "benchmark password"),
            ("store_name", "Bench"),
            ("store_slug", "bench"),
            ("currency", "USD"),
            ("timezone", "UTC"),
        ])
        .send()
        .await
        .expect("setup");
    assert_eq!(created.status(), 303);

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

    let list = format!("{base}/admin/s/bench/coupons");
    // Warm up.
    for _ in 0..20 {
        client
            .get(&list)
            .send()
            .await
            .expect("warm")
            .text()
            .await
            .expect("body");
    }
    let n = count as u64;
    let pick = |i: usize| (i as u64 * 7919 + 13) % n + 1;
    let first: Vec<String> = (0..REQUESTS).map(|_| list.clone()).collect();
    let deep: Vec<String> = (0..REQUESTS)
        .map(|i| format!("{list}?next={}", pick(i)))
        .collect();
    let deep_back: Vec<String> = (0..REQUESTS)
        .map(|i| format!("{list}?prev={}", pick(i)))
        .collect();
    let states = ["active", "exhausted", "archived", "scheduled", "expired"];
    let prefixes: Vec<String> = (0..REQUESTS)
        .map(|i| {
            let code = format!("SEED{:07}", pick(i));
            let len = 5 + i % 7;
            format!("{list}?q={}", &code[..len.min(code.len())].to_lowercase())
        })
        .collect();
    let prefix_pages: Vec<String> = (0..REQUESTS)
        .map(|i| format!("{list}?q=seed&next={}", pick(i)))
        .collect();

    println!("coupon list over HTTP, {count} coupons, SQLite, {REQUESTS} requests each:");
    measure(&client, "first page", &first).await;
    measure(&client, "any page (next=<random id>)", &deep).await;
    measure(&client, "any page (prev=<random id>)", &deep_back).await;
    for state in states {
        let first: Vec<String> = (0..REQUESTS / 3)
            .map(|_| format!("{list}?state={state}"))
            .collect();
        measure(&client, &format!("state={state}, first page"), &first).await;
        let any: Vec<String> = (0..REQUESTS / 3)
            .map(|i| format!("{list}?state={state}&next={}", pick(i)))
            .collect();
        measure(&client, &format!("state={state}, any page"), &any).await;
    }
    measure(&client, "code-prefix search", &prefixes).await;
    measure(&client, "code-prefix search, any page", &prefix_pages).await;
}
