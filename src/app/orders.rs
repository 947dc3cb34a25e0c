//! Orders as staff and the API read them (placing one is `checkout`).

use crate::db::orders::{ListedOrder, Order, OrderFilter};
use crate::db::paging::{Cursor, Page};
use crate::db::stores::Store;
use crate::db::{self, Conn, DbError};
use crate::domain::ids::OrderId;

/// One page of the store's orders, newest first.
pub fn list(
    conn: &mut Conn,
    store: &Store,
    filter: OrderFilter,
    cursor: Cursor,
    limit: i64,
) -> Result<Page<ListedOrder>, DbError> {
    db::orders::list(conn, store.id(), filter, cursor, limit)
}

/// A page of the orders list with its own filters (status, code, dates).
pub fn search(
    conn: &mut Conn,
    store: &Store,
    filter: OrderFilter,
    narrow: &crate::db::orders::Narrow,
    cursor: Cursor,
    limit: i64,
) -> Result<Page<ListedOrder>, DbError> {
    db::orders::list_narrowed(conn, store.id(), filter, narrow, cursor, limit)
}

/// Order `id` of the store, with its lines.
pub fn find(conn: &mut Conn, store: &Store, id: OrderId) -> Result<Order, DbError> {
    db::orders::find(conn, store.id(), id)
}

/// The store's latest refused checkouts, for staff.
pub fn attempts(
    conn: &mut Conn,
    store: &Store,
    limit: i64,
) -> Result<Vec<crate::db::orders::Attempt>, DbError> {
    db::orders::attempts(conn, store.id(), limit)
}

/// A receipt: store `slug` and its order with this public id.
pub fn receipt(conn: &mut Conn, slug: &str, public_id: &str) -> Result<(Store, Order), DbError> {
    let store = db::stores::find_by_slug(conn, slug)?;
    let order = db::orders::find_public(conn, store.id(), public_id)?;
    Ok((store, order))
}
