//! What the benchmarks share: an app on a fresh SQLite database with an
//! owner logged in, and latency figures over HTTP on loopback.
// Each benchmark uses a part of this module.
#![allow(dead_code)]

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use promodesk::config::Config;
use promodesk::startup::Application;

/// A served app: its address, the database URL, a logged-in client, and the
/// temp folder that holds the database (dropped at the end).
pub struct Bench {
    pub base: String,
    pub database_url: String,
    pub client: reqwest::Client,
    server: actix_web::dev::ServerHandle,
    _dir: Option<tempfile::TempDir>,
}

impl Bench {
    /// Stops the server and its job worker: a server left running in the
    /// benchmark's process would take CPU from the next one (its worker
    /// wakes when any server of the process records a webhook event).
    pub async fn stop(self) {
        self.server.stop(true).await;
    }
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
    start_sqlite_with(|_| {}).await
}

/// `start` with settings changed by `configure`.
pub async fn start_sqlite_with(configure: impl FnOnce(&mut Config)) -> Bench {
    let dir = tempfile::tempdir().expect("temp dir");
    let database_url = format!("sqlite://{}", dir.path().join("bench.db").display());
    start_with(database_url, Some(dir), configure).await
}

/// Serves the app on `database_url` (an empty database) with the default
/// pool size and sets up the store `bench`.
pub async fn start_at(database_url: String, dir: Option<tempfile::TempDir>) -> Bench {
    start_with(database_url, dir, |_| {}).await
}

