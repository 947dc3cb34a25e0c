//! The promotion code list: filters by state and coupon, search by normal
//! form prefix, keyset pagination (newest first, or by code when searching).

use super::redeemable::{not_exhausted, not_expired, usable, working};
use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{PromoRow, Promotion, with_coupons};
use crate::db::Conn;
use crate::db::paging::{Cursor, Page, page};
use crate::db::schema::{coupons, promotion_codes};
use crate::domain::ids::{CouponId, StoreId};
use crate::domain::promotion::PromoState;

#[derive(Debug, Clone)]
pub struct PromoListQuery {
    pub state: Option<PromoState>,
    pub coupon: Option<CouponId>,
    /// A prefix of the normal form.
    pub prefix: Option<String>,
    pub cursor: Cursor,
    pub limit: i64,
}

pub type PromoListPage = Page<Promotion>;

type Backend = <Conn as diesel::Connection>::Backend;

pub fn list(
    conn: &mut Conn,
    store: StoreId,
    q: &PromoListQuery,
    now: NaiveDateTime,
) -> QueryResult<PromoListPage> {
    if q.prefix
        .as_deref()
        .is_some_and(crate::domain::text::has_control)
    {
        return Ok(Page::empty());
    }
    let mut query = promotion_codes::table
        .inner_join(coupons::table)
        .filter(promotion_codes::store_id.eq(store))
        .filter(promotion_codes::deleted_at.is_null())
        .select(PromoRow::as_select())
        .into_boxed::<Backend>();
    if let Some(coupon) = q.coupon {
        query = query.filter(promotion_codes::coupon_id.eq(coupon));
    }
    let coupon_deleted = coupons::deleted_at.is_not_null();
    let expired = promotion_codes::expires_at.le(now);
    // The same conditions as the redemption's UPDATEs (see `redeemable`).
    let (not_expired, not_exhausted) = (not_expired(now), not_exhausted());
    let exhausted =
        promotion_codes::times_redeemed.ge(promotion_codes::max_redemptions.assume_not_null());
    let coupon_broken = coupons::archived_at
        .is_not_null()
        .or(coupons::starts_at.gt(now))
        .or(coupons::redeem_by.le(now))
        .or(coupons::paused_at.is_not_null())
        .or(coupons::times_redeemed.ge(coupons::max_redemptions.assume_not_null()));
    query = match q.state {
        None => query,
        Some(PromoState::CouponInvalid) => query.filter(
            coupon_deleted.or(not_expired
                .and(not_exhausted)
                .and(promotion_codes::active.eq(true))
                .and(coupon_broken)),
        ),
        Some(state) => {
            let query = query.filter(coupons::deleted_at.is_null());
            match state {
                PromoState::Expired => query.filter(expired),
                PromoState::Exhausted => query.filter(not_expired).filter(exhausted),
                PromoState::Inactive => query
                    .filter(not_expired)
                    .filter(not_exhausted)
                    .filter(promotion_codes::active.eq(false)),
                PromoState::Paused => query
                    .filter(working(now))
                    .filter(promotion_codes::paused_at.is_not_null())
                    .filter(crate::db::coupons::redeemable::redeemable(now)),
                _ => query
                    .filter(usable(now))
                    .filter(crate::db::coupons::redeemable::redeemable(now)),
            }
        }
    };
    let fetch = q.limit + 1;
    let searching = q.prefix.as_deref().is_some_and(|p| !p.is_empty());
    let mut cursor = q.cursor;
    let rows: Vec<PromoRow> = if let Some(prefix) = q.prefix.as_deref().filter(|_| searching) {
        let high = format!("{prefix}\u{7f}");
        query = query
            .filter(promotion_codes::normal.ge(prefix.to_string()))
            .filter(promotion_codes::normal.lt(high));
        let key = match q.cursor {
            Cursor::First => None,
            Cursor::Next(id) | Cursor::Prev(id) => promotion_codes::table
                .filter(promotion_codes::store_id.eq(store))
                .filter(promotion_codes::id.eq(id))
                .select(promotion_codes::normal)
                .first::<String>(conn)
                .optional()?
                .map(|normal| (normal, id)),
        };
        match (q.cursor, key) {
            (Cursor::Next(_), Some((normal, id))) => query
                .filter(promotion_codes::normal.ge(normal.clone()))
                .filter(
                    promotion_codes::normal
                        .gt(normal)
                        .or(promotion_codes::id.gt(id)),
                )
                .order((promotion_codes::normal.asc(), promotion_codes::id.asc()))
                .limit(fetch)
                .load(conn)?,
            (Cursor::Prev(_), Some((normal, id))) => query
                .filter(promotion_codes::normal.le(normal.clone()))
                .filter(
                    promotion_codes::normal
                        .lt(normal)
                        .or(promotion_codes::id.lt(id)),
                )
                .order((promotion_codes::normal.desc(), promotion_codes::id.desc()))
                .limit(fetch)
                .load(conn)?,
            _ => {
                // No cursor, or one that names no row: the first page.
                cursor = Cursor::First;
                query
                    .order((promotion_codes::normal.asc(), promotion_codes::id.asc()))
                    .limit(fetch)
                    .load(conn)?
            }
        }
    } else {
        match q.cursor {
            Cursor::First => query
                .order(promotion_codes::id.desc())
                .limit(fetch)
                .load(conn)?,
            Cursor::Next(id) => query
                .filter(promotion_codes::id.lt(id))
                .order(promotion_codes::id.desc())
                .limit(fetch)
                .load(conn)?,
            Cursor::Prev(id) => query
                .filter(promotion_codes::id.gt(id))
                .order(promotion_codes::id.asc())
                .limit(fetch)
                .load(conn)?,
        }
    };
    page(rows, q.limit, cursor).try_map(|rows| with_coupons(conn, store, rows))
}
