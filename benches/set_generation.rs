//! Coupon set generation: 100,000 and 1,000,000 codes on SQLite and (when
//! reachable) PostgreSQL, in codes per second and peak memory; then the CSV
//! export of the 1,000,000-code set over HTTP, with the peak memory it adds.
//!
//! `cargo bench --bench set_generation` (PostgreSQL from TEST_POSTGRES_URL,
//! default postgres://postgres@127.0.0.1:5432).

mod common;

use std::time::Instant;

use diesel::RunQueryDsl;
use promodesk::db;
use promodesk::db::coupon_sets::generate;
use promodesk::domain::coupon_set::SetDraft;

/// Peak resident memory of this process so far, in MB (VmHWM).
fn peak_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Resets the peak so the next figure is the next step's own.
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn generate_sets(label: &str, url: &str) {
    let pool = db::open(url, 2).expect("db");
    let mut conn = pool.get().expect("conn");
    for (i, count) in [100_000u64, 1_000_000].into_iter().enumerate() {
        let store = {
            use diesel::ExpressionMethods;
            use promodesk::db::schema::stores;
            diesel::insert_into(stores::table)
                .values((
                    stores::slug.eq(format!("gen{i}")),
                    stores::name.eq("Generation"),
                    stores::currency.eq("USD"),
                    stores::timezone.eq("UTC"),
                    stores::created_at.eq(db::now()),
                ))
                .execute(&mut conn)
                .expect("store");
            db::seed::store_id(&mut conn, &format!("gen{i}")).expect("store id")
        };
        db::seed::coupons(&mut conn, store, 1).expect("coupon");
        let coupon = db::seed::newest_coupon(&mut conn, store).expect("coupon id");
        let draft = SetDraft {
            name: format!("{count} codes"),
            coupon_id: coupon,
            count,
            prefix: "BENCH-".into(),
            code_length: 10,
        };
        let job = db::coupon_sets::create(&mut conn, store, &draft).expect("set");
        reset_peak();
        let started = Instant::now();
        generate::run(&mut conn, &job).expect("generate");
        let secs = started.elapsed().as_secs_f64();
        println!(
            "{label:<10} {count:>9} codes in {secs:>6.2} s = {:>9.0} codes/s, peak RSS {:>6.1} MB",
            count as f64 / secs,
            peak_mb()
        );
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let sqlite = format!("sqlite://{}", dir.path().join("gen.db").display());
    tokio::task::spawn_blocking(move || generate_sets("SQLite", &sqlite))
        .await
        .expect("sqlite");

    if let Some(pg) = common::postgres_db("bench") {
        let url = pg.url.clone();
        tokio::task::spawn_blocking(move || generate_sets("PostgreSQL", &url))
            .await
            .expect("postgres");
    }

    // Export a 1,000,000-code set over HTTP.
    let bench = common::start().await;
    let url = bench.database_url.clone();
    let set = tokio::task::spawn_blocking(move || {
        let pool = db::open(&url, 1).expect("db");
        let mut conn = pool.get().expect("conn");
        let store = db::seed::store_id(&mut conn, "bench").expect("store");
        db::seed::coupons(&mut conn, store, 1).expect("coupon");
        let coupon = db::seed::newest_coupon(&mut conn, store).expect("coupon id");
        let draft = SetDraft {
            name: "Export".into(),
            coupon_id: coupon,
            count: 1_000_000,
            prefix: String::new(),
            code_length: 10,
        };
        let job = db::coupon_sets::create(&mut conn, store, &draft).expect("set");
        generate::run(&mut conn, &job).expect("generate");
        job.set.0
    })
    .await
    .expect("seed");
    reset_peak();
    let before = peak_mb();
    let started = Instant::now();
    let mut response = bench
        .client
        .get(format!(
            "{}/admin/s/bench/coupon-sets/{set}/codes.csv",
            bench.base
        ))
        .send()
        .await
        .expect("export");
    let (mut bytes, mut lines) = (0usize, 0usize);
    while let Some(chunk) = response.chunk().await.expect("chunk") {
        bytes += chunk.len();
        lines += chunk.iter().filter(|b| **b == b'\n').count();
    }
    println!(
        "export     {} codes ({:.1} MB) in {:.2} s, peak RSS {:.1} MB (was {:.1} MB before the export)",
        lines - 1,
        bytes as f64 / 1e6,
        started.elapsed().as_secs_f64(),
        peak_mb(),
        before
    );
}
