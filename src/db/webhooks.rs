//! Webhooks (SPEC 11): endpoints, the event outbox and deliveries.
//!
//! `record` is called inside the transaction of the change it reports: the
//! event, one delivery per endpoint that wants it and the endpoint's
//! `deliver_webhooks` job commit with the change or not at all. A store
//! without endpoints pays one indexed read.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Text, Timestamp};

use super::schema::{webhook_deliveries, webhook_endpoints, webhook_events};
use super::{Conn, now};
use crate::db::{Cache, FirstRow};
use crate::domain::ids::StoreId;
use crate::domain::webhook::wants;

/// Endpoint `$id` of store `$store`, not deleted.
macro_rules! live_endpoint {
    ($store:expr, $id:expr) => {
        webhook_endpoints::table
            .filter(webhook_endpoints::store_id.eq($store))
            .filter(webhook_endpoints::id.eq($id))
            .filter(webhook_endpoints::deleted_at.is_null())
    };
}

/// What an event is about, as `(kind, id)`: its object as the API shows it
/// is made from this when the event is first sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    Coupon(i64),
    PromotionCode(i64),
    CouponSet(i64),
    /// An order, shown as the API's redemption.
    Redemption(i64),
}

impl Subject {
    pub fn kind(self) -> &'static str {
        match self {
            Subject::Coupon(_) => "coupon",
            Subject::PromotionCode(_) => "promotion_code",
            Subject::CouponSet(_) => "coupon_set",
            Subject::Redemption(_) => "redemption",
        }
    }

    pub fn id(self) -> i64 {
        match self {
            Subject::Coupon(id)
            | Subject::PromotionCode(id)
            | Subject::CouponSet(id)
            | Subject::Redemption(id) => id,
        }
    }

    pub fn parse(kind: &str, id: i64) -> Option<Subject> {
        Some(match kind {
            "coupon" => Subject::Coupon(id),
            "promotion_code" => Subject::PromotionCode(id),
            "coupon_set" => Subject::CouponSet(id),
            "redemption" => Subject::Redemption(id),
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = webhook_endpoints)]
pub struct Endpoint {
    pub id: i64,
    pub store_id: i64,
    pub url: String,
    pub events: String,
    pub active: bool,
    pub secret: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = webhook_events)]
pub struct Event {
    pub id: i64,
    pub store_id: i64,
    pub event_type: String,
    pub object_kind: String,
    pub object_id: i64,
    pub payload: Option<String>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = webhook_deliveries)]
