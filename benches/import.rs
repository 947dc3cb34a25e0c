//! A CSV import of 1,000,000 codes into a coupon set, on the real release
//! server (`env!("CARGO_BIN_EXE_promodesk")`, its own process, so its memory
//! is its own), while one customer checks out again and again in the same
//! server. Prints the import time, the server's resident memory before the
//! import and at its peak (`VmHWM`), and the latency of the checkouts that ran
//! during the import. On SQLite and (when reachable) PostgreSQL.
//!
//! `cargo bench --bench import` (PostgreSQL from TEST_POSTGRES_URL, default
//! postgres://postgres@127.0.0.1:5432).

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

const CODES: usize = 1_000_000;

async fn run(label: &str, database_url: &str) {
    let server = common::serve(database_url).await;
    let base = server.base.clone();
    let owner = common::setup_store(&base).await;
    let product = common::catalog(&base, &owner).await;
    let set = common::create_set(&base, &owner, "Imported", 1).await;
    let csv: String = (0..CODES).map(|i| format!("IMP{i:09}\n")).collect();
    let megabytes = csv.len() as f64 / 1_048_576.0;

    // One customer checks out with BENCH10 for as long as the import runs.
    let importing = Arc::new(AtomicBool::new(true));
    let customer = tokio::spawn({
        let (base, importing) = (base.clone(), Arc::clone(&importing));
        async move {
            let (http, token) = common::customer(&base).await;
            let mut times = Vec::new();
            while importing.load(Ordering::Relaxed) {
                let email = format!("customer{}@example.com", times.len());
                let begun = Instant::now();
                let status =
                    common::checkout(&http, &base, &token, &email, "BENCH10", product).await;
                assert_eq!(status, 303, "a checkout was not placed");
                times.push(begun.elapsed());
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            times
        }
    });

    let rss_before = server.memory_mb("VmRSS");
    let page = owner
        .get(format!("{base}/admin/s/bench/coupon-sets/{set}"))
        .send()
        .await
        .expect("set page");
    let token = common::csrf_of(&page.text().await.expect("body"));
    let form = reqwest::multipart::Form::new()
        .text("csrf_token", token)
        .part(
            "file",
            reqwest::multipart::Part::bytes(csv.into_bytes()).file_name("codes.csv"),
        );
    let started = Instant::now();
    let response = owner
        .post(format!("{base}/admin/s/bench/coupon-sets/{set}/import"))
        .multipart(form)
        .send()
        .await
        .expect("import");
    let status = response.status();
    let body = response.text().await.expect("body");
    let elapsed = started.elapsed();
    importing.store(false, Ordering::Relaxed);
    let mut times = customer.await.expect("customer");
    assert_eq!(status, 200, "the import failed");
    let added = format!(
        "data-field=\"added\">{}<",
        promodesk::domain::text::thousands(CODES as i64)
    );
    assert!(body.contains(&added), "not every code was imported");
    let peak = server.memory_mb("VmHWM");
    times.sort();
    println!(
        "{label:<11} {CODES} codes ({megabytes:.1} MB) imported in {:.1} s; server memory {rss_before:.0} MB before, peak {peak:.0} MB",
        elapsed.as_secs_f64(),
    );
    println!(
        "{label:<11} {} checkouts during the import: median {:.1} ms   p99 {:.1} ms   max {:.1} ms",
        times.len(),
        common::percentile(&times, 50.0).as_secs_f64() * 1000.0,
        common::percentile(&times, 99.0).as_secs_f64() * 1000.0,
        times.last().map_or(0.0, |d| d.as_secs_f64() * 1000.0),
    );
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let sqlite = format!("sqlite://{}", dir.path().join("import.db").display());
    run("SQLite", &sqlite).await;
    if let Some(pg) = common::postgres_db("import") {
        run("PostgreSQL", &pg.url).await;
    }
}
