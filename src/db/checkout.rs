//! The reads behind a checkout: the code a customer typed, resolved to the
//! coupon behind it (SPEC section 6), and what is known of the buyer.

use crate::db::FirstRow;
use crate::domain::status::OrderStatus;
use chrono::NaiveDateTime;
use chrono_tz::Tz;
use diesel::prelude::*;

use super::coupons::Coupon;
use super::schema::{coupon_sets, coupons, customers, orders, promotion_codes, set_codes};
use super::{Conn, DbError, upper};
use crate::domain::email::Email;
use crate::domain::ids::{CouponId, CouponSetId, ProductId, StoreId};
use crate::domain::money::CurrencyCode;
use crate::domain::pricing::Terms;
use crate::domain::promotion::PromoState;
use crate::domain::redemption::{
    Applied, Buyer, CodeBook, PromotionCandidate, PromotionFacts, Refusal, SetCodeState, Via,
    best_promotion,
};
use crate::domain::time;

fn applied(
    conn: &mut Conn,
    coupon: Coupon,
    code: String,
    via: Via,
    tz: Tz,
) -> QueryResult<Applied> {
    let applies_to = super::coupons::applies_to(conn, coupon.id)?;
    Ok(applied_to(coupon, applies_to, code, via, tz))
}

/// `applied` with the coupon's products already read.
fn applied_to(
    coupon: Coupon,
    applies_to: Vec<ProductId>,
    code: String,
    via: Via,
    tz: Tz,
) -> Applied {
    let velocity_limited =
        coupon.velocity.is_some() || matches!(&via, Via::Promotion(p) if p.velocity_limited);
    Applied {
        code,
        coupon_id: coupon.id,
        coupon: coupon.facts(),
        starts_text: coupon
            .starts_at
            .map(|s| time::display(s, tz))
            .unwrap_or_default(),
        terms: Terms {
            discount: coupon.discount,
            duration: coupon.duration,
            applies_to,
        },
        once_per_customer: coupon.once_per_customer,
        label: coupon
            .name
            .clone()
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| coupon.discount.describe()),
        via,
        velocity_limited,
    }
}

/// The newest deleted coupon with exactly this code.
fn deleted_coupon_by_code(conn: &mut Conn, store: StoreId, code: &str) -> QueryResult<Option<i64>> {
    coupons::table
        .filter(coupons::store_id.eq(store))
        .filter(coupons::code.eq(code))
        .filter(coupons::deleted_at.is_not_null())
        .select(coupons::id)
        .order(coupons::id.desc())
        .first_row(conn)
        .optional()
}

/// The promotion code a customer means by this normal form
/// (`domain::redemption::best_promotion` picks among those sharing it).
fn promotion(
    conn: &mut Conn,
    store: StoreId,
    normal: &str,
    email: Option<&Email>,
    now: NaiveDateTime,
) -> QueryResult<Option<super::promotion_codes::Promotion>> {
    let ids: Vec<i64> = promotion_codes::table
        .filter(promotion_codes::store_id.eq(store))
        .filter(promotion_codes::normal.eq(normal))
        .filter(promotion_codes::deleted_at.is_null())
        .select(promotion_codes::id)
        .order(promotion_codes::id.desc())
        .first_rows(50, conn)?;
    let mut found = Vec::with_capacity(ids.len());
    for id in ids {
        found.push(super::promotion_codes::find(
            conn,
            store,
            crate::domain::ids::PromotionCodeId(id),
        )?);
    }
    let candidates: Vec<PromotionCandidate> = found
        .iter()
        .map(|p| PromotionCandidate {
            usable: matches!(p.state(now), PromoState::Active | PromoState::CouponInvalid),
            customer: p.row.customer_email.clone(),
        })
        .collect();
    let best = best_promotion(&candidates, email.map(Email::as_str));
    Ok(best.map(|i| found.swap_remove(i)))
}

/// The store's codes, as `domain::redemption::resolve` asks for them.
struct Book<'a> {
    conn: &'a mut Conn,
    store: StoreId,
    email: Option<&'a Email>,
    now: NaiveDateTime,
    tz: Tz,
}