pub struct Delivery {
    pub id: i64,
    pub endpoint_id: i64,
    pub event_id: i64,
    pub status: String,
    pub attempts: i64,
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
    pub next_try_at: NaiveDateTime,
    pub delivered_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

/// The store's active endpoints and the events each wants: read once per
/// transaction that may record several events.
pub struct Listeners(Vec<(i64, String)>);

impl Listeners {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

pub fn listeners(conn: &mut Conn, store: StoreId) -> QueryResult<Listeners> {
    webhook_endpoints::table
        .filter(webhook_endpoints::store_id.eq(store))
        .filter(webhook_endpoints::deleted_at.is_null())
        .filter(webhook_endpoints::active.eq(true))
        .select((webhook_endpoints::id, webhook_endpoints::events))
        .load(conn)
        .map(Listeners)
}

/// Records event `event_type` about `subject` for every active endpoint of
/// the store that wants it; call inside the change's transaction.
pub fn record(
    conn: &mut Conn,
    store: StoreId,
    event_type: &str,
    subject: Subject,
) -> QueryResult<()> {
    let listeners = listeners(conn, store)?;
    record_to(conn, &listeners, store, event_type, subject)
}

/// `record` with the store's listeners already read.
pub fn record_to(
    conn: &mut Conn,
    listeners: &Listeners,
    store: StoreId,
    event_type: &str,
    subject: Subject,
) -> QueryResult<()> {
    let endpoints: Vec<i64> = listeners
        .0
        .iter()
        .filter(|(_, events)| wants(events, event_type))
        .map(|(id, _)| *id)
        .collect();
    if endpoints.is_empty() {
        return Ok(());
    }
    let at = now();
    let key = format!("{}:{}", subject.kind(), subject.id());
    let jobs_queued = match conn {
        // One statement, one round trip: the event, its deliveries and the
        // endpoints' jobs.
        Conn::Postgres(c) => {
            diesel::sql_query(format!(
            "WITH e AS (INSERT INTO webhook_events (store_id, type, object_kind, object_id, created_at) \
               VALUES ($1, $2, $3, $4, $5) RETURNING id), \
             d AS (INSERT INTO webhook_deliveries \
               (endpoint_id, event_id, object_key, status, next_try_at, created_at) \
               SELECT ep, e.id, $6, 'pending', $5, $5 FROM e, unnest($7) AS ep \
               RETURNING endpoint_id) {}",
            queue_jobs("d", "$1", "$5")
        ))
        .bind::<BigInt, _>(store.0)
        .bind::<Text, _>(event_type)
        .bind::<Text, _>(subject.kind())
        .bind::<BigInt, _>(subject.id())
        .bind::<Timestamp, _>(at)
        .bind::<Text, _>(&key)
        .bind::<Array<BigInt>, _>(&endpoints)
        // The statement's own count: the jobs it queued.
        .cached().execute(c)?
        }
        Conn::Sqlite(_) => {
            diesel::insert_into(webhook_events::table)
                .values((
                    webhook_events::store_id.eq(store),
                    webhook_events::event_type.eq(event_type),
                    webhook_events::object_kind.eq(subject.kind()),
                    webhook_events::object_id.eq(subject.id()),
                    webhook_events::created_at.eq(at),
                ))
                .cached()
                .execute(conn)?;
            let event = super::last_insert_id(conn)?;
            let mut queued = 0;
            for endpoint in &endpoints {
                diesel::insert_into(webhook_deliveries::table)
                    .values((
                        webhook_deliveries::endpoint_id.eq(endpoint),
                        webhook_deliveries::event_id.eq(event),
                        webhook_deliveries::object_key.eq(&key),
                        webhook_deliveries::status.eq("pending"),
                        webhook_deliveries::next_try_at.eq(at),
                        webhook_deliveries::created_at.eq(at),
                    ))
                    .cached()
                    .execute(conn)?;
                queued += queue_job(conn, store, *endpoint)?;
            }
            queued
        }
    };
    // A new job: this process's worker may look at once. A pending job
    // (most often the one delivering now) takes the delivery on its next
    // batch, so the worker is not woken for each event.
    if jobs_queued > 0 {
        super::jobs::queued();
    }
    Ok(())
}

/// The `INSERT` that queues the delivery job of each endpoint in
/// `source.endpoint_id` that has no pending job, for store `store` at `at`
/// (SQL expressions). The pending job is looked for first (a plain read)
/// so that a change finding one waits for nobody; the jobs' unique index on
/// live jobs still decides between two changes racing to queue one. A
/// delivery recorded while its endpoint's job is ending is picked up by
/// that job's last look (`app::webhooks::deliver`) or by the sweep.
fn queue_jobs(source: &str, store: &str, at: &str) -> String {
    format!(
        "INSERT INTO jobs (kind, store_id, subject_id, status, run_at, attempts, created_at) \
         SELECT DISTINCT 'deliver_webhooks', {store}, {source}.endpoint_id, 'pending', {at}, 0, {at} \
         FROM {source} WHERE NOT EXISTS (SELECT 1 FROM jobs j WHERE j.kind = 'deliver_webhooks' \
           AND j.subject_id = {source}.endpoint_id AND j.status = 'pending') \
         ON CONFLICT DO NOTHING"
    )
}

/// Queues the endpoint's delivery job unless one is pending already, and
/// wakes this process's worker.
pub fn ensure_job(conn: &mut Conn, store: StoreId, endpoint: i64) -> QueryResult<()> {
    queue_job(conn, store, endpoint)?;
    super::jobs::queued();
    Ok(())
}

fn queue_job(conn: &mut Conn, store: StoreId, endpoint: i64) -> QueryResult<usize> {
    crate::on_backend!(conn, c => diesel::sql_query(format!(
        "WITH one AS (SELECT CAST($2 AS BIGINT) AS endpoint_id) {}",
        queue_jobs("one", "$1", "$3")
    ))
    .bind::<BigInt, _>(store.0)
    .bind::<BigInt, _>(endpoint)
    .bind::<Timestamp, _>(now())
    .cached().execute(c))
}

/// Queues a delivery job for every active endpoint with pending deliveries
/// and no pending job (a delivery recorded while its job was finishing); returns
/// how many were queued.
pub fn sweep(conn: &mut Conn) -> QueryResult<usize> {
    let at = now();
    crate::on_backend!(conn, c => diesel::sql_query(format!(
        "WITH waiting AS (SELECT DISTINCT e.store_id, e.id AS endpoint_id \
           FROM webhook_endpoints e JOIN webhook_deliveries d ON d.endpoint_id = e.id \
           WHERE d.status = 'pending' AND e.active AND e.deleted_at IS NULL) {}",
        queue_jobs("waiting", "waiting.store_id", "$1")
    ))
    .bind::<Timestamp, _>(at)
    .execute(c))
}

/// The store's endpoints, newest first.
pub fn list(conn: &mut Conn, store: StoreId) -> QueryResult<Vec<Endpoint>> {
    webhook_endpoints::table
        .filter(webhook_endpoints::store_id.eq(store))
        .filter(webhook_endpoints::deleted_at.is_null())
        .order(webhook_endpoints::id.desc())
        .select(Endpoint::as_select())
        .load(conn)
}

/// Endpoint `id` of the store (not deleted).
pub fn find(conn: &mut Conn, store: StoreId, id: i64) -> QueryResult<Endpoint> {
    live_endpoint!(store, id)
        .select(Endpoint::as_select())
        .first_row(conn)
}

/// Endpoint `id`, for its delivery job (a deleted one has nothing to send).
pub fn find_for_delivery(conn: &mut Conn, id: i64) -> QueryResult<Option<Endpoint>> {
    webhook_endpoints::table
        .filter(webhook_endpoints::id.eq(id))
        .filter(webhook_endpoints::deleted_at.is_null())
        .select(Endpoint::as_select())
        .first_row(conn)
        .optional()
}

pub fn create(
    conn: &mut Conn,
    store: StoreId,
    url: &str,
    events: &str,
    secret: &str,
) -> QueryResult<i64> {
    crate::db::write_transaction(conn, |conn| {
        diesel::insert_into(webhook_endpoints::table)
            .values((
                webhook_endpoints::store_id.eq(store),
                webhook_endpoints::url.eq(url),
                webhook_endpoints::events.eq(events),
                webhook_endpoints::active.eq(true),
                webhook_endpoints::secret.eq(secret),
                webhook_endpoints::created_at.eq(now()),
            ))
            .execute(conn)?;
        super::last_insert_id(conn)
    })
}

/// Turns endpoint `id` on or off; `false` when it is not the store's.
pub fn set_active(conn: &mut Conn, store: StoreId, id: i64, active: bool) -> QueryResult<bool> {
    crate::db::write_transaction(conn, |conn| {
        let n = diesel::update(live_endpoint!(store, id))
            .set(webhook_endpoints::active.eq(active))
            .execute(conn)?;
        Ok(n == 1)
    })
}

/// Deletes endpoint `id`: nothing more is sent to it.
pub fn delete(conn: &mut Conn, store: StoreId, id: i64) -> QueryResult<bool> {
    crate::db::write_transaction(conn, |conn| {
        let n = diesel::update(live_endpoint!(store, id))
            .set(webhook_endpoints::deleted_at.eq(Some(now())))
            .execute(conn)?;
        if n == 0 {
            // Not this store's: touch nothing of it.
            return Ok(false);
        }
        diesel::update(
            webhook_deliveries::table
                .filter(webhook_deliveries::endpoint_id.eq(id))
                .filter(webhook_deliveries::status.eq("pending")),
        )
        .set((
            webhook_deliveries::status.eq("failed"),
            webhook_deliveries::last_error.eq(Some("the endpoint was deleted")),
        ))
        .execute(conn)?;
        Ok(n == 1)
    })
}

/// The endpoint's latest deliveries with their event types, newest first.
pub fn deliveries(
    conn: &mut Conn,
    endpoint: i64,
    limit: i64,
) -> QueryResult<Vec<(Delivery, String)>> {
    webhook_deliveries::table
        .inner_join(webhook_events::table)
        .filter(webhook_deliveries::endpoint_id.eq(endpoint))
        .order(webhook_deliveries::id.desc())
        .limit(limit)
        .select((Delivery::as_select(), webhook_events::event_type))
        .load(conn)
}

/// Up to `limit` deliveries of the endpoint that are due, the oldest
/// first, and never one whose object has an earlier delivery still pending
/// (events of one object arrive in order; so at most one per object).
pub fn next_due(conn: &mut Conn, endpoint: i64, limit: i64) -> QueryResult<Vec<(Delivery, Event)>> {
    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = BigInt)]
        id: i64,
    }
    let at = now();
    // "The first pending delivery of its object" as a subquery per
    // candidate (an index probe, webhook_deliveries_object_idx) that the
    // planner cannot turn into a hash of every pending delivery: it did,
    // without fresh statistics, at 255 ms a batch. The limit is written
    // into the SQL (a number): a bound LIMIT makes SQLite plan the
    // statement again on every run (see `db::first`).
    let sql = format!(
        "SELECT d.id FROM webhook_deliveries d WHERE d.endpoint_id = $1 AND d.status = 'pending' \
         AND d.next_try_at <= $2 AND d.id = (SELECT e.id FROM webhook_deliveries e \
           WHERE e.endpoint_id = d.endpoint_id AND e.status = 'pending' \
           AND e.object_key = d.object_key ORDER BY e.id LIMIT 1) \
         ORDER BY d.id LIMIT {limit}"
    );
    let due: Vec<Id> = crate::on_backend!(conn, c => diesel::sql_query(&sql)
    .bind::<BigInt, _>(endpoint)
    .bind::<Timestamp, _>(at)
    .cached()
    .load(c))?;
    let ids: Vec<i64> = due.into_iter().map(|d| d.id).collect();
    webhook_deliveries::table
        .inner_join(webhook_events::table)
        .filter(webhook_deliveries::id.eq_any(&ids))
        .order(webhook_deliveries::id)
        .select((Delivery::as_select(), Event::as_select()))
        .load(conn)
}

