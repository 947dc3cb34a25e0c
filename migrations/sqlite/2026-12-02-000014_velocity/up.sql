-- SPEC 12: the leak tripwire. At most velocity_limit redemptions per
-- velocity_window; velocity_bucket numbers the current window (the clock
-- hour, or the store's calendar day) and velocity_count counts its
-- redemptions, both updated by the redemption's own conditional UPDATE.
-- paused_at: the redemption that would have exceeded the limit paused the
-- code until staff resume it.
ALTER TABLE coupons ADD COLUMN velocity_limit BIGINT CHECK (velocity_limit >= 1);
ALTER TABLE coupons ADD COLUMN velocity_window TEXT CHECK (velocity_window IN ('hour', 'day'));
ALTER TABLE coupons ADD COLUMN velocity_bucket BIGINT;
ALTER TABLE coupons ADD COLUMN velocity_count BIGINT NOT NULL DEFAULT 0;
ALTER TABLE coupons ADD COLUMN paused_at TIMESTAMP;
CREATE INDEX coupons_paused_idx ON coupons (store_id) WHERE paused_at IS NOT NULL;

ALTER TABLE promotion_codes ADD COLUMN velocity_limit BIGINT CHECK (velocity_limit >= 1);
ALTER TABLE promotion_codes ADD COLUMN velocity_window TEXT CHECK (velocity_window IN ('hour', 'day'));
ALTER TABLE promotion_codes ADD COLUMN velocity_bucket BIGINT;
ALTER TABLE promotion_codes ADD COLUMN velocity_count BIGINT NOT NULL DEFAULT 0;
ALTER TABLE promotion_codes ADD COLUMN paused_at TIMESTAMP;
-- Rotate: the code this one replaced (deactivated for good).
ALTER TABLE promotion_codes ADD COLUMN rotated_from_id BIGINT REFERENCES promotion_codes (id);
CREATE INDEX promotion_codes_paused_idx ON promotion_codes (store_id) WHERE paused_at IS NOT NULL;
CREATE INDEX promotion_codes_rotated_from_idx ON promotion_codes (rotated_from_id) WHERE rotated_from_id IS NOT NULL;
