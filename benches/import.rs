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

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

const CODES: usize = 1_000_000;

/// The server process, killed when dropped.
struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// A line of `/proc/{pid}/status` (`VmRSS`, `VmHWM`), in MB.
    fn memory_mb(&self, key: &str) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("/proc status");
        let kb: f64 = status
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{key}:")))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .expect("a memory figure");
        kb / 1024.0
    }
}

async fn serve(database_url: &str) -> Server {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port");
    let child = Command::new(env!("CARGO_BIN_EXE_promodesk"))
        .env("DATABASE_URL", database_url)
        .env("BIND", format!("127.0.0.1:{port}"))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start the server");
    let server = Server {
        child,
        base: format!("http://127.0.0.1:{port}"),
    };
    for _ in 0..300 {
        if let Ok(r) = reqwest::get(format!("{}/healthz", server.base)).await
            && r.status() == 200
        {
            return server;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the server did not start");
}

/// Creates a one-code set of BENCH10 and returns its id.
async fn coupon_set(base: &str, client: &reqwest::Client) -> i64 {
    let admin = format!("{base}/admin/s/bench");
    let list = client
        .get(format!("{admin}/coupons?q=BENCH10"))
        .send()
        .await
        .expect("coupons")
        .text()
        .await
        .expect("body");
    let marker = "/admin/s/bench/coupons/";
    // The first link to a coupon's own page (not to /coupons/new).
    let coupon: String = list
        .match_indices(marker)
        .map(|(at, _)| {
            list[at + marker.len()..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect::<String>()
        })
        .find(|id| !id.is_empty())
        .expect("the coupon");
    let token = common::csrf_of(&list);
    let created = client
        .post(format!("{admin}/coupon-sets/new"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("name", "Imported"),
            ("coupon_id", coupon.as_str()),
            ("count", "1"),
            ("prefix", ""),
            ("code_length", "10"),
        ])
        .send()
        .await
        .expect("set");
    if created.status() != 303 {
        let status = created.status();
        let body = created.text().await.unwrap_or_default();
        let errors: Vec<&str> = body
            .split("class=\"field-error\"")
            .skip(1)
            .map(|e| &e[..e.len().min(200)])
            .collect();
        panic!("the set was not created ({status}): {errors:?}");
    }
    created.headers()["location"]
        .to_str()
        .ok()
        .and_then(|l| l.rsplit('/').next())
        .and_then(|id| id.parse().ok())
        .expect("set id")
}

async fn run(label: &str, database_url: &str) {
    let server = serve(database_url).await;
    let base = server.base.clone();
    let owner = common::setup_store(&base).await;
    let product = common::catalog(&base, &owner).await;
    let set = coupon_set(&base, &owner).await;
    let csv: String = (0..CODES).map(|i| format!("IMP{i:09}\n")).collect();
    let megabytes = csv.len() as f64 / 1_048_576.0;

    // One customer checks out with BENCH10 for as long as the import runs.
    let importing = Arc::new(AtomicBool::new(true));
    let customer = tokio::spawn({
        let (base, importing) = (base.clone(), Arc::clone(&importing));
        async move {
            let http = reqwest::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client");
            let page = http
                .get(format!("{base}/bench"))
                .send()
                .await
                .expect("store page");
            let token = common::csrf_of(&page.text().await.expect("body"));
            let quantity = format!("quantity_{product}");
            let mut times = Vec::new();
            while importing.load(Ordering::Relaxed) {
                let email = format!("customer{}@example.com", times.len());
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
                assert_eq!(response.status(), 303, "a checkout was not placed");
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
    let added = format!("data-field=\"added\">{CODES}<");
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