/// When the endpoint's next pending delivery is due, if any is pending.
pub fn next_try(conn: &mut Conn, endpoint: i64) -> QueryResult<Option<NaiveDateTime>> {
    webhook_deliveries::table
        .filter(webhook_deliveries::endpoint_id.eq(endpoint))
        .filter(webhook_deliveries::status.eq("pending"))
        .select(diesel::dsl::min(webhook_deliveries::next_try_at))
        .first_row(conn)
}

/// Keeps the bodies events are sent with, `(event, body)`, the first time
/// each is sent: one statement for them all on PostgreSQL.
pub fn set_payloads(conn: &mut Conn, bodies: &[(i64, &str)]) -> QueryResult<()> {
    match conn {
        Conn::Postgres(c) if !bodies.is_empty() => {
            let (ids, texts): (Vec<i64>, Vec<&str>) = bodies.iter().copied().unzip();
            diesel::sql_query(
                "UPDATE webhook_events e SET payload = v.payload FROM unnest($1, $2) AS v (id, payload) \
                 WHERE e.id = v.id AND e.payload IS NULL",
            )
            .bind::<Array<BigInt>, _>(&ids)
            .bind::<Array<Text>, _>(&texts)
            .cached().execute(c)?;
        }
        _ => {
            for (event, body) in bodies {
                diesel::update(
                    webhook_events::table
                        .filter(webhook_events::id.eq(event))
                        .filter(webhook_events::payload.is_null()),
                )
                .set(webhook_events::payload.eq(Some(body)))
                .cached()
                .execute(conn)?;
            }
        }
    }
    Ok(())
}

