//! Product use cases: create, update, archive/unarchive (SPEC section 2).

use crate::db::products::Product;
use crate::db::stores::Store;
use crate::db::{self, Conn, DbError};
use crate::domain::form_errors::FormErrors;
use crate::domain::ids::ProductId;
use crate::domain::product::ProductInput;

/// Why a product was not written.
#[derive(Debug, thiserror::Error)]
pub enum ProductError {
    /// Field → message, for the form or the API's `errors`.
    #[error("the product is invalid")]
    Invalid(FormErrors),
    #[error("no such product")]
    NotFound,
    #[error(transparent)]
    Db(DbError),
}

impl From<DbError> for ProductError {
    fn from(e: DbError) -> ProductError {
        match e {
            DbError::NotFound => ProductError::NotFound,
            e => ProductError::Db(e),
        }
    }
}

/// Creates a product from the form; returns its id.
pub fn create(
    conn: &mut Conn,
    store: &Store,
    input: &ProductInput,
) -> Result<ProductId, ProductError> {
    let draft = input.check().map_err(ProductError::Invalid)?;
    Ok(db::products::insert(conn, store.id(), &draft)?)
}

/// Saves an edit of product `id`.
pub fn update(
    conn: &mut Conn,
    store: &Store,
    id: ProductId,
    input: &ProductInput,
) -> Result<(), ProductError> {
    let draft = input.check().map_err(ProductError::Invalid)?;
    Ok(db::products::update(conn, store.id(), id, &draft)?)
}

/// Archives (`true`: hidden from checkout and new coupons) or unarchives
/// product `id`.
pub fn set_archived(
    conn: &mut Conn,
    store: &Store,
    id: ProductId,
    archived: bool,
) -> Result<(), ProductError> {
    Ok(db::products::set_archived(conn, store.id(), id, archived)?)
}

/// The form pre-filled with a stored product.
pub fn input_of(p: &Product) -> ProductInput {
    let billing = p.billing();
    ProductInput {
        name: p.name.clone(),
        price: p.currency.format_major(p.price),
        currency: p.currency.to_string(),
        billing: billing.billing_str().into(),
        interval: billing.interval().map_or("month", |i| i.as_str()).into(),
    }
}

/// The store's products, archived ones included.
pub fn list(conn: &mut Conn, store: &Store) -> Result<Vec<Product>, DbError> {
    db::products::list(conn, store.id())
}

/// Product `id` of the store.
pub fn find(conn: &mut Conn, store: &Store, id: ProductId) -> Result<Product, ProductError> {
    Ok(db::products::find(conn, store.id(), id)?)
}

/// Changes some fields of product `id`: `change` edits the form as it is
/// now, then the update's rules apply.
pub fn patch(
    conn: &mut Conn,
    store: &Store,
    id: ProductId,
    change: impl FnOnce(&mut ProductInput),
) -> Result<(), ProductError> {
    let mut input = input_of(&find(conn, store, id)?);
    change(&mut input);
    update(conn, store, id, &input)
}
