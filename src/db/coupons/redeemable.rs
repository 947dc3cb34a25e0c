//! The SQL form of a coupon's state at time `at` (`domain::states`): one
//! condition per fact, shared by the list's state filters and by the
//! redemption's conditional UPDATE, so both mean what the page shows.

#![allow(non_camel_case_types)]

use chrono::NaiveDateTime;
use diesel::dsl::auto_type;
use diesel::prelude::*;

use crate::db::schema::coupons;

/// Neither deleted nor archived.
#[auto_type]
pub fn live() -> _ {
    coupons::deleted_at
        .is_null()
        .and(coupons::archived_at.is_null())
}

/// Not paused by its velocity limit.
#[auto_type]
pub fn not_paused() -> _ {
    coupons::paused_at.is_null()
}

/// Past its `starts_at`, if it has one.
#[auto_type]
pub fn started(at: NaiveDateTime) -> _ {
    coupons::starts_at.is_null().or(coupons::starts_at.le(at))
}

/// Before its `redeem_by`, if it has one.
#[auto_type]
pub fn not_expired(at: NaiveDateTime) -> _ {
    coupons::redeem_by.is_null().or(coupons::redeem_by.gt(at))
}

/// Uses left, or no limit.
#[auto_type]
pub fn not_exhausted() -> _ {
    coupons::max_redemptions
        .is_null()
        .or(coupons::times_redeemed.lt(coupons::max_redemptions.assume_not_null()))
}

/// State `active` at `at`: what a checkout may redeem.
#[auto_type]
pub fn redeemable(at: NaiveDateTime) -> _ {
    let live: live = live();
    let not_paused: not_paused = not_paused();
    let started: started = started(at);
    let not_expired: not_expired = not_expired(at);
    let not_exhausted: not_exhausted = not_exhausted();
    live.and(not_paused)
        .and(started)
        .and(not_expired)
        .and(not_exhausted)
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;
    use diesel::prelude::*;

    use super::redeemable;
    use crate::db::coupons::{Cursor, ListQuery, list};
    use crate::db::schema::coupons;
    use crate::db::{self, Conn};
    use crate::domain::ids::StoreId;
    use crate::domain::states::{CouponFacts, CouponState};

    /// Every combination of the facts a state depends on, around `now`.
    fn grid(now: chrono::NaiveDateTime) -> Vec<CouponFacts> {
        let (past, future) = (now - TimeDelta::days(1), now + TimeDelta::days(1));
        let mut all = Vec::new();
        for deleted in [false, true] {
            for archived in [false, true] {
                for paused in [false, true] {
                    for starts_at in [None, Some(past), Some(future), Some(now)] {
                        for redeem_by in [None, Some(past), Some(future), Some(now)] {
                            for (times_redeemed, max_redemptions) in [
                                (0, None),
                                (3, None),
                                (0, Some(3)),
                                (2, Some(3)),
                                (3, Some(3)),
                            ] {
                                all.push(CouponFacts {
                                    deleted,
                                    archived,
                                    paused,
                                    starts_at,
                                    redeem_by,
                                    times_redeemed,
                                    max_redemptions,
                                });
                            }
                        }
                    }
                }
            }
        }
        all
    }

    /// The grid as coupons of one store; returns the store and each
    /// coupon's id with its facts.
    fn seed(conn: &mut Conn, now: chrono::NaiveDateTime) -> (StoreId, Vec<(i64, CouponFacts)>) {
        let store = db::seed::bare_store(conn, "grid").expect("store");
        let mut rows = Vec::new();
        for (i, f) in grid(now).into_iter().enumerate() {
            diesel::insert_into(coupons::table)
                .values((
                    coupons::store_id.eq(store),
                    coupons::code.eq(format!("GRID{i}")),
                    coupons::discount_type.eq("percent"),
                    coupons::percent_off_bp.eq(Some(1000i64)),
                    coupons::duration.eq("once"),
                    coupons::max_redemptions.eq(f.max_redemptions),
                    coupons::times_redeemed.eq(f.times_redeemed),
                    coupons::starts_at.eq(f.starts_at),
                    coupons::redeem_by.eq(f.redeem_by),
                    coupons::archived_at.eq(f.archived.then_some(now)),
                    coupons::deleted_at.eq(f.deleted.then_some(now)),
                    coupons::paused_at.eq(f.paused.then_some(now)),
                    coupons::once_per_customer.eq(false),
                    coupons::created_at.eq(now),
                    coupons::updated_at.eq(now),
                ))
                .execute(conn)
                .expect("coupon");
            let id = db::seed::newest_coupon(conn, store).expect("id");
            rows.push((id, f));
        }
        (store, rows)
    }

    /// `redeemable` and every state filter of the list pick exactly the
    /// coupons whose derived state (`domain::states`) says so.
    #[test]
    fn the_sql_conditions_agree_with_the_derived_states() {
        let (_dir, pool) = db::temp_sqlite();
        let mut conn = pool.get().expect("conn");
        let now = db::now();
        let (store, rows) = seed(&mut conn, now);
        let with_state = |state: CouponState| {
            let mut ids: Vec<i64> = rows
                .iter()
                .filter(|(_, f)| f.state(now) == state)
                .map(|(id, _)| *id)
                .collect();
            ids.sort_unstable();
            ids
        };
        let mut redeemable_ids: Vec<i64> = coupons::table
            .filter(coupons::store_id.eq(store))
            .filter(redeemable(now))
            .select(coupons::id)
            .load(&mut **conn)
            .expect("redeemable");
        redeemable_ids.sort_unstable();
        assert_eq!(redeemable_ids, with_state(CouponState::Active));
        assert!(!redeemable_ids.is_empty());
        for state in CouponState::ALL {
            let q = ListQuery {
                state: Some(state),
                prefix: None,
                cursor: Cursor::First,
                limit: 10_000,
                sort: None,
            };
            let page = list(&mut conn, store, &q, now).expect("list");
            let mut ids: Vec<i64> = page.items.iter().map(|c| c.id.0).collect();
            ids.sort_unstable();
            assert_eq!(ids, with_state(state), "the {} filter", state.as_str());
            assert!(!ids.is_empty(), "the grid has {} coupons", state.as_str());
        }
    }
}
