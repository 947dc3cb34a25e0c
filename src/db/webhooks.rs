//! Webhooks (SPEC 11): endpoints, the event outbox and deliveries.
//!
//! `record` is called inside the transaction of the change it reports: the
//! event row (the outbox) commits with the change or not at all. A store
//! without endpoints that want it pays one indexed read. The job workers
//! then `dispatch` committed events in batches: one delivery per endpoint
//! that wants the event, and the endpoint's `deliver_webhooks` job.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Nullable, Text, Timestamp};

use super::schema::{stores, webhook_deliveries, webhook_endpoints, webhook_events};
use super::{Conn, now};
use crate::db::{Cache, FirstRow, Inline};
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
/// is made from this when the event is dispatched.
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

/// An active endpoint as events are matched to it: its id, the events it
/// wants and when it was added (it gets the events that happened since).
#[derive(Debug, Clone)]
struct Listener {
    id: i64,
    events: String,
    created_at: NaiveDateTime,
}

/// A store's active endpoints.
struct Listeners(Vec<Listener>);

impl Listeners {
    /// The endpoints that get `event`: they want its type and were added
    /// before it happened.
    fn of<'a>(&'a self, event: &'a Event) -> impl Iterator<Item = i64> + 'a {
        self.0
            .iter()
            .filter(|l| l.created_at <= event.created_at && wants(&l.events, &event.event_type))
            .map(|l| l.id)
    }
}

/// The active endpoints of the stores of `events`, read once per store.
struct StoreListeners(Vec<(i64, Listeners)>);

impl StoreListeners {
    fn read(conn: &mut Conn, events: &[&Event]) -> QueryResult<StoreListeners> {
        let mut stores: Vec<(i64, Listeners)> = Vec::new();
        for event in events {
            if !stores.iter().any(|(s, _)| *s == event.store_id) {
                stores.push((event.store_id, listeners(conn, StoreId(event.store_id))?));
            }
        }
        Ok(StoreListeners(stores))
    }

    /// The endpoints that get `event`.
    fn of<'a>(&'a self, event: &'a Event) -> impl Iterator<Item = i64> + 'a {
        self.0
            .iter()
            .filter(move |(s, _)| *s == event.store_id)
            .flat_map(move |(_, l)| l.of(event))
    }
}

/// Which of `events` an endpoint gets now (the others need no body).
pub fn wanted(conn: &mut Conn, events: &[Event]) -> QueryResult<Vec<bool>> {
    let refs: Vec<&Event> = events.iter().collect();
    let listeners = StoreListeners::read(conn, &refs)?;
    Ok(events
        .iter()
        .map(|e| listeners.of(e).next().is_some())
        .collect())
}

fn listeners(conn: &mut Conn, store: StoreId) -> QueryResult<Listeners> {
    let rows: Vec<(i64, String, NaiveDateTime)> = webhook_endpoints::table
        .filter(webhook_endpoints::store_id.eq(store))
        .filter(webhook_endpoints::deleted_at.is_null())
        .filter(webhook_endpoints::active.eq(true))
        .select((
            webhook_endpoints::id,
            webhook_endpoints::events,
            webhook_endpoints::created_at,
        ))
        .load(conn)?;
    Ok(Listeners(
        rows.into_iter()
            .map(|(id, events, created_at)| Listener {
                id,
                events,
                created_at,
            })
            .collect(),
    ))
}