/// `start_at` with settings changed by `configure`.
pub async fn start_with(
    database_url: String,
    dir: Option<tempfile::TempDir>,
    configure: impl FnOnce(&mut Config),
) -> Bench {
    let mut config = Config::for_tests(database_url.clone());
    // The server's default, or DB_POOL_SIZE as the server reads it.
    config.db_pool_size = std::env::var("DB_POOL_SIZE")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(8);
    // The benchmarks measure the server, not the per-key rate limiter.
    config.api_rate_limit = 1_000_000;
    configure(&mut config);
    let app = Application::build(config).await.expect("app");
    let base = format!("http://127.0.0.1:{}", app.port());
    let server = app.handle();
    tokio::spawn(app.run_until_stopped());
    let client = setup_store(&base).await;
    Bench {
        base,
        database_url,
        client,
        server,
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
    serve_with(database_url, &[]).await
}

/// `serve` with more environment variables (e.g. `NO_WORKER`).
pub async fn serve_with(database_url: &str, env: &[(&str, &str)]) -> Server {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port");
    let child = Command::new(env!("CARGO_BIN_EXE_promodesk"))
        .env("DATABASE_URL", database_url)
        .env("BIND", format!("127.0.0.1:{port}"))
        .env("RUST_LOG", "warn")
        .envs(env.iter().copied())
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
    let rows: Vec<Count> = promodesk::on_backend!(&mut **conn, c => diesel::sql_query(sql).load(c))
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    rows.first().map_or(0, |r| r.n)
}

/// Runs one statement straight on the database (e.g. `VACUUM ANALYZE`).
pub fn execute(database_url: &str, sql: &str) {
    use diesel::RunQueryDsl;
    let pool = promodesk::db::open(database_url, 1).expect("open the database");
    let mut conn = pool.get().expect("a connection");
    promodesk::on_backend!(&mut **conn, c => diesel::sql_query(sql).execute(c))
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// A customer of store `bench` at `base`: a client with its session
/// cookie, and the CSRF token of the store's page.
pub async fn customer(base: &str) -> (reqwest::Client, String) {
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
    let token = csrf_of(&page.text().await.expect("body"));
    (http, token)
}

/// One checkout in store `bench` by `customer`'s client: one unit of
/// `product` with `code`; returns the answer's status.
pub async fn checkout(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    email: &str,
    code: &str,
    product: i64,
) -> u16 {
    let quantity = format!("quantity_{product}");
    http.post(format!("{base}/bench/checkout"))
        .form(&[
            ("csrf_token", token),
            ("email", email),
            ("coupon", code),
            (quantity.as_str(), "1"),
        ])
        .send()
        .await
        .expect("checkout")
        .status()
        .as_u16()
}

/// How long a run of `checkouts` may last.
pub const CHECKOUT_LIMIT: Duration = Duration::from_secs(60);

/// What a run came to: the latency of each placed order, and the refusals.
pub struct Outcome {
    pub placed: Vec<Duration>,
    pub refused: usize,
    pub elapsed: Duration,
}

/// `concurrency` customers check out `attempts` times in all with `code`
/// in store `bench` at `base` (at most `CHECKOUT_LIMIT`); a checkout answers
/// 303 (placed) or, when `may_refuse`, 422.
pub async fn checkouts(
    base: &str,
    product: i64,
    code: &'static str,
    concurrency: usize,
    attempts: usize,
    may_refuse: bool,
) -> Outcome {
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let tasks: Vec<_> = (0..concurrency)
        .map(|_| {
            let base = base.to_string();
            let next = Arc::clone(&next);
            tokio::spawn(async move {
                let (http, token) = customer(&base).await;
                let (mut placed, mut refused) = (Vec::new(), 0);
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= attempts || started.elapsed() > CHECKOUT_LIMIT {
                        break;
                    }
                    let email = format!("{code}-customer{i}@example.com");
                    let begun = Instant::now();
                    match checkout(&http, &base, &token, &email, code, product).await {
                        303 => placed.push(begun.elapsed()),
                        422 if may_refuse => refused += 1,
                        other => panic!("checkout {i} with {code} answered {other}"),
                    }
                }
                (placed, refused)
            })
        })
        .collect();
    let mut outcome = Outcome {
        placed: Vec::new(),
        refused: 0,
        elapsed: Duration::ZERO,
    };
    for task in tasks {
        let (placed, refused) = task.await.expect("task");
        outcome.placed.extend(placed);
        outcome.refused += refused;
    }
    outcome.elapsed = started.elapsed();
    outcome.placed.sort();
    outcome
}

/// Checkouts at a steady `rate` a second (an open loop: the next one is
/// due at its time whether or not the earlier ones have answered), spread
/// over `customers` clients, `attempts` in all, each answering 303. A
/// checkout's latency runs from the moment it was due, so one that waited
/// for a free client counts that wait (no coordinated omission).
pub async fn paced(
    base: &str,
    product: i64,
    code: &'static str,
    rate: f64,
    customers: usize,
    attempts: usize,
) -> Outcome {
    let (free, mut take) = tokio::sync::mpsc::unbounded_channel();
    for _ in 0..customers {
        free.send(customer(base).await).expect("a free client");
    }
    let started = Instant::now();
    let mut running = Vec::with_capacity(attempts);
    for i in 0..attempts {
        let due = started + Duration::from_secs_f64(i as f64 / rate);
        tokio::time::sleep_until(due.into()).await;
        let (http, token) = take.recv().await.expect("a client comes back");
        let (base, free) = (base.to_string(), free.clone());
        running.push(tokio::spawn(async move {
            let email = format!("{code}-paced{i}@example.com");
            let status = checkout(&http, &base, &token, &email, code, product).await;
            let took = due.elapsed();
            // Back before any failure is raised, so the pacer never waits
            // for a client that will not come back.
            let _ = free.send((http, token));
            assert_eq!(
                status, 303,
                "paced checkout {i} with {code} answered {status}"
            );
            took
        }));
    }
    let mut placed = Vec::with_capacity(attempts);
    for run in running {
        placed.push(run.await.expect("checkout task"));
    }
    placed.sort();
    Outcome {
        placed,
        refused: 0,
        elapsed: started.elapsed(),
    }
}

/// Two-number rows of a query (`SELECT … AS a, … AS b`), read straight
/// from the database.
pub fn pairs(database_url: &str, sql: &str) -> Vec<(i64, i64)> {
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Pair {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        a: i64,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        b: i64,
    }
    let pool = promodesk::db::open(database_url, 1).expect("open the database");
    let mut conn = pool.get().expect("a connection");
    let rows: Vec<Pair> = promodesk::on_backend!(&mut **conn, c => diesel::sql_query(sql).load(c))
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    rows.into_iter().map(|r| (r.a, r.b)).collect()
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

/// A webhook receiver on loopback (HTTP/1.1 with keep-alive, answers 200 at
/// once): for each `redemption.succeeded` it keeps the order id and when it
/// came (microseconds since the Unix epoch), and it counts requests whose
/// `Promodesk-Signature` does not verify with the endpoint's secret.
pub struct Receiver {
    pub url: String,
    got: Arc<std::sync::Mutex<Vec<(i64, i64)>>>,
    bad: Arc<AtomicUsize>,
    secret: Arc<std::sync::Mutex<String>>,
}

pub fn epoch_micros() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as i64)
}

