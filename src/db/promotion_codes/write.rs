//! Promotion code writes: one transaction each under the store's code lock,
//! every change logged.

use diesel::prelude::*;

use super::{Promotion, find};
use crate::db::FirstRow;
use crate::db::codes::{Clash, lock_store, promotion_clash};
use crate::db::schema::{promotion_code_events, promotion_codes};
use crate::db::{Conn, DbError, now};
use crate::domain::codegen::random_code;
use crate::domain::email::Email;
use crate::domain::ids::{Actor, CouponId, PromotionCodeId, StoreId};
use crate::domain::money::CurrencyCode;
use crate::domain::promotion::{GENERATED_LEN, Minimum, PromoCode, PromoDraft, PromoState};

#[derive(Debug, thiserror::Error)]
pub enum PromoWriteError {
    #[error("the code's text is taken")]
    Taken(Clash),
    #[error("the coupon is deleted or not in this store")]
    CouponGone,
    #[error("the code is permanently inactive")]
    Permanent,
    /// Expired, exhausted or its coupon deleted: it can never be changed
    /// back into a working code (SPEC section 4).
    #[error("the code has ended for good")]
    Ended(PromoState),
    #[error("the coupon cannot be redeemed")]
    CouponInvalid,
    #[error("no free code could be generated")]
    NoFreeCode,
    /// Rotated: this code replaced it, and both must not work at once.
    #[error("the code was rotated to {0}")]
    Rotated(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

pub(crate) fn log(
    conn: &mut Conn,
    id: PromotionCodeId,
    user: Actor,
    action: &str,
    detail: &str,
) -> QueryResult<()> {
    diesel::insert_into(promotion_code_events::table)
        .values((
            promotion_code_events::promotion_code_id.eq(id),
            promotion_code_events::user_id.eq(user.user()),
            promotion_code_events::api_key_id.eq(user.api_key()),
            promotion_code_events::action.eq(action),
            promotion_code_events::detail.eq(detail),
            promotion_code_events::created_at.eq(now()),
        ))
        .execute(conn)
        .map(|_| ())
}

/// The draft's code, or a generated one that no other code holds.
fn choose_code(
    conn: &mut Conn,
    store: StoreId,
    draft: &PromoDraft,
) -> Result<PromoCode, PromoWriteError> {
    let restricted = draft.customer.is_some();
    if let Some(code) = &draft.code {
        if draft.active
            && let Some(clash) =
                promotion_clash(conn, store, &code.normal, restricted, None, now())?
        {
            return Err(PromoWriteError::Taken(clash));
        }
        return Ok(code.clone());
    }
    // 32^8 texts: a clash is rare; a few tries are plenty.
    for _ in 0..8 {
        let text = random_code(GENERATED_LEN)
            .map_err(|e| DbError::QueryBuilderError(e.to_string().into()))?;
        let code = PromoCode::generated(text);
        if promotion_clash(conn, store, &code.normal, false, None, now())?.is_none() {
            return Ok(code);
        }
    }
    Err(PromoWriteError::NoFreeCode)
}

/// Writes the row of a new promotion code.
fn insert(
    conn: &mut Conn,
    store: StoreId,
    draft: &PromoDraft,
    code: &PromoCode,
    rotated_from: Option<PromotionCodeId>,
) -> QueryResult<PromotionCodeId> {
    let at = now();
    diesel::insert_into(promotion_codes::table)
        .values((
            (
                promotion_codes::store_id.eq(store),
                promotion_codes::coupon_id.eq(draft.coupon_id),
                promotion_codes::code.eq(&code.text),
                promotion_codes::normal.eq(&code.normal),
                promotion_codes::customer_email.eq(draft.customer.as_ref().map(|c| c.as_str())),
                promotion_codes::first_time_transaction.eq(draft.first_time_transaction),
                promotion_codes::minimum_amount.eq(draft.minimum.as_ref().map(|m| m.amount)),
                promotion_codes::minimum_amount_currency
                    .eq(draft.minimum.as_ref().map(|m| m.currency.code())),
                promotion_codes::expires_at.eq(draft.expires_at),
                promotion_codes::max_redemptions.eq(draft.max_redemptions),
                promotion_codes::times_redeemed.eq(0),
                promotion_codes::active.eq(draft.active),
            ),
            (
                promotion_codes::created_at.eq(at),
                promotion_codes::updated_at.eq(at),
                promotion_codes::velocity_limit.eq(draft.velocity.map(|v| v.limit)),
                promotion_codes::velocity_window.eq(draft.velocity.map(|v| v.window.as_str())),
                promotion_codes::rotated_from_id.eq(rotated_from),
            ),
        ))
        .execute(conn)?;
    Ok(PromotionCodeId(crate::db::last_insert_id(conn)?))
}

/// The code that replaced `id` when it was rotated, if it was.
pub fn rotated_to(conn: &mut Conn, id: PromotionCodeId) -> QueryResult<Option<(i64, String)>> {
    promotion_codes::table
        .filter(promotion_codes::rotated_from_id.eq(id))
        .select((promotion_codes::id, promotion_codes::code))
        .first_row(conn)
        .optional()
}

/// Rotates a code that may leak or has leaked (SPEC section 12): a new
/// code with a fresh random text takes its coupon, restrictions, velocity
/// limit and the uses it has left; the old one is deactivated for good.
/// Returns the new code's id.
pub fn rotate(
    conn: &mut Conn,
    store: StoreId,
    id: PromotionCodeId,
    user: Actor,
) -> Result<PromotionCodeId, PromoWriteError> {
    crate::db::write_transaction(conn, |conn| {
        lock_store(conn, store)?;
        let old = find(conn, store, id)?;
        let at = now();
        if old.facts(at).permanently_inactive(at) {
            return Err(PromoWriteError::Ended(old.state(at)));
        }
        if let Some((_, code)) = rotated_to(conn, id)? {
            return Err(PromoWriteError::Rotated(code));
        }
        let row = &old.row;
        let customer = match row.customer_email.as_deref().map(Email::parse) {
            Some(Ok(email)) => Some(email),
            Some(Err(e)) => return Err(DbError::DeserializationError(e.into()).into()),
            None => None,
        };
        let minimum = row
            .minimum_amount
            .zip(row.minimum_amount_currency.as_deref())
            .and_then(|(amount, c)| {
                CurrencyCode::parse(c)
                    .ok()
                    .map(|currency| Minimum { amount, currency })
            });
        let draft = PromoDraft {
            coupon_id: row.coupon_id,
            code: None,
            customer,
            first_time_transaction: row.first_time_transaction,
            minimum,
            expires_at: row.expires_at,
            // What is left; never exhausted here (checked above).
            max_redemptions: row.max_redemptions.map(|m| m - row.times_redeemed),
            velocity: row.velocity(),
            active: true,
        };
        let code = choose_code(conn, store, &draft)?;
        diesel::update(promotion_codes::table.filter(promotion_codes::id.eq(id)))
            .set((
                promotion_codes::active.eq(false),
                promotion_codes::paused_at.eq(None::<chrono::NaiveDateTime>),
                promotion_codes::updated_at.eq(at),
            ))
            .execute(conn)?;
        let new = insert(conn, store, &draft, &code, Some(id))?;
        log(
            conn,
            id,
            user,
            "rotated",
            &format!("replaced by {}", code.text),
        )?;
        log(
            conn,
            new,
            user,
            "created",
            &format!("rotated from {}", row.code),
        )?;
        event(conn, store, "promotion_code.updated", id)?;
        event(conn, store, "promotion_code.created", new)?;
        Ok(new)
    })
}

/// Creates a promotion code; returns its id.
pub fn create(
    conn: &mut Conn,
    store: StoreId,
    draft: &PromoDraft,
    user: Actor,
) -> Result<PromotionCodeId, PromoWriteError> {
    crate::db::write_transaction(conn, |conn| {
        lock_store(conn, store)?;
        crate::db::coupons::find_live(conn, store, CouponId(draft.coupon_id)).map_err(
            |e| match e {
                DbError::NotFound => PromoWriteError::CouponGone,
                e => PromoWriteError::Db(e),
            },
        )?;
        let code = choose_code(conn, store, draft)?;
        let id = insert(conn, store, draft, &code, None)?;
        let detail = if draft.code.is_none() {
            "generated code"
        } else {
            ""
        };
        log(conn, id, user, "created", detail)?;
        event(conn, store, "promotion_code.created", id)?;
        Ok(id)
    })
}

/// Saves the restrictions and limits of a code (its text and coupon stay).
/// The limit never goes below `times_redeemed`, as a condition of the UPDATE.
pub fn update(
    conn: &mut Conn,
    store: StoreId,
    id: PromotionCodeId,
    draft: &PromoDraft,
    user: Actor,
) -> Result<(), PromoWriteError> {
    crate::db::write_transaction(conn, |conn| {
        lock_store(conn, store)?;
        let current = find(conn, store, id)?;
        let at = now();
        if current.facts(at).permanently_inactive(at) {
            return Err(PromoWriteError::Ended(current.state(at)));
        }
        let restricted = draft.customer.is_some();
        if current.row.active
            && let Some(clash) = promotion_clash(
                conn,
                store,
                &current.row.normal,
                restricted,
                Some(id),
                now(),
            )?
        {
            return Err(PromoWriteError::Taken(clash));
        }
        let updated = diesel::update(
            promotion_codes::table
                .filter(promotion_codes::id.eq(id))
                .filter(
                    promotion_codes::times_redeemed.le(draft.max_redemptions.unwrap_or(i64::MAX)),
                ),
        )
        .set((
            promotion_codes::customer_email.eq(draft.customer.as_ref().map(|c| c.as_str())),
            promotion_codes::first_time_transaction.eq(draft.first_time_transaction),
            promotion_codes::minimum_amount.eq(draft.minimum.as_ref().map(|m| m.amount)),
            promotion_codes::minimum_amount_currency
                .eq(draft.minimum.as_ref().map(|m| m.currency.code())),
            promotion_codes::expires_at.eq(draft.expires_at),
            promotion_codes::max_redemptions.eq(draft.max_redemptions),
            promotion_codes::updated_at.eq(now()),
            promotion_codes::velocity_limit.eq(draft.velocity.map(|v| v.limit)),
            promotion_codes::velocity_window.eq(draft.velocity.map(|v| v.window.as_str())),
        ))
        .execute(conn)?;
        if updated == 0 {
            return Err(PromoWriteError::Permanent);
        }
        if current.row.velocity().map(|v| v.window) != draft.velocity.map(|v| v.window) {
            crate::db::velocity::restart_window(
                conn,
                crate::db::velocity::Code::PromotionCode(id),
            )?;
        }
        log(conn, id, user, "edited", "")?;
        event(conn, store, "promotion_code.updated", id)?;
        Ok(())
    })
}

/// Deactivates, or reactivates when the code is not permanently inactive,
/// its coupon is valid and its text is still free.
pub fn set_active(
    conn: &mut Conn,
    store: StoreId,
    id: PromotionCodeId,
    active: bool,
    user: Actor,
) -> Result<Promotion, PromoWriteError> {
    crate::db::write_transaction(conn, |conn| {
        lock_store(conn, store)?;
        let promo = find(conn, store, id)?;
        let at = now();
        if active {
            let facts = promo.facts(at);
            if facts.permanently_inactive(at) {
                return Err(PromoWriteError::Permanent);
            }
            if !facts.coupon_redeemable {
                return Err(PromoWriteError::CouponInvalid);
            }
            if let Some((_, code)) = rotated_to(conn, id)? {
                return Err(PromoWriteError::Rotated(code));
            }
            let restricted = promo.row.customer_email.is_some();
            if let Some(clash) =
                promotion_clash(conn, store, &promo.row.normal, restricted, Some(id), at)?
            {
                return Err(PromoWriteError::Taken(clash));
            }
        }
        diesel::update(promotion_codes::table.filter(promotion_codes::id.eq(id)))
            .set((
                promotion_codes::active.eq(active),
                promotion_codes::updated_at.eq(at),
            ))
            .execute(conn)?;
        log(
            conn,
            id,
            user,
            if active { "reactivated" } else { "deactivated" },
            "",
        )?;
        event(conn, store, "promotion_code.updated", id)?;
        Ok(promo)
    })
}

/// Deletes a code: one never redeemed goes for good; a redeemed one is
/// hidden and kept for order history. Returns whether it was kept.
pub fn delete(
    conn: &mut Conn,
    store: StoreId,
    id: PromotionCodeId,
    user: Actor,
) -> Result<bool, PromoWriteError> {
    crate::db::write_transaction(conn, |conn| {
        let promo = find(conn, store, id)?;
        let target = promotion_codes::table.filter(promotion_codes::id.eq(id));
        event(conn, store, "promotion_code.deleted", id)?;
        if promo.row.times_redeemed == 0 && !crate::db::orders::any_for_promotion(conn, id)? {
            diesel::delete(target).execute(conn)?;
            Ok(false)
        } else {
            let at = now();
            diesel::update(target)
                .set((
                    promotion_codes::deleted_at.eq(Some(at)),
                    promotion_codes::active.eq(false),
                    promotion_codes::updated_at.eq(at),
                ))
                .execute(conn)?;
            log(conn, id, user, "deleted", "kept for order history")?;
            Ok(true)
        }
    })
}

/// Records webhook event `kind` about promotion code `id`, in the caller's
/// transaction.
fn event(conn: &mut Conn, store: StoreId, kind: &str, id: PromotionCodeId) -> QueryResult<()> {
    crate::db::webhooks::record(
        conn,
        store,
        kind,
        crate::db::webhooks::Subject::PromotionCode(id.0),
    )
}
