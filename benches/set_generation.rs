//! Coupon set generation over HTTP, as a merchant starts it: the new-set
//! form for 100,000 and 1,000,000 codes, on the real release server (its
//! own process), then the set page is polled until generation ends. Prints
//! codes per second and the server's peak memory, then the CSV export of the
//! 1,000,000-code set with the peak memory it adds. Every figure is printed
//! only after the run is verified: the page and the database hold exactly
//! the asked number of codes and the set is `ready`; the export answers 200
//! with one line per code. On SQLite and (when reachable) PostgreSQL.
//!
//! `cargo bench --bench set_generation` (PostgreSQL from TEST_POSTGRES_URL,
//! default postgres://postgres@127.0.0.1:5432).

mod common;

use std::time::{Duration, Instant};

const COUNTS: [usize; 2] = [100_000, 1_000_000];
/// Generation that takes longer than this fails the benchmark.
const LIMIT: Duration = Duration::from_secs(600);

/// A data-field's text on a page.
fn field(body: &str, name: &str) -> Option<String> {
    let marker = format!("data-field=\"{name}\">");
    let start = body.find(&marker)? + marker.len();
    Some(body[start..].split('<').next()?.to_string())
}

/// Polls the set page until generation ends; returns the final page.
async fn wait_ready(base: &str, client: &reqwest::Client, set: i64) -> String {
    let started = Instant::now();
    loop {
        let response = client
            .get(format!("{base}/admin/s/bench/coupon-sets/{set}"))
            .send()
            .await
            .expect("set page");
        assert_eq!(response.status(), 200, "the set page");
        let body = response.text().await.expect("body");
        if !body.contains("data-status=\"generating\"") {
            return body;
        }
        assert!(started.elapsed() < LIMIT, "generation took over {LIMIT:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Checks the set holds `count` codes on its page and in the database and
/// is ready; returns what was verified.
fn verify(database_url: &str, page: &str, set: i64, count: usize) -> String {
    assert_eq!(field(page, "error"), None, "generation failed");
    assert_eq!(
        field(page, "total").and_then(|t| t.replace(',', "").parse::<usize>().ok()),
        Some(count),
        "the set page's total"
    );
    let rows = common::count(
        database_url,
        &format!("SELECT COUNT(*) AS n FROM set_codes WHERE set_id = {set}"),
    );
    assert_eq!(rows, count as i64, "set_codes rows");
    let distinct = common::count(
        database_url,
        &format!("SELECT COUNT(DISTINCT normal) AS n FROM set_codes WHERE set_id = {set}"),
    );
    assert_eq!(distinct, count as i64, "distinct codes");
    let ready = common::count(
        database_url,
        &format!("SELECT COUNT(*) AS n FROM coupon_sets WHERE id = {set} AND status = 'ready'"),
    );
    assert_eq!(ready, 1, "the set's status");
    format!("verified: {rows} distinct rows, status ready")
}

async fn run(label: &str, database_url: &str) {
    let server = common::serve(database_url).await;
    let base = server.base.clone();
    let owner = common::setup_store(&base).await;
    common::catalog(&base, &owner).await;
    let mut last = 0;
    for count in COUNTS {
        server.reset_peak();
        let before = server.memory_mb("VmRSS");
        let started = Instant::now();
        let set = common::create_set(&base, &owner, &format!("{count} codes"), count).await;
        let page = wait_ready(&base, &owner, set).await;
        let secs = started.elapsed().as_secs_f64();
        let verified = verify(database_url, &page, set, count);
        println!(
            "{label:<11} {count:>9} codes in {secs:>6.2} s = {:>9.0} codes/s; server memory {before:.0} MB before, peak {:.0} MB; {verified}",
            count as f64 / secs,
            server.memory_mb("VmHWM"),
        );
        last = set;
    }

    // Export the 1,000,000-code set.
    server.reset_peak();
    let before = server.memory_mb("VmRSS");
    let started = Instant::now();
    let mut response = owner
        .get(format!("{base}/admin/s/bench/coupon-sets/{last}/codes.csv"))
        .send()
        .await
        .expect("export");
    assert_eq!(response.status(), 200, "the export");
    let (mut bytes, mut lines) = (0usize, 0usize);
    while let Some(chunk) = response.chunk().await.expect("chunk") {
        bytes += chunk.len();
        lines += chunk.iter().filter(|b| **b == b'\n').count();
    }
    let secs = started.elapsed().as_secs_f64();
    let codes = COUNTS[COUNTS.len() - 1];
    assert_eq!(lines, codes + 1, "one header line and one line per code");
    println!(
        "{label:<11} export of {codes} codes ({:.1} MB) in {secs:.2} s; server memory {before:.0} MB before, peak {:.0} MB; verified: status 200, {lines} lines",
        bytes as f64 / 1e6,
        server.memory_mb("VmHWM"),
    );
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let sqlite = format!("sqlite://{}", dir.path().join("generation.db").display());
    run("SQLite", &sqlite).await;
    if let Some(pg) = common::postgres_db("generation") {
        run("PostgreSQL", &pg.url).await;
    }
}
