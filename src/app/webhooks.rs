//! Webhooks (SPEC 11): the endpoints page's use cases, `dispatch` (events
//! to deliveries) and `deliver`, the
//! `deliver_webhooks` job of one endpoint. Events are recorded by the
//! changes themselves (`db::webhooks::record`, in their transactions).
//!
//! Delivery is at least once: a POST with `Promodesk-Signature`, 2xx
//! within the timeout is success, anything else is retried with growing
//! delays (`domain::webhook::retry_delay`) for 24 hours, then marked
//! failed. Events of one object go out in order. An event's body is made
//! from its object as the API shows it when it is dispatched (moments
//! after the change commits), then kept.

use std::time::Duration;

use crate::app::objects::{
    CouponObject, CouponSetObject, DeletedObject, PromotionCodeObject, RedemptionObject,
};
use crate::db::coupon_sets::generate::Ended;
use crate::db::jobs::{self, Lease};
use crate::db::stores::Store;
use crate::db::webhooks::{self, Delivery, Endpoint, Event, Outcome, Subject};
use crate::db::{self, Conn, DbError, now};
use crate::domain::form_errors::FormErrors;
use crate::domain::ids::{CouponId, CouponSetId, PromotionCodeId, StoreId};
use crate::domain::share::{base_url, share_url};
use crate::domain::status::JobStatus;
use crate::domain::webhook::{self as rules, EndpointInput, RETRY_FOR};

/// How deliveries are made.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Loopback and private addresses may be targets (`WEBHOOK_ALLOW_PRIVATE=1`).
    pub allow_private: bool,
    /// The first retry's delay; each next one is three times longer.
    pub retry_base: Duration,
    /// A try that has no answer by then failed.
    pub timeout: Duration,
    /// Base of share URLs for stores that set none.
    pub server_base: String,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            allow_private: false,
            retry_base: Duration::from_secs(10),
            timeout: Duration::from_secs(10),
            server_base: String::new(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("the endpoint is invalid")]
    Invalid(FormErrors),
    #[error("no randomness for the secret: {0}")]
    Random(getrandom::Error),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Adds an endpoint; returns its id and its signing secret (shown once).
pub fn create(
    conn: &mut Conn,
    store: StoreId,
    input: &EndpointInput,
) -> Result<(i64, String), WebhookError> {
    let draft = rules::check(input).map_err(WebhookError::Invalid)?;
    let secret = format!(
        "whsec_{}",
        super::tokens::new_token().map_err(WebhookError::Random)?
    );
    let id = webhooks::create(conn, store, &draft.url, &draft.events, &secret)?;
    Ok((id, secret))
}

pub fn list(conn: &mut Conn, store: StoreId) -> Result<Vec<Endpoint>, DbError> {
    webhooks::list(conn, store)
}

/// An endpoint and its latest 100 deliveries (with their event types).
pub fn find(
    conn: &mut Conn,
    store: StoreId,
    id: i64,
) -> Result<(Endpoint, Vec<(Delivery, String)>), DbError> {
    let endpoint = webhooks::find(conn, store, id)?;
    let deliveries = webhooks::deliveries(conn, id, 100)?;
    Ok((endpoint, deliveries))
}

/// Turns an endpoint on or off; `false` when it is not the store's.
pub fn set_active(conn: &mut Conn, store: StoreId, id: i64, active: bool) -> Result<bool, DbError> {
    let changed = webhooks::set_active(conn, store, id, active)?;
    if changed && active {
        // Deliveries that waited while it was off go out now.
        webhooks::sweep(conn)?;
    }
    Ok(changed)
}

pub fn delete(conn: &mut Conn, store: StoreId, id: i64) -> Result<bool, DbError> {
    webhooks::delete(conn, store, id)
}

/// Queues the delivery job of every endpoint with pending deliveries and
/// none queued (a delivery recorded while its endpoint's job was ending).
pub fn sweep(conn: &mut Conn) -> Result<usize, DbError> {
    webhooks::sweep(conn)
}

/// Sends a delivery again now (the page's Resend).
pub fn resend(conn: &mut Conn, store: StoreId, endpoint: i64, id: i64) -> Result<bool, DbError> {
    webhooks::resend(conn, store, endpoint, id)
}

/// Events fanned out per transaction (at most).
const DISPATCH_BATCH: i64 = 500;

