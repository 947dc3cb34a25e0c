//! The JSON API over HTTP on loopback (SPEC 10): validations and
//! redemptions with unique idempotency keys, at 8 and 32 concurrent clients,
//! on SQLite and (when reachable) PostgreSQL. Prints requests per second
//! and the median and p99 latency. Then 64 clients × 1,000 redemptions of a
//! coupon limited to 100 uses, which must make exactly 100 orders.
//!
//! Every run is verified before its figures are printed: each validation
//! answered `valid: true` and made no order; each redemption answered 201
//! and the paid orders in the database match.
//!
//! `cargo bench --bench api` (PostgreSQL from TEST_POSTGRES_URL;
//! `SQLITE_ONLY=1` skips it, `POSTGRES_ONLY=1` skips SQLite;
//! `ONLY=validations` or `ONLY=redemptions` runs that part alone). The app's
//! per-key rate limit is lifted for the run (see `common::start_at`).

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const LEVELS: [usize; 2] = [8, 32];
const VALIDATIONS: usize = 20_000;
const REDEMPTIONS: usize = 5_000;
const LIMIT: Duration = Duration::from_secs(30);

/// Creates a write key on the keys page; returns it.
async fn api_key(bench: &common::Bench) -> String {
    let url = format!("{}/admin/s/bench/api-keys", bench.base);
    let page = bench.client.get(&url).send().await.expect("keys page");
    let token = common::csrf_of(&page.text().await.expect("body"));
    let created = bench
        .client
        .post(&url)
        .form(&[
            ("csrf_token", token.as_str()),
            ("name", "Bench"),
            ("scope", "write"),
        ])
        .send()
        .await
        .expect("create key");
    let body = created.text().await.expect("body");
    let marker = "data-field=\"api_key\" id=\"new-key\">";
    let start = body.find(marker).expect("the new key is shown") + marker.len();
    body[start..].split('<').next().expect("key").to_string()
}

struct Run {
    latencies: Vec<Duration>,
    elapsed: Duration,
}

impl Run {
    fn print(&mut self, label: &str) {
        self.latencies.sort();
        let n = self.latencies.len();
        println!(
            "{label}: {n} requests in {:.1} s = {:.0}/s, median {:.2} ms, p99 {:.2} ms",
            self.elapsed.as_secs_f64(),
            n as f64 / self.elapsed.as_secs_f64(),
            common::percentile(&self.latencies, 50.0).as_secs_f64() * 1000.0,
            common::percentile(&self.latencies, 99.0).as_secs_f64() * 1000.0,
        );
    }
}

/// `clients` tasks send requests until `total` are sent or `limit` passes;
/// `send(i)` sends request `i` and says whether its answer was right.
async fn drive<F, Fut>(clients: usize, total: usize, limit: Duration, send: F) -> Run
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let next = Arc::new(AtomicUsize::new(0));
    let send = Arc::new(send);
    let started = Instant::now();
    let tasks: Vec<_> = (0..clients)
        .map(|_| {
            let (next, send) = (next.clone(), send.clone());
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= total || started.elapsed() > limit {
                        return latencies;
                    }
                    let t = Instant::now();
                    assert!(send(i).await, "request {i} got a wrong answer");
                    latencies.push(t.elapsed());
                }
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await.expect("client"));
    }
    Run {
        latencies,
        elapsed: started.elapsed(),
    }
}

fn api_client() -> reqwest::Client {
    reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .build()
        .expect("client")
}

