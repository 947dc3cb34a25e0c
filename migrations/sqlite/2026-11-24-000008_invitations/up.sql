-- Member invitations (SPEC section 8): an owner invites an email with a
-- role; the one-time link /admin/invite/{token} works for 7 days. Only the
-- SHA-256 of the token is kept, so the table alone opens nothing.
CREATE TABLE invitations (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    store_id BIGINT NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('owner', 'manager', 'viewer')),
    token_hash TEXT NOT NULL UNIQUE,
    invited_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    accepted_at TIMESTAMP,
    accepted_by BIGINT REFERENCES users (id) ON DELETE SET NULL
);
CREATE INDEX invitations_store_idx ON invitations (store_id, email);
