//! Customer use cases: adding one by email (customers are otherwise created
//! by their first order).

use crate::db::stores::Store;
use crate::db::{self, Conn, DbError};
use crate::domain::email::Email;
use crate::domain::form_errors::FormErrors;

/// Why a customer was not added.
#[derive(Debug, thiserror::Error)]
pub enum CustomerError {
    /// Field → message, for the form or the API's `errors`.
    #[error("the customer is invalid")]
    Invalid(FormErrors),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Adds the customer with this email; returns the email as stored.
pub fn create(conn: &mut Conn, store: &Store, raw_email: &str) -> Result<Email, CustomerError> {
    let mut errors = FormErrors::default();
    let Some(email) = errors.check("email", Email::parse(raw_email)) else {
        return Err(CustomerError::Invalid(errors));
    };
    if !db::customers::create(conn, store.id(), &email)? {
        errors.add(
            "email",
            format!("{} is already a customer of this store.", email.as_str()),
        );
        return Err(CustomerError::Invalid(errors));
    }
    Ok(email)
}

/// One page of the store's customers, newest first; `search` narrows to
/// emails that start with it.
pub fn list(
    conn: &mut Conn,
    store: &Store,
    search: Option<&str>,
    cursor: crate::db::paging::Cursor,
    limit: i64,
) -> Result<crate::db::paging::Page<crate::db::customers::Customer>, DbError> {
    db::customers::list(conn, store.id(), search, cursor, limit)
}

/// The store's customer with this email.
pub fn find_by_email(
    conn: &mut Conn,
    store: &Store,
    email: &Email,
) -> Result<Option<crate::db::customers::Customer>, DbError> {
    db::customers::find_by_email(conn, store.id(), email)
}

/// A customer's page: the customer, what their paid orders add up to, and
/// their latest orders.
pub struct CustomerPage {
    pub customer: crate::db::customers::Customer,
    pub lifetime: crate::db::customers::Lifetime,
    pub orders: crate::db::paging::Page<crate::db::orders::ListedOrder>,
}

pub fn page(conn: &mut Conn, store: &Store, id: i64, recent: i64) -> Result<CustomerPage, DbError> {
    let customer = db::customers::find(conn, store.id(), id)?;
    let lifetime = db::customers::lifetime(conn, store.id(), id)?;
    let orders = crate::app::orders::list(
        conn,
        store,
        crate::db::orders::OrderFilter::Customer(crate::domain::ids::CustomerId(id)),
        crate::db::paging::Cursor::First,
        recent,
    )?;
    Ok(CustomerPage {
        customer,
        lifetime,
        orders,
    })
}
