//! Refunds: an order given back. Its redemption returns — the coupon's and
//! the promotion code's counts go down, a set code is unused again, the
//! customer may use a once-per-customer coupon again — and the coupon's log
//! records it. Rows are locked in the order `place` uses.

use crate::db::FirstRow;
use crate::domain::status::{OrderStatus, SetCodeState};
use diesel::prelude::*;

use super::super::schema::{
    coupon_customer_redemptions, coupon_sets, coupons, customers, orders, promotion_codes,
    set_codes,
};
use super::super::{Conn, now};
use crate::domain::ids::{Actor, CouponId, OrderId, StoreId};

/// Refunds a paid order; `false` when it was refunded already.
/// `reason` (the API's rollback reason) goes into the coupon's log.
pub fn refund(
    conn: &mut Conn,
    store: StoreId,
    id: OrderId,
    user: Actor,
    reason: Option<&str>,
) -> QueryResult<bool> {
    super::super::write_transaction(conn, |conn| {
        let order = super::find(conn, store, id)?;
        let at = now();
        let refunded = diesel::update(
            orders::table
                .filter(orders::id.eq(id))
                .filter(orders::status.eq(OrderStatus::Paid.as_str())),
        )
        .set((
            orders::status.eq(OrderStatus::Refunded.as_str()),
            orders::refunded_at.eq(Some(at)),
            orders::refunded_by.eq(user.user()),
            orders::refunded_by_api_key.eq(user.api_key()),
        ))
        .execute(conn)?;
        if refunded == 0 {
            return Ok(false);
        }
        crate::db::webhooks::record(
            conn,
            store,
            "redemption.rolled_back",
            crate::db::webhooks::Subject::Redemption(id.0),
        )?;
        let row = &order.row;
        diesel::update(
            customers::table
                .filter(customers::id.eq(row.customer_id))
                .filter(customers::orders_count.gt(0i64)),
        )
        .set(customers::orders_count.eq(customers::orders_count - 1))
        .execute(conn)?;
        if let Some(coupon) = row.coupon_id {
            diesel::update(
                coupons::table
                    .filter(coupons::id.eq(coupon))
                    .filter(coupons::times_redeemed.gt(0i64)),
            )
            .set(coupons::times_redeemed.eq(coupons::times_redeemed - 1))
            .execute(conn)?;
        }
        if let Some(promotion) = row.promotion_code_id {
            diesel::update(
                promotion_codes::table
                    .filter(promotion_codes::id.eq(promotion))
                    .filter(promotion_codes::times_redeemed.gt(0i64)),
            )
            .set(promotion_codes::times_redeemed.eq(promotion_codes::times_redeemed - 1))
            .execute(conn)?;
        }
        let mut detail = format!(
            "order {} refunded: its redemption is given back",
            row.public_id
        );
        if let Some(code) = row.set_code_id {
            let set: Option<i64> = set_codes::table
                .filter(set_codes::id.eq(code))
                .filter(set_codes::state.eq(SetCodeState::Used.as_str()))
                .filter(set_codes::order_id.eq(id))
                .select(set_codes::set_id)
                .first_row(conn)
                .optional()?;
            if let Some(set) = set {
                diesel::update(set_codes::table.filter(set_codes::id.eq(code)))
                    .set((
                        set_codes::state.eq(SetCodeState::Unused.as_str()),
                        set_codes::used_at.eq(None::<chrono::NaiveDateTime>),
                        set_codes::order_id.eq(None::<i64>),
                    ))
                    .execute(conn)?;
                diesel::update(
                    coupon_sets::table
                        .filter(coupon_sets::id.eq(set))
                        .filter(coupon_sets::used_codes.gt(0i64)),
                )
                .set(coupon_sets::used_codes.eq(coupon_sets::used_codes - 1))
                .execute(conn)?;
                detail.push_str(&format!(
                    "; set code {} is unused again",
                    row.code.clone().unwrap_or_default()
                ));
            }
        }
        if let Some(reason) = reason.map(str::trim).filter(|r| !r.is_empty()) {
            detail.push_str(&format!("; reason: {reason}"));
        }
        diesel::delete(
            coupon_customer_redemptions::table.filter(coupon_customer_redemptions::order_id.eq(id)),
        )
        .execute(conn)?;
        if let Some(coupon) = row.coupon_id {
            crate::db::coupons::write::log(conn, CouponId(coupon), user, "refund", &detail)?;
        }
        Ok(true)
    })
}
