//! Orders: the stored row and its reads here; placing an order (the
//! redemption transaction) in `place`; refunds in `refund`.

mod place;
mod refund;

pub use place::{NewOrder, PlaceError, Then, place, record_attempt};
pub use refund::refund;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::Conn;
use super::paging::{Cursor, Page, page};
use super::schema::{checkout_attempts, customers, order_lines, orders, set_codes, users};
use crate::db::{Cache, FirstRow};
use crate::domain::ids::{CouponId, CouponSetId, CustomerId, OrderId, PromotionCodeId, StoreId};
use crate::domain::status::OrderStatus;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = orders)]
pub struct OrderRow {
    pub id: i64,
    pub public_id: String,
    pub customer_id: i64,
    pub currency: String,
    pub subtotal: i64,
    pub discount: i64,
    pub total: i64,
    pub code: Option<String>,
    pub coupon_id: Option<i64>,
    pub promotion_code_id: Option<i64>,
    pub set_code_id: Option<i64>,
    pub discount_text: String,
    pub schedule: String,
    #[diesel(deserialize_as = String)]
    pub status: OrderStatus,
    pub refunded_at: Option<NaiveDateTime>,
    pub refunded_by: Option<i64>,
    pub created_at: NaiveDateTime,
    pub external_id: Option<String>,
    pub metadata: Option<String>,
}

impl OrderRow {
    pub fn id(&self) -> OrderId {
        OrderId(self.id)
    }

    pub fn refunded(&self) -> bool {
        self.status == OrderStatus::Refunded
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = order_lines)]
pub struct LineRow {
    pub product_id: i64,
    pub name: String,
    pub unit_price: i64,
    pub quantity: i64,
    pub amount: i64,
    pub billing: String,
}

/// An order with its lines, its customer's email and who refunded it.
#[derive(Debug, Clone)]
pub struct Order {
    pub row: OrderRow,
    pub email: String,
    pub lines: Vec<LineRow>,
    pub refunded_by: Option<String>,
}

fn with_lines(conn: &mut Conn, row: OrderRow) -> QueryResult<Order> {
    let lines = order_lines::table
        .filter(order_lines::order_id.eq(row.id))
        .select(LineRow::as_select())
        .order(order_lines::id.asc())
        .load(conn)?;
    let email = customers::table
        .filter(customers::id.eq(row.customer_id))
        .select(customers::email)
        .first_row(conn)?;
    let refunded_by = match row.refunded_by {
        Some(user) => users::table
            .filter(users::id.eq(user))
            .select(users::email)
            .first_row(conn)
            .optional()?,
        None => None,
    };
    Ok(Order {
        row,
        email,
        lines,
        refunded_by,
    })
}

/// An order by its unguessable public id (the receipt).
pub fn find_public(conn: &mut Conn, store: StoreId, public_id: &str) -> QueryResult<Order> {
    let row = orders::table
        .filter(orders::store_id.eq(store))
        .filter(orders::public_id.eq(public_id))
        .select(OrderRow::as_select())
        .first_row(conn)?;
    with_lines(conn, row)
}

/// An order of the store (staff pages).
/// The order row alone (no lines).
pub fn find_row(conn: &mut Conn, store: StoreId, id: OrderId) -> QueryResult<OrderRow> {
    let query = orders::table
        .filter(orders::store_id.eq(store))
        .filter(orders::id.eq(id));
    // Read for each API rollback and checkout answer: found in the
    // statement cache by its site, its SQL is not built again each time.
    crate::on_backend!(conn, c => query
        .select(OrderRow::as_select())
        .cached_at(crate::site!())
        .get_result(c))
}