impl Receiver {
    pub async fn start() -> Receiver {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a port for the receiver");
        let url = format!("http://{}/hooks", listener.local_addr().expect("address"));
        let receiver = Receiver {
            url,
            got: Arc::default(),
            bad: Arc::default(),
            secret: Arc::default(),
        };
        let (got, bad, secret) = (
            receiver.got.clone(),
            receiver.bad.clone(),
            receiver.secret.clone(),
        );
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let (got, bad, secret) = (got.clone(), bad.clone(), secret.clone());
                tokio::spawn(async move {
                    let mut data: Vec<u8> = Vec::new();
                    let mut buf = vec![0u8; 65536];
                    loop {
                        // One request: its head, then Content-Length bytes.
                        let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") else {
                            match socket.read(&mut buf).await {
                                Ok(0) | Err(_) => return,
                                Ok(n) => data.extend_from_slice(&buf[..n]),
                            }
                            continue;
                        };
                        let head = String::from_utf8_lossy(&data[..end]).to_string();
                        let header = |name: &str| {
                            head.lines().find_map(|l| {
                                let (k, v) = l.split_once(':')?;
                                k.trim()
                                    .eq_ignore_ascii_case(name)
                                    .then(|| v.trim().to_string())
                            })
                        };
                        let length: usize = header("content-length")
                            .and_then(|v| v.parse().ok())
                            .unwrap_or(0);
                        while data.len() < end + 4 + length {
                            match socket.read(&mut buf).await {
                                Ok(0) | Err(_) => return,
                                Ok(n) => data.extend_from_slice(&buf[..n]),
                            }
                        }
                        let at = epoch_micros();
                        let body =
                            String::from_utf8_lossy(&data[end + 4..end + 4 + length]).to_string();
                        data.drain(..end + 4 + length);
                        let key = secret.lock().expect("secret").clone();
                        let signature = header("promodesk-signature").unwrap_or_default();
                        if !signed(&key, &signature, &body) {
                            bad.fetch_add(1, Ordering::Relaxed);
                        }
                        let event: serde_json::Value =
                            serde_json::from_str(&body).unwrap_or_default();
                        if event["type"] == "redemption.succeeded"
                            && let Some(order) = event["data"]["object"]["order_id"].as_i64()
                        {
                            got.lock().expect("got").push((order, at));
                        }
                        let reply = b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n";
                        if socket.write_all(reply).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        receiver
    }

    /// The endpoint's secret, once the endpoint is made.
    pub fn set_secret(&self, secret: &str) {
        *self.secret.lock().expect("secret") = secret.to_string();
    }

    /// (order id, arrival in epoch microseconds) of every event so far.
    pub fn received(&self) -> Vec<(i64, i64)> {
        self.got.lock().expect("got").clone()
    }

    /// Requests whose signature did not verify.
    pub fn unsigned(&self) -> usize {
        self.bad.load(Ordering::Relaxed)
    }

    /// Waits until events for `n` distinct orders came (at most `limit`);
    /// returns how many distinct orders arrived.
    pub async fn wait_for(&self, n: usize, limit: Duration) -> usize {
        let started = Instant::now();
        loop {
            let distinct: std::collections::HashSet<i64> =
                self.received().into_iter().map(|(o, _)| o).collect();
            if distinct.len() >= n || started.elapsed() > limit {
                return distinct.len();
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// Does `signature` (`t=…,v1=…`) sign `body` with `secret`?
fn signed(secret: &str, signature: &str, body: &str) -> bool {
    use hmac::{Hmac, Mac};
    let Some((t, v1)) = signature
        .strip_prefix("t=")
        .and_then(|rest| rest.split_once(",v1="))
    else {
        return false;
    };
    let Ok(mut mac) = <Hmac<sha2::Sha256> as Mac>::new_from_slice(secret.as_bytes()) else {
        return false;
    };
    mac.update(format!("{t}.{body}").as_bytes());
    hex::decode(v1).is_ok_and(|sig| mac.verify_slice(&sig).is_ok())
}

/// Adds a webhook endpoint for `redemption.succeeded` to store `bench` on
/// the owner's page and gives its secret to the receiver.
pub async fn add_endpoint(base: &str, owner: &reqwest::Client, receiver: &Receiver) {
    let page = owner
        .get(format!("{base}/admin/s/bench/webhooks"))
        .send()
        .await
        .expect("webhooks page");
    let token = csrf_of(&page.text().await.expect("body"));
    let created = owner
        .post(format!("{base}/admin/s/bench/webhooks"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("url", receiver.url.as_str()),
            ("events", "redemption.succeeded"),
        ])
        .send()
        .await
        .expect("endpoint");
    assert_eq!(created.status(), 200, "the endpoint was not added");
    let body = created.text().await.expect("body");
    let secret = body
        .split("data-field=\"secret\"")
        .nth(1)
        .and_then(|rest| rest.split_once('>'))
        .and_then(|(_, rest)| rest.split('<').next())
        .expect("the secret, shown once");
    receiver.set_secret(secret.trim());
}

/// Commit-to-delivery delays of the receiver's events: arrival minus the
/// event's `created_at` (written in the order's transaction, on the same
/// clock), first arrival of each order, sorted.
pub fn delivery_delays(database_url: &str, receiver: &Receiver) -> Vec<Duration> {
    let created = if database_url.starts_with("postgres") {
        "CAST(EXTRACT(EPOCH FROM created_at) * 1000000 AS BIGINT)"
    } else {
        "CAST((julianday(created_at) - 2440587.5) * 86400000000.0 AS INTEGER)"
    };
    let made: std::collections::HashMap<i64, i64> = pairs(
        database_url,
        &format!(
            "SELECT object_id AS a, {created} AS b FROM webhook_events \
             WHERE type = 'redemption.succeeded'"
        ),
    )
    .into_iter()
    .collect();
    let mut first = std::collections::HashMap::new();
    for (order, at) in receiver.received() {
        first.entry(order).or_insert(at);
    }
    let mut delays: Vec<Duration> = first
        .iter()
        .filter_map(|(order, at)| {
            let made = made.get(order)?;
            Some(Duration::from_micros((at - made).max(0) as u64))
        })
        .collect();
    delays.sort();
    delays
}
