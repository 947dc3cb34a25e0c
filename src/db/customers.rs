//! A store's customers: one per email, created at their first checkout or
//! by staff.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::paging::{Cursor, Page, page};
use super::schema::customers;
use super::{Conn, now};
use crate::db::FirstRow;
use crate::domain::email::Email;
use crate::domain::ids::StoreId;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = customers)]
pub struct Customer {
    pub id: i64,
    pub email: String,
    pub orders_count: i64,
    pub first_order_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

/// A page of the store's customers, newest first; `search` narrows to
/// emails that start with it.
pub fn list(
    conn: &mut Conn,
    store: StoreId,
    search: Option<&str>,
    cursor: Cursor,
    limit: i64,
) -> QueryResult<Page<Customer>> {
    if search.is_some_and(crate::domain::text::has_control) {
        return Ok(Page::empty());
    }
    let mut query = customers::table
        .filter(customers::store_id.eq(store))
        .select(Customer::as_select())
        .limit(limit + 1)
        .into_boxed();
    if let Some(search) = search {
        let escaped = search
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        query = query.filter(customers::email.like(format!("{escaped}%")).escape('\\'));
    }
    query = match cursor {
        Cursor::First => query.order(customers::id.desc()),
        Cursor::Next(id) => query
            .filter(customers::id.lt(id))
            .order(customers::id.desc()),
        Cursor::Prev(id) => query
            .filter(customers::id.gt(id))
            .order(customers::id.asc()),
    };
    Ok(page(query.load(conn)?, limit, cursor))
}

/// Adds a customer by email; `false` when the email is already one.
pub fn create(conn: &mut Conn, store: StoreId, email: &Email) -> QueryResult<bool> {
    let inserted = crate::on_backend!(conn, c => diesel::insert_into(customers::table)
        .values((
            customers::store_id.eq(store),
            customers::email.eq(email.as_str()),
            customers::orders_count.eq(0i64),
            customers::created_at.eq(now()),
        ))
        .on_conflict_do_nothing()
        .execute(c))?;
    Ok(inserted == 1)
}

/// The store's customer with this email.
pub fn find_by_email(
    conn: &mut Conn,
    store: StoreId,
    email: &Email,
) -> QueryResult<Option<Customer>> {
    customers::table
        .filter(customers::store_id.eq(store))
        .filter(customers::email.eq(email.as_str()))
        .select(Customer::as_select())
        .first_row(conn)
        .optional()
}

/// Customer `id` of the store.
pub fn find(conn: &mut Conn, store: StoreId, id: i64) -> QueryResult<Customer> {
    customers::table
        .filter(customers::store_id.eq(store))
        .filter(customers::id.eq(id))
        .select(Customer::as_select())
        .first_row(conn)
}

#[derive(Debug, QueryableByName)]
struct MoneyRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    currency: String,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    spent: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    discount: i64,
}

#[derive(Debug, QueryableByName)]
struct CodeRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    code: String,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// What a customer's paid orders add up to: per currency the totals spent
/// and the discounts received, and each code used with how often.
#[derive(Debug, Default)]
pub struct Lifetime {
    pub money: Vec<(String, i64, i64)>,
    pub codes: Vec<(String, i64)>,
}

pub fn lifetime(conn: &mut Conn, store: StoreId, id: i64) -> QueryResult<Lifetime> {
    // Integers of ours only are written into the text.
    let paid = format!(
        "store_id = {} AND customer_id = {id} AND status = 'paid'",
        store.0
    );
    let money = format!(
        "SELECT currency, CAST(SUM(total) AS BIGINT) AS spent, CAST(SUM(discount) AS BIGINT) AS discount \
         FROM orders WHERE {paid} GROUP BY currency ORDER BY currency"
    );
    let codes = format!(
        "SELECT code, CAST(COUNT(*) AS BIGINT) AS n FROM orders WHERE {paid} AND code IS NOT NULL \
         GROUP BY code ORDER BY n DESC, code"
    );
    let money: Vec<MoneyRow> = crate::on_backend!(conn, c => diesel::sql_query(money).load(c))?;
    let codes: Vec<CodeRow> = crate::on_backend!(conn, c => diesel::sql_query(codes).load(c))?;
    Ok(Lifetime {
        money: money
            .into_iter()
            .map(|m| (m.currency, m.spent, m.discount))
            .collect(),
        codes: codes.into_iter().map(|c| (c.code, c.n)).collect(),
    })
}