async fn post(
    http: &reqwest::Client,
    url: &str,
    key: &str,
    body: &Value,
    idem: Option<&str>,
) -> (u16, Value) {
    let mut request = http.post(url).bearer_auth(key).json(body);
    if let Some(idem) = idem {
        request = request.header("Idempotency-Key", idem);
    }
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn run(label: &str, bench: common::Bench, clients: usize) {
    let product = common::catalog(&bench.base, &bench.client).await;
    let key = Arc::new(api_key(&bench).await);
    let http = api_client();
    let base = Arc::new(format!("{}/api/v1", bench.base));
    let cart = Arc::new(
        json!({"code": "BENCH10", "email": "v@example.com", "lines": [{"product_id": product, "quantity": 2}]}),
    );

    if !only("redemptions") {
        let (h, k, b, c) = (http.clone(), key.clone(), base.clone(), cart.clone());
        let mut validations = drive(clients, VALIDATIONS, LIMIT, move |_| {
            let (h, k, b, c) = (h.clone(), k.clone(), b.clone(), c.clone());
            async move {
                let (status, body) = post(&h, &format!("{b}/validations"), &k, &c, None).await;
                status == 200 && body["valid"] == true && body["discount"] == 400
            }
        })
        .await;
        assert_eq!(
            common::count(&bench.database_url, "SELECT COUNT(*) AS n FROM orders"),
            0
        );
        validations.print(&format!("{label}, {clients} clients, validations"));
    }
    if only("validations") {
        bench.stop().await;
        return;
    }

    let (h, k, b) = (http.clone(), key.clone(), base.clone());
    let mut redemptions = drive(clients, REDEMPTIONS, LIMIT, move |i| {
        let (h, k, b) = (h.clone(), k.clone(), b.clone());
        async move {
            let body = json!({"code": "BENCH10", "email": format!("r{i}@example.com"), "lines": [{"product_id": product, "quantity": 1}]});
            let (status, answer) = post(&h, &format!("{b}/redemptions"), &k, &body, Some(&format!("bench-{i}"))).await;
            status == 201 && answer["status"] == "succeeded"
        }
    })
    .await;
    let placed = common::count(
        &bench.database_url,
        "SELECT COUNT(*) AS n FROM orders WHERE status = 'paid' AND code = 'BENCH10'",
    );
    assert_eq!(
        placed as usize,
        redemptions.latencies.len(),
        "every 201 is one paid order"
    );
    redemptions.print(&format!(
        "{label}, {clients} clients, redemptions (unique Idempotency-Key)"
    ));
    bench.stop().await;
}

/// `ONLY=part` asks for that part alone.
fn only(part: &str) -> bool {
    std::env::var("ONLY").is_ok_and(|o| o == part)
}

/// 64 clients × 1,000 redemptions of a coupon limited to 100 uses.
async fn limited(label: &str, bench: common::Bench) {
    let product = common::catalog(&bench.base, &bench.client).await;
    let key = Arc::new(api_key(&bench).await);
    let http = api_client();
    let base = Arc::new(format!("{}/api/v1", bench.base));
    let (status, _) = post(
        &http,
        &format!("{base}/coupons"),
        &key,
        &json!({"code": "HUNDRED", "discount_type": "percent", "percent_off": 10, "duration": "once", "max_redemptions": 100}),
        None,
    )
    .await;
    assert_eq!(status, 201);
    let ordered = Arc::new(AtomicUsize::new(0));
    let (h, k, b, o) = (http.clone(), key.clone(), base.clone(), ordered.clone());
    let total = 64 * 1_000;
    let run = drive(64, total, Duration::from_secs(180), move |i| {
        let (h, k, b, o) = (h.clone(), k.clone(), b.clone(), o.clone());
        async move {
            let body = json!({"code": "HUNDRED", "email": format!("l{i}@example.com"), "lines": [{"product_id": product, "quantity": 1}]});
            let (status, answer) = post(&h, &format!("{b}/redemptions"), &k, &body, Some(&format!("limit-{i}"))).await;
            if status == 201 {
                o.fetch_add(1, Ordering::Relaxed);
                true
            } else {
                status == 422 && answer["error"]["code"] == "coupon_exhausted"
            }
        }
    })
    .await;
    let paid = common::count(
        &bench.database_url,
        "SELECT COUNT(*) AS n FROM orders WHERE status = 'paid' AND code = 'HUNDRED'",
    );
    assert_eq!(ordered.load(Ordering::Relaxed), 100);
    assert_eq!(paid, 100);
    bench.stop().await;
    println!(
        "{label}, 64 clients × 1,000 redemptions of a max-100 coupon: {} requests in {:.1} s, exactly {paid} orders{}",
        run.latencies.len(),
        run.elapsed.as_secs_f64(),
        if run.latencies.len() < total {
            " (stopped at the time limit)"
        } else {
            ""
        }
    );
}

#[tokio::main]
async fn main() {
    let race = std::env::var_os("ONLY").is_none();
    if std::env::var_os("POSTGRES_ONLY").is_none() {
        for clients in LEVELS {
            run("SQLite", common::start().await, clients).await;
        }
        if race {
            limited("SQLite", common::start().await).await;
        }
    }
    if std::env::var_os("SQLITE_ONLY").is_some() {
        return;
    }
    for clients in LEVELS {
        if let Some(pg) = common::postgres_db("api") {
            run(
                "PostgreSQL",
                common::start_at(pg.url.clone(), None).await,
                clients,
            )
            .await;
        }
    }
    if let Some(pg) = common::postgres_db("api").filter(|_| race) {
        limited("PostgreSQL", common::start_at(pg.url.clone(), None).await).await;
    }
}