impl CodeBook for Book<'_> {
    type Found = Applied;
    type Error = DbError;

    fn live_coupon(&mut self, exact: &str) -> QueryResult<Option<Applied>> {
        Ok(
            super::coupons::find_live_by_code(self.conn, self.store, exact)?.map(
                |(coupon, products)| {
                    applied_to(coupon, products, exact.to_string(), Via::Coupon, self.tz)
                },
            ),
        )
    }

    fn promotion(&mut self, normal: &str) -> QueryResult<Option<Applied>> {
        let Some(p) = promotion(self.conn, self.store, normal, self.email, self.now)? else {
            return Ok(None);
        };
        let promo = PromotionFacts {
            id: p.id(),
            facts: p.facts(self.now),
            customer: p.row.customer_email.clone(),
            first_time_transaction: p.row.first_time_transaction,
            minimum: p
                .row
                .minimum_amount
                .zip(p.row.minimum_amount_currency.as_deref())
                .and_then(|(amount, c)| CurrencyCode::parse(c).ok().map(|c| (amount, c))),
            velocity_limited: p.row.velocity().is_some(),
        };
        applied(
            self.conn,
            p.coupon,
            p.row.code,
            Via::Promotion(promo),
            self.tz,
        )
        .map(Some)
    }

    fn set_code(&mut self, normal: &str) -> QueryResult<Option<Applied>> {
        let found: Option<(i64, i64, i64, String, String)> = set_codes::table
            .inner_join(coupon_sets::table)
            .filter(set_codes::store_id.eq(self.store))
            .filter(set_codes::normal.eq(normal))
            .select((
                set_codes::id,
                set_codes::set_id,
                coupon_sets::coupon_id,
                set_codes::code,
                set_codes::state,
            ))
            .first_row(self.conn)
            .optional()?;
        let Some((id, set, coupon, code, state)) = found else {
            return Ok(None);
        };
        let state = SetCodeState::try_from(state)
            .map_err(|e| diesel::result::Error::DeserializationError(e.into()))?;
        let coupon = super::coupons::find(self.conn, self.store, CouponId(coupon))?;
        let via = Via::SetCode {
            id,
            set: CouponSetId(set),
            state,
        };
        applied(self.conn, coupon, code, via, self.tz).map(Some)
    }

    fn deleted_coupon(&mut self, exact: &str) -> QueryResult<Option<Applied>> {
        match deleted_coupon_by_code(self.conn, self.store, exact)? {
            Some(id) => {
                let coupon = super::coupons::find(self.conn, self.store, CouponId(id))?;
                applied(self.conn, coupon, exact.to_string(), Via::Coupon, self.tz).map(Some)
            }
            None => Ok(None),
        }
    }

    fn coupon_in_other_case(&mut self, typed: &str) -> QueryResult<bool> {
        let found: Option<i64> = coupons::table
            .filter(coupons::store_id.eq(self.store))
            .filter(coupons::deleted_at.is_null())
            .filter(upper(coupons::code).eq(typed.to_uppercase()))
            .select(coupons::id)
            .first_row(self.conn)
            .optional()?;
        Ok(found.is_some())
    }
}

/// Resolves a typed code in the order `domain::redemption::resolve` gives,
/// from this store's codes.
pub fn resolve(
    conn: &mut Conn,
    store: StoreId,
    typed: &str,
    email: Option<&Email>,
    now: NaiveDateTime,
    tz: Tz,
) -> QueryResult<Result<Applied, Refusal>> {
    let mut book = Book {
        conn,
        store,
        email,
        now,
        tz,
    };
    crate::domain::redemption::resolve(&mut book, typed)
}

/// What the store knows of this email: paid orders, and whether one of them
/// used `coupon`.
pub fn buyer(
    conn: &mut Conn,
    store: StoreId,
    email: Option<&Email>,
    coupon: Option<CouponId>,
) -> QueryResult<Buyer> {
    let Some(email) = email else {
        return Ok(Buyer::default());
    };
    let customer: Option<(i64, i64)> = customers::table
        .filter(customers::store_id.eq(store))
        .filter(customers::email.eq(email.as_str()))
        .select((customers::id, customers::orders_count))
        .first_row(conn)
        .optional()?;
    let (paid_orders, used_coupon) = match (customer, coupon) {
        (None, _) => (0, false),
        (Some((_, count)), None) => (count, false),
        (Some((id, count)), Some(coupon)) => (count, used_coupon(conn, id, coupon)?),
    };
    Ok(Buyer {
        email: Some(email.clone()),
        paid_orders,
        used_coupon,
    })
}

/// Has a paid order of this customer used this coupon?
pub fn used_coupon(conn: &mut Conn, customer: i64, coupon: CouponId) -> QueryResult<bool> {
    let found: Option<i64> = orders::table
        .filter(orders::customer_id.eq(customer))
        .filter(orders::coupon_id.eq(coupon))
        .filter(orders::status.eq(OrderStatus::Paid.as_str()))
        .select(orders::id)
        .first_row(conn)
        .optional()?;
    Ok(found.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::{self, replan};

    /// A checkout's look-ups of a coupon code, a promotion code and a set
    /// code are planned once, also with the statistics the start-up
    /// `db::analyze` keeps of a store with many codes.
    #[test]
    fn code_look_ups_are_planned_once_with_statistics() {
        let (dir, pool) = db::temp_sqlite();
        let mut conn = pool.get().expect("conn");
        let store = db::seed::bare_store(&mut conn, "shop").expect("store");
        db::seed::coupons(&mut conn, store, 2_000).expect("coupons");
        let coupon = db::seed::newest_coupon(&mut conn, store).expect("coupon");
        let promotions = db::seed::promotion_codes(&mut conn, store, coupon, 2_000).expect("codes");
        db::analyze(&mut **conn).expect("analyze");
        let at = chrono::Utc::now().naive_utc();
        let (found, sql) = replan::recorded(&mut conn, |conn| {
            let mut found = 0;
            for typed in [
                "SEED0000001",
                "SEED0000002",
                &promotions[0],
                &promotions[1],
                "NOPE",
            ] {
                let resolved = resolve(conn, store, typed, None, at, chrono_tz::UTC);
                found += usize::from(matches!(resolved, Ok(Ok(_)) | Ok(Err(_))));
            }
            found
        });
        assert_eq!(found, 5, "every look-up answered");
        assert!(!sql.is_empty(), "the look-ups' statements were recorded");
        let again = replan::replanned(&dir.path().join("test.db"), &sql);
        assert!(again.is_empty(), "planned again on each run: {again:#?}");
    }
}
