//! Coupons: the stored row and its reads here; writes (one transaction
//! each, limits by conditional updates, an activity log) in `write`; the
//! keyset-paginated list in `list`.

mod list;
pub mod redeemable;
pub(crate) mod write;

pub use crate::db::paging::Cursor;
pub use list::{Choice, ListPage, ListQuery, Sort, SortKey, choices, count, list};
pub use write::{CouponWriteError, Lifecycle, apply, insert, update};

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::events::{Event, EventRow};
use super::schema::{api_keys, coupon_events, coupon_products, coupons, users};
use super::{Conn, DbError};
use crate::db::FirstRow;
use crate::domain::coupon::ExistingCoupon;
use crate::domain::discount::{Discount, Duration, Percent};
use crate::domain::ids::{CouponId, ProductId, StoreId};
use crate::domain::money::CurrencyCode;
use crate::domain::states::{CouponFacts, CouponState};
use crate::domain::velocity::Velocity;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = coupons)]
struct Row {
    id: i64,
    code: String,
    name: Option<String>,
    discount_type: String,
    percent_off_bp: Option<i64>,
    amount_off: Option<i64>,
    currency: Option<String>,
    duration: String,
    duration_in_months: Option<i64>,
    max_redemptions: Option<i64>,
    times_redeemed: i64,
    starts_at: Option<NaiveDateTime>,
    redeem_by: Option<NaiveDateTime>,
    once_per_customer: bool,
    archived_at: Option<NaiveDateTime>,
    deleted_at: Option<NaiveDateTime>,
    created_at: NaiveDateTime,
    velocity_limit: Option<i64>,
    velocity_window: Option<String>,
    paused_at: Option<NaiveDateTime>,
}

/// A stored coupon, its terms as domain types.
#[derive(Debug, Clone)]
pub struct Coupon {
    pub id: CouponId,
    pub code: String,
    pub name: Option<String>,
    pub discount: Discount,
    pub duration: Duration,
    pub max_redemptions: Option<i64>,
    pub times_redeemed: i64,
    pub starts_at: Option<NaiveDateTime>,
    pub redeem_by: Option<NaiveDateTime>,
    pub once_per_customer: bool,
    pub archived_at: Option<NaiveDateTime>,
    pub deleted_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub velocity: Option<Velocity>,
    /// Tripped its velocity limit at this time; redeemable again once
    /// staff resume it.
    pub paused_at: Option<NaiveDateTime>,
}

impl Coupon {
    pub fn facts(&self) -> CouponFacts {
        CouponFacts {
            deleted: self.deleted_at.is_some(),
            archived: self.archived_at.is_some(),
            paused: self.paused_at.is_some(),
            starts_at: self.starts_at,
            redeem_by: self.redeem_by,
            times_redeemed: self.times_redeemed,
            max_redemptions: self.max_redemptions,
        }
    }

    pub fn state(&self, now: NaiveDateTime) -> CouponState {
        self.facts().state(now)
    }

    pub fn existing(&self) -> ExistingCoupon {
        ExistingCoupon {
            code: self.code.clone(),
            discount: self.discount,
            duration: self.duration,
            times_redeemed: self.times_redeemed,
            starts_at: self.starts_at,
            redeem_by: self.redeem_by,
        }
    }
}

fn corrupt(what: &str, id: i64) -> DbError {
    DbError::DeserializationError(format!("coupon {id} has an invalid {what}").into())
}

impl TryFrom<Row> for Coupon {
    type Error = DbError;

    fn try_from(r: Row) -> Result<Coupon, DbError> {
        let discount = match (
            r.discount_type.as_str(),
            r.percent_off_bp,
            r.amount_off,
            &r.currency,
        ) {
            ("percent", Some(bp), _, _) => Discount::Percent(
                Percent::from_basis_points(bp).ok_or_else(|| corrupt("percentage", r.id))?,
            ),
            ("value", _, Some(minor), Some(currency)) => Discount::Amount {
                minor,
                currency: CurrencyCode::parse(currency).map_err(|_| corrupt("currency", r.id))?,
            },
            _ => return Err(corrupt("discount", r.id)),
        };
        let duration = match (r.duration.as_str(), r.duration_in_months) {
            ("once", _) => Duration::Once,
            ("forever", _) => Duration::Forever,
            ("repeating", Some(months)) => Duration::Repeating { months },
            _ => return Err(corrupt("duration", r.id)),
        };
        Ok(Coupon {
            id: CouponId(r.id),
            code: r.code,
            name: r.name,
            discount,
            duration,
            max_redemptions: r.max_redemptions,
            times_redeemed: r.times_redeemed,
            starts_at: r.starts_at,
            redeem_by: r.redeem_by,
            once_per_customer: r.once_per_customer,
            archived_at: r.archived_at,
            deleted_at: r.deleted_at,
            created_at: r.created_at,
            velocity: Velocity::from_stored(r.velocity_limit, r.velocity_window.as_deref()),
            paused_at: r.paused_at,
        })
    }
}

