//! Store use cases: a user creates a store (and becomes its owner); an
//! owner changes its settings (name, slug, currency, time zone, public
//! base URL).

use crate::db::FirstRow;
use crate::db::stores::{Store, StoreWriteError};
use crate::db::{self, Conn, DbError};
use crate::domain::form_errors::FormErrors;
use crate::domain::ids::{StoreId, UserId};
use crate::domain::store::{StoreInput, StoreSlug};

/// Why a store was not written.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Field → message, for the form or the API's `errors`.
    #[error("the store is invalid")]
    Invalid(FormErrors),
    #[error(transparent)]
    Db(#[from] DbError),
}

fn refused(e: StoreWriteError) -> StoreError {
    match e {
        StoreWriteError::SlugTaken => {
            let mut errors = FormErrors::default();
            errors.add("slug", "This slug is taken; choose another.");
            StoreError::Invalid(errors)
        }
        StoreWriteError::Db(e) => StoreError::Db(e),
    }
}

/// Creates a store with `owner` as its owner; returns its slug.
pub fn create(conn: &mut Conn, owner: UserId, input: &StoreInput) -> Result<StoreSlug, StoreError> {
    let fields = input.check().map_err(StoreError::Invalid)?;
    db::write_transaction(conn, |conn| {
        db::stores::insert_with_owner(conn, &fields, owner)
    })
    .map_err(refused)?;
    Ok(fields.slug)
}

/// Saves the settings of `store`; returns its (maybe new) slug.
pub fn update(conn: &mut Conn, store: &Store, input: &StoreInput) -> Result<StoreSlug, StoreError> {
    let fields = input.check().map_err(StoreError::Invalid)?;
    let id: StoreId = store.id();
    db::stores::update(conn, id, &fields).map_err(refused)?;
    Ok(fields.slug)
}

/// The stores `user` belongs to, with the role in each.
pub fn list_for_member(
    conn: &mut Conn,
    user: UserId,
) -> Result<Vec<(Store, crate::domain::role::Role)>, DbError> {
    db::stores::list_for_member(conn, user)
}

/// May `user` create a store? Owners may (of any store): creating a store
/// makes its creator the owner, which a manager or viewer of someone
/// else's store is not to do on their own. (The first store comes with
/// the first account, through `/admin/setup`.)
pub fn may_create_store(conn: &mut Conn, user: UserId) -> Result<bool, DbError> {
    Ok(db::stores::list_for_member(conn, user)?
        .iter()
        .any(|(_, role)| *role == crate::domain::role::Role::Owner))
}

/// Where `user` lands after logging in: the store itself when they belong
/// to exactly one, the store picker otherwise.
pub fn landing(conn: &mut Conn, user: UserId) -> Result<String, DbError> {
    let stores = db::stores::list_for_member(conn, user)?;
    Ok(match stores.as_slice() {
        [(store, _)] => format!("/admin/s/{}", store.slug),
        _ => "/admin".to_string(),
    })
}

/// Store `slug` and `user`'s role in it, if they are a member.
pub fn membership(
    conn: &mut Conn,
    slug: &str,
    user: UserId,
) -> Result<Option<(Store, crate::domain::role::Role)>, DbError> {
    db::stores::find_for_member(conn, slug, user)
}

/// The store's paused codes (velocity limits tripped), for its overview.
pub fn paused_codes(
    conn: &mut Conn,
    store: &Store,
) -> Result<Vec<db::velocity::PausedCode>, DbError> {
    db::velocity::paused_codes(conn, store.id(), 20)
}

/// What the store's overview shows besides its paused codes.
pub struct Dashboard {
    /// The last 30 days (top codes first).
    pub report: crate::app::analytics::Report,
    /// `(id, code, redeem_by)` of live coupons that expire in the next 7
    /// days, soonest first.
    pub expiring: Vec<(i64, String, chrono::NaiveDateTime)>,
    /// The getting-started steps done: a product, a coupon, a code used.
    pub has_product: bool,
    pub has_coupon: bool,
    pub has_activity: bool,
}

pub fn dashboard(conn: &mut Conn, store: &Store) -> Result<Dashboard, DbError> {
    use crate::db::schema::{coupons, products};
    use diesel::prelude::*;
    let report = crate::app::analytics::report(conn, store, 30)?;
    let now = db::now();
    let expiring: Vec<(i64, String, Option<chrono::NaiveDateTime>)> = coupons::table
        .filter(coupons::store_id.eq(store.id()))
        .filter(db::coupons::redeemable::live())
        .filter(coupons::redeem_by.gt(now))
        .filter(coupons::redeem_by.le(now + chrono::TimeDelta::days(7)))
        .select((coupons::id, coupons::code, coupons::redeem_by))
        .order(coupons::redeem_by.asc())
        .limit(20)
        .load(conn)?;
    let has_product = products::table
        .filter(products::store_id.eq(store.id()))
        .select(products::id)
        .first_row::<i64>(conn)
        .optional()?
        .is_some();
    let has_coupon = coupons::table
        .filter(coupons::store_id.eq(store.id()))
        .select(coupons::id)
        .first_row::<i64>(conn)
        .optional()?
        .is_some();
    let funnel = report.performance.figures.funnel;
    Ok(Dashboard {
        has_activity: funnel.opens + funnel.applied + funnel.redeemed > 0,
        expiring: expiring
            .into_iter()
            .filter_map(|(id, code, at)| at.map(|at| (id, code, at)))
            .collect(),
        report,
        has_product,
        has_coupon,
    })
}
