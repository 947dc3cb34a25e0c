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

/// Order `id` of the store, with its lines.
pub fn find(conn: &mut Conn, store: &Store, id: OrderId) -> Result<Order, DbError> {
    db::orders::find(conn, store.id(), id)
}