/// The endpoint wants events of type `$event`: `domain::webhook::wants` in
/// SQL, over `events` as the endpoint form stores it (known types joined
/// by single spaces, empty for all). `tests::sql_wants_as_the_domain_does`
/// holds the two together.
macro_rules! wanting {
    ($event:expr) => {{
        let pattern = format!(
            "% {} %",
            $event
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        webhook_endpoints::events.eq("").or((" "
            .into_sql::<Text>()
            .concat(webhook_endpoints::events)
            .concat(" "))
        .like(pattern)
        .escape('\\'))
    }};
}

/// Records event `event_type` about `subject` if an active endpoint of the
/// store wants it; call inside the change's transaction. One statement: the
/// change's transaction writes the event row and nothing more, and reads
/// nothing first. The job workers fan it out to the deliveries of the
/// endpoints that want it (`dispatch`) once it has committed.
pub fn record(
    conn: &mut Conn,
    store: StoreId,
    event_type: &str,
    subject: Subject,
) -> QueryResult<()> {
    use diesel::dsl::exists;
    let listened = exists(
        webhook_endpoints::table
            .filter(webhook_endpoints::store_id.eq(store))
            .filter(webhook_endpoints::deleted_at.is_null())
            .filter(webhook_endpoints::active.eq(true))
            .filter(wanting!(event_type)),
    );
    let event = stores::table
        .filter(stores::id.eq(store))
        .filter(listened)
        .select((
            stores::id,
            event_type.into_sql::<Text>(),
            subject.kind().into_sql::<Text>(),
            subject.id().into_sql::<BigInt>(),
            now().into_sql::<Timestamp>(),
        ));
    let insert = diesel::insert_into(webhook_events::table)
        .values(event)
        .into_columns((
            webhook_events::store_id,
            webhook_events::event_type,
            webhook_events::object_kind,
            webhook_events::object_id,
            webhook_events::created_at,
        ));
    // Runs in every order's transaction: found in the statement cache by
    // its site (`db::cached::Site`), its SQL is not built again each time.
    let recorded = crate::on_backend!(conn, c => insert.cached_at(crate::site!()).execute(c))?;
    if recorded > 0 {
        // This process's worker dispatches it as soon as it commits.
        super::jobs::recorded();
    }
    Ok(())
}

/// Up to `limit` events not fanned out yet, the oldest first.
pub fn undispatched(conn: &mut Conn, limit: i64) -> QueryResult<Vec<Event>> {
    webhook_events::table
        .filter(webhook_events::dispatched_at.is_null())
        .order(webhook_events::id)
        .select(Event::as_select())
        .first_rows(limit, conn)
}

/// The PostgreSQL advisory lock key of `dispatch` ("webhook" in ASCII).
const DISPATCH_LOCK: i64 = 0x77_65_62_68_6f_6f_6b;

/// Fans events out, each with the body it is sent with: marks it
/// dispatched and keeps its body, adds a pending delivery for every
/// active endpoint of its store that wants it and was added before it
/// happened, and queues those endpoints' delivery jobs. An event that
/// another worker dispatched meanwhile is skipped. Call inside one write
/// transaction, with `events` in id order: deliveries of one object are
/// then made in the order of its events (a later event of an object
/// commits after the earlier one, so a worker that read it read both).
/// Returns how many deliveries were made.
pub fn dispatch(conn: &mut Conn, events: &[(&Event, Option<&str>)]) -> QueryResult<usize> {
    let at = now();
    let won: Vec<&Event> = match conn {
        Conn::Postgres(c) => {
            // One dispatcher at a time across processes (SQLite's writer
            // lock does this there): two marking overlapping batches could
            // lock their rows in different orders (the join with `unnest`
            // keeps none) and deadlock. Held to the commit; a transaction
            // of a batch is short.
            diesel::sql_query(format!("SELECT pg_advisory_xact_lock({DISPATCH_LOCK})"))
                .cached()
                .execute(c)?;
            #[derive(QueryableByName)]
            struct Id {
                #[diesel(sql_type = BigInt)]
                id: i64,
            }
            let (ids, bodies): (Vec<i64>, Vec<Option<&str>>) =
                events.iter().map(|(e, body)| (e.id, *body)).unzip();
            let won: Vec<Id> = diesel::sql_query(
                "UPDATE webhook_events e SET dispatched_at = $1, payload = v.payload \
                 FROM unnest($2, $3) AS v (id, payload) \
                 WHERE e.id = v.id AND e.dispatched_at IS NULL RETURNING e.id",
            )
            .bind::<Timestamp, _>(at)
            .bind::<Array<BigInt>, _>(&ids)
            .bind::<Array<Nullable<Text>>, _>(&bodies)
            .cached()
            .load(c)?;
            let won: std::collections::HashSet<i64> = won.into_iter().map(|w| w.id).collect();
            events
                .iter()
                .map(|(e, _)| *e)
                .filter(|e| won.contains(&e.id))
                .collect()
        }
        Conn::Sqlite(c) => {
            // One short statement per event, each found in the statement
            // cache by its site (`db::cached::Site`): they run inside
            // SQLite's writer lock, which the checkouts wait for.
            let mut won = Vec::with_capacity(events.len());
            for (event, body) in events {
                let n = diesel::update(
                    webhook_events::table
                        .filter(webhook_events::id.eq(event.id))
                        .filter(webhook_events::dispatched_at.is_null()),
                )
                .set((
                    webhook_events::dispatched_at.eq(Some(at)),
                    webhook_events::payload.eq(body),
                ))
                .cached_at(crate::site!())
                .execute(c)?;
                if n == 1 {
                    won.push(*event);
                }
            }
            won
        }
    };
    // (endpoint, event, object key) in event order, and the endpoints.
    let listeners = StoreListeners::read(conn, &won)?;
    let mut made: Vec<(i64, i64, String)> = Vec::new();
    let mut endpoints: Vec<(i64, i64)> = Vec::new();
    for event in won {
        let key = format!("{}:{}", event.object_kind, event.object_id);
        for endpoint in listeners.of(event) {
            made.push((endpoint, event.id, key.clone()));
            if !endpoints.contains(&(event.store_id, endpoint)) {
                endpoints.push((event.store_id, endpoint));
            }
        }
    }
    match conn {
        Conn::Postgres(c) if !made.is_empty() => {
            let (endpoint_ids, rest): (Vec<i64>, Vec<(i64, String)>) =
                made.iter().map(|(a, b, k)| (*a, (*b, k.clone()))).unzip();
            let (event_ids, keys): (Vec<i64>, Vec<String>) = rest.into_iter().unzip();
            diesel::sql_query(
                "INSERT INTO webhook_deliveries \
                 (endpoint_id, event_id, object_key, status, next_try_at, created_at) \
                 SELECT v.endpoint_id, v.event_id, v.object_key, 'pending', $1, $1 \
                 FROM unnest($2, $3, $4) WITH ORDINALITY AS v (endpoint_id, event_id, object_key, n) \
                 ORDER BY v.n",
            )
            .bind::<Timestamp, _>(at)
            .bind::<Array<BigInt>, _>(&endpoint_ids)
            .bind::<Array<BigInt>, _>(&event_ids)
            .bind::<Array<Text>, _>(&keys)
            .cached()
            .execute(c)?;
        }
        _ => {
            for (endpoint, event, key) in &made {
                let insert = diesel::insert_into(webhook_deliveries::table).values((
                    webhook_deliveries::endpoint_id.eq(endpoint),
                    webhook_deliveries::event_id.eq(event),
                    webhook_deliveries::object_key.eq(key),
                    webhook_deliveries::status.eq("pending"),
                    webhook_deliveries::next_try_at.eq(at),
                    webhook_deliveries::created_at.eq(at),
                ));
                crate::on_backend!(conn, c => insert.cached_at(crate::site!()).execute(c))?;
            }
        }
    }
    let mut queued = 0;
    for (store, endpoint) in endpoints {
        queued += queue_job(conn, StoreId(store), endpoint)?;
    }
    // A new job: this process's worker may look at once. A pending job
    // (most often the one delivering now) takes the deliveries on its next
    // batch.
    if queued > 0 {
        super::jobs::queued();
    }
    Ok(made.len())
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
    // `$1` first: SQLite numbers `$n` by first appearance (`db::both`).
    crate::on_backend!(conn, c => diesel::sql_query(super::both(format!(
        "WITH one AS (SELECT CAST($1 AS BIGINT) AS endpoint_id) {}",
        queue_jobs("one", "$2", "$3")
    )))
    .bind::<BigInt, _>(endpoint)
    .bind::<BigInt, _>(store.0)
    .bind::<Timestamp, _>(now())
    .cached().execute(c))
}

/// Queues a delivery job for every active endpoint with pending deliveries
/// and no pending job (a delivery recorded while its job was finishing); returns
/// how many were queued.
pub fn sweep(conn: &mut Conn) -> QueryResult<usize> {
    let at = now();
    crate::db::write_transaction(conn, |conn| {
        crate::on_backend!(conn, c => diesel::sql_query(super::both(format!(
            "WITH waiting AS (SELECT DISTINCT e.store_id, e.id AS endpoint_id \
               FROM webhook_endpoints e JOIN webhook_deliveries d ON d.endpoint_id = e.id \
               WHERE d.status = 'pending' AND e.active AND e.deleted_at IS NULL) {}",
            queue_jobs("waiting", "waiting.store_id", "$1")
        )))
        .bind::<Timestamp, _>(at)
        .execute(c))
    })
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
                .filter(webhook_deliveries::status.eq(Inline("pending"))),
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
    let sql = super::both(format!(
        "SELECT d.id FROM webhook_deliveries d WHERE d.endpoint_id = $1 AND d.status = 'pending' \
         AND d.next_try_at <= $2 AND d.id = (SELECT e.id FROM webhook_deliveries e \
           WHERE e.endpoint_id = d.endpoint_id AND e.status = 'pending' \
           AND e.object_key = d.object_key ORDER BY e.id LIMIT 1) \
         ORDER BY d.id LIMIT {limit}"
    ));
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
        .filter(webhook_deliveries::status.eq(Inline("pending")))
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
            // The endpoint's job may sleep until a retry far off: it runs
            // now (or one is queued).
            super::jobs::due_now(
                conn,
                crate::domain::status::JobKind::DeliverWebhooks,
                endpoint,
            )?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db;
    use crate::domain::webhook::EVENT_TYPES;

    /// `wanting!` picks exactly the endpoints `domain::webhook::wants`
    /// picks, for every event type (and near misses) and endpoint choice.
    #[test]
    fn sql_wants_as_the_domain_does() {
        let (_dir, pool) = db::temp_sqlite();
        let mut conn = pool.get().expect("conn");
        let store = db::seed::bare_store(&mut conn, "hooks").expect("store");
        let mut choices: Vec<String> = vec![
            String::new(),
            EVENT_TYPES.join(" "),
            "coupon.created".into(),
            "promotion_code.created".into(),
            "redemption.succeeded code.paused".into(),
            "coupon.exhausted promotion_code.exhausted coupon_set.generated".into(),
            // Not a type: `_` in a type must not match any character.
            "promotionXcode.created".into(),
        ];
        choices.extend(EVENT_TYPES.iter().map(|t| t.to_string()));
        let mut endpoints = Vec::new();
        for events in &choices {
            let id =
                create(&mut conn, store, "https://example.com/h", events, "s").expect("endpoint");
            endpoints.push((id, events.clone()));
        }
        let mut types: Vec<&str> = EVENT_TYPES.to_vec();
        types.extend([
            "coupon",
            "coupon.create",
            "promotionXcode.created",
            "%",
            "code",
        ]);
        for event in types {
            let mut picked: Vec<i64> = webhook_endpoints::table
                .filter(webhook_endpoints::store_id.eq(store))
                .filter(wanting!(event))
                .select(webhook_endpoints::id)
                .load(&mut **conn)
                .expect("endpoints");
            picked.sort_unstable();
            let expected: Vec<i64> = endpoints
                .iter()
                .filter(|(_, events)| wants(events, event))
                .map(|(id, _)| *id)
                .collect();
            assert_eq!(picked, expected, "endpoints wanting {event:?}");
            assert!(!picked.is_empty(), "the empty choice wants {event:?}");
        }
    }

    /// The delivery job queued for an endpoint is that endpoint's, in its
    /// store, also when the two ids differ.
    #[test]
    fn a_queued_job_names_its_store_and_endpoint() {
        use crate::db::schema::jobs;
        let (_dir, pool) = db::temp_sqlite();
        let mut conn = pool.get().expect("conn");
        let first = db::seed::bare_store(&mut conn, "first").expect("store");
        let second = db::seed::bare_store(&mut conn, "second").expect("store");
        for _ in 0..3 {
            create(&mut conn, first, "https://example.com/a", "", "s").expect("endpoint");
        }
        let endpoint =
            create(&mut conn, second, "https://example.com/b", "", "s").expect("endpoint");
        assert_ne!(endpoint, second.0, "the ids differ");
        db::write_transaction(&mut conn, |conn| ensure_job(conn, second, endpoint))
            .expect("queued");
        let queued: Vec<(i64, i64)> = jobs::table
            .filter(jobs::kind.eq("deliver_webhooks"))
            .select((jobs::store_id, jobs::subject_id))
            .load(&mut **conn)
            .expect("jobs");
        assert_eq!(queued, vec![(second.0, endpoint)]);
    }
}
