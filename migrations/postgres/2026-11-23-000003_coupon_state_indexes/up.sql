-- State filters of the coupon list read only the coupons in that state.
CREATE INDEX coupons_archived_idx ON coupons (store_id, id) WHERE archived_at IS NOT NULL AND deleted_at IS NULL;
CREATE INDEX coupons_starts_idx ON coupons (store_id, starts_at) WHERE starts_at IS NOT NULL AND deleted_at IS NULL;
CREATE INDEX coupons_redeem_by_idx ON coupons (store_id, redeem_by) WHERE redeem_by IS NOT NULL AND deleted_at IS NULL;
CREATE INDEX coupons_deleted_idx ON coupons (store_id, id) WHERE deleted_at IS NOT NULL;