/// Fans committed events out to their endpoints (`db::webhooks::dispatch`):
/// each event's body is made from its object as the API shows it now (a
/// few milliseconds after the change, in the worker that got there first),
/// outside the write transaction, which then keeps the bodies, makes the
/// deliveries and queues the endpoints' jobs. Run by every job worker when
/// it is woken or polls, and by each delivery job before its next batch.
/// Returns how many deliveries were made.
pub fn dispatch(conn: &mut Conn, settings: &Settings) -> Result<usize, DbError> {
    let mut made = 0;
    loop {
        // Before the read: an event committed after it wakes a worker.
        jobs::dispatching();
        let events = webhooks::undispatched(conn, DISPATCH_BATCH)?;
        if events.is_empty() {
            return Ok(made);
        }
        let wanted = webhooks::wanted(conn, &events)?;
        let orders = orders_of(conn, &events, &wanted)?;
        let mut stores: Vec<Store> = Vec::new();
        let mut bodies = Vec::with_capacity(events.len());
        for (event, wanted) in events.iter().zip(wanted) {
            // An event no endpoint gets now (a store's endpoints may not
            // want its type) is only marked dispatched.
            if !wanted {
                bodies.push(None);
                continue;
            }
            let store = match stores.iter().position(|s| s.id == event.store_id) {
                Some(i) => &stores[i],
                None => {
                    stores.push(db::stores::find(conn, StoreId(event.store_id))?);
                    &stores[stores.len() - 1]
                }
            };
            bodies.push(Some(event_body(conn, store, event, &orders, settings)?));
        }
        let batch: Vec<(&Event, Option<&str>)> = events
            .iter()
            .zip(bodies.iter().map(Option::as_deref))
            .collect();
        made += db::write_transaction(conn, |conn| webhooks::dispatch(conn, &batch))?;
        if events.len() < DISPATCH_BATCH as usize {
            return Ok(made);
        }
    }
}

/// Deliveries sent between two writes of their outcomes (at most).
const DELIVERY_BATCH: i64 = 100;
/// A batch stops sending after this long, to write its outcomes.
const BATCH_TIME: Duration = Duration::from_secs(5);
/// While events stream in (a round found fewer than a batch due), a round
/// of a delivery job (dispatch, send, write the outcomes: two short write
/// transactions) starts at most this often, so each covers more events: under a storm of redemptions a
/// round a millisecond would take the SQLite writer's turn from the
/// checkouts for every few events.
const ROUND_EVERY: Duration = Duration::from_millis(25);

/// Deliveries of one endpoint sent at once (at most one per object: see
/// `db::webhooks::next_due`), after a first one went through.
const IN_FLIGHT: usize = 16;

/// Whether a try's answer delivered it: a 2xx status.
fn delivered(result: &Result<u16, String>) -> bool {
    matches!(result, Ok(status) if (200..300).contains(status))
}

/// A try: the delivery, its event, the body if sent for the first time,
/// and the answer.
type Tried = (Delivery, i64, Option<String>, Result<u16, String>);

