//! Promotion code search with 1,000,000 codes on SQLite, over HTTP on
//! loopback: median and p99 latency of normal-form searches (short and long
//! prefixes, typed with dashes and lower case), their later pages, and the
//! plain list.
//!
//! `cargo bench --bench promotion_search` (set CODES to change the count).

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

async fn measure(
    client: &reqwest::Client,
    label: &str,
    urls: &[String],
    expect: Option<&[String]>,
) {
    let mut times = Vec::with_capacity(urls.len());
    for (i, url) in urls.iter().enumerate() {
        let started = Instant::now();
        let response = client.get(url).send().await.expect("GET");
        assert_eq!(response.status(), 200, "{url}");
        let body = response.text().await.expect("body");
        times.push(started.elapsed());
        if let Some(codes) = expect {
            assert!(body.contains(&codes[i]), "{url} did not find {}", codes[i]);
        }
    }
    times.sort();
    println!(
        "{label:<40} n={:<4} median {:>7.2} ms   p99 {:>7.2} ms   max {:>7.2} ms",
        times.len(),
        percentile(&times, 50.0).as_secs_f64() * 1000.0,
        percentile(&times, 99.0).as_secs_f64() * 1000.0,
        times.last().map_or(0.0, |d| d.as_secs_f64() * 1000.0),
    );
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let count: usize = std::env::var("CODES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(1_000_000);
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

    let list = format!("{base}/admin/s/bench/promotion-codes");
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
    let pick = |i: usize| &sample[(i * 7919 + 13) % sample.len()];
    let exact: Vec<String> = (0..REQUESTS)
        .map(|i| {
            // Typed as a customer might: lower case, with a dash and a space.
            let code = pick(i).to_lowercase();
            format!("{list}?q={}-{}+", &code[..4], &code[4..])
        })
        .collect();
    let exact_codes: Vec<String> = (0..REQUESTS).map(|i| pick(i).clone()).collect();
    let short: Vec<String> = (0..REQUESTS)
        .map(|i| format!("{list}?q={}", &pick(i)[..1 + i % 3]))
        .collect();
    let long: Vec<String> = (0..REQUESTS)
        .map(|i| format!("{list}?q={}", &pick(i)[..4 + i % 4]))
        .collect();
    let first: Vec<String> = (0..REQUESTS).map(|_| list.clone()).collect();
    let any: Vec<String> = (0..REQUESTS)
        .map(|i| format!("{list}?next={}", (i * 7919) % count + 1))
        .collect();
    let search_pages: Vec<String> = (0..REQUESTS)
        .map(|i| format!("{list}?q={}&next={}", &pick(i)[..1], (i * 7919) % count + 1))
        .collect();

    println!("promotion codes over HTTP, {count} codes, SQLite, {REQUESTS} requests each:");
    measure(
        &client,
        "search, whole code (normal form)",
        &exact,
        Some(&exact_codes),
    )
    .await;
    measure(&client, "search, 1-3 character prefix", &short, None).await;
    measure(&client, "search, 4-7 character prefix", &long, None).await;
    measure(
        &client,
        "search, later page (next=<id>)",
        &search_pages,
        None,
    )
    .await;
    measure(&client, "list, first page", &first, None).await;
    measure(&client, "list, any page (next=<id>)", &any, None).await;
}
