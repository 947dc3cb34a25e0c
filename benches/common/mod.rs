//! What the benchmarks share: an app on a fresh SQLite database with an
//! owner logged in, and latency figures over HTTP on loopback.
// Each benchmark uses a part of this module.
#![allow(dead_code)]

use std::time::{Duration, Instant};

use promodesk::config::Config;
use promodesk::startup::Application;

/// A served app: its address, the database URL, a logged-in client, and the
/// temp folder that holds the database (dropped at the end).
pub struct Bench {
    pub base: String,
    pub database_url: String,
    pub client: reqwest::Client,
    _dir: Option<tempfile::TempDir>,
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

/// Serves the app on 127.0.0.1 with a fresh SQLite database and sets up the
/// store `bench`.
pub async fn start() -> Bench {
    let dir = tempfile::tempdir().expect("temp dir");
    let database_url = format!("sqlite://{}", dir.path().join("bench.db").display());
    start_at(database_url, Some(dir)).await
}

/// Serves the app on `database_url` (an empty database) with the default
/// pool size and sets up the store `bench`.
pub async fn start_at(database_url: String, dir: Option<tempfile::TempDir>) -> Bench {
    let mut config = Config::for_tests(database_url.clone());
    config.db_pool_size = 8;
    let app = Application::build(config).await.expect("app");
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let client = setup_store(&base).await;
    Bench {
        base,
        database_url,
        client,
        _dir: dir,
    }
}

/// Sets up the owner and the store `bench` on a fresh server at `base`;
/// returns the owner's logged-in client.
pub async fn setup_store(base: &str) -> reqwest::Client {
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
    client
}

/// A $20.00 product and the unlimited 10% coupon BENCH10 in store `bench`;
/// returns the product id.
pub async fn catalog(base: &str, client: &reqwest::Client) -> i64 {
    let admin = format!("{base}/admin/s/bench");
    let page = client
        .get(format!("{admin}/products/new"))
        .send()
        .await
        .expect("form");
    let token = csrf_of(&page.text().await.expect("body"));
    let product = client
        .post(format!("{admin}/products/new"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("name", "Tee"),
            ("price", "20.00"),
            ("currency", "USD"),
            ("billing", "one_time"),
            ("interval", "month"),
        ])
        .send()
        .await
        .expect("product");
    let location = product.headers()["location"]
        .to_str()
        .expect("location")
        .to_string();
    let coupon = client
        .post(format!("{admin}/coupons/new"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("code", "BENCH10"),
            ("discount_type", "percent"),
            ("percent_off", "10"),
            ("duration", "once"),
        ])
        .send()
        .await
        .expect("coupon");
    assert_eq!(
        coupon.status(),
        303,
        "{}",
        coupon.text().await.unwrap_or_default()
    );
    location
        .rsplit('/')
        .next()
        .and_then(|id| id.parse().ok())
        .expect("product id")
}

/// The hidden CSRF token of a page.
pub fn csrf_of(body: &str) -> String {
    token(body)
}

pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// GETs each URL in turn (after a warm-up) and prints the median and p99;
/// `expect[i]`, when given, must appear in the i-th page.
pub async fn measure(
    client: &reqwest::Client,
    label: &str,
    urls: &[String],
    expect: Option<&[String]>,
) {
    for url in urls.iter().take(10) {
        client
            .get(url)
            .send()
            .await
            .expect("warm")
            .text()
            .await
            .expect("body");
    }
    let mut times = Vec::with_capacity(urls.len());
    for (i, url) in urls.iter().enumerate() {
        let started = Instant::now();
        let response = client.get(url).send().await.expect("GET");
        assert_eq!(response.status(), 200, "{url}");
        let body = response.text().await.expect("body");
        times.push(started.elapsed());
        if let Some(expected) = expect {
            assert!(
                body.contains(&expected[i]),
                "{url} did not show {}",
                expected[i]
            );
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

/// A fresh PostgreSQL database on TEST_POSTGRES_URL (default
/// postgres://postgres@127.0.0.1:5432), dropped when this goes out of scope;
/// `None` (with a line saying why) when the server is unreachable.
pub struct PostgresDb {
    pub url: String,
    name: String,
    admin: diesel::PgConnection,
}

pub fn postgres_db(label: &str) -> Option<PostgresDb> {
    use diesel::{Connection, RunQueryDsl};
    let server = std::env::var("TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into());
    match diesel::PgConnection::establish(&format!("{server}/postgres")) {
        Ok(mut admin) => {
            static RUNS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
            let run = RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let name = format!("promodesk_{label}_{}_{run}", std::process::id());
            diesel::sql_query(format!("CREATE DATABASE \"{name}\""))
                .execute(&mut admin)
                .expect("create db");
            Some(PostgresDb {
                url: format!("{server}/{name}"),
                name,
                admin,
            })
        }
        Err(e) => {
            println!("PostgreSQL skipped: {e}");
            None
        }
    }
}

impl Drop for PostgresDb {
    fn drop(&mut self) {
        use diesel::RunQueryDsl;
        let _ = diesel::sql_query(format!("DROP DATABASE \"{}\" WITH (FORCE)", self.name))
            .execute(&mut self.admin);
    }
}
