-- A set code is used by at most one paid order: the schema backs the
-- `state = 'unused'` guard of db::orders::place, as the CHECKs on
-- coupons and promotion_codes (times_redeemed <= max_redemptions) and the
-- primary key of coupon_customer_redemptions back the other limits.
CREATE UNIQUE INDEX orders_one_paid_order_per_set_code
    ON orders (set_code_id) WHERE status = 'paid' AND set_code_id IS NOT NULL;
