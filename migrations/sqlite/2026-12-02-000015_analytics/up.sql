-- SPEC 12 analytics: counts per code and per day of the store's time zone
-- (day = days from 0001-01-01 in the store's zone). Each server process
-- adds what it counted every quarter second (`crate::analytics`), outside
-- any redemption's transaction, so counting never locks a coupon row.
-- A code is (coupon, promotion code or 0, set or 0); amounts are per
-- currency, net of rollbacks.
CREATE TABLE code_daily (
    store_id BIGINT NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
    coupon_id BIGINT NOT NULL,
    promotion_code_id BIGINT NOT NULL DEFAULT 0,
    set_id BIGINT NOT NULL DEFAULT 0,
    day BIGINT NOT NULL,
    currency TEXT NOT NULL DEFAULT '',
    opens BIGINT NOT NULL DEFAULT 0,
    applied BIGINT NOT NULL DEFAULT 0,
    redeemed BIGINT NOT NULL DEFAULT 0,
    rolled_back BIGINT NOT NULL DEFAULT 0,
    discount BIGINT NOT NULL DEFAULT 0,
    revenue BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (store_id, coupon_id, promotion_code_id, set_id, day, currency)
);
CREATE INDEX code_daily_store_day_idx ON code_daily (store_id, day);

-- Refused codes by reason (refusal key), per code (0s: the text matched no
-- code) and day.
CREATE TABLE refusal_daily (
    store_id BIGINT NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
    coupon_id BIGINT NOT NULL DEFAULT 0,
    promotion_code_id BIGINT NOT NULL DEFAULT 0,
    set_id BIGINT NOT NULL DEFAULT 0,
    day BIGINT NOT NULL,
    reason TEXT NOT NULL,
    n BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (store_id, coupon_id, promotion_code_id, set_id, day, reason)
);
CREATE INDEX refusal_daily_store_day_idx ON refusal_daily (store_id, day);
