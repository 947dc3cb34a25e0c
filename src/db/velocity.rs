//! The leak tripwire's writes (SPEC section 12): the redemption that would
//! exceed a velocity limit pauses its code (`pause`, inside that
//! redemption's transaction, `db::orders::place`); staff resume it. The
//! window's counter itself is kept by the redemption's UPDATE.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{coupons, promotion_codes};
use super::webhooks::{self, Subject};
use super::{Conn, now};
use crate::db::FirstRow;
use crate::domain::ids::{Actor, CouponId, PromotionCodeId, StoreId};

/// A code that may have a velocity limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    Coupon(CouponId),
    PromotionCode(PromotionCodeId),
}

impl Code {
    fn subject(self) -> Subject {
        match self {
            Code::Coupon(id) => Subject::Coupon(id.0),
            Code::PromotionCode(id) => Subject::PromotionCode(id.0),
        }
    }
}

/// Pauses the code, once: the first refused redemption writes the pause,
/// its activity-log entry and the `code.paused` event; racing ones find it
/// paused and write nothing. Returns whether this call paused it.
pub fn pause(conn: &mut Conn, store: StoreId, code: Code, at: NaiveDateTime) -> QueryResult<bool> {
    let (paused, limit) = match code {
        Code::Coupon(id) => {
            let paused = diesel::update(
                coupons::table
                    .filter(coupons::id.eq(id))
                    .filter(coupons::paused_at.is_null()),
            )
            .set(coupons::paused_at.eq(Some(at)))
            .execute(conn)?;
            let limit = coupons::table
                .filter(coupons::id.eq(id))
                .select((coupons::velocity_limit, coupons::velocity_window))
                .first_row::<(Option<i64>, Option<String>)>(conn)?;
            (paused, limit)
        }
        Code::PromotionCode(id) => {
            let paused = diesel::update(
                promotion_codes::table
                    .filter(promotion_codes::id.eq(id))
                    .filter(promotion_codes::paused_at.is_null()),
            )
            .set(promotion_codes::paused_at.eq(Some(at)))
            .execute(conn)?;
            let limit = promotion_codes::table
                .filter(promotion_codes::id.eq(id))
                .select((
                    promotion_codes::velocity_limit,
                    promotion_codes::velocity_window,
                ))
                .first_row::<(Option<i64>, Option<String>)>(conn)?;
            (paused, limit)
        }
    };
    if paused == 0 {
        return Ok(false);
    }
    let detail = match crate::domain::velocity::Velocity::from_stored(limit.0, limit.1.as_deref()) {
        Some(v) => format!("velocity limit of {} reached", v.describe()),
        None => "velocity limit reached".to_string(),
    };
    log(conn, code, Actor::System, "paused", &detail)?;
    webhooks::record(conn, store, "code.paused", code.subject())?;
    Ok(true)
}

/// Resumes a paused code: redeemable again, its window's count starting
/// from 0. `false` when it was not paused (nothing written).
pub fn resume(conn: &mut Conn, store: StoreId, code: Code, user: Actor) -> QueryResult<bool> {
    super::write_transaction(conn, |conn| {
        let resumed = match code {
            Code::Coupon(id) => diesel::update(
                coupons::table
                    .filter(coupons::store_id.eq(store))
                    .filter(coupons::id.eq(id))
                    .filter(coupons::deleted_at.is_null())
                    .filter(coupons::paused_at.is_not_null()),
            )
            .set((
                coupons::paused_at.eq(None::<NaiveDateTime>),
                coupons::velocity_count.eq(0i64),
                coupons::velocity_bucket.eq(None::<i64>),
                coupons::updated_at.eq(now()),
            ))
            .execute(conn)?,
            Code::PromotionCode(id) => diesel::update(
                promotion_codes::table
                    .filter(promotion_codes::store_id.eq(store))
                    .filter(promotion_codes::id.eq(id))
                    .filter(promotion_codes::deleted_at.is_null())
                    .filter(promotion_codes::paused_at.is_not_null()),
            )
            .set((
                promotion_codes::paused_at.eq(None::<NaiveDateTime>),
                promotion_codes::velocity_count.eq(0i64),
                promotion_codes::velocity_bucket.eq(None::<i64>),
                promotion_codes::updated_at.eq(now()),
            ))
            .execute(conn)?,
        };
        if resumed == 0 {
            return Ok(false);
        }
        log(
            conn,
            code,
            user,
            "resumed",
            "velocity window counts from 0 again",
        )?;
        let event = match code {
            Code::Coupon(_) => "coupon.updated",
            Code::PromotionCode(_) => "promotion_code.updated",
        };
        webhooks::record(conn, store, event, code.subject())?;
        Ok(true)
    })
}

