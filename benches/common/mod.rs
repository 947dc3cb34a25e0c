//! What the benchmarks share: an app on a fresh SQLite database with an
//! owner logged in, and latency figures over HTTP on loopback.
// Each benchmark uses a part of this module.
#![allow(dead_code)]

use std::process::{Child, Command, Stdio};
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
    // The benchmarks measure the server, not the per-key rate limiter.
    config.api_rate_limit = 1_000_000;
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

/// Creates the set `name` of `count` codes of BENCH10 (see `catalog`) and
/// returns its id; large sets go on generating in the background.
pub async fn create_set(base: &str, client: &reqwest::Client, name: &str, count: usize) -> i64 {
    let count = count.to_string();
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
    let token = csrf_of(&list);
    let created = client
        .post(format!("{admin}/coupon-sets/new"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("name", name),
            ("coupon_id", coupon.as_str()),
            ("count", count.as_str()),
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

/// The real server binary (`env!("CARGO_BIN_EXE_promodesk")`) in its own
/// process, so its memory is its own; killed when dropped.
pub struct Server {
    pub child: Child,
    pub base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// Resets the server's peak memory (`VmHWM`) to its current size, so the
    /// next reading is the next step's own.
    pub fn reset_peak(&self) {
        std::fs::write(format!("/proc/{}/clear_refs", self.child.id()), "5")
            .expect("reset the server's peak memory (/proc/<pid>/clear_refs)");
    }

    /// A line of `/proc/{pid}/status` (`VmRSS`, `VmHWM`), in MB.
    pub fn memory_mb(&self, key: &str) -> f64 {
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

pub async fn serve(database_url: &str) -> Server {
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

/// The number a `SELECT COUNT(*) AS n ...` query returns, read straight
/// from the database: what a benchmark verifies beyond the pages.
pub fn count(database_url: &str, sql: &str) -> i64 {
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let pool = promodesk::db::open(database_url, 1).expect("open the database");
    let mut conn = pool.get().expect("a connection");
    let rows: Vec<Count> = promodesk::on_backend!(&mut *conn, c => diesel::sql_query(sql).load(c))
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    rows.first().map_or(0, |r| r.n)
}

/// The hidden CSRF token of a page.
pub fn csrf_of(body: &str) -> String {
    token(body)
}

pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// What every page of a measured run must show.
pub enum Check<'a> {
    /// The i-th page shows the i-th text.
    Shows(&'a [String]),
    /// Each page lists `min..=max` rows, each marked by `marker` (e.g.
    /// `data-coupon=`).
    Rows {
        marker: &'a str,
        min: usize,
        max: usize,
    },
}

/// Rows on a full page of a list.
pub const PAGE: usize = 50;

/// Pages listing at least `min` and at most a page of rows marked by
/// `marker` (e.g. `data-coupon=`).
pub fn rows(marker: &'static str, min: usize) -> Check<'static> {
    Check::Rows {
        marker,
        min,
        max: PAGE,
    }
}

/// GETs each URL in turn (after a warm-up), checks every answer (status
/// 200 and `check`), and prints the median and p99 with what it verified.
pub async fn measure(client: &reqwest::Client, label: &str, urls: &[String], check: Check<'_>) {
    for url in urls.iter().take(10) {
        let warm = client.get(url).send().await.expect("warm");
        assert_eq!(warm.status(), 200, "{url}");
        warm.text().await.expect("body");
    }
    let mut times = Vec::with_capacity(urls.len());
    let (mut fewest, mut most) = (usize::MAX, 0);
    for (i, url) in urls.iter().enumerate() {
        let started = Instant::now();
        let response = client.get(url).send().await.expect("GET");
        assert_eq!(response.status(), 200, "{url}");
        let body = response.text().await.expect("body");
        times.push(started.elapsed());
        match &check {
            Check::Shows(expected) => assert!(
                body.contains(&expected[i]),
                "{url} did not show {}",
                expected[i]
            ),
            Check::Rows { marker, min, max } => {
                let rows = body.matches(marker).count();
                assert!(
                    (*min..=*max).contains(&rows),
                    "{url} listed {rows} rows, not {min} to {max}"
                );
                fewest = fewest.min(rows);
                most = most.max(rows);
            }
        }
    }
    times.sort();
    let verified = match check {
        Check::Shows(_) => "each page showed its code".to_string(),
        Check::Rows { .. } if fewest == most => format!("{most} rows on every page"),
        Check::Rows { .. } => format!("{fewest} to {most} rows a page"),
    };
    println!(
        "{label:<40} n={:<4} median {:>7.2} ms   p99 {:>7.2} ms   max {:>7.2} ms   verified: {} x 200, {verified}",
        times.len(),
        percentile(&times, 50.0).as_secs_f64() * 1000.0,
        percentile(&times, 99.0).as_secs_f64() * 1000.0,
        times.last().map_or(0.0, |d| d.as_secs_f64() * 1000.0),
        times.len(),
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
