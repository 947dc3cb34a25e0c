CREATE TABLE promotion_codes (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    store_id BIGINT NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
    coupon_id BIGINT NOT NULL REFERENCES coupons (id) ON DELETE CASCADE,
    code TEXT NOT NULL,
    normal TEXT NOT NULL,
    customer_email TEXT,
    first_time_transaction BOOLEAN NOT NULL DEFAULT FALSE,
    minimum_amount BIGINT CHECK (minimum_amount > 0),
    minimum_amount_currency TEXT,
    expires_at TIMESTAMP,
    max_redemptions BIGINT CHECK (max_redemptions >= 1),
    times_redeemed BIGINT NOT NULL DEFAULT 0 CHECK (times_redeemed >= 0),
    active BOOLEAN NOT NULL DEFAULT TRUE,
    deleted_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CHECK (max_redemptions IS NULL OR times_redeemed <= max_redemptions),
    CHECK ((minimum_amount IS NULL) = (minimum_amount_currency IS NULL))
);
-- Lookups and searches by normal form (exact and prefix).
CREATE INDEX promotion_codes_normal_idx ON promotion_codes (store_id, normal) WHERE deleted_at IS NULL;
-- The codes of one coupon.
CREATE INDEX promotion_codes_coupon_idx ON promotion_codes (coupon_id, id) WHERE deleted_at IS NULL;
-- The list: newest first, by store.
CREATE INDEX promotion_codes_list_idx ON promotion_codes (store_id, deleted_at, id);

CREATE TABLE promotion_code_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    promotion_code_id BIGINT NOT NULL REFERENCES promotion_codes (id) ON DELETE CASCADE,
    user_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    action TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX promotion_code_events_code_idx ON promotion_code_events (promotion_code_id, id);