/// The order rows among `ids` of the store (those that exist, in no
/// particular order), in one statement whatever their number: a webhook
/// dispatch reads the orders of a batch of `redemption.*` events with it
/// rather than one by one (on PostgreSQL one round trip each). The list is
/// a bound array on PostgreSQL and a JSON array on SQLite, so the SQL text
/// is always the same.
pub fn find_rows(conn: &mut Conn, store: StoreId, ids: &[i64]) -> QueryResult<Vec<OrderRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mine = orders::table.filter(orders::store_id.eq(store));
    match conn {
        Conn::Postgres(c) => mine
            .filter(orders::id.eq_any(ids))
            .select(OrderRow::as_select())
            .cached_at(crate::site!())
            .load(c),
        Conn::Sqlite(c) => {
            let list = serde_json::Value::from(ids).to_string();
            mine.filter(
                diesel::dsl::sql::<diesel::sql_types::Bool>(
                    "orders.id IN (SELECT value FROM json_each(",
                )
                .bind::<diesel::sql_types::Text, _>(list)
                .sql("))"),
            )
            .select(OrderRow::as_select())
            .cached_at(crate::site!())
            .load(c)
        }
    }
}

pub fn find(conn: &mut Conn, store: StoreId, id: OrderId) -> QueryResult<Order> {
    let row = orders::table
        .filter(orders::store_id.eq(store))
        .filter(orders::id.eq(id))
        .select(OrderRow::as_select())
        .first_row(conn)?;
    with_lines(conn, row)
}

/// Which orders a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderFilter {
    All,
    Coupon(CouponId),
    Promotion(PromotionCodeId),
    Set(CouponSetId),
    Customer(CustomerId),
}

/// A row of an order list: the order and its customer's email.
pub type ListedOrder = (OrderRow, String);

/// The orders list's own filters, on top of an `OrderFilter`.
#[derive(Debug, Clone, Default)]
pub struct Narrow {
    pub status: Option<OrderStatus>,
    /// The code typed, ignoring case.
    pub code: Option<String>,
    /// Placed at or after this time (UTC).
    pub from: Option<NaiveDateTime>,
    /// Placed before this time (UTC).
    pub until: Option<NaiveDateTime>,
}

/// A page of the store's orders, newest first.
pub fn list(
    conn: &mut Conn,
    store: StoreId,
    filter: OrderFilter,
    cursor: Cursor,
    limit: i64,
) -> QueryResult<Page<ListedOrder>> {
    list_narrowed(conn, store, filter, &Narrow::default(), cursor, limit)
}

/// A page of the store's orders that `filter` and `narrow` keep, newest
/// first.
pub fn list_narrowed(
    conn: &mut Conn,
    store: StoreId,
    filter: OrderFilter,
    narrow: &Narrow,
    cursor: Cursor,
    limit: i64,
) -> QueryResult<Page<ListedOrder>> {
    if narrow
        .code
        .as_deref()
        .is_some_and(crate::domain::text::has_control)
    {
        return Ok(Page::empty());
    }
    let mut query = orders::table
        .inner_join(customers::table)
        .filter(orders::store_id.eq(store))
        .select((OrderRow::as_select(), customers::email))
        .limit(limit + 1)
        .into_boxed();
    query = match filter {
        OrderFilter::All => query,
        OrderFilter::Coupon(id) => query.filter(orders::coupon_id.eq(id)),
        OrderFilter::Promotion(id) => query.filter(orders::promotion_code_id.eq(id)),
        OrderFilter::Customer(id) => query.filter(orders::customer_id.eq(id)),
        OrderFilter::Set(id) => query.filter(
            orders::set_code_id.eq_any(
                set_codes::table
                    .filter(set_codes::set_id.eq(id))
                    .select(set_codes::id.nullable()),
            ),
        ),
    };
    if let Some(status) = narrow.status {
        query = query.filter(orders::status.eq(status.as_str()));
    }
    if let Some(code) = narrow.code.as_deref() {
        query =
            query.filter(crate::db::upper(orders::code.assume_not_null()).eq(code.to_uppercase()));
    }
    if let Some(from) = narrow.from {
        query = query.filter(orders::created_at.ge(from));
    }
    if let Some(until) = narrow.until {
        query = query.filter(orders::created_at.lt(until));
    }
    query = match cursor {
        Cursor::First => query.order(orders::id.desc()),
        Cursor::Next(id) => query.filter(orders::id.lt(id)).order(orders::id.desc()),
        Cursor::Prev(id) => query.filter(orders::id.gt(id)).order(orders::id.asc()),
    };
    let rows: Vec<ListedOrder> = query.load(conn)?;
    Ok(page(rows, limit, cursor))
}

