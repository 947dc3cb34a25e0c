-- Running totals per code and currency (SPEC 12), so that a period's
-- per-code table costs two index seeks a code however long the period:
-- a code's sums over days from..to are its running totals at the last
-- active day <= to, minus those at the last active day < from.
-- code_running: one row per code, currency and day with activity, holding
-- the code's totals of every day up to and including it.
CREATE TABLE code_running (
    store_id BIGINT NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
    coupon_id BIGINT NOT NULL,
    promotion_code_id BIGINT NOT NULL,
    set_id BIGINT NOT NULL,
    currency TEXT NOT NULL DEFAULT '',
    day BIGINT NOT NULL,
    opens BIGINT NOT NULL DEFAULT 0,
    applied BIGINT NOT NULL DEFAULT 0,
    redeemed BIGINT NOT NULL DEFAULT 0,
    rolled_back BIGINT NOT NULL DEFAULT 0,
    discount BIGINT NOT NULL DEFAULT 0,
    revenue BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (store_id, coupon_id, promotion_code_id, set_id, currency, day)
);
INSERT INTO code_running (store_id, coupon_id, promotion_code_id, set_id, currency, day, opens, applied, redeemed, rolled_back, discount, revenue)
SELECT store_id, coupon_id, promotion_code_id, set_id, currency, day,
    SUM(opens) OVER w, SUM(applied) OVER w, SUM(redeemed) OVER w,
    SUM(rolled_back) OVER w, SUM(discount) OVER w, SUM(revenue) OVER w
FROM code_daily
WINDOW w AS (PARTITION BY store_id, coupon_id, promotion_code_id, set_id, currency ORDER BY day);

-- code_totals: one row per code and currency, its totals of every day
-- and its last active day (the list of a store's codes, and the end of
-- any period that reaches today).
CREATE TABLE code_totals (
    store_id BIGINT NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
    coupon_id BIGINT NOT NULL,
    promotion_code_id BIGINT NOT NULL,
    set_id BIGINT NOT NULL,
    currency TEXT NOT NULL DEFAULT '',
    last_day BIGINT NOT NULL,
    opens BIGINT NOT NULL DEFAULT 0,
    applied BIGINT NOT NULL DEFAULT 0,
    redeemed BIGINT NOT NULL DEFAULT 0,
    rolled_back BIGINT NOT NULL DEFAULT 0,
    discount BIGINT NOT NULL DEFAULT 0,
    revenue BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (store_id, coupon_id, promotion_code_id, set_id, currency)
);
INSERT INTO code_totals (store_id, coupon_id, promotion_code_id, set_id, currency, last_day, opens, applied, redeemed, rolled_back, discount, revenue)
SELECT store_id, coupon_id, promotion_code_id, set_id, currency, MAX(day),
    SUM(opens), SUM(applied), SUM(redeemed), SUM(rolled_back), SUM(discount), SUM(revenue)
FROM code_daily
GROUP BY store_id, coupon_id, promotion_code_id, set_id, currency;

-- Every flush updates a code's totals row and its row of the day: room on
-- each page lets PostgreSQL update them in place (HOT), without new index
-- entries, and prune the old versions without waiting for a vacuum.
ALTER TABLE code_totals SET (fillfactor = 50);
ALTER TABLE code_running SET (fillfactor = 70);
