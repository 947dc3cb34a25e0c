//! The SQL form of a promotion code's own state at time `at`
//! (`domain::promotion::PromoFacts`), shared by the list's state filters and
//! the redemption's conditional UPDATE. Its coupon's part is
//! `db::coupons::redeemable`.

#![allow(non_camel_case_types)]

use chrono::NaiveDateTime;
use diesel::dsl::auto_type;
use diesel::prelude::*;

use crate::db::schema::promotion_codes;

/// Before its `expires_at`, if it has one.
#[auto_type]
pub fn not_expired(at: NaiveDateTime) -> _ {
    promotion_codes::expires_at
        .is_null()
        .or(promotion_codes::expires_at.gt(at))
}

/// Uses left, or no limit.
#[auto_type]
pub fn not_exhausted() -> _ {
    promotion_codes::max_redemptions
        .is_null()
        .or(promotion_codes::times_redeemed.lt(promotion_codes::max_redemptions.assume_not_null()))
}

/// Not deleted, switched on, not expired, uses left: the code itself works
/// at `at`, paused or not.
#[auto_type]
pub fn working(at: NaiveDateTime) -> _ {
    let not_expired: not_expired = not_expired(at);
    let not_exhausted: not_exhausted = not_exhausted();
    promotion_codes::deleted_at
        .is_null()
        .and(promotion_codes::active.eq(true))
        .and(not_expired)
        .and(not_exhausted)
}

/// Working and not paused by its velocity limit: the code itself may be
/// redeemed at `at` (its coupon must be `redeemable` too).
#[auto_type]
pub fn usable(at: NaiveDateTime) -> _ {
    let working: working = working(at);
    working.and(promotion_codes::paused_at.is_null())
}