/// What one try of a delivery gave.
pub enum Outcome<'a> {
    Delivered {
        status: i64,
    },
    /// Try again at `next`, or give up (`next` None: marked failed).
    Failed {
        status: Option<i64>,
        error: &'a str,
        next: Option<NaiveDateTime>,
    },
}

/// Writes the outcomes of tries, `(delivery, outcome)`: the delivered ones
/// with one statement per answer status.
pub fn attempted(conn: &mut Conn, tries: Vec<(i64, Outcome<'_>)>) -> QueryResult<()> {
    let mut delivered: std::collections::BTreeMap<i64, Vec<i64>> = Default::default();
    for (delivery, outcome) in tries {
        match outcome {
            Outcome::Delivered { status } => delivered.entry(status).or_default().push(delivery),
            Outcome::Failed {
                status,
                error,
                next,
            } => failed_try(conn, delivery, status, error, next)?,
        }
    }
    for (status, ids) in delivered {
        diesel::update(webhook_deliveries::table.filter(webhook_deliveries::id.eq_any(ids)))
            .set((
                webhook_deliveries::status.eq("delivered"),
                webhook_deliveries::attempts.eq(webhook_deliveries::attempts + 1),
                webhook_deliveries::last_status.eq(Some(status)),
                webhook_deliveries::last_error.eq(None::<String>),
                webhook_deliveries::delivered_at.eq(Some(now())),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// A failed try: pending again until `next`, or failed for good.
fn failed_try(
    conn: &mut Conn,
    delivery: i64,
    status: Option<i64>,
    error: &str,
    next: Option<NaiveDateTime>,
) -> QueryResult<()> {
    diesel::update(webhook_deliveries::table.filter(webhook_deliveries::id.eq(delivery)))
        .set((
            webhook_deliveries::status.eq(if next.is_some() { "pending" } else { "failed" }),
            webhook_deliveries::attempts.eq(webhook_deliveries::attempts + 1),
            webhook_deliveries::last_status.eq(status),
            webhook_deliveries::last_error.eq((!error.is_empty()).then_some(error)),
            webhook_deliveries::next_try_at.eq(next.unwrap_or_else(now)),
        ))
        .cached()
        .execute(conn)?;
    Ok(())
}

/// Sends delivery `id` of the store's endpoint again, now (Resend); `false`
/// when it is not the store's.
pub fn resend(conn: &mut Conn, store: StoreId, endpoint: i64, id: i64) -> QueryResult<bool> {
    crate::db::write_transaction(conn, |conn| {
        find(conn, store, endpoint)?;
        let n = diesel::update(
            webhook_deliveries::table
                .filter(webhook_deliveries::id.eq(id))
                .filter(webhook_deliveries::endpoint_id.eq(endpoint)),
        )
        .set((
            webhook_deliveries::status.eq("pending"),
            webhook_deliveries::next_try_at.eq(now()),
            // A fresh 24 hours of retries.
            webhook_deliveries::created_at.eq(now()),
        ))
        .execute(conn)?;
        if n == 1 {
            ensure_job(conn, store, endpoint)?;
        }
        Ok(n == 1)
    })
}

/// Deliveries by status (for `/metrics`).
pub fn counts(conn: &mut Conn) -> QueryResult<Vec<(String, i64)>> {
    webhook_deliveries::table
        .group_by(webhook_deliveries::status)
        .select((webhook_deliveries::status, diesel::dsl::count_star()))
        .load(conn)
}