/// Has any order used this promotion code (refunded ones included)?
pub fn any_for_promotion(conn: &mut Conn, id: PromotionCodeId) -> QueryResult<bool> {
    let found: Option<i64> = orders::table
        .filter(orders::promotion_code_id.eq(id))
        .select(orders::id)
        .first_row(conn)
        .optional()?;
    Ok(found.is_some())
}

/// A checkout refused because of its code.
#[derive(Debug, Clone, Queryable)]
pub struct Attempt {
    pub email: String,
    pub code: String,
    pub reason: String,
    pub message: String,
    pub created_at: NaiveDateTime,
}

/// The store's latest refused checkouts.
pub fn attempts(conn: &mut Conn, store: StoreId, limit: i64) -> QueryResult<Vec<Attempt>> {
    checkout_attempts::table
        .filter(checkout_attempts::store_id.eq(store))
        .select((
            checkout_attempts::email,
            checkout_attempts::code,
            checkout_attempts::reason,
            checkout_attempts::message,
            checkout_attempts::created_at,
        ))
        .order(checkout_attempts::id.desc())
        .limit(limit)
        .load(conn)
}

#[cfg(test)]
mod tests {
    use diesel::connection::SimpleConnection;

    use super::*;

    /// `find_rows` reads exactly the store's orders among the ids asked
    /// for, whatever their number: not another store's order, not an id
    /// that does not exist, and each once when asked twice.
    #[test]
    fn find_rows_reads_the_stores_orders_among_the_ids() {
        let (_dir, pool) = crate::db::temp_sqlite();
        let mut conn = pool.get().expect("conn");
        let mine = crate::db::seed::bare_store(&mut conn, "mine").expect("store");
        let theirs = crate::db::seed::bare_store(&mut conn, "theirs").expect("store");
        let mut sql = String::new();
        for (store, customer) in [(mine, 1), (theirs, 2)] {
            sql.push_str(&format!(
                "INSERT INTO customers (id, store_id, email, orders_count, created_at) \
                 VALUES ({customer}, {}, 'c{customer}@example.com', 0, '2026-12-04 00:00:00');",
                store.0
            ));
        }
        // Orders 1-5 are the store's, 6 is the other store's.
        for id in 1..=6 {
            let (store, customer) = if id == 6 { (theirs, 2) } else { (mine, 1) };
            sql.push_str(&format!(
                "INSERT INTO orders (id, store_id, public_id, customer_id, currency, subtotal, \
                 discount, total, discount_text, schedule, status, created_at) VALUES \
                 ({id}, {}, 'ord_{id}', {customer}, 'USD', 1000, 100, 900, '10% off', '', \
                 'paid', '2026-12-04 00:00:00');",
                store.0
            ));
        }
        (**conn).batch_execute(&sql).expect("orders");
        let mut found: Vec<i64> = find_rows(&mut conn, mine, &[5, 2, 6, 99, 2])
            .expect("rows")
            .into_iter()
            .map(|o| o.id)
            .collect();
        found.sort_unstable();
        assert_eq!(found, vec![2, 5]);
        assert!(find_rows(&mut conn, mine, &[]).expect("none").is_empty());
        let all = find_rows(&mut conn, mine, &(1..=500).collect::<Vec<i64>>()).expect("rows");
        assert_eq!(all.len(), 5, "every order of the store among 500 ids");
    }
}
