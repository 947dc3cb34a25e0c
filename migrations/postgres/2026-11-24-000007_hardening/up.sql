-- Staff sessions kept on the server, so that logout, a password change or a
-- removed membership ends them for good (SPEC section 9). The cookie holds
-- the id; a copied cookie stops working once the row is gone.
CREATE TABLE staff_sessions (
    id TEXT PRIMARY KEY NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL
);
CREATE INDEX staff_sessions_user_idx ON staff_sessions (user_id);

-- Failed logins per client address too: the failing client is throttled,
-- not the account.
ALTER TABLE login_failures ADD COLUMN client TEXT NOT NULL DEFAULT '';
CREATE INDEX login_failures_client_idx ON login_failures (client, attempted_at);