/// The delivery job of `endpoint`: sends its due deliveries, a batch at a
/// time (at most one per object, in order: see `db::webhooks::next_due`;
/// a batch ends early after a failed try or `BATCH_TIME`),
/// then writes the batch's outcomes (and the bodies sent for the first
/// time) in one transaction under the lease. A process that dies before
/// that write leaves the batch pending, to be sent again: delivery is at
/// least once. The job ends when nothing is due (rescheduled for the next
/// retry if one is waiting).
pub fn deliver(
    conn: &mut Conn,
    lease: &Lease,
    endpoint: i64,
    settings: &Settings,
    stop: &dyn Fn() -> bool,
) -> Result<Ended, DbError> {
    let sender = Sender::new(settings)
        .map_err(|e| DbError::QueryBuilderError(format!("no HTTP client: {e}").into()))?;
    let lease_length = lease.length.to_std().unwrap_or(Duration::from_secs(30));
    // The lease was just taken, then is extended with each batch's
    // outcomes (and here or while sending when that is a third of it ago).
    // Every write goes through `db::write_transaction`: on SQLite a write
    // outside it would wait for the file lock inside another writer's turn.
    let mut held = std::time::Instant::now();
    // When the last round began, if it sent something and left nothing due.
    let mut streaming: Option<std::time::Instant> = None;
    loop {
        if let Some(begun) = streaming {
            std::thread::sleep(ROUND_EVERY.saturating_sub(begun.elapsed()));
        }
        if stop() {
            db::write_transaction(conn, |conn| jobs::release(conn, lease))?;
            return Ok(Ended::Stopped);
        }
        if held.elapsed() * 3 > lease_length {
            if !db::write_transaction(conn, |conn| jobs::hold(conn, lease))? {
                return Ok(Ended::Lost);
            }
            held = std::time::Instant::now();
        }
        // Events committed since the last batch become deliveries.
        dispatch(conn, settings)?;
        let target = match webhooks::find_for_delivery(conn, endpoint)? {
            Some(e) if e.active => e,
            // Deleted or off: nothing to send (turning it on queues the job
            // again).
            _ => {
                db::write_transaction(conn, |conn| {
                    jobs::finish(conn, lease, JobStatus::Done, None)
                })?;
                return Ok(Ended::Finished);
            }
        };
        let batch = webhooks::next_due(conn, endpoint, DELIVERY_BATCH)?;
        if batch.is_empty() {
            db::write_transaction(conn, |conn| {
                match webhooks::next_try(conn, endpoint)? {
                    Some(at) => {
                        jobs::reschedule(conn, lease, at)?;
                    }
                    None => {
                        jobs::finish(conn, lease, JobStatus::Done, None)?;
                        // A delivery made since `next_due` found this job
                        // still pending and queued none: queue it now
                        // rather than at the next sweep.
                        if webhooks::next_try(conn, endpoint)?.is_some() {
                            webhooks::ensure_job(conn, StoreId(target.store_id), endpoint)?;
                        }
                    }
                }
                Ok::<_, DbError>(())
            })?;
            return Ok(Ended::Finished);
        }
        // Every event of the endpoint is of its store.
        let store = db::stores::find(conn, StoreId(target.store_id))?;
        let mut tried = Vec::with_capacity(batch.len());
        let begun = std::time::Instant::now();
        // A full batch leaves more waiting: the next round starts at once.
        streaming = ((batch.len() as i64) < DELIVERY_BATCH).then_some(begun);
        // Events dispatched before bodies were kept at dispatch have
        // theirs made now: their orders are read for the whole batch.
        let bodiless: Vec<Event> = batch
            .iter()
            .filter(|(_, e)| e.payload.is_none())
            .map(|(_, e)| e.clone())
            .collect();
        let orders = orders_of(conn, &bodiless, &vec![true; bodiless.len()])?;
        let mut due = batch.into_iter().peekable();
        while due.peek().is_some() {
            // Outcomes are written soon: after a failure (the endpoint is
            // likely down: the rest waits for the next round rather than
            // failing too) and after a few seconds of a slow receiver.
            let failed = tried.iter().any(|t: &Tried| !delivered(&t.3));
            if stop() || failed || begun.elapsed() > BATCH_TIME {
                break;
            }
            // A slow receiver (10 s a try) must not outlast the lease.
            if held.elapsed() * 3 > lease_length {
                if !db::write_transaction(conn, |conn| jobs::hold(conn, lease))? {
                    return Ok(Ended::Lost);
                }
                held = std::time::Instant::now();
            }
            // One try first: an endpoint that is down gets one, not a
            // volley, per round.
            let width = if tried.is_empty() { 1 } else { IN_FLIGHT };
            let mut volley = Vec::with_capacity(width);
            for (delivery, event) in due.by_ref().take(width) {
                let (body, fresh) = match &event.payload {
                    Some(body) => (body.clone(), false),
                    None => (event_body(conn, &store, &event, &orders, settings)?, true),
                };
                volley.push((delivery, event.id, body, fresh));
            }
            let bodies: Vec<&str> = volley.iter().map(|v| v.2.as_str()).collect();
            let results = sender.send_all(&target, &bodies, settings);
            for ((delivery, event, body, fresh), result) in volley.into_iter().zip(results) {
                tried.push((delivery, event, fresh.then_some(body), result));
            }
        }
        let kept = db::write_transaction(conn, |conn| {
            if !jobs::hold(conn, lease)? {
                return Ok::<_, DbError>(false);
            }
            let bodies: Vec<(i64, &str)> = tried
                .iter()
                .filter_map(|(_, event, body, _)| Some((*event, body.as_deref()?)))
                .collect();
            webhooks::set_payloads(conn, &bodies)?;
            let outcomes = tried
                .iter()
                .map(|(delivery, _, _, result)| (delivery.id, outcome(delivery, result, settings)))
                .collect();
            webhooks::attempted(conn, outcomes)?;
            Ok(true)
        })?;
        if !kept {
            return Ok(Ended::Lost);
        }
        held = std::time::Instant::now();
    }
}

