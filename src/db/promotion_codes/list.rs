//! The promotion code list: filters by state and coupon, search by normal
//! form prefix, keyset pagination (newest first, or by code when searching).

use super::redeemable::{not_exhausted, not_expired, usable, working};
use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{PromoRow, Promotion, with_coupons};
use crate::db::Conn;
use crate::db::FirstRow;
use crate::db::paging::{Cursor, Page, Sort, SortKey, numbered, page};
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
    /// A column order chosen by the merchant (pages by number, `cursor` is
    /// not used); `None`: newest first, or by code when searching.
    pub sort: Option<Sort>,
}

pub type PromoListPage = Page<Promotion>;

type Backend = <Conn as diesel::Connection>::Backend;

/// The list's query, boxed so that filters can be added one by one.
type Boxed = diesel::dsl::IntoBoxed<
    'static,
    diesel::dsl::Select<
        diesel::dsl::InnerJoin<promotion_codes::table, coupons::table>,
        diesel::dsl::AsSelect<PromoRow, Backend>,
    >,
    Backend,
>;

/// The store's live promotion codes that match the query's state, coupon
/// and search, unordered.
fn filtered(store: StoreId, q: &PromoListQuery, now: NaiveDateTime) -> Boxed {
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
    if let Some(prefix) = q.prefix.as_deref().filter(|p| !p.is_empty()) {
        let high = format!("{prefix}\u{7f}");
        query = query
            .filter(promotion_codes::normal.ge(prefix.to_string()))
            .filter(promotion_codes::normal.lt(high));
    }
    query
}

/// A search no stored code can match: one with control characters.
fn impossible(q: &PromoListQuery) -> bool {
    q.prefix
        .as_deref()
        .is_some_and(crate::domain::text::has_control)
}

/// How many of the store's promotion codes the query's filters match.
pub fn count(
    conn: &mut Conn,
    store: StoreId,
    q: &PromoListQuery,
    now: NaiveDateTime,
) -> QueryResult<i64> {
    if impossible(q) {
        return Ok(0);
    }
    filtered(store, q, now).count().get_result(conn)
}

/// One page of promotion codes in a chosen order, ties broken by id;
/// unlimited codes after limited ones and codes without an expiry after
/// those with one (ascending; the other way round descending).
fn sorted(conn: &mut Conn, query: Boxed, sort: Sort, limit: i64) -> QueryResult<Vec<PromoRow>> {
    use promotion_codes as p;
    let query = query.offset(sort.page * limit).limit(limit + 1);
    let remaining = p::max_redemptions - p::times_redeemed.nullable();
    let query = match (sort.key, sort.ascending) {
        (SortKey::Code, true) => query.order((p::normal.asc(), p::id.asc())),
        (SortKey::Code, false) => query.order((p::normal.desc(), p::id.desc())),
        (SortKey::Created, true) => query.order(p::id.asc()),
        (SortKey::Created, false) => query.order(p::id.desc()),
        (SortKey::Used, true) => query.order((p::times_redeemed.asc(), p::id.asc())),
        (SortKey::Used, false) => query.order((p::times_redeemed.desc(), p::id.desc())),
        (SortKey::Remaining, true) => query.order((
            p::max_redemptions.is_null().asc(),
            remaining.asc(),
            p::id.asc(),
        )),
        (SortKey::Remaining, false) => query.order((
            p::max_redemptions.is_null().desc(),
            remaining.desc(),
            p::id.desc(),
        )),
        (SortKey::Expiry, true) => query.order((
            p::expires_at.is_null().asc(),
            p::expires_at.asc(),
            p::id.asc(),
        )),
        (SortKey::Expiry, false) => query.order((
            p::expires_at.is_null().desc(),
            p::expires_at.desc(),
            p::id.desc(),
        )),
    };
    query.load(conn)
}

/// One page of the store's promotion codes matching the query: newest
/// first by keyset, by code when searching, or in a chosen order by page.
pub fn list(
    conn: &mut Conn,
    store: StoreId,
    q: &PromoListQuery,
    now: NaiveDateTime,
) -> QueryResult<PromoListPage> {
    if impossible(q) {
        return Ok(Page::empty());
    }
    let query = filtered(store, q, now);
    if let Some(sort) = q.sort {
        let rows = sorted(conn, query, sort, q.limit)?;
        return numbered(rows, q.limit, sort).try_map(|rows| with_coupons(conn, store, rows));
    }
    let fetch = q.limit + 1;
    let searching = q.prefix.as_deref().is_some_and(|p| !p.is_empty());
    let mut cursor = q.cursor;
    let rows: Vec<PromoRow> = if searching {
        let key = match q.cursor {
            Cursor::First => None,
            Cursor::Next(id) | Cursor::Prev(id) => promotion_codes::table
                .filter(promotion_codes::store_id.eq(store))
                .filter(promotion_codes::id.eq(id))
                .select(promotion_codes::normal)
                .first_row::<String>(conn)
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
