//! Webhooks (SPEC 11) against a local receiver: signatures, retries,
//! nothing for a change that did not commit, order per object.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hmac::{Hmac, Mac};
use sha2::Sha256;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::{Client, Db, STORE, TestApp, spawn_app_with};

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    pub signature: String,
    pub body: String,
}

impl Received {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).expect("a JSON event")
    }

    pub fn event_type(&self) -> String {
        self.json()["type"].as_str().unwrap_or_default().to_string()
    }
}

/// A local HTTP endpoint that keeps every request and answers with the
/// statuses it was given, in order (then 200).
pub struct Receiver {
    pub url: String,
    got: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    pub async fn start(answers: Vec<u16>) -> Receiver {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a port for the receiver");
        let url = format!(
            "http://{}/hooks",
            listener.local_addr().expect("its address")
        );
        let got = Arc::new(Mutex::new(Vec::new()));
        let answers = Arc::new(Mutex::new(answers.into_iter()));
        let kept = got.clone();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let (kept, answers) = (kept.clone(), answers.clone());
                tokio::spawn(async move {
                    let Some(request) = read_request(&mut socket).await else {
                        return;
                    };
                    let status = answers.lock().expect("answers").next().unwrap_or(200);
                    kept.lock().expect("requests").push(request);
                    let reply = format!(
                        "HTTP/1.1 {status} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                    );
                    let _ = socket.write_all(reply.as_bytes()).await;
                });
            }
        });
        Receiver { url, got }
    }

    pub fn received(&self) -> Vec<Received> {
        self.got.lock().expect("requests").clone()
    }

    /// Waits until `n` requests came (at most 30 s).
    pub async fn wait_for(&self, n: usize) -> Vec<Received> {
        let started = Instant::now();
        loop {
            let got = self.received();
            if got.len() >= n {
                return got;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "the receiver got {} of {n} requests",
                got.len()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

async fn read_request(socket: &mut tokio::net::TcpStream) -> Option<Received> {
    let mut data = Vec::new();
    let mut buf = [0u8; 8192];
    let head_end = loop {
        let n = socket.read(&mut buf).await.ok()?;
        if n == 0 {
            return None;
        }
        data.extend_from_slice(&buf[..n]);
        if let Some(i) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&data[..head_end]).to_string();
    let header = |name: &str| {
        head.lines()
            .find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.trim()
                    .eq_ignore_ascii_case(name)
                    .then(|| v.trim().to_string())
            })
            .unwrap_or_default()
    };
    let length: usize = header("content-length").parse().unwrap_or(0);
    while data.len() < head_end + length {
        let n = socket.read(&mut buf).await.ok()?;
        if n == 0 {
            break;
        }
        data.extend_from_slice(&buf[..n]);
    }
    Some(Received {
        signature: header("promodesk-signature"),
        body: String::from_utf8_lossy(&data[head_end..]).to_string(),
    })
}

/// Does `signature` (`t=...,v1=...`) sign `body` with `secret`?
pub fn verifies(secret: &str, signature: &str, body: &str) -> bool {
    let Some((t, v1)) = signature
        .strip_prefix("t=")
        .and_then(|rest| rest.split_once(",v1="))
    else {
        return false;
    };
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).expect("a key");
    mac.update(format!("{t}.{body}").as_bytes());
    hex::decode(v1).is_ok_and(|sig| mac.verify_slice(&sig).is_ok())
}

/// Adds an endpoint for `events` on the owner's page; returns its id and
/// secret.
pub async fn add_endpoint(owner: &Client, url: &str, events: &[&str]) -> (i64, String) {
    let mut fields = vec![("url", url)];
    fields.extend(events.iter().map(|e| ("events", *e)));
    let page = owner
        .post(&format!("/admin/s/{STORE}/webhooks"), &fields)
        .await;
    page.assert_status(200);
    let secret = page.data_field("secret").expect("the secret, shown once");
    let link = page
        .body
        .split("data-field=\"endpoint_link\"")
        .next()
        .and_then(|b| b.rsplit("/webhooks/").next())
        .and_then(|t| t.split('"').next())
        .and_then(|id| id.parse().ok())
        .expect("the endpoint's link");
    (link, secret)
}

async fn app(db: Db) -> Option<TestApp> {
    let app = spawn_app_with(db, |c| c.webhook_retry_base_ms = 100).await?;
    app.setup_owner().await;
    Some(app)
}

