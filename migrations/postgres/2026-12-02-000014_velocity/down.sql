ALTER TABLE promotion_codes DROP COLUMN rotated_from_id, DROP COLUMN paused_at,
    DROP COLUMN velocity_count, DROP COLUMN velocity_bucket, DROP COLUMN velocity_window,
    DROP COLUMN velocity_limit;
ALTER TABLE coupons DROP COLUMN paused_at, DROP COLUMN velocity_count,
    DROP COLUMN velocity_bucket, DROP COLUMN velocity_window, DROP COLUMN velocity_limit;
