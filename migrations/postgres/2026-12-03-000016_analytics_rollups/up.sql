-- The store's own per-day sums (SPEC 12), written with the per-code rows by
-- the same flush, so that the store's figures over a period read at most a
-- row per day and currency (or reason) instead of every code's rows.
CREATE TABLE store_daily (
    store_id BIGINT NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
    day BIGINT NOT NULL,
    currency TEXT NOT NULL DEFAULT '',
    opens BIGINT NOT NULL DEFAULT 0,
    applied BIGINT NOT NULL DEFAULT 0,
    redeemed BIGINT NOT NULL DEFAULT 0,
    rolled_back BIGINT NOT NULL DEFAULT 0,
    discount BIGINT NOT NULL DEFAULT 0,
    revenue BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (store_id, day, currency)
);
INSERT INTO store_daily (store_id, day, currency, opens, applied, redeemed, rolled_back, discount, revenue)
SELECT store_id, day, currency, SUM(opens), SUM(applied), SUM(redeemed), SUM(rolled_back), SUM(discount), SUM(revenue)
FROM code_daily GROUP BY store_id, day, currency;

CREATE TABLE store_refusal_daily (
    store_id BIGINT NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
    day BIGINT NOT NULL,
    reason TEXT NOT NULL,
    n BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (store_id, day, reason)
);
INSERT INTO store_refusal_daily (store_id, day, reason, n)
SELECT store_id, day, reason, SUM(n) FROM refusal_daily GROUP BY store_id, day, reason;

-- The per-code table of a period reads its rows from one index, in day
-- order, without a visit to the table for each.
DROP INDEX code_daily_store_day_idx;
CREATE INDEX code_daily_period_idx ON code_daily (store_id, day) INCLUDE (coupon_id, promotion_code_id, set_id, currency, opens, applied, redeemed, rolled_back, discount, revenue);
