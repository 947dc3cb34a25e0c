-- SPEC 10: API keys. Only the SHA-256 of a key is kept; prefix is its first
-- 8 characters, shown on the keys page.
CREATE TABLE api_keys (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    store_id BIGINT NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    scope TEXT NOT NULL CHECK (scope IN ('read', 'write')),
    prefix TEXT NOT NULL,
    key_hash TEXT NOT NULL UNIQUE,
    created_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP,
    revoked_at TIMESTAMP
);
CREATE INDEX api_keys_store_idx ON api_keys (store_id, id);

-- Idempotency keys of POST /api/v1/redemptions, per store, kept 24 hours.
-- status and body are NULL while the first request is still running; claim
-- names that request (its answer is written only under its own claim).
CREATE TABLE api_idempotency (
    store_id BIGINT NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
    idempotency_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    claim TEXT NOT NULL,
    status INTEGER,
    body TEXT,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (store_id, idempotency_key)
);
CREATE INDEX api_idempotency_age_idx ON api_idempotency (created_at);

-- What an API redemption adds to its order.
ALTER TABLE orders ADD COLUMN external_id TEXT;
ALTER TABLE orders ADD COLUMN metadata TEXT;
ALTER TABLE orders ADD COLUMN refunded_by_api_key BIGINT REFERENCES api_keys (id) ON DELETE SET NULL;

-- Activity logs name the API key that made a change (user_id is then NULL).
ALTER TABLE coupon_events ADD COLUMN api_key_id BIGINT REFERENCES api_keys (id) ON DELETE SET NULL;
ALTER TABLE promotion_code_events ADD COLUMN api_key_id BIGINT REFERENCES api_keys (id) ON DELETE SET NULL;