/// What a try's result means for its delivery: delivered on 2xx, else
/// tried again later with a growing wait, for 24 hours from its event.
fn outcome<'a>(
    delivery: &Delivery,
    result: &'a Result<u16, String>,
    settings: &Settings,
) -> Outcome<'a> {
    match result {
        Ok(status) if delivered(result) => Outcome::Delivered {
            status: i64::from(*status),
        },
        failed => {
            let (status, error) = match failed {
                Ok(status) => (Some(i64::from(*status)), ""),
                Err(e) => (None, e.as_str()),
            };
            let next = now() + rules::retry_delay(delivery.attempts + 1, settings.retry_base);
            let within = next <= delivery.created_at + RETRY_FOR;
            Outcome::Failed {
                status,
                error,
                next: within.then_some(next),
            }
        }
    }
}

/// Why a try got no answer, in words for the deliveries page: the
/// client's own message names only the URL ("error sending request for
/// url ..."), its innermost cause says what happened ("Connection
/// refused", "dns error ...").
fn failure(e: &reqwest::Error, settings: &Settings) -> String {
    if e.is_timeout() {
        return format!("no answer within {} s", settings.timeout.as_secs());
    }
    let mut cause: &dyn std::error::Error = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    if e.is_connect() {
        format!("could not connect: {cause}")
    } else {
        format!("not delivered: {cause}")
    }
}

/// Orders read ahead for the bodies of a batch of events, by (store, id).
type Orders = std::collections::HashMap<(i64, i64), db::orders::OrderRow>;

/// The orders of the wanted `redemption.*` events among `events`, read
/// with one statement per store (`db::orders::find_rows`) instead of one
/// per event (on PostgreSQL a round trip each). `object_of` shows an order
/// that is not among them as deleted.
fn orders_of(conn: &mut Conn, events: &[Event], wanted: &[bool]) -> Result<Orders, DbError> {
    let mut ids: Vec<(i64, Vec<i64>)> = Vec::new();
    for (event, _) in events.iter().zip(wanted).filter(|(_, w)| **w) {
        if let Some(Subject::Redemption(id)) = Subject::parse(&event.object_kind, event.object_id) {
            match ids.iter_mut().find(|(store, _)| *store == event.store_id) {
                Some((_, of_store)) => of_store.push(id),
                None => ids.push((event.store_id, vec![id])),
            }
        }
    }
    let mut orders = Orders::new();
    for (store, of_store) in ids {
        for row in db::orders::find_rows(conn, StoreId(store), &of_store)? {
            orders.insert((store, row.id), row);
        }
    }
    Ok(orders)
}

/// `{"id", "type", "created", "data": {"object": {...}}}`.
fn event_body(
    conn: &mut Conn,
    store: &Store,
    event: &Event,
    orders: &Orders,
    settings: &Settings,
) -> Result<String, DbError> {
    let object = match Subject::parse(&event.object_kind, event.object_id) {
        Some(subject) => object_of(conn, store, subject, orders, settings)?,
        None => serde_json::Value::Null,
    };
    let body = serde_json::json!({
        "id": format!("evt_{}", event.id),
        "object": "event",
        "type": event.event_type,
        "created": event.created_at.and_utc().timestamp(),
        "data": { "object": object },
    });
    Ok(body.to_string())
}

