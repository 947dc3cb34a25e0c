//! Placing an order: the redemption transaction. Every limit is a
//! conditional update (`... WHERE times_redeemed < max_redemptions`), so no
//! limit is exceeded whatever the concurrency; the first one that does not
//! hold rolls the whole order back.
//!
//! Rows are locked in one order — customer, coupon, promotion code, set code,
//! set — here and in refunds, so concurrent transactions cannot deadlock;
//! the new order's own rows (not shared) are written before the shared ones.

use crate::db::{Cache, FirstRow};
use crate::domain::status::{OrderStatus, SetCodeState};
use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::super::schema::{
    checkout_attempts, coupon_customer_redemptions, coupon_sets, coupons, customers, order_lines,
    orders, promotion_codes, set_codes,
};
use super::super::{Conn, DbError, is_check_violation, is_unique_violation, now};
use super::OrderRow;
use crate::db::velocity::Code;
use crate::db::webhooks::{self, Subject};
use crate::domain::checkout::Cart;
use crate::domain::email::Email;
use crate::domain::ids::PromotionCodeId;
use crate::domain::ids::{CustomerId, OrderId, StoreId};
use crate::domain::pricing::Quote;
use crate::domain::redemption::{Applied, Refusal, Via};
use crate::domain::states::CouponState;
use crate::domain::velocity::Buckets;
use diesel::dsl::case_when;

/// Everything an order records.
pub struct NewOrder<'a> {
    /// Unguessable: the receipt's address.
    pub public_id: String,
    pub email: &'a Email,
    pub cart: &'a Cart,
    pub quote: &'a Quote,
    pub applied: Option<&'a Applied>,
    /// The caller's own reference (API redemptions).
    pub external_id: Option<&'a str>,
    /// String pairs as JSON text (API redemptions).
    pub metadata: Option<&'a str>,
    /// Runs last, inside the order's transaction.
    pub then: Option<&'a Then<'a>>,
    /// The velocity windows of the order's time (in the store's zone).
    pub buckets: Buckets,
}

/// Work that commits with the order, or not at all; it gets the order as
/// written.
pub type Then<'a> = dyn Fn(&mut Conn, &OrderRow) -> QueryResult<()> + 'a;

