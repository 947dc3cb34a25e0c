//! Promotion code use cases: create, update, deactivate/reactivate,
//! delete. Each checks SPEC section 4 against the coupon as it is, writes
//! in one transaction under the store's code lock (`db::promotion_codes`),
//! and says what went wrong per field, in the words the form shows (and the
//! API will return).

use crate::db::codes::Clash;
use crate::db::promotion_codes::{PromoWriteError, Promotion};
use crate::db::stores::Store;
use crate::db::{self, Conn, DbError};
use crate::domain::form_errors::FormErrors;
use crate::domain::ids::{Actor, CouponId, PromotionCodeId};
use crate::domain::money::CurrencyCode;
use crate::domain::promotion::{self, CouponLimits, PromoContext, PromoInput, PromoState};
use crate::domain::time;

/// Why a promotion code was not written.
#[derive(Debug, thiserror::Error)]
pub enum PromoError {
    /// Field → message, for the form or the API's `errors`.
    #[error("the promotion code is invalid")]
    Invalid(FormErrors),
    #[error("no such promotion code")]
    NotFound,
    #[error(transparent)]
    Db(#[from] DbError),
}

/// The message for a code whose text another code or a coupon holds.
pub fn clash_message(clash: &Clash) -> String {
    match clash {
        Clash::Coupon(code) => format!(
            "The coupon {code} uses this text (ignoring case): customers could not tell them apart."
        ),
        Clash::SetCode(code) => {
            format!(
                "{code} is an unused code of a coupon set: customers could not tell them apart."
            )
        }
        Clash::Promotion(code) => format!(
            "{code} is already an active promotion code. Deactivate it first, or restrict this code to a customer (restricted codes may share a text)."
        ),
    }
}

fn rotated_message(code: &str) -> String {
    format!(
        "This code was rotated: {code} replaced it. It stays inactive so that the leaked text cannot be used again."
    )
}

/// A write refusal, as a message beside its field.
fn refused(e: PromoWriteError) -> PromoError {
    let (field, message) = match e {
        PromoWriteError::Taken(clash) => ("code", clash_message(&clash)),
        PromoWriteError::CouponGone => (
            "coupon_id",
            "Choose a coupon of this store that is not deleted.".into(),
        ),
        PromoWriteError::NoFreeCode => (
            "code",
            "No free code could be generated; type one instead.".into(),
        ),
        PromoWriteError::Permanent => (
            "max_redemptions",
            "The code was redeemed more times than this limit allows.".into(),
        ),
        PromoWriteError::Ended(PromoState::Expired) => (
            "expires_at",
            "This code has expired for good: it cannot be changed. Create a new promotion code instead.".into(),
        ),
        PromoWriteError::Ended(PromoState::Exhausted) => (
            "max_redemptions",
            "This code is fully redeemed for good: it cannot be changed. Create a new promotion code instead.".into(),
        ),
        PromoWriteError::Ended(_) => (
            "coupon_id",
            "This code's coupon is deleted: the code cannot be changed.".into(),
        ),
        PromoWriteError::CouponInvalid => (
            "coupon_id",
            "The coupon cannot be redeemed right now.".into(),
        ),
        PromoWriteError::Rotated(code) => ("active", rotated_message(&code)),
        PromoWriteError::Db(e) => return PromoError::Db(e),
    };
    let mut errors = FormErrors::default();
    errors.add(field, message);
    PromoError::Invalid(errors)
}

/// Creates a promotion code from the form; returns its id.
pub fn create(
    conn: &mut Conn,
    store: &Store,
    user: Actor,
    input: &PromoInput,
) -> Result<PromotionCodeId, PromoError> {
    let coupon = match input.coupon_id.trim().parse::<i64>() {
        Ok(id) => match db::coupons::find_live(conn, store.id(), CouponId(id)) {
            Ok(c) => Some(CouponLimits {
                redeem_by: c.redeem_by,
                max_redemptions: c.max_redemptions,
            }),
            Err(DbError::NotFound) => None,
            Err(e) => return Err(e.into()),
        },
        Err(_) => None,
    };
    let context = PromoContext {
        now: db::now(),
        tz: store.timezone.tz(),
        coupon,
        times_redeemed: 0,
    };
    let draft = promotion::check(input, &context).map_err(PromoError::Invalid)?;
    db::promotion_codes::create(conn, store.id(), &draft, user).map_err(refused)
}

/// The promotion code `id` of the store, not deleted.
pub fn find(conn: &mut Conn, store: &Store, id: PromotionCodeId) -> Result<Promotion, PromoError> {
    match db::promotion_codes::find(conn, store.id(), id) {
        Ok(p) => Ok(p),
        Err(DbError::NotFound) => Err(PromoError::NotFound),
        Err(e) => Err(e.into()),
    }
}

/// Saves an edit of promotion code `id`: its restrictions and limits. Its
/// text, coupon and active flag never change here; an expired, exhausted or
/// coupon-deleted code cannot be edited back to life.
pub fn update(
    conn: &mut Conn,
    store: &Store,
    user: Actor,
    id: PromotionCodeId,
    input: &PromoInput,
) -> Result<(), PromoError> {
    let promo = find(conn, store, id)?;
    let mut input = input.clone();
    input.coupon_id = promo.row.coupon_id.to_string();
    input.code = promo.row.code.clone();
    input.active = promo.row.active.then(|| "on".into());
    let context = PromoContext {
        now: db::now(),
        tz: store.timezone.tz(),
        coupon: Some(CouponLimits {
            redeem_by: promo.coupon.redeem_by,
            max_redemptions: promo.coupon.max_redemptions,
        }),
        times_redeemed: promo.row.times_redeemed,
    };
    let draft = promotion::check(&input, &context).map_err(PromoError::Invalid)?;
    db::promotion_codes::update(conn, store.id(), id, &draft, user).map_err(refused)
}

/// Deactivates, or reactivates when the code is not permanently inactive,
/// its coupon is valid and its text is still free. The refusal's message
/// is in the error's `FormErrors` under `active`.
pub fn set_active(
    conn: &mut Conn,
    store: &Store,
    user: Actor,
    id: PromotionCodeId,
    active: bool,
) -> Result<Promotion, PromoError> {
    db::promotion_codes::set_active(conn, store.id(), id, active, user).map_err(|e| {
        let message = match e {
            PromoWriteError::Permanent | PromoWriteError::Ended(_) => {
                "This code is permanently inactive (expired, exhausted or its coupon deleted) and cannot be reactivated.".to_string()
            }
            PromoWriteError::CouponInvalid => {
                "Its coupon cannot be redeemed right now (archived, scheduled, expired or exhausted): fix the coupon first.".to_string()
            }
            PromoWriteError::Taken(clash) => clash_message(&clash),
            PromoWriteError::Rotated(code) => rotated_message(&code),
            PromoWriteError::Db(DbError::NotFound) => return PromoError::NotFound,
            other => return refused(other),
        };
        let mut errors = FormErrors::default();
        errors.add("active", message);
        PromoError::Invalid(errors)
    })
}

/// The active, live codes among `ids` (others are left out), by code:
/// what deactivating them would change.
pub fn active_among(
    conn: &mut Conn,
    store: &Store,
    ids: &[PromotionCodeId],
) -> Result<Vec<Promotion>, DbError> {
    let mut found = Vec::new();
    for id in crate::app::coupons::chosen(ids) {
        match find(conn, store, id) {
            Ok(p) if p.row.active => found.push(p),
            Ok(_) | Err(PromoError::NotFound) => {}
            Err(PromoError::Db(e)) => return Err(e),
            Err(PromoError::Invalid(_)) => {}
        }
    }
    found.sort_by(|a, b| a.row.normal.cmp(&b.row.normal));
    Ok(found)
}

/// Deactivates each of the chosen codes (`set_active`); the codes it
/// deactivated (not those inactive or deleted already).
pub fn deactivate_many(
    conn: &mut Conn,
    store: &Store,
    user: Actor,
    ids: &[PromotionCodeId],
) -> Result<Vec<String>, DbError> {
    let mut done = Vec::new();
    for promo in active_among(conn, store, ids)? {
        match set_active(conn, store, user, promo.id(), false) {
            Ok(_) => done.push(promo.row.code),
            Err(PromoError::Db(e)) => return Err(e),
            Err(_) => {}
        }
    }
    Ok(done)
}

/// Rotates promotion code `id` (SPEC section 12): a new random code with
/// the same coupon, restrictions and remaining uses replaces it; returns
/// the new code's id. The refusal's message is under `active`.
pub fn rotate(
    conn: &mut Conn,
    store: &Store,
    user: Actor,
    id: PromotionCodeId,
) -> Result<PromotionCodeId, PromoError> {
    db::promotion_codes::rotate(conn, store.id(), id, user).map_err(|e| match e {
        PromoWriteError::Db(DbError::NotFound) => PromoError::NotFound,
        PromoWriteError::Ended(state) => {
            let mut errors = FormErrors::default();
            errors.add(
                "active",
                format!(
                    "This code is {} for good: there is nothing left to rotate.",
                    state.label().to_lowercase()
                ),
            );
            PromoError::Invalid(errors)
        }
        other => refused(other),
    })
}

/// Resumes promotion code `id` after its velocity limit paused it; `false`
/// when it was not paused.
pub fn resume(
    conn: &mut Conn,
    store: &Store,
    user: Actor,
    id: PromotionCodeId,
) -> Result<bool, PromoError> {
    find(conn, store, id)?;
    Ok(db::velocity::resume(
        conn,
        store.id(),
        db::velocity::Code::PromotionCode(id),
        user,
    )?)
}

/// The codes a rotation links a code to: `(id, code)` of the one it
/// replaced and of the one that replaced it.
#[derive(Debug, Clone, Default)]
pub struct Rotation {
    pub from: Option<(i64, String)>,
    pub to: Option<(i64, String)>,
}

pub fn rotation(conn: &mut Conn, store: &Store, promo: &Promotion) -> Result<Rotation, DbError> {
    let from = match promo.row.rotated_from_id {
        Some(id) => db::promotion_codes::code_of(conn, store.id(), PromotionCodeId(id))?,
        None => None,
    };
    Ok(Rotation {
        from,
        to: db::promotion_codes::rotated_to(conn, promo.id())?,
    })
}

/// Deletes promotion code `id`; `true` when it was redeemed and is kept
/// (hidden) for order history.
pub fn delete(
    conn: &mut Conn,
    store: &Store,
    user: Actor,
    id: PromotionCodeId,
) -> Result<bool, PromoError> {
    db::promotion_codes::delete(conn, store.id(), id, user).map_err(|e| match e {
        PromoWriteError::Db(DbError::NotFound) => PromoError::NotFound,
        other => refused(other),
    })
}

/// The form pre-filled with a stored promotion code (times in `tz`).
pub fn input_of(promo: &Promotion, tz: chrono_tz::Tz) -> PromoInput {
    let row = &promo.row;
    PromoInput {
        coupon_id: row.coupon_id.to_string(),
        code: row.code.clone(),
        customer: row.customer_email.clone().unwrap_or_default(),
        first_time_transaction: row.first_time_transaction.then(|| "on".into()),
        minimum_amount: row
            .minimum_amount
            .zip(
                row.minimum_amount_currency
                    .as_deref()
                    .and_then(|c| CurrencyCode::parse(c).ok()),
            )
            .map(|(amount, currency)| currency.format_major(amount))
            .unwrap_or_default(),
        minimum_amount_currency: row.minimum_amount_currency.clone().unwrap_or_default(),
        expires_at: row
            .expires_at
            .map(|t| time::to_input(t, tz))
            .unwrap_or_default(),
        max_redemptions: row
            .max_redemptions
            .map(|m| m.to_string())
            .unwrap_or_default(),
        velocity_limit: row
            .velocity()
            .map(|v| v.limit.to_string())
            .unwrap_or_default(),
        velocity_window: row.velocity().map_or("day", |v| v.window.as_str()).into(),
        active: row.active.then(|| "on".into()),
    }
}

/// One page of the store's promotion codes.
pub fn list(
    conn: &mut Conn,
    store: &Store,
    query: &db::promotion_codes::PromoListQuery,
) -> Result<db::promotion_codes::PromoListPage, DbError> {
    db::promotion_codes::list(conn, store.id(), query, db::now())
}

/// How many promotion codes the list's filters match, on every page.
pub fn total(
    conn: &mut Conn,
    store: &Store,
    query: &db::promotion_codes::PromoListQuery,
) -> Result<i64, DbError> {
    db::promotion_codes::count(conn, store.id(), query, db::now())
}

/// Changes some fields of promotion code `id`: `change` edits the form as
/// it is now, then the update's rules apply.
pub fn patch(
    conn: &mut Conn,
    store: &Store,
    user: Actor,
    id: PromotionCodeId,
    change: impl FnOnce(&mut PromoInput) -> Result<(), FormErrors>,
) -> Result<(), PromoError> {
    let promo = find(conn, store, id)?;
    let mut input = input_of(&promo, store.timezone.tz());
    change(&mut input).map_err(PromoError::Invalid)?;
    update(conn, store, user, id, &input)
}

/// A promotion code's activity log, newest first.
pub fn events(
    conn: &mut Conn,
    id: PromotionCodeId,
) -> Result<Vec<crate::db::events::Event>, DbError> {
    db::promotion_codes::events(conn, id)
}

/// The promotion codes of coupon `id`.
pub fn for_coupon(conn: &mut Conn, store: &Store, id: CouponId) -> Result<Vec<Promotion>, DbError> {
    db::promotion_codes::for_coupon(conn, store.id(), id)
}
