//! Promotion codes: the row and its reads here, writes in `write`, the
//! paginated list in `list`.

mod list;
pub mod redeemable;
pub(crate) mod write;

pub use list::{PromoListPage, PromoListQuery, count, list};
pub use write::{PromoWriteError, create, delete, rotate, rotated_to, set_active, update};

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::events::{Event, EventRow};
use super::schema::{api_keys, promotion_code_events, promotion_codes, users};
use super::{Conn, DbError};
use crate::db::FirstRow;
use crate::db::coupons::Coupon;
use crate::domain::ids::{CouponId, PromotionCodeId, StoreId};
use crate::domain::promotion::{PromoFacts, PromoState};
use crate::domain::velocity::Velocity;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = promotion_codes)]
pub struct PromoRow {
    pub id: i64,
    pub coupon_id: i64,
    pub code: String,
    pub normal: String,
    pub customer_email: Option<String>,
    pub first_time_transaction: bool,
    pub minimum_amount: Option<i64>,
    pub minimum_amount_currency: Option<String>,
    pub expires_at: Option<NaiveDateTime>,
    pub max_redemptions: Option<i64>,
    pub times_redeemed: i64,
    pub active: bool,
    pub deleted_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub velocity_limit: Option<i64>,
    pub velocity_window: Option<String>,
    pub paused_at: Option<NaiveDateTime>,
    /// The code this one replaced when it was rotated.
    pub rotated_from_id: Option<i64>,
}

impl PromoRow {
    pub fn velocity(&self) -> Option<Velocity> {
        Velocity::from_stored(self.velocity_limit, self.velocity_window.as_deref())
    }
}

/// A promotion code with the coupon it points at.
#[derive(Debug, Clone)]
pub struct Promotion {
    pub row: PromoRow,
    pub coupon: Coupon,
}

impl Promotion {
    pub fn id(&self) -> PromotionCodeId {
        PromotionCodeId(self.row.id)
    }

    pub fn facts(&self, now: NaiveDateTime) -> PromoFacts {
        let coupon_state = self.coupon.state(now);
        PromoFacts {
            active: self.row.active,
            paused: self.row.paused_at.is_some(),
            expires_at: self.row.expires_at,
            times_redeemed: self.row.times_redeemed,
            max_redemptions: self.row.max_redemptions,
            coupon_deleted: self.coupon.deleted_at.is_some(),
            coupon_redeemable: coupon_state == crate::domain::states::CouponState::Active,
        }
    }

    pub fn state(&self, now: NaiveDateTime) -> PromoState {
        self.facts(now).state(now)
    }
}

/// Loads the coupons of `rows` and pairs them up.
fn with_coupons(
    conn: &mut Conn,
    store: StoreId,
    rows: Vec<PromoRow>,
) -> QueryResult<Vec<Promotion>> {
    let mut ids: Vec<i64> = rows.iter().map(|r| r.coupon_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let coupons = crate::db::coupons::find_many(conn, store, &ids)?;
    rows.into_iter()
        .map(|row| {
            let coupon = coupons
                .iter()
                .find(|c| c.id.0 == row.coupon_id)
                .cloned()
                .ok_or(DbError::NotFound)?;
            Ok(Promotion { row, coupon })
        })
        .collect()
}

/// A promotion code of the store that is not deleted (hidden).
pub fn find(conn: &mut Conn, store: StoreId, id: PromotionCodeId) -> QueryResult<Promotion> {
    let row: PromoRow = promotion_codes::table
        .filter(promotion_codes::store_id.eq(store))
        .filter(promotion_codes::id.eq(id))
        .filter(promotion_codes::deleted_at.is_null())
        .select(PromoRow::as_select())
        .first_row(conn)?;
    with_coupons(conn, store, vec![row])?
        .pop()
        .ok_or(DbError::NotFound)
}

/// `(id, code)` of a promotion code of the store, deleted ones included.
pub fn code_of(
    conn: &mut Conn,
    store: StoreId,
    id: PromotionCodeId,
) -> QueryResult<Option<(i64, String)>> {
    promotion_codes::table
        .filter(promotion_codes::store_id.eq(store))
        .filter(promotion_codes::id.eq(id))
        .select((promotion_codes::id, promotion_codes::code))
        .first_row(conn)
        .optional()
}

/// The codes of one coupon, newest first (for the coupon's page).
pub fn for_coupon(
    conn: &mut Conn,
    store: StoreId,
    coupon: CouponId,
) -> QueryResult<Vec<Promotion>> {
    let rows: Vec<PromoRow> = promotion_codes::table
        .filter(promotion_codes::store_id.eq(store))
        .filter(promotion_codes::coupon_id.eq(coupon))
        .filter(promotion_codes::deleted_at.is_null())
        .select(PromoRow::as_select())
        .order(promotion_codes::id.desc())
        .limit(200)
        .load(conn)?;
    with_coupons(conn, store, rows)
}

pub fn events(conn: &mut Conn, id: PromotionCodeId) -> QueryResult<Vec<Event>> {
    let rows: Vec<EventRow> = promotion_code_events::table
        .left_join(users::table)
        .left_join(api_keys::table)
        .filter(promotion_code_events::promotion_code_id.eq(id))
        .select((
            promotion_code_events::created_at,
            users::email.nullable(),
            api_keys::name.nullable(),
            promotion_code_events::action,
            promotion_code_events::detail,
        ))
        .order(promotion_code_events::id.desc())
        .load(conn)?;
    Ok(rows.into_iter().map(Event::from).collect())
}
