//! Several server processes on one database (SPEC 11), and crashes: these
//! tests spawn the real binary (`env!("CARGO_BIN_EXE_promodesk")`) on
//! 127.0.0.1, twice on one PostgreSQL database or one SQLite file, and kill
//! it by its PID (`kill -9`).

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::helpers::{Client, Database, Db, OWNER_EMAIL, PASSWORD, STORE};

/// Codes in the large set of these tests: four batches of 50,000, so that
/// a test can act while the first batches are committed and the last are
/// not.
const LARGE: i64 = 200_000;

/// Seconds a job stays claimed without a sign of life in these tests (the
/// default is 30), so that a takeover after `kill -9` comes quickly.
const LEASE_SECONDS: &str = "4";

/// The server binary in a process of its own, killed (SIGKILL) when
/// dropped.
struct Server {
    child: Child,
    base: String,
}

impl Server {
    async fn start(database: &Database) -> Server {
        Server::start_with(database, &[]).await
    }

    /// `start` with more environment variables.
    async fn start_with(database: &Database, env: &[(&str, &str)]) -> Server {
        Server::spawn(database, env, Stdio::inherit()).await
    }

    /// Starts the binary with `env` and its log going to `stderr`, and
    /// waits until it answers.
    async fn spawn(database: &Database, env: &[(&str, &str)], stderr: Stdio) -> Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port");
        let child = Command::new(env!("CARGO_BIN_EXE_promodesk"))
            .env("DATABASE_URL", &database.url)
            .env("BIND", format!("127.0.0.1:{port}"))
            .env("JOB_LEASE_SECONDS", LEASE_SECONDS)
            .env("RUST_LOG", "warn")
            .env("WEBHOOK_ALLOW_PRIVATE", "1")
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .expect("start the server binary");
        let server = Server {
            child,
            base: format!("http://127.0.0.1:{port}"),
        };
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(60) {
            if let Ok(r) = reqwest::get(format!("{}/healthz", server.base)).await
                && r.status() == 200
            {
                return server;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the server binary did not start");
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `kill -9`: no shutdown, no lease given back.
    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// A logged-in client of this process (the session key is kept in the
    /// database, so any process's login works on every other).
    async fn owner(&self) -> Client {
        let client = Client::new(&self.base);
        client.login(OWNER_EMAIL, PASSWORD).await.assert_status(303);
        client
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The set's `(status, generated, total_codes)`.
fn set_state(database: &Database, set: i64) -> (String, i64, i64) {
    let status = database
        .text(&format!(
            "SELECT status AS t FROM coupon_sets WHERE id = {set}"
        ))
        .expect("the set");
    let generated = database.count(&format!(
        "SELECT generated AS n FROM coupon_sets WHERE id = {set}"
    ));
    let total = database.count(&format!(
        "SELECT total_codes AS n FROM coupon_sets WHERE id = {set}"
    ));
    (status, generated, total)
}

/// Waits until the set has committed at least `at_least` codes of its run
/// (and is still generating).
async fn wait_for_progress(database: &Database, set: i64, at_least: i64) {
    let started = Instant::now();
    loop {
        let (status, generated, _) = set_state(database, set);
        assert_eq!(status, "generating", "the set ended before the test acted");
        if generated >= at_least {
            assert!(generated < LARGE, "the run was already complete");
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "no progress: {generated} codes"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Waits until the set no longer generates; returns its state.
async fn wait_until_done(database: &Database, set: i64) -> (String, i64, i64) {
    let started = Instant::now();
    loop {
        let state = set_state(database, set);
        if state.0 != "generating" {
            return state;
        }
        assert!(
            started.elapsed() < Duration::from_secs(240),
            "the set is still generating: {state:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A server with the owner, store `acme` and coupon SUMMER10; returns the
/// coupon's id.
async fn first_server(database: &Database) -> (Server, Client, i64) {
    let server = Server::start(database).await;
    let owner = Client::new(&server.base);
    owner.setup_owner().await;
    let coupon = owner.create_coupon(STORE, &[]).await.created_id();
    (server, owner, coupon)
}

async fn large_set(owner: &Client, coupon: i64) -> i64 {
    owner
        .create_set(STORE, coupon, "Large", &LARGE.to_string(), "", "10")
        .await
        .created_id()
}

/// Defect: a second process starting mid-generation marked the set failed
/// and deleted the committed batches while the first kept inserting.
async fn a_second_process_leaves_a_running_generation_alone(db: Db) {
    let Some(database) = Database::fresh(db) else {
        return;
    };
    let (_a, owner, coupon) = first_server(&database).await;
    let set = large_set(&owner, coupon).await;
    wait_for_progress(&database, set, 1).await;
    let b = Server::start(&database).await;
    // Both serve the set's page while it generates.
    let page = b
        .owner()
        .await
        .get(&format!("/admin/s/acme/coupon-sets/{set}"))
        .await;
    page.assert_status(200);
    let (status, generated, total) = wait_until_done(&database, set).await;
    assert_eq!(
        (status.as_str(), generated, total),
        ("ready", LARGE, LARGE),
        "error: {:?}",
        database.text(&format!(
            "SELECT COALESCE(error, '') AS t FROM coupon_sets WHERE id = {set}"
        ))
    );
    assert_eq!(
        database.count(&format!(
            "SELECT COUNT(*) AS n FROM set_codes WHERE set_id = {set}"
        )),
        LARGE
    );
    assert_eq!(
        database
            .text(&format!(
                "SELECT COALESCE(error, '') AS t FROM coupon_sets WHERE id = {set}"
            ))
            .as_deref(),
        Some("")
    );
    assert_eq!(
        database.count("SELECT COUNT(*) AS n FROM jobs WHERE status = 'done'"),
        1,
        "the large run's job is done"
    );
}

/// Defect: archiving or deleting the coupon (or deleting the set) while
/// its set generated left unused codes that the run kept adding.
async fn ending_the_coupon_or_set_mid_generation_leaves_no_unused_code(db: Db, action: &str) {
    let Some(database) = Database::fresh(db) else {
        return;
    };
    let (_a, owner, coupon) = first_server(&database).await;
    let set = large_set(&owner, coupon).await;
    wait_for_progress(&database, set, 1).await;
    // The change comes through the other process.
    let b = Server::start(&database).await;
    let staff = b.owner().await;
    let path = match action {
        "delete set" => format!("/admin/s/acme/coupon-sets/{set}/delete"),
        "archive" => format!("/admin/s/acme/coupons/{coupon}/archive"),
        _ => format!("/admin/s/acme/coupons/{coupon}/delete"),
    };
    staff.post(&path, &[]).await.assert_status(303);
    let unused =
        format!("SELECT COUNT(*) AS n FROM set_codes WHERE set_id = {set} AND state = 'unused'");
    assert_eq!(
        database.count(&unused),
        0,
        "{action}: unused codes right after"
    );
    // The run that was going on writes nothing more.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(database.count(&unused), 0, "{action}: unused codes later");
    assert_eq!(
        database
            .text(&format!(
                "SELECT status AS t FROM jobs WHERE subject_id = {set} AND kind = 'generate_codes'"
            ))
            .as_deref(),
        Some("cancelled")
    );
    let (status, _, total) = set_state(&database, set);
    assert_eq!(status, "ready");
    assert_eq!(total, 0, "{action}: the counters follow the codes");
    let why = database
        .text(&format!(
            "SELECT COALESCE(error, '') AS t FROM coupon_sets WHERE id = {set}"
        ))
        .unwrap_or_default();
    assert!(why.starts_with("Generation stopped"), "{why}");
    if action == "archive" {
        // Unarchiving brings no code back.
        staff
            .post(&format!("/admin/s/acme/coupons/{coupon}/unarchive"), &[])
            .await
            .assert_status(303);
        assert_eq!(database.count(&unused), 0);
    }
}

/// How a crash test ends the first process.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Then {
    /// `kill -9`, then start it again.
    Restart,
    /// A second process runs beside it from the start; `kill -9` the first.
    SecondProcess,
}

/// Checkouts against `base` until `stop`: each client alternates the
/// coupon's own code, a promotion code, and set codes of its own (each
/// used once). Returns the receipt ids of every checkout answered 303.
async fn storm(
    bases: Vec<String>,
    set_codes: Vec<String>,
    product: i64,
    stop: Arc<AtomicBool>,
) -> Vec<String> {
    const CLIENTS: usize = 8;
    let set_codes = Arc::new(set_codes);
    let mut tasks = Vec::new();
    for i in 0..CLIENTS {
        let base = bases[i % bases.len()].clone();
        let set_codes = set_codes.clone();
        let stop = stop.clone();
        tasks.push(tokio::spawn(async move {
            let buyer = Client::new(&base);
            let quantity = format!("quantity_{product}");
            let mut placed = Vec::new();
            let mut own = set_codes.iter().skip(i).step_by(CLIENTS);
            let mut n = 0;
            while !stop.load(Ordering::SeqCst) {
                n += 1;
                let code = match n % 3 {
                    0 => "SUMMER10".to_string(),
                    1 => "STORM".to_string(),
                    _ => match own.next() {
                        Some(code) => code.clone(),
                        None => "STORM".to_string(),
                    },
                };
                let email = format!("storm{i}x{n}@example.com");
                let Ok(page) = buyer
                    .try_post(
                        "/acme/checkout",
                        &[("email", &email), ("coupon", &code), (&quantity, "1")],
                    )
                    .await
                else {
                    // The server is gone (killed): this client is done.
                    break;
                };
                if page.status == 303 {
                    placed.push(page.location_tail());
                }
            }
            placed
        }));
    }
    let mut placed = Vec::new();
    for task in tasks {
        placed.extend(task.await.expect("a storm client"));
    }
    placed
}

/// `kill -9` in the middle of a redemption storm and a large generation:
/// afterwards every counter equals the orders, every order answered 303
/// exists, and the set ends with exactly its count (no run twice at once:
/// two runs would each add their remaining codes).
async fn kill_9_mid_storm_and_generation_loses_nothing(db: Db, then: Then) {
    let Some(database) = Database::fresh(db) else {
        return;
    };
    let (mut a, owner, coupon) = first_server(&database).await;
    let product = owner
        .create_product(STORE, "Storm tee", "20.00", "USD", "one_time")
        .await;
    owner
        .create_promo(STORE, coupon, &[("code", "STORM")])
        .await
        .assert_status(303);
    let small = owner
        .create_set(STORE, coupon, "Storm", "300", "", "10")
        .await
        .created_id();
    let codes: Vec<String> = database.sql().texts(&format!(
        "SELECT code AS t FROM set_codes WHERE set_id = {small} ORDER BY id"
    ));
    assert_eq!(codes.len(), 300);
    let b = match then {
        Then::SecondProcess => Some(Server::start(&database).await),
        Then::Restart => None,
    };
    let mut bases = vec![a.base.clone()];
    bases.extend(b.as_ref().map(|b| b.base.clone()));
    let set = large_set(&owner, coupon).await;
    let stop = Arc::new(AtomicBool::new(false));
    let storm = tokio::spawn(storm(bases, codes, product, stop.clone()));
    wait_for_progress(&database, set, 1).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let killed = a.pid();
    a.kill();
    let restarted = match then {
        Then::Restart => Some(Server::start(&database).await),
        Then::SecondProcess => None,
    };
    assert_ne!(
        restarted.as_ref().map(Server::pid),
        Some(killed),
        "a new process"
    );
    // The survivor keeps serving for a moment, then the storm ends.
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, Ordering::SeqCst);
    let placed = storm.await.expect("the storm");
    assert!(!placed.is_empty(), "the storm placed orders");

    let (status, generated, total) = wait_until_done(&database, set).await;
    assert_eq!((status.as_str(), generated, total), ("ready", LARGE, LARGE));
    assert_eq!(
        database.count(&format!(
            "SELECT COUNT(*) AS n FROM set_codes WHERE set_id = {set}"
        )),
        LARGE
    );
    assert_eq!(
        database.count(&format!(
            "SELECT COUNT(DISTINCT normal) AS n FROM set_codes WHERE set_id = {set}"
        )),
        LARGE
    );
    let attempts = database.count(&format!(
        "SELECT attempts AS n FROM jobs WHERE subject_id = {set} AND kind = 'generate_codes'"
    ));
    assert!(attempts >= 2, "the job was taken over: {attempts} claims");

    // Counters equal the orders.
    let orders = database.count("SELECT COUNT(*) AS n FROM orders");
    assert_eq!(
        database.count(&format!(
            "SELECT times_redeemed AS n FROM coupons WHERE id = {coupon}"
        )),
        orders
    );
    assert_eq!(
        database.count("SELECT times_redeemed AS n FROM promotion_codes WHERE code = 'STORM'"),
        database.count(
            "SELECT COUNT(*) AS n FROM orders WHERE promotion_code_id = \
             (SELECT id FROM promotion_codes WHERE code = 'STORM')"
        )
    );
    let used = database.count(&format!(
        "SELECT COUNT(*) AS n FROM set_codes WHERE set_id = {small} AND state = 'used'"
    ));
    assert_eq!(
        database.count(&format!(
            "SELECT used_codes AS n FROM coupon_sets WHERE id = {small}"
        )),
        used
    );
    assert_eq!(
        database.count("SELECT COUNT(*) AS n FROM orders WHERE set_code_id IS NOT NULL"),
        used
    );
    for public_id in &placed {
        assert_eq!(
            database.count(&format!(
                "SELECT COUNT(*) AS n FROM orders WHERE public_id = '{public_id}'"
            )),
            1,
            "order {public_id} was answered 303"
        );
    }
    drop(restarted);
    drop(b);
}

/// The outbox survives a crash: an event committed by a process that then
/// dies before sending it (here it has no worker at all) is delivered by
/// the next process.
async fn kill_9_between_commit_and_delivery_still_delivers(db: Db) {
    let Some(database) = Database::fresh(db) else {
        return;
    };
    let mut a = Server::start_with(&database, &[("NO_WORKER", "1")]).await;
    let owner = Client::new(&a.base);
    owner.setup_owner().await;
    let receiver = crate::webhooks::Receiver::start(vec![]).await;
    let (_, secret) = crate::webhooks::add_endpoint(&owner, &receiver.url, &[]).await;
    owner.create_coupon(STORE, &[]).await.assert_status(303);
    assert_eq!(
        database.count(
            "SELECT COUNT(*) AS n FROM webhook_events \
             WHERE type = 'coupon.created' AND dispatched_at IS NULL"
        ),
        1,
        "committed with the coupon, not sent (nor dispatched: no worker)"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(receiver.received().is_empty());
    a.kill();
    let _b = Server::start(&database).await;
    let got = receiver.wait_for(1).await;
    assert_eq!(got[0].event_type(), "coupon.created");
    assert!(crate::webhooks::verifies(
        &secret,
        &got[0].signature,
        &got[0].body
    ));
}

/// `LOG_FORMAT=json`: one JSON object a line, and each request's line
/// names its request id (different requests, different ids).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_carry_a_request_id() {
    let database = Database::fresh(Db::Sqlite).expect("SQLite");
    let log = tempfile::NamedTempFile::new().expect("a log file");
    let stderr = log.reopen().expect("the log file").into();
    let mut server = Server::spawn(
        &database,
        &[("LOG_FORMAT", "json"), ("RUST_LOG", "info")],
        stderr,
    )
    .await;
    for _ in 0..2 {
        let page = reqwest::get(format!("{}/admin/login", server.base))
            .await
            .expect("a page");
        assert!(page.status().is_success(), "{}", page.status());
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    server.kill();
    let text = std::fs::read_to_string(log.path()).expect("the log");
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let ids: Vec<String> = lines
        .iter()
        .filter(|l| l["fields"]["path"] == "/admin/login")
        .map(|l| {
            l["span"]["request_id"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    assert_eq!(ids.len(), 2, "{text}");
    assert!(ids.iter().all(|id| id.len() >= 32), "{ids:?}");
    assert_ne!(ids[0], ids[1]);
}

/// Graceful shutdown: SIGTERM mid-generation gives the job's lease back
/// after the last committed batch and the process exits 0; a process
/// started right after resumes the run at once, although the stopped
/// process's lease (10 minutes here) has not run out, and finishes it with
/// exactly its count.
async fn sigterm_gives_the_lease_back(db: Db) {
    let Some(database) = Database::fresh(db) else {
        return;
    };
    let mut a = Server::start_with(&database, &[("JOB_LEASE_SECONDS", "600")]).await;
    let owner = Client::new(&a.base);
    owner.setup_owner().await;
    let coupon = owner.create_coupon(STORE, &[]).await.created_id();
    let set = large_set(&owner, coupon).await;
    wait_for_progress(&database, set, 1).await;
    let sent = Command::new("kill")
        .args(["-TERM", &a.pid().to_string()])
        .status()
        .expect("kill -TERM");
    assert!(sent.success());
    let started = Instant::now();
    let exit = loop {
        if let Some(status) = a.child.try_wait().expect("the process") {
            break status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the process did not stop within 30 s of SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(exit.success(), "a graceful stop exits 0: {exit:?}");
    let (status, generated, total) = set_state(&database, set);
    assert_eq!(status, "generating", "the run was stopped, not ended");
    assert!(
        generated < LARGE && generated == total,
        "{generated} / {total}"
    );
    assert_eq!(
        database.count(
            "SELECT COUNT(*) AS n FROM jobs WHERE status = 'pending' \
             AND claimed_by IS NULL AND lease_until IS NULL"
        ),
        1,
        "the lease was given back"
    );
    let _b = Server::start_with(&database, &[("JOB_LEASE_SECONDS", "600")]).await;
    let (status, generated, total) = wait_until_done(&database, set).await;
    assert_eq!((status.as_str(), generated, total), ("ready", LARGE, LARGE));
    assert_eq!(
        database.count(&format!(
            "SELECT COUNT(DISTINCT normal) AS n FROM set_codes WHERE set_id = {set}"
        )),
        LARGE
    );
}

/// Stops the process with SIGTERM and waits for it (its analytics counts
/// are written on the way out).
fn stop(server: &mut Server) {
    let sent = Command::new("kill")
        .args(["-TERM", &server.pid().to_string()])
        .status()
        .expect("kill -TERM");
    assert!(sent.success());
    let exit = server.child.wait().expect("the process");
    assert!(exit.success(), "a graceful stop exits 0: {exit:?}");
}

/// Days are cut at the store's midnight (SPEC 12): in Pacific/Auckland
/// (UTC+13 in December), one order two minutes before midnight and two
/// orders two minutes after are on two days, although all three fall on
/// the same UTC day. Each side is a server process whose clock is set
/// there (`CLOCK_OFFSET_SECONDS`), on one database.
async fn days_are_cut_at_the_stores_midnight(db: Db) {
    use chrono::TimeZone;
    let Some(database) = Database::fresh(db) else {
        return;
    };
    let tz = chrono_tz::Pacific::Auckland;
    let now = chrono::Utc::now();
    let day = now
        .with_timezone(&tz)
        .date_naive()
        .succ_opt()
        .expect("a next day");
    let midnight = tz
        .from_local_datetime(&day.and_hms_opt(0, 0, 0).expect("midnight"))
        .single()
        .expect("one midnight")
        .with_timezone(&chrono::Utc);
    let before = (midnight - chrono::TimeDelta::seconds(120) - now).num_seconds();
    let after = (midnight + chrono::TimeDelta::seconds(120) - now).num_seconds();
    assert_eq!(
        (midnight - chrono::TimeDelta::seconds(120)).date_naive(),
        (midnight + chrono::TimeDelta::seconds(120)).date_naive(),
        "one UTC day on both sides of Auckland's midnight"
    );

    let mut a =
        Server::start_with(&database, &[("CLOCK_OFFSET_SECONDS", &before.to_string())]).await;
    let owner = Client::new(&a.base);
    owner
        .post(
            "/admin/setup",
            &[
                ("email", OWNER_EMAIL),
                ("password", PASSWORD),
                ("store_name", "Kiwi Goods"),
                ("store_slug", STORE),
                ("currency", "NZD"),
                ("timezone", "Pacific/Auckland"),
            ],
        )
        .await
        .assert_redirect("/admin/s/acme");
    let tee = owner
        .create_product(STORE, "Tee", "20.00", "NZD", "one_time")
        .await;
    let coupon = owner
        .create_coupon(STORE, &[("code", "MIDNIGHT")])
        .await
        .created_id();
    let quantity = format!("quantity_{tee}");
    let buy = |client: &Client, email: &'static str| {
        let quantity = quantity.clone();
        let client = client.clone();
        async move {
            client
                .checkout(
                    STORE,
                    &[("email", email), ("coupon", "MIDNIGHT"), (&quantity, "1")],
                )
                .await
                .assert_status(303);
        }
    };
    buy(&owner, "late@example.com").await;
    stop(&mut a);

    let b = Server::start_with(&database, &[("CLOCK_OFFSET_SECONDS", &after.to_string())]).await;
    let owner = b.owner().await;
    buy(&owner, "early@example.com").await;
    buy(&owner, "earlier@example.com").await;
    let started = Instant::now();
    while database.count(&format!(
        "SELECT CAST(COALESCE(SUM(redeemed), 0) AS BIGINT) AS n FROM code_daily WHERE coupon_id = {coupon}"
    )) < 3
    {
        assert!(started.elapsed() < Duration::from_secs(10), "the counts were not written");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let first = promodesk::domain::analytics::day_number(day.pred_opt().expect("the day before"));
    for (on, redeemed) in [(first, 1), (first + 1, 2)] {
        assert_eq!(
            database.count(&format!(
                "SELECT CAST(COALESCE(SUM(redeemed), 0) AS BIGINT) AS n FROM code_daily WHERE coupon_id = {coupon} AND day = {on}"
            )),
            redeemed,
            "day {on}"
        );
    }
    // The coupon's chart shows the two days as the store's calendar has them.
    let page = owner.get(&format!("/admin/s/acme/coupons/{coupon}")).await;
    for (date, n) in [(day.pred_opt().expect("the day before"), 1), (day, 2)] {
        let cell = format!("<tr><td>{}</td><td>{n}</td></tr>", date.format("%Y-%m-%d"));
        assert!(page.body.contains(&cell), "{cell} in {}", page.body);
    }
}

/// One idempotency key sent to two processes at once (a client retrying
/// through a load balancer): one order, and every answer is that order's
/// (201; the later one a replay) or 409.
async fn one_key_sent_to_two_processes_makes_one_order(db: Db) {
    let Some(database) = Database::fresh(db) else {
        return;
    };
    let (a, owner, _) = first_server(&database).await;
    let product = owner
        .create_product(STORE, "Retry tee", "20.00", "USD", "one_time")
        .await;
    let key = crate::api::create_key(&owner, STORE, "Shop", "write").await;
    let b = Server::start(&database).await;
    let (to_a, to_b) = (
        crate::api::Api::new(&a.base, &key),
        crate::api::Api::new(&b.base, &key),
    );
    const KEYS: usize = 20;
    for i in 0..KEYS {
        let body = serde_json::json!({
            "code": "SUMMER10",
            "email": format!("retry{i}@example.com"),
            "lines": [{"product_id": product, "quantity": 1}],
        });
        let key = format!("retried-{i}");
        let (first, second) = tokio::join!(to_a.redeem(&key, &body), to_b.redeem(&key, &body));
        let answers = [&first, &second];
        assert!(
            answers.iter().all(|r| r.status == 201 || r.status == 409),
            "{} {} / {} {}",
            first.status,
            first.text,
            second.status,
            second.text
        );
        let ordered: Vec<_> = answers.iter().filter(|r| r.status == 201).collect();
        assert!(!ordered.is_empty(), "key {key}: no answer placed the order");
        assert!(
            ordered.iter().all(|r| r.text == ordered[0].text),
            "key {key}: two different orders answered"
        );
    }
    assert_eq!(
        database.count("SELECT COUNT(*) AS n FROM orders"),
        KEYS as i64,
        "one order per key"
    );
}

crate::db_fn_tests! {
    one_key_sent_to_two_processes_makes_one_order =>
        one_key_sent_to_two_processes_makes_one_order();
    days_are_cut_at_the_stores_midnight => days_are_cut_at_the_stores_midnight();
    sigterm_gives_the_lease_back => sigterm_gives_the_lease_back();
    kill_9_between_commit_and_delivery_still_delivers =>
        kill_9_between_commit_and_delivery_still_delivers();
    a_second_process_leaves_a_running_generation_alone =>
        a_second_process_leaves_a_running_generation_alone();
    archiving_the_coupon_mid_generation_ends_every_code =>
        ending_the_coupon_or_set_mid_generation_leaves_no_unused_code("archive");
    deleting_the_coupon_mid_generation_ends_every_code =>
        ending_the_coupon_or_set_mid_generation_leaves_no_unused_code("delete");
    deleting_the_set_mid_generation_ends_every_code =>
        ending_the_coupon_or_set_mid_generation_leaves_no_unused_code("delete set");
    kill_9_and_restart_mid_storm_and_generation_loses_nothing =>
        kill_9_mid_storm_and_generation_loses_nothing(super::Then::Restart);
    kill_9_beside_a_second_process_loses_nothing =>
        kill_9_mid_storm_and_generation_loses_nothing(super::Then::SecondProcess);
}
