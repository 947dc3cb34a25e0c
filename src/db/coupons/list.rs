//! The coupon list: filters by state and code prefix, keyset pagination.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::redeemable::{not_expired, redeemable, started};
use super::{Coupon, Row, to_coupons};
use crate::db::Conn;
use crate::db::FirstRow;
use crate::db::paging::{Cursor, Page, numbered, page};
pub use crate::db::paging::{Sort, SortKey};
use crate::db::schema::coupons;
use crate::db::upper;
use crate::domain::ids::StoreId;
use crate::domain::states::CouponState;

#[derive(Debug, Clone)]
pub struct ListQuery {
    pub state: Option<CouponState>,
    /// A code prefix, matched ignoring case.
    pub prefix: Option<String>,
    pub cursor: Cursor,
    pub limit: i64,
    /// A column order chosen by the merchant (pages by number, `cursor` is
    /// not used); `None`: newest first, or by code when searching.
    pub sort: Option<Sort>,
}

/// One page of coupons in a chosen order: ties broken by id, unlimited
/// coupons after limited ones and coupons without an end after those with
/// one (ascending; the other way round descending), on both databases.
fn sorted(
    conn: &mut Conn,
    query: coupons::BoxedQuery<'static, Backend, diesel::dsl::AsSelect<Row, Backend>>,
    sort: Sort,
    limit: i64,
) -> QueryResult<ListPage> {
    let query = query.offset(sort.page * limit).limit(limit + 1);
    let remaining = coupons::max_redemptions - coupons::times_redeemed.nullable();
    let query = match (sort.key, sort.ascending) {
        (SortKey::Code, true) => query.order((upper(coupons::code).asc(), coupons::id.asc())),
        (SortKey::Code, false) => query.order((upper(coupons::code).desc(), coupons::id.desc())),
        (SortKey::Created, true) => query.order(coupons::id.asc()),
        (SortKey::Created, false) => query.order(coupons::id.desc()),
        (SortKey::Used, true) => query.order((coupons::times_redeemed.asc(), coupons::id.asc())),
        (SortKey::Used, false) => query.order((coupons::times_redeemed.desc(), coupons::id.desc())),
        (SortKey::Remaining, true) => query.order((
            coupons::max_redemptions.is_null().asc(),
            remaining.asc(),
            coupons::id.asc(),
        )),
        (SortKey::Remaining, false) => query.order((
            coupons::max_redemptions.is_null().desc(),
            remaining.desc(),
            coupons::id.desc(),
        )),
        (SortKey::Expiry, true) => query.order((
            coupons::redeem_by.is_null().asc(),
            coupons::redeem_by.asc(),
            coupons::id.asc(),
        )),
        (SortKey::Expiry, false) => query.order((
            coupons::redeem_by.is_null().desc(),
            coupons::redeem_by.desc(),
            coupons::id.desc(),
        )),
    };
    let rows: Vec<Row> = query.load(conn)?;
    numbered(rows, limit, sort).try_map(to_coupons)
}

/// One page of the list.
pub type ListPage = Page<Coupon>;

type Backend = <Conn as diesel::Connection>::Backend;

/// The store's coupons that match the query's state and search, unordered.
fn filtered(
    store: StoreId,
    q: &ListQuery,
    now: NaiveDateTime,
) -> coupons::BoxedQuery<'static, Backend, diesel::dsl::AsSelect<Row, Backend>> {
    let mut query: coupons::BoxedQuery<'static, Backend, _> = coupons::table
        .filter(coupons::store_id.eq(store))
        .select(Row::as_select())
        .into_boxed();
    query = match q.state {
        Some(CouponState::Deleted) => query.filter(coupons::deleted_at.is_not_null()),
        _ => query.filter(coupons::deleted_at.is_null()),
    };
    // The same conditions as the redemption's UPDATE (see `redeemable`).
    let (started, not_expired) = (started(now), not_expired(now));
    query = match q.state {
        None | Some(CouponState::Deleted) => query,
        Some(CouponState::Archived) => query.filter(coupons::archived_at.is_not_null()),
        Some(CouponState::Paused) => query
            .filter(coupons::archived_at.is_null())
            .filter(coupons::paused_at.is_not_null()),
        Some(live) => {
            let query = query
                .filter(coupons::archived_at.is_null())
                .filter(coupons::paused_at.is_null());
            match live {
                CouponState::Scheduled => query.filter(coupons::starts_at.gt(now)),
                CouponState::Expired => query.filter(started).filter(coupons::redeem_by.le(now)),
                CouponState::Exhausted => query
                    .filter(started)
                    .filter(not_expired)
                    .filter(coupons::times_redeemed.ge(coupons::max_redemptions.assume_not_null())),
                _ => query.filter(redeemable(now)),
            }
        }
    };
    if let Some(prefix) = q.prefix.as_deref().filter(|p| !p.is_empty()) {
        // A code that starts with it, or a name that contains it (both
        // ignoring case).
        let low = prefix.to_uppercase();
        let high = format!("{low}\u{7f}");
        let contains = format!("%{low}%");
        query = query.filter(
            upper(coupons::code)
                .ge(low)
                .and(upper(coupons::code).lt(high))
                .or(upper(coupons::name.assume_not_null()).like(contains)),
        );
    }
    query
}

