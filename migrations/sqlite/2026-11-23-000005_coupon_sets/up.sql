CREATE TABLE coupon_sets (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    store_id BIGINT NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
    coupon_id BIGINT NOT NULL REFERENCES coupons (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    prefix TEXT NOT NULL DEFAULT '',
    code_length BIGINT NOT NULL CHECK (code_length BETWEEN 6 AND 24),
    -- 'generating' while a background run adds codes, then 'ready' or 'failed'.
    status TEXT NOT NULL CHECK (status IN ('generating', 'ready', 'failed')),
    generation BIGINT NOT NULL DEFAULT 0,
    requested BIGINT NOT NULL DEFAULT 0,
    generated BIGINT NOT NULL DEFAULT 0,
    error TEXT,
    total_codes BIGINT NOT NULL DEFAULT 0,
    used_codes BIGINT NOT NULL DEFAULT 0,
    archived_codes BIGINT NOT NULL DEFAULT 0,
    deleted_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX coupon_sets_name_idx ON coupon_sets (store_id, name) WHERE deleted_at IS NULL;
CREATE INDEX coupon_sets_coupon_idx ON coupon_sets (coupon_id);

CREATE TABLE set_codes (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    store_id BIGINT NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
    set_id BIGINT NOT NULL REFERENCES coupon_sets (id) ON DELETE CASCADE,
    code TEXT NOT NULL,
    normal TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('unused', 'used', 'archived')),
    generation BIGINT NOT NULL DEFAULT 0,
    used_at TIMESTAMP,
    order_id BIGINT
);
-- Set codes are unique in the store (archived ones keep their text).
CREATE UNIQUE INDEX set_codes_normal_idx ON set_codes (store_id, normal);
CREATE INDEX set_codes_set_idx ON set_codes (set_id, id);