/// A paused code, for the store's overview.
#[derive(Debug, Clone)]
pub struct PausedCode {
    pub code: Code,
    pub text: String,
    pub paused_at: NaiveDateTime,
}

/// The store's paused coupons and promotion codes (live ones), longest
/// paused first; at most `limit` of each.
pub fn paused_codes(conn: &mut Conn, store: StoreId, limit: i64) -> QueryResult<Vec<PausedCode>> {
    let coupons: Vec<(i64, String, Option<NaiveDateTime>)> = coupons::table
        .filter(coupons::store_id.eq(store))
        .filter(coupons::paused_at.is_not_null())
        .filter(super::coupons::redeemable::live())
        .select((coupons::id, coupons::code, coupons::paused_at))
        .order(coupons::paused_at.asc())
        .limit(limit)
        .load(conn)?;
    let promos: Vec<(i64, String, Option<NaiveDateTime>)> = promotion_codes::table
        .filter(promotion_codes::store_id.eq(store))
        .filter(promotion_codes::paused_at.is_not_null())
        .filter(promotion_codes::active.eq(true))
        .filter(promotion_codes::deleted_at.is_null())
        .select((
            promotion_codes::id,
            promotion_codes::code,
            promotion_codes::paused_at,
        ))
        .order(promotion_codes::paused_at.asc())
        .limit(limit)
        .load(conn)?;
    let mut all: Vec<PausedCode> = coupons
        .into_iter()
        .map(|(id, text, at)| (Code::Coupon(CouponId(id)), text, at))
        .chain(
            promos
                .into_iter()
                .map(|(id, text, at)| (Code::PromotionCode(PromotionCodeId(id)), text, at)),
        )
        .filter_map(|(code, text, at)| {
            at.map(|paused_at| PausedCode {
                code,
                text,
                paused_at,
            })
        })
        .collect();
    all.sort_by_key(|p| p.paused_at);
    Ok(all)
}

/// Forgets the current window's count (its window changed length).
pub fn restart_window(conn: &mut Conn, code: Code) -> QueryResult<()> {
    match code {
        Code::Coupon(id) => diesel::update(coupons::table.filter(coupons::id.eq(id)))
            .set((
                coupons::velocity_count.eq(0i64),
                coupons::velocity_bucket.eq(None::<i64>),
            ))
            .execute(conn)?,
        Code::PromotionCode(id) => {
            diesel::update(promotion_codes::table.filter(promotion_codes::id.eq(id)))
                .set((
                    promotion_codes::velocity_count.eq(0i64),
                    promotion_codes::velocity_bucket.eq(None::<i64>),
                ))
                .execute(conn)?
        }
    };
    Ok(())
}

fn log(conn: &mut Conn, code: Code, user: Actor, action: &str, detail: &str) -> QueryResult<()> {
    match code {
        Code::Coupon(id) => super::coupons::write::log(conn, id, user, action, detail),
        Code::PromotionCode(id) => {
            super::promotion_codes::write::log(conn, id, user, action, detail)
        }
    }
}