#[derive(Debug, thiserror::Error)]
pub enum PlaceError {
    #[error("the code does not apply: {0:?}")]
    Refused(Refusal),
    /// This order would exceed the code's velocity limit (inside `place`
    /// only: it answers `Refused(CodePaused)`, having paused the code).
    #[error("the velocity limit of {0:?} is reached")]
    Tripped(Code),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// The customer with this email, created on the first order, with one more
/// paid order, in one statement (an upsert on `(store_id, email)`). A
/// first-time code needs the count to be 0: the upsert's update then has
/// that condition, so two concurrent first orders cannot both pass.
fn count_order(
    conn: &mut Conn,
    store: StoreId,
    email: &Email,
    first_time: bool,
    at: NaiveDateTime,
) -> Result<CustomerId, PlaceError> {
    use diesel::sql_types::{Nullable, Timestamp};
    let first_order = || {
        case_when(
            customers::first_order_at.is_null(),
            Some(at).into_sql::<Nullable<Timestamp>>(),
        )
        .otherwise(customers::first_order_at)
    };
    let upsert = diesel::insert_into(customers::table)
        .values((
            customers::store_id.eq(store),
            customers::email.eq(email.as_str()),
            customers::orders_count.eq(1i64),
            customers::first_order_at.eq(Some(at)),
            customers::created_at.eq(at),
        ))
        .on_conflict((customers::store_id, customers::email))
        .do_update()
        .set((
            customers::orders_count.eq(customers::orders_count + 1),
            customers::first_order_at.eq(first_order()),
        ));
    // The customer's id, or none when a first-time code's condition held
    // it back (each arm its own statement: the SQL differs).
    macro_rules! customer_id {
        ($upsert:expr) => {
            crate::on_backend!(conn, c => $upsert
                .returning(customers::id)
                .cached_at(crate::site!())
                .get_result::<i64>(c)
                .optional())?
        };
    }
    let id = if first_time {
        customer_id!(diesel::query_dsl::methods::FilterDsl::filter(
            upsert,
            customers::orders_count.eq(0i64)
        ))
    } else {
        customer_id!(upsert)
    };
    id.map(CustomerId)
        .ok_or(PlaceError::Refused(Refusal::FirstTimeOnly))
}

/// The schema's backstop refused a counter's update (the CHECK
/// `times_redeemed <= max_redemptions`): the customer reads `refusal`, as
/// if the guard in the UPDATE had refused.
fn exhausted_if(e: DbError, refusal: Refusal) -> PlaceError {
    if is_check_violation(&e) {
        PlaceError::Refused(refusal)
    } else {
        PlaceError::Db(e)
    }
}

/// One more redemption of row `$id` of `$table` (coupons or promotion
/// codes) where `$ready` holds and its velocity window has room: the
/// window's counter starts again at 1 in a new window (`$buckets`). Runs
/// on `$conn`: the row's counts after it (`Counts`), or `None` when no row
/// qualified.
macro_rules! counted_redemption {
    ($conn:expr, $table:ident, $id:expr, $ready:expr, $buckets:expr) => {{
        let b: Buckets = $buckets;
        let bucket = || {
            case_when(
                $table::velocity_window.eq("hour"),
                b.hour.into_sql::<diesel::sql_types::BigInt>(),
            )
            .otherwise(b.day.into_sql::<diesel::sql_types::BigInt>())
            .nullable()
        };
        let update = diesel::update(
            $table::table
                .filter($table::id.eq($id))
                .filter($ready)
                .filter(BoolExpressionMethods::or(
                    $table::velocity_limit
                        .is_null()
                        .or($table::velocity_bucket.is_null())
                        .or($table::velocity_bucket.ne(bucket())),
                    $table::velocity_count.lt($table::velocity_limit.assume_not_null()),
                )),
        )
        .set((
            $table::times_redeemed.eq($table::times_redeemed + 1),
            $table::velocity_count.eq(case_when(
                $table::velocity_bucket.eq(bucket()),
                $table::velocity_count + 1,
            )
            .otherwise(1i64.into_sql::<diesel::sql_types::BigInt>())),
            $table::velocity_bucket.eq(bucket()),
        ));
        crate::on_backend!($conn, c => update
            .returning(($table::times_redeemed, $table::max_redemptions))
            .cached_at(crate::site!())
            .get_result::<Counts>(c)
            .optional())
    }};
}

/// `times_redeemed` and `max_redemptions` of a coupon or promotion code
/// as this order left them.
type Counts = (i64, Option<i64>);

/// Did this order use the last redemption?
fn used_up((used, max): Counts) -> bool {
    max.is_some_and(|m| used >= m)
}

/// One more redemption of the coupon, if it is active now and within its
/// velocity limit; its counts after it.
fn redeem_coupon(
    conn: &mut Conn,
    store: StoreId,
    applied: &Applied,
    at: NaiveDateTime,
    buckets: Buckets,
) -> Result<Counts, PlaceError> {
    let id = applied.coupon_id.0;
    let ready = crate::db::coupons::redeemable::redeemable(at);
    let updated = counted_redemption!(conn, coupons, id, ready, buckets)
        .map_err(|e| exhausted_if(e, Refusal::CouponExhausted))?;
    if let Some(counts) = updated {
        return Ok(counts);
    }
    // Changed since it was read, or its window is full: say what it is now.
    let coupon = super::super::coupons::find(conn, store, applied.coupon_id)?;
    let state = coupon.state(at);
    if state == CouponState::Active && coupon.velocity.is_some() {
        return Err(PlaceError::Tripped(Code::Coupon(applied.coupon_id)));
    }
    Err(PlaceError::Refused(
        Refusal::for_coupon(state, || applied.starts_text.clone())
            .unwrap_or(Refusal::CouponExhausted),
    ))
}

/// One more redemption of the promotion code, if it is usable now and
/// within its velocity limit; its counts after it.
fn redeem_promotion(
    conn: &mut Conn,
    id: i64,
    at: NaiveDateTime,
    buckets: Buckets,
) -> Result<Counts, PlaceError> {
    let ready = crate::db::promotion_codes::redeemable::usable(at);
    let updated = counted_redemption!(conn, promotion_codes, id, ready, buckets)
        .map_err(|e| exhausted_if(e, Refusal::PromotionExhausted))?;
    if let Some(counts) = updated {
        return Ok(counts);
    }
    let (active, expires_at, paused_at, limited): (
        bool,
        Option<NaiveDateTime>,
        Option<NaiveDateTime>,
        Option<i64>,
    ) = promotion_codes::table
        .filter(promotion_codes::id.eq(id))
        .select((
            promotion_codes::active,
            promotion_codes::expires_at,
            promotion_codes::paused_at,
            promotion_codes::velocity_limit,
        ))
        .first_row(conn)?;
    // Usable but refused: its velocity window is full.
    if limited.is_some() && usable(conn, id, at)? {
        return Err(PlaceError::Tripped(Code::PromotionCode(PromotionCodeId(
            id,
        ))));
    }
    Err(PlaceError::Refused(if paused_at.is_some() {
        Refusal::CodePaused
    } else if expires_at.is_some_and(|e| at >= e) {
        Refusal::PromotionExpired
    } else if !active {
        Refusal::PromotionInactive
    } else {
        Refusal::PromotionExhausted
    }))
}

/// Is the promotion code itself redeemable at `at` (velocity aside)?
fn usable(conn: &mut Conn, id: i64, at: NaiveDateTime) -> QueryResult<bool> {
    let found: Option<i64> = promotion_codes::table
        .filter(promotion_codes::id.eq(id))
        .filter(crate::db::promotion_codes::redeemable::usable(at))
        .select(promotion_codes::id)
        .first_row(conn)
        .optional()?;
    Ok(found.is_some())
}

/// Marks the set code used by this order, if it is still unused.
fn use_set_code(
    conn: &mut Conn,
    id: i64,
    set: i64,
    order: OrderId,
    at: NaiveDateTime,
) -> Result<(), PlaceError> {
    let updated = diesel::update(
        set_codes::table
            .filter(set_codes::id.eq(id))
            .filter(set_codes::state.eq(SetCodeState::Unused.as_str())),
    )
    .set((
        set_codes::state.eq(SetCodeState::Used.as_str()),
        set_codes::used_at.eq(Some(at)),
        set_codes::order_id.eq(Some(order)),
    ))
    .cached()
    .execute(conn)?;
    if updated == 0 {
        let state: Option<String> = set_codes::table
            .filter(set_codes::id.eq(id))
            .select(set_codes::state)
            .first_row(conn)
            .optional()?;
        return Err(PlaceError::Refused(
            match state.as_deref().and_then(SetCodeState::parse) {
                Some(SetCodeState::Used) => Refusal::SetCodeUsed,
                _ => Refusal::SetCodeArchived,
            },
        ));
    }
    diesel::update(coupon_sets::table.filter(coupon_sets::id.eq(set)))
        .set(coupon_sets::used_codes.eq(coupon_sets::used_codes + 1))
        .cached()
        .execute(conn)?;
    Ok(())
}

/// Places the order in one transaction, or changes nothing — except that
/// the order that would exceed a velocity limit pauses its code, in the
/// same transaction (the order's own writes roll back to a savepoint).
pub fn place(conn: &mut Conn, store: StoreId, order: &NewOrder) -> Result<OrderId, PlaceError> {
    let at = now();
    let limited = order.applied.is_some_and(|a| a.velocity_limited);
    let placed = super::super::write_transaction(conn, |conn| {
        if !limited {
            // A limit set since the code was read: refused, and the next
            // try (which knows of the limit) pauses the code.
            return write_order(conn, store, order, at).map(Ok);
        }
        match conn.transaction(|conn| write_order(conn, store, order, at)) {
            Err(PlaceError::Tripped(code)) => {
                crate::db::velocity::pause(conn, store, code, at)?;
                Ok(Err(Refusal::CodePaused))
            }
            other => other.map(Ok),
        }
    });
    match placed {
        Ok(placed) => placed.map_err(PlaceError::Refused),
        Err(PlaceError::Tripped(_)) => Err(PlaceError::Refused(Refusal::CodePaused)),
        Err(e) => Err(e),
    }
}

/// The order's writes, in the caller's transaction.
fn write_order(
    conn: &mut Conn,
    store: StoreId,
    order: &NewOrder,
    at: NaiveDateTime,
) -> Result<OrderId, PlaceError> {
    {
        let applied = order.applied;
        let first_time = matches!(
            applied.map(|a| &a.via),
            Some(Via::Promotion(p)) if p.first_time_transaction
        );
        let customer = count_order(conn, store, order.email, first_time, at)?;
        if let Some(applied) = applied
            && applied.once_per_customer
            && crate::db::checkout::used_coupon(conn, customer.0, applied.coupon_id)?
        {
            return Err(PlaceError::Refused(Refusal::OncePerCustomer));
        }
        let (promotion, set_code) = match applied.map(|a| &a.via) {
            Some(Via::Promotion(p)) => (Some(p.id.0), None),
            Some(Via::SetCode { id, set, .. }) => (None, Some((*id, set.0))),
            _ => (None, None),
        };
        let quote = order.quote;
        let insert = diesel::insert_into(orders::table).values((
            orders::store_id.eq(store),
            orders::public_id.eq(&order.public_id),
            orders::customer_id.eq(customer),
            orders::currency.eq(quote.currency.code()),
            orders::subtotal.eq(quote.subtotal),
            orders::discount.eq(quote.discount),
            orders::total.eq(quote.total),
            orders::code.eq(applied.map(|a| a.code.as_str())),
            orders::coupon_id.eq(applied.map(|a| a.coupon_id)),
            orders::promotion_code_id.eq(promotion),
            orders::set_code_id.eq(set_code.map(|(id, _)| id)),
            orders::discount_text.eq(applied.map(|a| a.label.as_str()).unwrap_or("")),
            orders::schedule.eq(quote.schedule.join("\n")),
            orders::status.eq(OrderStatus::Paid.as_str()),
            orders::created_at.eq(at),
            orders::external_id.eq(order.external_id),
            orders::metadata.eq(order.metadata),
        ));
        // The order comes back as written: `then` renders it without
        // reading it again.
        let row: OrderRow = crate::on_backend!(conn, c => insert
            .returning(OrderRow::as_returning())
            .cached_at(crate::site!())
            .get_result(c))
        .map_err(|e| {
            // Another paid order holds the set code (the unique index
            // `orders_one_paid_order_per_set_code`).
            if set_code.is_some() && is_unique_violation(&e) {
                PlaceError::Refused(Refusal::SetCodeUsed)
            } else {
                PlaceError::Db(e)
            }
        })?;
        let id = OrderId(row.id);
        for line in &order.cart.lines {
            let insert = diesel::insert_into(order_lines::table).values((
                order_lines::order_id.eq(id),
                order_lines::product_id.eq(line.product),
                order_lines::name.eq(&line.name),
                order_lines::unit_price.eq(line.unit_price),
                order_lines::quantity.eq(line.quantity),
                order_lines::amount.eq(line.amount()),
                order_lines::billing.eq(line.billing.billing_str()),
            ));
            crate::on_backend!(conn, c => insert.cached_at(crate::site!()).execute(c))?;
        }
        // Work that commits with the order (the API's stored answer) runs
        // before the shared rows are locked: if a limit then refuses, it is
        // rolled back with the rest.
        if let Some(then) = order.then {
            then(conn, &row)?;
        }
        // The event too (the outbox): it commits with the order or not at
        // all, and is written before the shared rows are locked.
        webhooks::record(
            conn,
            store,
            "redemption.succeeded",
            Subject::Redemption(id.0),
        )?;
        // The shared rows last, so their locks are held for the shortest
        // time: every order of a coupon waits for the one before it.
        // The last redemption of a coupon or promotion code is reported
        // (the counts come back from the update: nothing more is read).
        let mut used_up_now = Vec::new();
        if let Some(applied) = applied {
            if used_up(redeem_coupon(conn, store, applied, at, order.buckets)?) {
                used_up_now.push(("coupon.exhausted", Subject::Coupon(applied.coupon_id.0)));
            }
            if let Via::Promotion(p) = &applied.via
                && used_up(redeem_promotion(conn, p.id.0, at, order.buckets)?)
            {
                used_up_now.push(("promotion_code.exhausted", Subject::PromotionCode(p.id.0)));
            }
        }
        if let Some((code, set)) = set_code {
            use_set_code(conn, code, set, id, at)?;
        }
        for (event, subject) in used_up_now {
            webhooks::record(conn, store, event, subject)?;
        }
        if let Some(applied) = applied.filter(|a| a.once_per_customer) {
            diesel::insert_into(coupon_customer_redemptions::table)
                .values((
                    coupon_customer_redemptions::coupon_id.eq(applied.coupon_id),
                    coupon_customer_redemptions::customer_id.eq(customer),
                    coupon_customer_redemptions::order_id.eq(id),
                ))
                .cached()
                .execute(conn)
                .map_err(|e| {
                    if is_unique_violation(&e) {
                        PlaceError::Refused(Refusal::OncePerCustomer)
                    } else {
                        PlaceError::Db(e)
                    }
                })?;
        }
        Ok(id)
    }
}

/// Keeps a checkout refused because of its code, for staff.
pub fn record_attempt(
    conn: &mut Conn,
    store: StoreId,
    email: &str,
    code: &str,
    refusal: &Refusal,
) -> QueryResult<()> {
    super::super::write_transaction(conn, |conn| {
        diesel::insert_into(checkout_attempts::table)
            .values((
                checkout_attempts::store_id.eq(store),
                checkout_attempts::email.eq(email),
                checkout_attempts::code.eq(code),
                checkout_attempts::reason.eq(refusal.key()),
                checkout_attempts::message.eq(refusal.message()),
                checkout_attempts::created_at.eq(now()),
            ))
            .cached()
            .execute(conn)
            .map(|_| ())
    })
}
