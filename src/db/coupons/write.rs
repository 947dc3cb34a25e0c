//! Coupon writes: one transaction each, limits enforced by the UPDATEs'
//! own conditions, every change logged.

use crate::db::FirstRow;
use crate::db::webhooks::Subject;
use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::find_live;
use super::{Coupon, applies_to};
use crate::db::schema::{coupon_events, coupon_products, coupons};
use crate::db::{Conn, DbError, now};
use crate::domain::coupon::CouponDraft;
use crate::domain::coupon_set::EndedCodes;
use crate::domain::discount::Discount;
use crate::domain::ids::{Actor, CouponId, ProductId, StoreId};

/// Why a coupon could not be written.
#[derive(Debug, thiserror::Error)]
pub enum CouponWriteError {
    #[error("the code is used by another coupon")]
    CodeTaken,
    #[error("the code is held by promotion code {0}")]
    HeldByPromotion(String),
    #[error("the terms are locked after the first redemption")]
    Locked,
    #[error("the coupon was redeemed {0} times, more than the new limit")]
    BelowRedeemed(i64),
    #[error(transparent)]
    Db(#[from] DbError),
}

fn code_taken(
    conn: &mut Conn,
    store: StoreId,
    code: &str,
    except: Option<CouponId>,
) -> QueryResult<bool> {
    let found: Option<i64> = coupons::table
        .filter(coupons::store_id.eq(store))
        .filter(coupons::code.eq(code))
        .filter(coupons::deleted_at.is_null())
        .select(coupons::id)
        .first_row(conn)
        .optional()?;
    Ok(found.is_some_and(|id| Some(CouponId(id)) != except))
}

fn code_conflict(e: DbError) -> CouponWriteError {
    if crate::db::is_unique_violation(&e) {
        CouponWriteError::CodeTaken
    } else {
        CouponWriteError::Db(e)
    }
}

pub(crate) fn log(
    conn: &mut Conn,
    coupon: CouponId,
    user: Actor,
    action: &str,
    detail: &str,
) -> QueryResult<()> {
    diesel::insert_into(coupon_events::table)
        .values((
            coupon_events::coupon_id.eq(coupon),
            coupon_events::user_id.eq(user.user()),
            coupon_events::api_key_id.eq(user.api_key()),
            coupon_events::action.eq(action),
            coupon_events::detail.eq(detail),
            coupon_events::created_at.eq(now()),
        ))
        .execute(conn)
        .map(|_| ())
}

fn set_products(conn: &mut Conn, coupon: CouponId, products: &[ProductId]) -> QueryResult<()> {
    diesel::delete(coupon_products::table.filter(coupon_products::coupon_id.eq(coupon)))
        .execute(conn)?;
    for product in products {
        diesel::insert_into(coupon_products::table)
            .values((
                coupon_products::coupon_id.eq(coupon),
                coupon_products::product_id.eq(product),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// The terms columns of a draft, for insert and update.
struct Terms {
    kind: &'static str,
    percent: Option<i64>,
    amount: Option<i64>,
    currency: Option<&'static str>,
    duration: &'static str,
    months: Option<i64>,
}

fn terms(draft: &CouponDraft) -> Terms {
    let (percent, amount, currency) = match draft.discount {
        Discount::Percent(p) => (Some(p.basis_points()), None, None),
        Discount::Amount { minor, currency } => (None, Some(minor), Some(currency.code())),
    };
    Terms {
        kind: draft.discount.type_str(),
        percent,
        amount,
        currency,
        duration: draft.duration.as_str(),
        months: draft.duration.months(),
    }
}

/// Creates a coupon; `detail` goes into the "created" entry of its log.
pub fn insert(
    conn: &mut Conn,
    store: StoreId,
    draft: &CouponDraft,
    user: Actor,
    detail: &str,
) -> Result<CouponId, CouponWriteError> {
    crate::db::write_transaction(conn, |conn| {
        crate::db::codes::lock_store(conn, store)?;
        if code_taken(conn, store, draft.code.as_str(), None)? {
            return Err(CouponWriteError::CodeTaken);
        }
        if let Some(promo) =
            crate::db::codes::coupon_clash(conn, store, draft.code.as_str(), now())?
        {
            return Err(CouponWriteError::HeldByPromotion(promo));
        }
        let t = terms(draft);
        let at = now();
        diesel::insert_into(coupons::table)
            .values((
                coupons::store_id.eq(store),
                coupons::code.eq(draft.code.as_str()),
                coupons::name.eq(draft.name.as_deref()),
                coupons::discount_type.eq(t.kind),
                coupons::percent_off_bp.eq(t.percent),
                coupons::amount_off.eq(t.amount),
                coupons::currency.eq(t.currency),
                coupons::duration.eq(t.duration),
                coupons::duration_in_months.eq(t.months),
                coupons::max_redemptions.eq(draft.max_redemptions),
                coupons::times_redeemed.eq(0),
                coupons::starts_at.eq(draft.starts_at),
                coupons::redeem_by.eq(draft.redeem_by),
                coupons::once_per_customer.eq(draft.once_per_customer),
                coupons::created_at.eq(at),
                coupons::updated_at.eq(at),
                coupons::velocity_limit.eq(draft.velocity.map(|v| v.limit)),
                coupons::velocity_window.eq(draft.velocity.map(|v| v.window.as_str())),
            ))
            .execute(conn)
            .map_err(code_conflict)?;
        let id = CouponId(crate::db::last_insert_id(conn)?);
        set_products(conn, id, &draft.applies_to)?;
        log(conn, id, user, "created", detail)?;
        crate::db::webhooks::record(conn, store, "coupon.created", Subject::Coupon(id.0))?;
        Ok(id)
    })
}

/// What an edit changed, in words, for the log.
fn changes(old: &Coupon, old_products: &[ProductId], new: &CouponDraft) -> String {
    let mut changed = Vec::new();
    if old.code != new.code.as_str() {
        changed.push("code");
    }
    if old.name != new.name {
        changed.push("name");
    }
    if old.discount != new.discount {
        changed.push("discount");
    }
    if old.duration != new.duration {
        changed.push("duration");
    }
    if old.max_redemptions != new.max_redemptions {
        changed.push("redemption limit");
    }
    if old.starts_at != new.starts_at {
        changed.push("start");
    }
    if old.redeem_by != new.redeem_by {
        changed.push("redeem by");
    }
    if old.once_per_customer != new.once_per_customer {
        changed.push("once per customer");
    }
    if old.velocity != new.velocity {
        changed.push("velocity limit");
    }
    if old_products != new.applies_to.as_slice() {
        changed.push("products");
    }
    if changed.is_empty() {
        "nothing changed".into()
    } else {
        format!("changed {}", changed.join(", "))
    }
}

/// Saves an edit. Terms (and the code) only change while the coupon was
/// never redeemed, and the limit never goes below `times_redeemed`: both are
/// conditions of the UPDATE itself, so a redemption racing with the edit
/// cannot slip between a check and the write.
pub fn update(
    conn: &mut Conn,
    store: StoreId,
    id: CouponId,
    draft: &CouponDraft,
    user: Actor,
) -> Result<(), CouponWriteError> {
    crate::db::write_transaction(conn, |conn| {
        let old = find_live(conn, store, id)?;
        let old_products = applies_to(conn, id)?;
        if old.code != draft.code.as_str() {
            crate::db::codes::lock_store(conn, store)?;
            if code_taken(conn, store, draft.code.as_str(), Some(id))? {
                return Err(CouponWriteError::CodeTaken);
            }
            if let Some(promo) =
                crate::db::codes::coupon_clash(conn, store, draft.code.as_str(), now())?
            {
                return Err(CouponWriteError::HeldByPromotion(promo));
            }
        }
        let terms_changed = old.code != draft.code.as_str()
            || old.discount != draft.discount
            || old.duration != draft.duration
            || old.starts_at != draft.starts_at;
        let t = terms(draft);
        // times_redeemed must be 0 to change terms, and within the new limit.
        let redeemed_at_most = if terms_changed { 0 } else { i64::MAX };
        let target = coupons::table
            .filter(coupons::id.eq(id))
            .filter(coupons::deleted_at.is_null())
            .filter(coupons::times_redeemed.le(redeemed_at_most))
            .filter(coupons::times_redeemed.le(draft.max_redemptions.unwrap_or(i64::MAX)));
        let updated = diesel::update(target)
            .set((
                coupons::code.eq(draft.code.as_str()),
                coupons::name.eq(draft.name.as_deref()),
                coupons::discount_type.eq(t.kind),
                coupons::percent_off_bp.eq(t.percent),
                coupons::amount_off.eq(t.amount),
                coupons::currency.eq(t.currency),
                coupons::duration.eq(t.duration),
                coupons::duration_in_months.eq(t.months),
                coupons::max_redemptions.eq(draft.max_redemptions),
                coupons::starts_at.eq(draft.starts_at),
                coupons::redeem_by.eq(draft.redeem_by),
                coupons::once_per_customer.eq(draft.once_per_customer),
                coupons::updated_at.eq(now()),
                coupons::velocity_limit.eq(draft.velocity.map(|v| v.limit)),
                coupons::velocity_window.eq(draft.velocity.map(|v| v.window.as_str())),
            ))
            .execute(conn)
            .map_err(code_conflict)?;
        if updated == 0 {
            let current = find_live(conn, store, id)?;
            return Err(match draft.max_redemptions {
                Some(max) if current.times_redeemed > max => {
                    CouponWriteError::BelowRedeemed(current.times_redeemed)
                }
                _ => CouponWriteError::Locked,
            });
        }
        if old.velocity.map(|v| v.window) != draft.velocity.map(|v| v.window) {
            crate::db::velocity::restart_window(conn, crate::db::velocity::Code::Coupon(id))?;
        }
        set_products(conn, id, &draft.applies_to)?;
        log(
            conn,
            id,
            user,
            "edited",
            &changes(&old, &old_products, draft),
        )?;
        crate::db::webhooks::record(conn, store, "coupon.updated", Subject::Coupon(id.0))?;
        Ok(())
    })
}

/// A lifecycle action on a coupon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lifecycle {
    Archive,
    Unarchive,
    Delete,
}

impl Lifecycle {
    pub fn past_tense(self) -> &'static str {
        match self {
            Lifecycle::Archive => "archived",
            Lifecycle::Unarchive => "unarchived",
            Lifecycle::Delete => "deleted",
        }
    }
}

/// Archives, unarchives or deletes a live coupon. Returns the set codes it
/// ended (also written in its activity log), or `None` when the coupon was
/// already in that state (nothing written).
pub fn apply(
    conn: &mut Conn,
    store: StoreId,
    id: CouponId,
    action: Lifecycle,
    user: Actor,
) -> QueryResult<Option<EndedCodes>> {
    crate::db::write_transaction(conn, |conn| {
        find_live(conn, store, id)?;
        let live = coupons::table
            .filter(coupons::id.eq(id))
            .filter(coupons::deleted_at.is_null());
        let at = now();
        let updated = match action {
            Lifecycle::Archive => diesel::update(live.filter(coupons::archived_at.is_null()))
                .set((
                    coupons::archived_at.eq(Some(at)),
                    coupons::updated_at.eq(at),
                ))
                .execute(conn)?,
            Lifecycle::Unarchive => diesel::update(live.filter(coupons::archived_at.is_not_null()))
                .set((
                    coupons::archived_at.eq(None::<NaiveDateTime>),
                    coupons::updated_at.eq(at),
                ))
                .execute(conn)?,
            Lifecycle::Delete => diesel::update(live)
                .set((coupons::deleted_at.eq(Some(at)), coupons::updated_at.eq(at)))
                .execute(conn)?,
        };
        if updated == 0 {
            return Ok(None);
        }
        let mut ended = EndedCodes::default();
        if matches!(action, Lifecycle::Archive | Lifecycle::Delete) {
            let why = format!(
                "Generation stopped: the coupon was {}.",
                action.past_tense()
            );
            ended = crate::db::coupon_sets::archive_codes_of_coupon(conn, id, &why)?;
        }
        log(conn, id, user, action.past_tense(), &ended.done())?;
        let event = format!("coupon.{}", action.past_tense());
        crate::db::webhooks::record(conn, store, &event, Subject::Coupon(id.0))?;
        Ok(Some(ended))
    })
}
