ALTER TABLE promotion_code_events DROP COLUMN api_key_id;
ALTER TABLE coupon_events DROP COLUMN api_key_id;
ALTER TABLE orders DROP COLUMN refunded_by_api_key;
ALTER TABLE orders DROP COLUMN metadata;
ALTER TABLE orders DROP COLUMN external_id;
DROP TABLE api_idempotency;
DROP TABLE api_keys;