/// Retries: a receiver answering 500 twice, then 200, gets the event three
/// times (the same body, each signed), and the delivery is delivered.
async fn events_are_signed_and_retried_until_delivered(db: Db) {
    let Some(app) = app(db).await else { return };
    let receiver = Receiver::start(vec![500, 500]).await;
    let (endpoint, secret) = add_endpoint(&app, &receiver.url, &["coupon.created"]).await;
    assert!(secret.starts_with("whsec_"), "{secret}");
    // The secret is shown once: not on the next visit.
    let again = app.get(&format!("/admin/s/{STORE}/webhooks")).await;
    assert!(!again.body.contains(&secret));
    let coupon = app.create_coupon(STORE, &[]).await.created_id();
    let got = receiver.wait_for(3).await;
    for r in &got {
        assert!(verifies(&secret, &r.signature, &r.body), "{r:?}");
        assert!(!verifies("whsec_other", &r.signature, &r.body));
        assert_eq!(r.body, got[0].body, "every try sends the same body");
    }
    let event = got[0].json();
    assert_eq!(event["type"], "coupon.created");
    assert_eq!(event["data"]["object"]["object"], "coupon");
    assert_eq!(event["data"]["object"]["id"], coupon);
    assert_eq!(event["data"]["object"]["code"], "SUMMER10");
    // Marked delivered after the third try; nothing more is sent.
    let started = Instant::now();
    loop {
        let page = app
            .get(&format!("/admin/s/{STORE}/webhooks/{endpoint}"))
            .await;
        page.assert_status(200);
        if page.data_field("status").as_deref() == Some("delivered") {
            assert_eq!(page.data_field("attempts").as_deref(), Some("3"));
            assert_eq!(page.data_field("last_status").as_deref(), Some("200"));
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "{}", page.body);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(receiver.received().len(), 3);
    // Resend sends it once more.
    let delivery = app.count("SELECT MAX(id) AS n FROM webhook_deliveries");
    app.post(
        &format!("/admin/s/{STORE}/webhooks/{endpoint}/resend/{delivery}"),
        &[],
    )
    .await
    .assert_status(303);
    receiver.wait_for(4).await;
}

/// Resend sends now, even while the endpoint's job waits for a retry that
/// is a minute away.
async fn resend_sends_now_while_a_retry_waits(db: Db) {
    let Some(app) = spawn_app_with(db, |c| c.webhook_retry_base_ms = 60_000).await else {
        return;
    };
    app.setup_owner().await;
    let receiver = Receiver::start(vec![500]).await;
    let (endpoint, _) = add_endpoint(&app, &receiver.url, &["coupon.created"]).await;
    app.create_coupon(STORE, &[]).await.assert_status(303);
    receiver.wait_for(1).await;
    // Failed once: its next try is a minute away, and so is the job's.
    let started = Instant::now();
    while app.count("SELECT COUNT(*) AS n FROM webhook_deliveries WHERE attempts = 1") == 0 {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the failed try is written"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let delivery = app.count("SELECT MAX(id) AS n FROM webhook_deliveries");
    app.post(
        &format!("/admin/s/{STORE}/webhooks/{endpoint}/resend/{delivery}"),
        &[],
    )
    .await
    .assert_status(303);
    let started = Instant::now();
    while receiver.received().len() < 2 {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "Resend sent nothing within 10 s (the retry was due in a minute)"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The outbox: 24 racing checkouts of a max-5 coupon give 5 orders and
/// exactly 5 `redemption.succeeded` events, one per order, and one
/// `coupon.exhausted`; the refused checkouts (rolled back) send nothing,
/// and neither does a change the endpoint did not ask for.
async fn only_committed_changes_send_events(db: Db) {
    let Some(app) = app(db).await else { return };
    let receiver = Receiver::start(vec![]).await;
    add_endpoint(
        &app,
        &receiver.url,
        &["redemption.succeeded", "coupon.exhausted"],
    )
    .await;
    app.create_coupon(STORE, &[("max_redemptions", "5")])
        .await
        .assert_status(303);
    let tee = app
        .create_product(STORE, "Tee", "20.00", "USD", "one_time")
        .await;
    let quantity = format!("quantity_{tee}");
    let mut racers = Vec::new();
    for i in 0..24 {
        let buyer = app.new_client();
        let quantity = quantity.clone();
        racers.push(tokio::spawn(async move {
            let email = format!("racer{i}@example.com");
            buyer
                .checkout(
                    STORE,
                    &[("email", &email), ("coupon", "SUMMER10"), (&quantity, "1")],
                )
                .await
                .status
        }));
    }
    let mut placed = 0;
    for r in racers {
        if r.await.expect("a racer") == 303 {
            placed += 1;
        }
    }
    assert_eq!(placed, 5);
    receiver.wait_for(6).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let got = receiver.received();
    assert_eq!(
        got.len(),
        6,
        "one event per order and one exhausted, nothing more"
    );
    let exhausted: Vec<&Received> = got
        .iter()
        .filter(|r| r.event_type() == "coupon.exhausted")
        .collect();
    assert_eq!(exhausted.len(), 1);
    assert_eq!(exhausted[0].json()["data"]["object"]["state"], "exhausted");
    let got: Vec<Received> = got
        .into_iter()
        .filter(|r| r.event_type() != "coupon.exhausted")
        .collect();
    let mut ids: Vec<i64> = got
        .iter()
        .map(|r| {
            r.json()["data"]["object"]["order_id"]
                .as_i64()
                .expect("an order id")
        })
        .collect();
    ids.sort_unstable();
    let orders: Vec<i64> = app
        .texts("SELECT CAST(id AS TEXT) AS t FROM orders ORDER BY id")
        .iter()
        .map(|t| t.parse().expect("an id"))
        .collect();
    assert_eq!(ids, orders);
    assert!(got.iter().all(|r| r.event_type() == "redemption.succeeded"));
}

/// Events of one object arrive in the order they happened, even when the
/// first one has to be retried.
async fn events_of_one_object_keep_their_order(db: Db) {
    let Some(app) = app(db).await else { return };
    let receiver = Receiver::start(vec![500]).await;
    add_endpoint(&app, &receiver.url, &[]).await;
    let coupon = app.create_coupon(STORE, &[]).await.created_id();
    app.edit_coupon(STORE, coupon, &[("name", "Renamed")])
        .await
        .assert_status(303);
    for action in ["archive", "unarchive"] {
        app.post(&format!("/admin/s/{STORE}/coupons/{coupon}/{action}"), &[])
            .await
            .assert_status(303);
    }
    let got = receiver.wait_for(5).await;
    let types: Vec<String> = got.iter().map(Received::event_type).collect();
    assert_eq!(
        types,
        [
            "coupon.created",
            "coupon.created",
            "coupon.updated",
            "coupon.archived",
            "coupon.unarchived"
        ],
        "the first answer was a 500, so coupon.created came twice, before the rest"
    );
}

/// Without `WEBHOOK_ALLOW_PRIVATE`, a loopback target is not sent to.
async fn private_targets_are_refused(db: Db) {
    let Some(app) = spawn_app_with(db, |c| {
        c.webhook_allow_private = false;
        c.webhook_retry_base_ms = 100;
    })
    .await
    else {
        return;
    };
    app.setup_owner().await;
    let receiver = Receiver::start(vec![]).await;
    let (endpoint, _) = add_endpoint(&app, &receiver.url, &[]).await;
    app.create_coupon(STORE, &[]).await.assert_status(303);
    let started = Instant::now();
    loop {
        let page = app
            .get(&format!("/admin/s/{STORE}/webhooks/{endpoint}"))
            .await;
        if page.body.contains("private address") {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "{}", page.body);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(receiver.received().is_empty());
}

/// Owners only; bad input gets the form's messages and writes nothing.
async fn the_endpoints_page_is_the_owners(db: Db) {
    let Some(app) = app(db).await else { return };
    let page = app
        .post(
            &format!("/admin/s/{STORE}/webhooks"),
            &[("url", "ftp://x.example/"), ("events", "coupon.eaten")],
        )
        .await;
    page.assert_status(422);
    assert!(page.body.contains("Use an http:// or https:// URL."));
    assert!(page.body.contains("is not an event type"));
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM webhook_endpoints"), 0);
    app.add_member(STORE, "manager@example.com", "manager")
        .await
        .assert_status(303);
    let manager = app.new_client();
    manager
        .login("manager@example.com", crate::helpers::PASSWORD)
        .await
        .assert_status(303);
    manager
        .get(&format!("/admin/s/{STORE}/webhooks"))
        .await
        .assert_status(403);
}

/// Another store's endpoint is out of reach: deleting it by id from this
/// store is a 404 and leaves its deliveries alone.
async fn another_stores_endpoint_is_untouched(db: Db) {
    let Some(app) = app(db).await else { return };
    app.create_store("Beta Goods", "beta")
        .await
        .assert_status(303);
    // Beta's receiver keeps failing, so its delivery stays pending.
    let receiver = Receiver::start(vec![500; 50]).await;
    let mut fields = vec![("url", receiver.url.as_str())];
    fields.push(("events", "coupon.created"));
    let page = app.post("/admin/s/beta/webhooks", &fields).await;
    page.assert_status(200);
    let beta_endpoint = app.count("SELECT MAX(id) AS n FROM webhook_endpoints");
    app.create_coupon("beta", &[]).await.assert_status(303);
    receiver.wait_for(1).await;
    app.post(
        &format!("/admin/s/{STORE}/webhooks/{beta_endpoint}/delete"),
        &[],
    )
    .await
    .assert_status(404);
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM webhook_deliveries WHERE status = 'pending'"),
        1,
        "beta's delivery is still pending"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM webhook_endpoints WHERE deleted_at IS NULL"),
        1
    );
}

crate::db_fn_tests! {
    another_stores_endpoint_is_untouched => another_stores_endpoint_is_untouched();
    events_are_signed_and_retried_until_delivered => events_are_signed_and_retried_until_delivered();
    resend_sends_now_while_a_retry_waits => resend_sends_now_while_a_retry_waits();
    only_committed_changes_send_events => only_committed_changes_send_events();
    events_of_one_object_keep_their_order => events_of_one_object_keep_their_order();
    private_targets_are_refused => private_targets_are_refused();
    the_endpoints_page_is_the_owners => the_endpoints_page_is_the_owners();
}