/// How many of the store's coupons match the query's state and search.
pub fn count(
    conn: &mut Conn,
    store: StoreId,
    q: &ListQuery,
    now: NaiveDateTime,
) -> QueryResult<i64> {
    if q.prefix
        .as_deref()
        .is_some_and(crate::domain::text::has_control)
    {
        return Ok(0);
    }
    filtered(store, q, now).count().get_result(conn)
}

/// The store's coupons matching the query, one page, by keyset: newest first
/// (on the id), or by code when searching by code prefix.
pub fn list(
    conn: &mut Conn,
    store: StoreId,
    q: &ListQuery,
    now: NaiveDateTime,
) -> QueryResult<ListPage> {
    if q.prefix
        .as_deref()
        .is_some_and(crate::domain::text::has_control)
    {
        return Ok(Page::empty());
    }
    let query = filtered(store, q, now);
    if let Some(sort) = q.sort {
        return sorted(conn, query, sort, q.limit);
    }
    let fetch = q.limit + 1;
    let searching = q.prefix.as_deref().is_some_and(|p| !p.is_empty());
    let mut cursor = q.cursor;
    let rows: Vec<Row> = if searching {
        // By code, so the code index gives the order and a short prefix that
        // matches most coupons still reads only one page.
        let key = match q.cursor {
            Cursor::First => None,
            Cursor::Next(id) | Cursor::Prev(id) => coupons::table
                .filter(coupons::store_id.eq(store))
                .filter(coupons::id.eq(id))
                .select(upper(coupons::code))
                .first_row::<String>(conn)
                .optional()?
                .map(|code| (code, id)),
        };
        let by_code = upper(coupons::code);
        match (q.cursor, key) {
            (Cursor::Next(_), Some((code, id))) => query
                .filter(by_code.ge(code.clone()))
                .filter(by_code.gt(code).or(coupons::id.gt(id)))
                .order((by_code.asc(), coupons::id.asc()))
                .limit(fetch)
                .load(conn)?,
            (Cursor::Prev(_), Some((code, id))) => query
                .filter(by_code.le(code.clone()))
                .filter(by_code.lt(code).or(coupons::id.lt(id)))
                .order((by_code.desc(), coupons::id.desc()))
                .limit(fetch)
                .load(conn)?,
            _ => {
                // No cursor, or one that names no row: the first page.
                cursor = Cursor::First;
                query
                    .order((by_code.asc(), coupons::id.asc()))
                    .limit(fetch)
                    .load(conn)?
            }
        }
    } else {
        match q.cursor {
            Cursor::First => query.order(coupons::id.desc()).limit(fetch).load(conn)?,
            Cursor::Next(id) => query
                .filter(coupons::id.lt(id))
                .order(coupons::id.desc())
                .limit(fetch)
                .load(conn)?,
            Cursor::Prev(id) => query
                .filter(coupons::id.gt(id))
                .order(coupons::id.asc())
                .limit(fetch)
                .load(conn)?,
        }
    };
    page(rows, q.limit, cursor).try_map(to_coupons)
}

/// A coupon offered by a picker.
#[derive(Debug, Clone)]
pub struct Choice {
    pub id: i64,
    pub code: String,
    pub name: Option<String>,
    /// "25% off, once": its discount and duration.
    pub terms: String,
    /// Uses left, `None` when unlimited.
    pub remaining: Option<i64>,
}

/// Up to `limit` live coupons of the store, by code, whose code starts
/// with `q` or whose name contains it (both ignoring case); and
/// `selected`, wherever it is in that order. The code index gives the
/// order, so a search stops at its first `limit` matches.
pub fn choices(
    conn: &mut Conn,
    store: StoreId,
    q: &str,
    selected: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<Choice>> {
    let live = || {
        coupons::table
            .filter(coupons::store_id.eq(store))
            .filter(coupons::deleted_at.is_null())
            .select(Row::as_select())
            .into_boxed::<Backend>()
    };
    let q = q.trim().to_uppercase();
    let mut query = live();
    if !q.is_empty() {
        let high = format!("{q}\u{7f}");
        let contains = format!("%{q}%");
        query = query.filter(
            upper(coupons::code)
                .ge(q.clone())
                .and(upper(coupons::code).lt(high))
                .or(upper(coupons::name.assume_not_null()).like(contains)),
        );
    }
    // No stored text holds a control character (PostgreSQL cannot even
    // compare against a NUL): such a search finds nothing but the chosen.
    let mut rows: Vec<Row> = if crate::domain::text::has_control(&q) {
        Vec::new()
    } else {
        query.order(coupons::code.asc()).limit(limit).load(conn)?
    };
    if let Some(id) = selected
        && !rows.iter().any(|r| r.id == id)
    {
        let chosen: Vec<Row> = live().filter(coupons::id.eq(id)).load(conn)?;
        rows.extend(chosen);
        rows.sort_by(|a, b| a.code.cmp(&b.code));
    }
    Ok(to_coupons(rows)?
        .into_iter()
        .map(|c| Choice {
            id: c.id.0,
            terms: format!("{}, {}", c.discount.describe(), c.duration.describe()),
            remaining: c.facts().remaining(),
            code: c.code,
            name: c.name,
        })
        .collect())
}
