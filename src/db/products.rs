//! A store's products.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::FirstRow;
use crate::domain::money::CurrencyCode;

use super::schema::products;
use super::{Conn, now};
use crate::domain::coupon::ProductFacts;
use crate::domain::ids::{ProductId, StoreId};
use crate::domain::product::{Billing, ProductDraft};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = products)]
pub struct Product {
    pub id: i64,
    pub store_id: i64,
    pub name: String,
    pub price: i64,
    #[diesel(deserialize_as = String)]
    pub currency: CurrencyCode,
    /// Both billing columns, read as one type: a stored value that does not
    /// parse is an error, never a silent one-time product.
    #[diesel(select_expression = (products::billing, products::billing_interval))]
    #[diesel(select_expression_type = (products::billing, products::billing_interval))]
    #[diesel(deserialize_as = BillingColumns)]
    pub billing: Billing,
    pub archived_at: Option<NaiveDateTime>,
}

/// The two billing columns as stored.
type BillingColumns = (String, Option<String>);

impl Product {
    pub fn id(&self) -> ProductId {
        ProductId(self.id)
    }

    pub fn billing(&self) -> Billing {
        self.billing
    }

    pub fn facts(&self) -> ProductFacts {
        ProductFacts {
            id: self.id(),
            name: self.name.clone(),
            price: self.price,
            currency: self.currency.to_string(),
            billing: self.billing(),
            archived: self.archived_at.is_some(),
        }
    }
}

/// Every product of the store: active ones first, then by name.
pub fn list(conn: &mut Conn, store: StoreId) -> QueryResult<Vec<Product>> {
    let mut all: Vec<Product> = products::table
        .filter(products::store_id.eq(store))
        .select(Product::as_select())
        .order((products::name.asc(), products::id.asc()))
        .load(conn)?;
    all.sort_by_key(|p| p.archived_at.is_some());
    Ok(all)
}

pub fn find(conn: &mut Conn, store: StoreId, id: ProductId) -> QueryResult<Product> {
    products::table
        .filter(products::store_id.eq(store))
        .filter(products::id.eq(id))
        .select(Product::as_select())
        .first_row(conn)
}

pub fn insert(conn: &mut Conn, store: StoreId, draft: &ProductDraft) -> QueryResult<ProductId> {
    super::write_transaction(conn, |conn| {
        diesel::insert_into(products::table)
            .values((
                products::store_id.eq(store),
                products::name.eq(&draft.name),
                products::price.eq(draft.price),
                products::currency.eq(draft.currency.code()),
                products::billing.eq(draft.billing.billing_str()),
                products::billing_interval.eq(draft.billing.interval().map(|i| i.as_str())),
                products::created_at.eq(now()),
            ))
            .execute(conn)?;
        super::last_insert_id(conn).map(ProductId)
    })
}

pub fn update(
    conn: &mut Conn,
    store: StoreId,
    id: ProductId,
    draft: &ProductDraft,
) -> QueryResult<()> {
    let updated = diesel::update(
        products::table
            .filter(products::store_id.eq(store))
            .filter(products::id.eq(id)),
    )
    .set((
        products::name.eq(&draft.name),
        products::price.eq(draft.price),
        products::currency.eq(draft.currency.code()),
        products::billing.eq(draft.billing.billing_str()),
        products::billing_interval.eq(draft.billing.interval().map(|i| i.as_str())),
    ))
    .execute(conn)?;
    if updated == 0 {
        return Err(diesel::result::Error::NotFound);
    }
    Ok(())
}

/// Archives (`true`) or unarchives a product.
pub fn set_archived(
    conn: &mut Conn,
    store: StoreId,
    id: ProductId,
    archived: bool,
) -> QueryResult<()> {
    let updated = diesel::update(
        products::table
            .filter(products::store_id.eq(store))
            .filter(products::id.eq(id)),
    )
    .set(products::archived_at.eq(archived.then(now)))
    .execute(conn)?;
    if updated == 0 {
        return Err(diesel::result::Error::NotFound);
    }
    Ok(())
}
