//! Coupon use cases: create, update, and the lifecycle (archive,
//! unarchive, delete). Each checks the input against SPEC section 3 with the
//! store's products and the coupon as it is, writes in one transaction
//! (`db::coupons`), and says what went wrong per field, in the words the
//! form shows (and the API will return).

use crate::db::coupon_sets::SetRow;
use crate::db::coupons::Coupon;
use crate::db::coupons::{CouponWriteError, Lifecycle};
use crate::db::coupons::{ListPage, ListQuery};
use crate::db::stores::Store;
use crate::db::{self, Conn, DbError};
use crate::domain::coupon::{self, CouponContext, CouponInput, ProductFacts};
use crate::domain::coupon_set::EndedCodes;
use crate::domain::discount::Discount;
use crate::domain::form_errors::FormErrors;
use crate::domain::ids::{Actor, CouponId, ProductId};
use crate::domain::time;
use chrono_tz::Tz;

/// Why a coupon was not written.
#[derive(Debug, thiserror::Error)]
pub enum CouponError {
    /// Field → message, for the form or the API's `errors`.
    #[error("the coupon is invalid")]
    Invalid(FormErrors),
    /// No such coupon in this store, or it is deleted.
    #[error("no such coupon")]
    NotFound,
    #[error(transparent)]
    Db(#[from] DbError),
}

/// A write refusal of a coupon with `code`, as a message beside its field.
fn refused(e: CouponWriteError, code: &str) -> CouponError {
    let (field, message) = match e {
        CouponWriteError::CodeTaken => (
            "code",
            format!(
                "Another coupon of this store already uses the code {code}. Codes are case-sensitive, so Summer10 and SUMMER10 can both exist; an exhausted or archived coupon keeps its code until it is deleted."
            ),
        ),
        CouponWriteError::HeldByPromotion(promo) => (
            "code",
            format!(
                "The code {promo} (a promotion code or an unused set code) already uses this text, ignoring case; customers could not tell them apart."
            ),
        ),
        CouponWriteError::Locked => (
            "discount_type",
            "The coupon was redeemed while you edited it, so its discount terms are now locked. Reload the page.".to_string(),
        ),
        CouponWriteError::BelowRedeemed(n) => (
            "max_redemptions",
            format!("Already redeemed {n} times: the limit cannot go below {n}."),
        ),
        CouponWriteError::Db(e) => return CouponError::Db(e),
    };
    let mut errors = FormErrors::default();
    errors.add(field, message);
    CouponError::Invalid(errors)
}

/// The store's products, as the coupon rules see them.
fn product_facts(conn: &mut Conn, store: &Store) -> Result<Vec<ProductFacts>, DbError> {
    Ok(db::products::list(conn, store.id())?
        .iter()
        .map(|p| p.facts())
        .collect())
}

/// Creates a coupon from the form; returns its id.
pub fn create(
    conn: &mut Conn,
    store: &Store,
    user: Actor,
    input: &CouponInput,
) -> Result<CouponId, CouponError> {
    let products = product_facts(conn, store)?;
    let context = CouponContext {
        now: db::now(),
        tz: store.timezone.tz(),
        products: &products,
        existing: None,
    };
    let draft = coupon::check(input, &context).map_err(CouponError::Invalid)?;
    db::coupons::insert(conn, store.id(), &draft, user, "")
        .map_err(|e| refused(e, draft.code.as_str()))
}

/// The other live coupons whose codes differ from coupon `id`'s only in
/// case: allowed (codes are case-sensitive), but worth a warning, as a
/// customer who types a code may not tell them apart.
pub fn case_twins(conn: &mut Conn, store: &Store, id: CouponId) -> Result<Vec<String>, DbError> {
    db::coupons::case_twins(conn, store.id(), id)
}

/// A warning about `twins` for the coupon `code`, or `None` without any.
pub fn case_warning(code: &str, twins: &[String]) -> Option<String> {
    (!twins.is_empty()).then(|| {
        format!(
            "Note: {} also {}, differing from {code} only in upper and lower case. Share URLs keep them apart, but a customer who types the code may get the other one.",
            twins.join(", "),
            if twins.len() == 1 { "exists" } else { "exist" },
        )
    })
}

/// Saves an edit of coupon `id`. Its terms are locked once redeemed and
/// its limit never goes below `times_redeemed` (checked again inside the
/// write, against a redemption racing the edit).
pub fn update(
    conn: &mut Conn,
    store: &Store,
    user: Actor,
    id: CouponId,
    input: &CouponInput,
) -> Result<(), CouponError> {
    let current = match db::coupons::find(conn, store.id(), id) {
        Ok(c) if c.deleted_at.is_none() => c,
        Ok(_) | Err(DbError::NotFound) => return Err(CouponError::NotFound),
        Err(e) => return Err(e.into()),
    };
    let existing = current.existing();
    let products = product_facts(conn, store)?;
    let context = CouponContext {
        now: db::now(),
        tz: store.timezone.tz(),
        products: &products,
        existing: Some(&existing),
    };
    let draft = coupon::check(input, &context).map_err(CouponError::Invalid)?;
    db::coupons::update(conn, store.id(), id, &draft, user)
        .map_err(|e| refused(e, draft.code.as_str()))
}

/// Archives, unarchives or deletes coupon `id` (SPEC section 3: its sets'
/// unused codes go with an archive or delete); the set codes it ended, or
/// `None` when it was already so.
pub fn change(
    conn: &mut Conn,
    store: &Store,
    user: Actor,
    id: CouponId,
    action: Lifecycle,
) -> Result<Option<EndedCodes>, DbError> {
    db::coupons::apply(conn, store.id(), id, action, user)
}

/// The most rows one bulk action takes (a list page shows 50).
pub const BULK_MAX: usize = 100;

/// The chosen ids, each once, at most `BULK_MAX`.
pub fn chosen<T: Ord + Copy>(ids: &[T]) -> Vec<T> {
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    ids.truncate(BULK_MAX);
    ids
}

/// The live, unarchived coupons among `ids` (others are left out), by code.
fn archivable(conn: &mut Conn, store: &Store, ids: &[CouponId]) -> Result<Vec<Coupon>, DbError> {
    let mut coupons = Vec::new();
    for id in chosen(ids) {
        match db::coupons::find(conn, store.id(), id) {
            Ok(c) if c.deleted_at.is_none() && c.archived_at.is_none() => coupons.push(c),
            Ok(_) | Err(DbError::NotFound) => {}
            Err(e) => return Err(e),
        }
    }
    coupons.sort_by(|a, b| a.code.cmp(&b.code));
    Ok(coupons)
}

/// What archiving the chosen coupons would do: the live, unarchived ones
/// among `ids` and their sets' codes at stake.
pub fn archive_preview(
    conn: &mut Conn,
    store: &Store,
    ids: &[CouponId],
) -> Result<(Vec<Coupon>, EndedCodes), DbError> {
    let coupons = archivable(conn, store, ids)?;
    let mut at_stake = EndedCodes::default();
    for coupon in &coupons {
        at_stake.merge(&codes_at_stake(&sets(conn, coupon.id)?));
    }
    Ok((coupons, at_stake))
}

/// Archives each of the chosen coupons, each as one archive (`change`):
/// the codes of those it archived (not those archived or deleted already)
/// and the set codes that went with them.
pub fn archive_many(
    conn: &mut Conn,
    store: &Store,
    user: Actor,
    ids: &[CouponId],
) -> Result<(Vec<String>, EndedCodes), DbError> {
    let coupons = archivable(conn, store, ids)?;
    let mut archived = Vec::new();
    let mut ended = EndedCodes::default();
    for coupon in coupons {
        match change(conn, store, user, coupon.id, Lifecycle::Archive) {
            Ok(Some(went)) => {
                ended.merge(&went);
                archived.push(coupon.code);
            }
            Ok(None) | Err(DbError::NotFound) => {}
            Err(e) => return Err(e),
        }
    }
    Ok((archived, ended))
}

/// How many coupons a picker offers at once; a search narrows them.
pub const CHOICES: i64 = 50;

/// The coupons a picker offers: the first `CHOICES` by code whose code
/// starts with `q` or whose name contains it, and `selected` wherever it
/// is, so that every coupon of the store can be reached by a search.
pub fn choices(
    conn: &mut Conn,
    store: &Store,
    q: &str,
    selected: Option<i64>,
) -> Result<Vec<db::coupons::Choice>, DbError> {
    db::coupons::choices(conn, store.id(), q, selected, CHOICES)
}

/// The sets of coupon `id`, newest first.
pub fn sets(conn: &mut Conn, id: CouponId) -> Result<Vec<SetRow>, DbError> {
    db::coupon_sets::for_coupon(conn, id)
}

/// What archiving or deleting the coupon of `sets` would end now: their
/// unused codes (deleted) and used ones (archived), from their counters.
pub fn codes_at_stake(sets: &[SetRow]) -> EndedCodes {
    let mut at_stake = EndedCodes::default();
    for set in sets {
        at_stake.add(set.unused_codes(), set.used_codes);
    }
    at_stake
}

/// Resumes coupon `id` after its velocity limit paused it; `false` when it
/// was not paused.
pub fn resume(conn: &mut Conn, store: &Store, user: Actor, id: CouponId) -> Result<bool, DbError> {
    db::velocity::resume(conn, store.id(), db::velocity::Code::Coupon(id), user)
}

/// The form pre-filled with a stored coupon.
pub fn input_of(c: &Coupon, applies_to: &[ProductId], tz: Tz) -> CouponInput {
    let (discount_type, percent_off, amount_off, currency) = match c.discount {
        Discount::Percent(p) => ("percent", p.display(), String::new(), String::new()),
        Discount::Amount { minor, currency } => (
            "value",
            String::new(),
            currency.format_major(minor),
            currency.code().to_string(),
        ),
    };
    CouponInput {
        code: c.code.clone(),
        name: c.name.clone().unwrap_or_default(),
        discount_type: discount_type.into(),
        percent_off,
        amount_off,
        currency,
        duration: c.duration.as_str().into(),
        duration_in_months: c
            .duration
            .months()
            .map(|m| m.to_string())
            .unwrap_or_default(),
        max_redemptions: c.max_redemptions.map(|m| m.to_string()).unwrap_or_default(),
        starts_at: c
            .starts_at
            .map(|t| time::to_input(t, tz))
            .unwrap_or_default(),
        redeem_by: c
            .redeem_by
            .map(|t| time::to_input(t, tz))
            .unwrap_or_default(),
        applies_to: applies_to.iter().map(|p| p.0.to_string()).collect(),
        once_per_customer: c.once_per_customer.then(|| "on".into()),
        confirm_full_discount: None,
        velocity_limit: c.velocity.map(|v| v.limit.to_string()).unwrap_or_default(),
        velocity_window: c.velocity.map_or("day", |v| v.window.as_str()).into(),
    }
}

/// A live (not deleted) coupon of the store and the products it is
/// limited to.
pub fn find(
    conn: &mut Conn,
    store: &Store,
    id: CouponId,
) -> Result<(Coupon, Vec<ProductId>), CouponError> {
    let coupon = match db::coupons::find(conn, store.id(), id) {
        Ok(c) if c.deleted_at.is_none() => c,
        Ok(_) | Err(DbError::NotFound) => return Err(CouponError::NotFound),
        Err(e) => return Err(e.into()),
    };
    let applies_to = db::coupons::applies_to(conn, id)?;
    Ok((coupon, applies_to))
}

/// One page of the store's coupons, each with its products.
pub fn list(
    conn: &mut Conn,
    store: &Store,
    query: &ListQuery,
) -> Result<crate::db::paging::Page<(Coupon, Vec<ProductId>)>, DbError> {
    let page: ListPage = db::coupons::list(conn, store.id(), query, db::now())?;
    let ids: Vec<CouponId> = page.items.iter().map(|c| c.id).collect();
    let mut applies_to = db::coupons::applies_to_many(conn, &ids)?;
    page.try_map(|coupons| {
        Ok::<_, DbError>(
            coupons
                .into_iter()
                .map(|c| {
                    let products = applies_to.remove(&c.id).unwrap_or_default();
                    (c, products)
                })
                .collect(),
        )
    })
}

/// Changes some fields of coupon `id`: `change` edits the form as it is
/// now (or says which fields it cannot read), then the update's rules
/// apply as for a full edit.
pub fn patch(
    conn: &mut Conn,
    store: &Store,
    user: Actor,
    id: CouponId,
    change: impl FnOnce(&mut CouponInput) -> Result<(), FormErrors>,
) -> Result<(), CouponError> {
    let (coupon, applies_to) = find(conn, store, id)?;
    let mut input = input_of(&coupon, &applies_to, store.timezone.tz());
    change(&mut input).map_err(CouponError::Invalid)?;
    update(conn, store, user, id, &input)
}

/// Coupon `id` of the store as stored (a deleted one too).
pub fn find_any(conn: &mut Conn, store: &Store, id: CouponId) -> Result<Coupon, DbError> {
    db::coupons::find(conn, store.id(), id)
}

/// A coupon's page: the coupon, its products and the store's products.
pub fn with_products(
    conn: &mut Conn,
    store: &Store,
    id: CouponId,
) -> Result<(Coupon, Vec<ProductId>, Vec<crate::db::products::Product>), DbError> {
    let coupon = db::coupons::find(conn, store.id(), id)?;
    let applies_to = db::coupons::applies_to(conn, coupon.id)?;
    let products = db::products::list(conn, store.id())?;
    Ok((coupon, applies_to, products))
}

/// A coupon's activity log, newest first.
pub fn events(conn: &mut Conn, id: CouponId) -> Result<Vec<crate::db::events::Event>, DbError> {
    db::coupons::events(conn, id)
}

/// One page of the coupon list, as the dashboard shows it.
pub fn page(conn: &mut Conn, store: &Store, query: &ListQuery) -> Result<ListPage, DbError> {
    db::coupons::list(conn, store.id(), query, db::now())
}

/// How many coupons the list's filters match, on every page.
pub fn total(conn: &mut Conn, store: &Store, query: &ListQuery) -> Result<i64, DbError> {
    db::coupons::count(conn, store.id(), query, db::now())
}
