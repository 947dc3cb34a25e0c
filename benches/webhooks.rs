//! Webhook delivery on the real binary: 10,000 `redemption.succeeded` events
//! waiting in the outbox, delivered by one `promodesk worker` process to a
//! local receiver (HTTP/1.1 on loopback, answering 200 at once). The server
//! runs with `NO_WORKER=1` while 10,000 checkouts place their orders, so
//! every event is waiting when the worker starts; the figure is events
//! delivered per second from the worker's start to the last arrival, with
//! the commit-to-delivery delay of each event (which here includes the
//! wait for the worker). The live delay, with a worker running while
//! customers check out, is printed by `cargo bench --bench redemption`.
//! Verified before printing: every order's event arrived, each signature
//! verifies, and the database marks exactly 10,000 deliveries delivered.
//! On SQLite and (when reachable) PostgreSQL.
//!
//! `cargo bench --bench webhooks` (PostgreSQL from TEST_POSTGRES_URL,
//! default postgres://postgres@127.0.0.1:5432).

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const EVENTS: usize = 10_000;
const CUSTOMERS: usize = 16;

async fn run(label: &str, database_url: &str) {
    let private = ("WEBHOOK_ALLOW_PRIVATE", "1");
    let server = common::serve_with(database_url, &[("NO_WORKER", "1"), private]).await;
    let owner = common::setup_store(&server.base).await;
    let product = common::catalog(&server.base, &owner).await;
    let receiver = common::Receiver::start().await;
    common::add_endpoint(&server.base, &owner, &receiver).await;
    let orders =
        common::checkouts(&server.base, product, "BENCH10", CUSTOMERS, EVENTS, false).await;
    assert_eq!(
        orders.placed.len(),
        EVENTS,
        "every checkout placed its order"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(receiver.received().len(), 0, "no worker, no delivery yet");

    let started = Instant::now();
    let mut worker = Command::new(env!("CARGO_BIN_EXE_promodesk"))
        .arg("worker")
        .env("DATABASE_URL", database_url)
        .env(private.0, private.1)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start the worker");
    let arrived = receiver.wait_for(EVENTS, Duration::from_secs(600)).await;
    let secs = started.elapsed().as_secs_f64();
    assert_eq!(arrived, EVENTS, "every order's event arrived");
    assert_eq!(receiver.unsigned(), 0, "every delivery verifies");
    // The worker writes a batch's outcomes after sending it.
    let url = database_url.to_string();
    let (delivered, delays, requests) = tokio::task::spawn_blocking(move || {
        let delivered = || {
            common::count(
                &url,
                "SELECT COUNT(*) AS n FROM webhook_deliveries WHERE status = 'delivered'",
            )
        };
        let waiting = Instant::now();
        while delivered() < EVENTS as i64 && waiting.elapsed() < Duration::from_secs(30) {
            std::thread::sleep(Duration::from_millis(50));
        }
        (
            delivered(),
            common::delivery_delays(&url, &receiver),
            receiver.received().len(),
        )
    })
    .await
    .expect("verify");
    let _ = worker.kill();
    let _ = worker.wait();
    assert_eq!(delivered, EVENTS as i64, "deliveries marked delivered");
    println!(
        "{label:<11} {EVENTS} events delivered in {secs:.2} s = {:>6.0} events/s by one worker process   \
         commit to delivery (waiting in the outbox) median {:.2} s, p99 {:.2} s   \
         verified: {arrived} orders' events, {requests} requests ({} repeats), signatures verify, {delivered} delivered",
        EVENTS as f64 / secs,
        common::percentile(&delays, 50.0).as_secs_f64(),
        common::percentile(&delays, 99.0).as_secs_f64(),
        requests - arrived,
    );
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let sqlite = format!("sqlite://{}", dir.path().join("webhooks.db").display());
    run("SQLite", &sqlite).await;
    if let Some(pg) = common::postgres_db("webhooks") {
        run("PostgreSQL", &pg.url).await;
    }
}