fn to_coupons(rows: Vec<Row>) -> QueryResult<Vec<Coupon>> {
    rows.into_iter().map(Coupon::try_from).collect()
}

/// A coupon of the store, deleted ones included (their history stays).
pub fn find(conn: &mut Conn, store: StoreId, id: CouponId) -> QueryResult<Coupon> {
    let row: Row = coupons::table
        .filter(coupons::store_id.eq(store))
        .filter(coupons::id.eq(id))
        .select(Row::as_select())
        .first_row(conn)?;
    Coupon::try_from(row)
}

/// The codes of the store's other live coupons that differ from coupon
/// `id`'s only in case (SUMMER10 beside Summer10).
pub fn case_twins(conn: &mut Conn, store: StoreId, id: CouponId) -> QueryResult<Vec<String>> {
    let code: String = coupons::table
        .filter(coupons::store_id.eq(store))
        .filter(coupons::id.eq(id))
        .select(coupons::code)
        .first_row(conn)?;
    coupons::table
        .filter(coupons::store_id.eq(store))
        .filter(coupons::deleted_at.is_null())
        .filter(coupons::id.ne(id))
        .filter(super::upper(coupons::code).eq(code.to_uppercase()))
        .select(coupons::code)
        .order(coupons::code.asc())
        .load(conn)
}

/// The live (not deleted) coupon of the store with exactly this code
/// (case-sensitive), with
/// the products it is limited to, in one query (a checkout's look-up: one
/// round trip fewer on PostgreSQL than reading them after it).
pub fn find_live_by_code(
    conn: &mut Conn,
    store: StoreId,
    code: &str,
) -> QueryResult<Option<(Coupon, Vec<ProductId>)>> {
    let rows: Vec<(Row, Option<i64>)> = coupons::table
        .left_join(coupon_products::table)
        .filter(coupons::store_id.eq(store))
        .filter(coupons::code.eq(code))
        .filter(coupons::deleted_at.is_null())
        .order(coupon_products::product_id.asc())
        .select((Row::as_select(), coupon_products::product_id.nullable()))
        .load(conn)?;
    let products = rows.iter().filter_map(|(_, p)| p.map(ProductId)).collect();
    match rows.into_iter().next() {
        Some((row, _)) => Ok(Some((Coupon::try_from(row)?, products))),
        None => Ok(None),
    }
}

/// Several coupons of the store by id, deleted ones included.
pub fn find_many(conn: &mut Conn, store: StoreId, ids: &[i64]) -> QueryResult<Vec<Coupon>> {
    let rows: Vec<Row> = coupons::table
        .filter(coupons::store_id.eq(store))
        .filter(coupons::id.eq_any(ids))
        .select(Row::as_select())
        .load(conn)?;
    to_coupons(rows)
}

/// A coupon of the store that is not deleted.
pub fn find_live(conn: &mut Conn, store: StoreId, id: CouponId) -> QueryResult<Coupon> {
    let coupon = find(conn, store, id)?;
    if coupon.deleted_at.is_some() {
        return Err(DbError::NotFound);
    }
    Ok(coupon)
}

pub fn applies_to(conn: &mut Conn, id: CouponId) -> QueryResult<Vec<ProductId>> {
    let ids: Vec<i64> = coupon_products::table
        .filter(coupon_products::coupon_id.eq(id))
        .select(coupon_products::product_id)
        .order(coupon_products::product_id.asc())
        .load(conn)?;
    Ok(ids.into_iter().map(ProductId).collect())
}

/// The products each of `ids` is limited to, in one query (a list page).
pub fn applies_to_many(
    conn: &mut Conn,
    ids: &[CouponId],
) -> QueryResult<std::collections::HashMap<CouponId, Vec<ProductId>>> {
    let pairs: Vec<(CouponId, i64)> = coupon_products::table
        .filter(coupon_products::coupon_id.eq_any(ids))
        .select((coupon_products::coupon_id, coupon_products::product_id))
        .order((
            coupon_products::coupon_id.asc(),
            coupon_products::product_id.asc(),
        ))
        .load(conn)?;
    let mut by_coupon: std::collections::HashMap<CouponId, Vec<ProductId>> =
        std::collections::HashMap::new();
    for (coupon, product) in pairs {
        by_coupon
            .entry(coupon)
            .or_default()
            .push(ProductId(product));
    }
    Ok(by_coupon)
}

pub fn events(conn: &mut Conn, id: CouponId) -> QueryResult<Vec<Event>> {
    let rows: Vec<EventRow> = coupon_events::table
        .left_join(users::table)
        .left_join(api_keys::table)
        .filter(coupon_events::coupon_id.eq(id))
        .select((
            coupon_events::created_at,
            users::email.nullable(),
            api_keys::name.nullable(),
            coupon_events::action,
            coupon_events::detail,
        ))
        .order(coupon_events::id.desc())
        .load(conn)?;
    Ok(rows.into_iter().map(Event::from).collect())
}
