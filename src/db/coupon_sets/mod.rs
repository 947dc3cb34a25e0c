//! Coupon sets and their single-use codes: the rows and reads here, writes
//! (create, add, delete, archive with the coupon) in `write`, the code
//! generator in `generate`.

mod bulk;
pub mod generate;
mod write;

pub use write::{
    Holder, ImportCode, ImportReport, SetWriteError, add_codes, archive_codes_of_coupon, create,
    delete, import, last_code_id,
};

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::FirstRow;
use crate::domain::status::{SetCodeState, SetStatus};

use super::Conn;
use super::paging::{Cursor, Page, page};
use super::schema::{coupon_sets, set_codes};
use crate::domain::ids::{CouponId, CouponSetId, StoreId};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = coupon_sets)]
pub struct SetRow {
    pub id: i64,
    pub coupon_id: i64,
    pub name: String,
    pub prefix: String,
    pub code_length: i64,
    #[diesel(deserialize_as = String)]
    pub status: SetStatus,
    pub generation: i64,
    pub requested: i64,
    pub generated: i64,
    pub error: Option<String>,
    pub total_codes: i64,
    pub used_codes: i64,
    pub archived_codes: i64,
    pub created_at: NaiveDateTime,
}

impl SetRow {
    pub fn id(&self) -> CouponSetId {
        CouponSetId(self.id)
    }

    pub fn unused_codes(&self) -> i64 {
        self.total_codes - self.used_codes - self.archived_codes
    }

    pub fn generating(&self) -> bool {
        self.status == SetStatus::Generating
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = set_codes)]
pub struct CodeRow {
    pub id: i64,
    pub code: String,
    #[diesel(deserialize_as = String)]
    pub state: SetCodeState,
    pub used_at: Option<NaiveDateTime>,
    pub order_id: Option<i64>,
}

/// A set of the store that is not deleted.
pub fn find(conn: &mut Conn, store: StoreId, id: CouponSetId) -> QueryResult<SetRow> {
    coupon_sets::table
        .filter(coupon_sets::store_id.eq(store))
        .filter(coupon_sets::id.eq(id))
        .filter(coupon_sets::deleted_at.is_null())
        .select(SetRow::as_select())
        .first_row(conn)
}

/// The store's sets, newest first.
pub fn list(conn: &mut Conn, store: StoreId) -> QueryResult<Vec<SetRow>> {
    coupon_sets::table
        .filter(coupon_sets::store_id.eq(store))
        .filter(coupon_sets::deleted_at.is_null())
        .select(SetRow::as_select())
        .order(coupon_sets::id.desc())
        .load(conn)
}

/// A set with its coupon's code and the uses the coupon has left (`None`:
/// no limit).
pub struct LabelledSet {
    pub set: SetRow,
    pub coupon_code: String,
    pub coupon_remaining: Option<i64>,
}

/// The store's sets, newest first, each with its coupon (joined by id).
pub fn list_labelled(conn: &mut Conn, store: StoreId) -> QueryResult<Vec<LabelledSet>> {
    use crate::db::schema::coupons;
    let rows: Vec<(SetRow, String, Option<i64>, i64)> = coupon_sets::table
        .inner_join(coupons::table)
        .filter(coupon_sets::store_id.eq(store))
        .filter(coupon_sets::deleted_at.is_null())
        .select((
            SetRow::as_select(),
            coupons::code,
            coupons::max_redemptions,
            coupons::times_redeemed,
        ))
        .order(coupon_sets::id.desc())
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(set, coupon_code, max, times)| LabelledSet {
            set,
            coupon_code,
            coupon_remaining: max.map(|m| (m - times).max(0)),
        })
        .collect())
}

/// The sets of one coupon.
pub fn for_coupon(conn: &mut Conn, coupon: CouponId) -> QueryResult<Vec<SetRow>> {
    coupon_sets::table
        .filter(coupon_sets::coupon_id.eq(coupon))
        .filter(coupon_sets::deleted_at.is_null())
        .select(SetRow::as_select())
        .order(coupon_sets::id.desc())
        .load(conn)
}

/// One page of a set's codes in id order, optionally those whose normal form
/// contains `search` (anywhere: a merchant may remember any part of it).
pub fn codes(
    conn: &mut Conn,
    store: StoreId,
    set: CouponSetId,
    search: Option<&str>,
    state: Option<&str>,
    cursor: Cursor,
    limit: i64,
) -> QueryResult<Page<CodeRow>> {
    // A normal form holds letters and digits only (generated or imported):
    // anything else matches no code, and never reaches LIKE as a wildcard.
    if search.is_some_and(|s| !s.chars().all(|c| c.is_ascii_alphanumeric())) {
        return Ok(Page::empty());
    }
    let mut query = set_codes::table
        .filter(set_codes::store_id.eq(store))
        .filter(set_codes::set_id.eq(set))
        .select(CodeRow::as_select())
        .into_boxed::<<Conn as diesel::Connection>::Backend>();
    if let Some(state) = state {
        query = query.filter(set_codes::state.eq(state.to_string()));
    }
    if let Some(search) = search.filter(|s| !s.is_empty()) {
        query = query.filter(set_codes::normal.like(format!("%{search}%")));
    }
    let fetch = limit + 1;
    let rows = match cursor {
        Cursor::First => query.order(set_codes::id.asc()).limit(fetch).load(conn)?,
        Cursor::Next(id) => query
            .filter(set_codes::id.gt(id))
            .order(set_codes::id.asc())
            .limit(fetch)
            .load(conn)?,
        Cursor::Prev(id) => query
            .filter(set_codes::id.lt(id))
            .order(set_codes::id.desc())
            .limit(fetch)
            .load(conn)?,
    };
    Ok(page(rows, limit, cursor))
}

/// Up to `limit` codes of a set after id `after`, for the CSV export.
pub fn export_chunk(
    conn: &mut Conn,
    set: CouponSetId,
    after: i64,
    limit: i64,
) -> QueryResult<Vec<CodeRow>> {
    set_codes::table
        .filter(set_codes::set_id.eq(set))
        .filter(set_codes::id.gt(after))
        .select(CodeRow::as_select())
        .order(set_codes::id.asc())
        .limit(limit)
        .load(conn)
}

/// The code of `set` whose normal form is `normal`, by the store's unique
/// (store, normal) index; `None` for a text no code can have.
pub fn code_by_normal(
    conn: &mut Conn,
    store: StoreId,
    set: CouponSetId,
    normal: &str,
) -> QueryResult<Option<CodeRow>> {
    if normal.is_empty() || !normal.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Ok(None);
    }
    set_codes::table
        .filter(set_codes::store_id.eq(store))
        .filter(set_codes::normal.eq(normal))
        .filter(set_codes::set_id.eq(set))
        .select(CodeRow::as_select())
        .first_row(conn)
        .optional()
}

/// Set code `id` of the store and its set's id (a deleted set's codes
/// too: orders keep pointing at them).
pub fn code_by_id(conn: &mut Conn, store: StoreId, id: i64) -> QueryResult<Option<(i64, String)>> {
    set_codes::table
        .filter(set_codes::store_id.eq(store))
        .filter(set_codes::id.eq(id))
        .select((set_codes::set_id, set_codes::code))
        .first_row(conn)
        .optional()
}

/// The set a set code belongs to.
pub fn set_of_code(conn: &mut Conn, code: i64) -> QueryResult<Option<i64>> {
    use crate::db::schema::set_codes;
    set_codes::table
        .filter(set_codes::id.eq(code))
        .select(set_codes::set_id)
        .first_row(conn)
        .optional()
}
