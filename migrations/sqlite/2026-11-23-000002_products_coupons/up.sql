CREATE TABLE products (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    store_id BIGINT NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    price BIGINT NOT NULL CHECK (price >= 0),
    currency TEXT NOT NULL,
    billing TEXT NOT NULL CHECK (billing IN ('one_time', 'recurring')),
    billing_interval TEXT CHECK (billing_interval IN ('month', 'year')),
    archived_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX products_store_idx ON products (store_id, archived_at, name);

CREATE TABLE coupons (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    store_id BIGINT NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
    code TEXT NOT NULL,
    name TEXT,
    discount_type TEXT NOT NULL CHECK (discount_type IN ('percent', 'value')),
    percent_off_bp BIGINT CHECK (percent_off_bp BETWEEN 1 AND 10000),
    amount_off BIGINT CHECK (amount_off > 0),
    currency TEXT,
    duration TEXT NOT NULL CHECK (duration IN ('once', 'forever', 'repeating')),
    duration_in_months BIGINT CHECK (duration_in_months BETWEEN 1 AND 240),
    max_redemptions BIGINT CHECK (max_redemptions >= 1),
    times_redeemed BIGINT NOT NULL DEFAULT 0 CHECK (times_redeemed >= 0),
    starts_at TIMESTAMP,
    redeem_by TIMESTAMP,
    once_per_customer BOOLEAN NOT NULL DEFAULT FALSE,
    archived_at TIMESTAMP,
    deleted_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CHECK (max_redemptions IS NULL OR times_redeemed <= max_redemptions),
    CHECK ((discount_type = 'percent') = (percent_off_bp IS NOT NULL)),
    CHECK ((discount_type = 'value') = (amount_off IS NOT NULL AND currency IS NOT NULL)),
    CHECK ((duration = 'repeating') = (duration_in_months IS NOT NULL))
);
-- A code is unique among the store's coupons that are not deleted.
CREATE UNIQUE INDEX coupons_live_code_idx ON coupons (store_id, code) WHERE deleted_at IS NULL;
-- Case-insensitive lookups (near misses, clashes with promotion codes).
CREATE INDEX coupons_upper_code_idx ON coupons (store_id, UPPER(code)) WHERE deleted_at IS NULL;
-- The list: newest first, by store.
CREATE INDEX coupons_list_idx ON coupons (store_id, deleted_at, id);

CREATE TABLE coupon_products (
    coupon_id BIGINT NOT NULL REFERENCES coupons (id) ON DELETE CASCADE,
    product_id BIGINT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    PRIMARY KEY (coupon_id, product_id)
);

CREATE TABLE coupon_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    coupon_id BIGINT NOT NULL REFERENCES coupons (id) ON DELETE CASCADE,
    user_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    action TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX coupon_events_coupon_idx ON coupon_events (coupon_id, id);