/// The subject as the API shows it, or `{"object", "id", "deleted": true}`
/// when it is gone.
fn object_of(
    conn: &mut Conn,
    store: &Store,
    subject: Subject,
    orders: &Orders,
    settings: &Settings,
) -> Result<serde_json::Value, DbError> {
    let base = base_url(store.public_base_url.as_deref(), &settings.server_base);
    let url = |code: &str| share_url(&base, &store.slug, code);
    let found = match subject {
        Subject::Coupon(id) => db::coupons::find(conn, store.id(), CouponId(id)).and_then(|c| {
            let applies_to = db::coupons::applies_to(conn, CouponId(id))?;
            let share = url(&c.code);
            Ok(serde_json::to_value(CouponObject::new(
                c,
                &applies_to,
                share,
            )))
        }),
        Subject::PromotionCode(id) => {
            db::promotion_codes::find(conn, store.id(), PromotionCodeId(id)).map(|p| {
                let share = url(&p.row.code);
                serde_json::to_value(PromotionCodeObject::new(p, share))
            })
        }
        Subject::CouponSet(id) => db::coupon_sets::find(conn, store.id(), CouponSetId(id))
            .map(|s| serde_json::to_value(CouponSetObject::new(s))),
        // Read ahead for the batch (`orders_of`): one that is not there
        // is gone.
        Subject::Redemption(id) => orders
            .get(&(store.id, id))
            .map(|o| serde_json::to_value(RedemptionObject::new(o)))
            .ok_or(DbError::NotFound),
    };
    match found {
        Ok(value) => value.map_err(|e| DbError::SerializationError(Box::new(e))),
        Err(DbError::NotFound) => {
            serde_json::to_value(DeletedObject::new(subject.kind(), subject.id()))
                .map_err(|e| DbError::SerializationError(Box::new(e)))
        }
        Err(e) => Err(e),
    }
}

/// The delivery client: an async `reqwest` client driven by a runtime of
/// the job worker's own thread, so that a POST is no hand-off to a client
/// thread and back (as `reqwest::blocking` does); the timeout, no cookies,
/// and redirects followed only on the same host (at most 3).
struct Sender {
    runtime: tokio::runtime::Runtime,
    client: reqwest::Client,
}

