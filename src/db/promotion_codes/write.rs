//! Promotion code writes: one transaction each under the store's code lock,
//! every change logged.

use diesel::prelude::*;

use super::{Promotion, find};
use crate::db::codes::{Clash, lock_store, promotion_clash};
use crate::db::schema::{promotion_code_events, promotion_codes};
use crate::db::{Conn, DbError, now};
use crate::domain::codegen::random_code;
use crate::domain::ids::{Actor, CouponId, PromotionCodeId, StoreId};
use crate::domain::promotion::{GENERATED_LEN, PromoCode, PromoDraft, PromoState};

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
    #[error(transparent)]
    Db(#[from] DbError),
}

fn log(
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
        let at = now();
        diesel::insert_into(promotion_codes::table)
            .values((
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
                promotion_codes::created_at.eq(at),
                promotion_codes::updated_at.eq(at),
            ))
            .execute(conn)?;
        let id = PromotionCodeId(crate::db::last_insert_id(conn)?);
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
        ))
        .execute(conn)?;
        if updated == 0 {
            return Err(PromoWriteError::Permanent);
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