impl Sender {
    fn new(settings: &Settings) -> Result<Sender, String> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        let policy = reqwest::redirect::Policy::custom(|attempt| {
            let same_host = attempt
                .previous()
                .first()
                .is_some_and(|first| first.host_str() == attempt.url().host_str());
            if same_host && attempt.previous().len() <= 3 {
                attempt.follow()
            } else {
                attempt.stop()
            }
        });
        let _inside = runtime.enter();
        let client = reqwest::Client::builder()
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout)
            .redirect(policy)
            .user_agent("Promodesk-Webhooks/1")
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Sender { runtime, client })
    }

    /// Signed POSTs of `bodies` to the endpoint, all at once; the status
    /// each got, or why there was none, in order.
    fn send_all(
        &self,
        endpoint: &Endpoint,
        bodies: &[&str],
        settings: &Settings,
    ) -> Vec<Result<u16, String>> {
        let url = match self.target(endpoint, settings) {
            Ok(url) => url,
            Err(why) => return vec![Err(why); bodies.len()],
        };
        let posts = bodies.iter().map(|body| {
            let signature =
                rules::signature(&endpoint.secret, chrono::Utc::now().timestamp(), body);
            let post = self
                .client
                .post(url.clone())
                .header("Content-Type", "application/json")
                .header("Promodesk-Signature", signature)
                .body(body.to_string())
                .send();
            async move {
                post.await
                    .map(|r| r.status().as_u16())
                    .map_err(|e| failure(&e, settings))
            }
        });
        // Made inside the runtime: each request's timeout is one of its
        // timers.
        let _inside = self.runtime.enter();
        let posts: Vec<_> = posts.collect();
        self.runtime.block_on(futures_util::future::join_all(posts))
    }

    /// The endpoint's URL, unless it is not to be sent to: unparsable, or
    /// a loopback or private address (unless those are allowed).
    fn target(&self, endpoint: &Endpoint, settings: &Settings) -> Result<url::Url, String> {
        let url = url::Url::parse(&endpoint.url).map_err(|e| format!("bad URL: {e}"))?;
        if !settings.allow_private {
            let host = url.host_str().unwrap_or_default();
            let port = url.port_or_known_default().unwrap_or(443);
            let addrs = std::net::ToSocketAddrs::to_socket_addrs(&(host, port))
                .map_err(|e| format!("cannot resolve {host}: {e}"))?;
            if let Some(private) = addrs.map(|a| a.ip()).find(|ip| rules::is_private(*ip)) {
                return Err(format!("{host} is a private address ({private}): not sent"));
            }
        }
        Ok(url)
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};

    use diesel::prelude::*;

    use super::*;
    use crate::app::jobs::{Jobs, Ran, run_next};
    use crate::db::replan::{recorded, replanned};

    /// A receiver on loopback answering every request 200, over kept-alive
    /// connections; its URL.
    fn receiver() -> String {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
        let url = format!("http://{}/hooks", listener.local_addr().expect("address"));
        std::thread::spawn(move || {
            for mut socket in listener.incoming().flatten() {
                std::thread::spawn(move || {
                    let mut data = Vec::new();
                    let mut buf = [0u8; 8192];
                    loop {
                        let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") else {
                            match socket.read(&mut buf) {
                                Ok(0) | Err(_) => return,
                                Ok(n) => data.extend_from_slice(&buf[..n]),
                            }
                            continue;
                        };
                        let head = String::from_utf8_lossy(&data[..end]).to_lowercase();
                        let length: usize = head
                            .lines()
                            .find_map(|l| l.strip_prefix("content-length:"))
                            .and_then(|v| v.trim().parse().ok())
                            .unwrap_or(0);
                        while data.len() < end + 4 + length {
                            match socket.read(&mut buf) {
                                Ok(0) | Err(_) => return,
                                Ok(n) => data.extend_from_slice(&buf[..n]),
                            }
                        }
                        data.drain(..end + 4 + length);
                        let reply = b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n";
                        if socket.write_all(reply).is_err() {
                            return;
                        }
                    }
                });
            }
        });
        url
    }

    /// A try that reached nobody says why in words on the deliveries page
    /// ("could not connect: Connection refused"), not only which URL the
    /// client was sending to.
    #[test]
    fn a_refused_connection_is_told_in_words() {
        let port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
            listener.local_addr().expect("address").port()
        };
        let settings = Settings {
            allow_private: true,
            ..Settings::default()
        };
        let sender = Sender::new(&settings).expect("client");
        let endpoint = Endpoint {
            id: 1,
            store_id: 1,
            url: format!("http://127.0.0.1:{port}/hooks"),
            events: String::new(),
            active: true,
            secret: "whsec_test".into(),
            created_at: now(),
        };
        let tried = sender.send_all(&endpoint, &["{}"], &settings);
        let Some(Err(why)) = tried.first() else {
            panic!("a closed port answered: {tried:?}");
        };
        assert!(why.starts_with("could not connect"), "{why}");
        assert!(why.to_lowercase().contains("refused"), "{why}");
    }

    /// Every statement of a worker's round (claim, dispatch, deliver, the
    /// outcomes, the job's end) is planned once: none reads a bound value
    /// into its plan, which would make SQLite parse and plan it again on
    /// each run (it was 38% of the worker's CPU under a redemption storm).
    #[test]
    fn a_worker_round_plans_each_statement_once() {
        let (dir, pool) = db::temp_sqlite();
        let mut conn = pool.get().expect("conn");
        let store = db::seed::bare_store(&mut conn, "hooks").expect("store");
        webhooks::create(&mut conn, store, &receiver(), "", "secret").expect("endpoint");
        let settings = Settings {
            allow_private: true,
            ..Settings::default()
        };
        let runner = Jobs::new(Duration::from_secs(30), settings.clone());
        let (ran, sql) = recorded(&mut conn, |conn| {
            for id in 1..=3 {
                db::write_transaction(conn, |conn| {
                    webhooks::record(conn, store, "coupon.created", Subject::Coupon(id))
                })?;
            }
            dispatch(conn, &settings)?;
            run_next(conn, &runner)
        });
        assert!(matches!(ran, Ok(Ran::Job { .. })), "a delivery job ran");
        let delivered: i64 = crate::db::schema::webhook_deliveries::table
            .filter(crate::db::schema::webhook_deliveries::status.eq("delivered"))
            .count()
            .get_result(&mut **conn)
            .expect("count");
        assert_eq!(delivered, 3, "the round delivered the events");
        assert!(
            sql.len() > 10,
            "the round's statements were recorded: {sql:#?}"
        );
        let again = replanned(&dir.path().join("test.db"), &sql);
        assert!(again.is_empty(), "planned again on each run: {again:#?}");
    }
}
