-- SPEC 11: long work kept in the database, run by any server process.
-- A job is claimable while it is pending, due (run_at) and not leased
-- (lease_until NULL or past); the process that claims it writes its name
-- into claimed_by and extends lease_until while it works. Every step of the
-- work checks that the lease is still its own in the step's transaction, so
-- a process that lost its lease commits nothing more.
CREATE TABLE jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('generate_codes', 'deliver_webhooks')),
    store_id BIGINT NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
    subject_id BIGINT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'done', 'cancelled', 'failed')),
    run_at TIMESTAMP NOT NULL,
    claimed_by TEXT,
    lease_until TIMESTAMP,
    attempts BIGINT NOT NULL DEFAULT 0,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP
);
CREATE INDEX jobs_due_idx ON jobs (run_at, id) WHERE status = 'pending';
-- One live job per thing it works on (e.g. one generation per set).
CREATE UNIQUE INDEX jobs_live_idx ON jobs (kind, subject_id) WHERE status = 'pending';

-- Sets left generating by the previous version (which ran them on a thread)
-- resume as jobs.
INSERT INTO jobs (kind, store_id, subject_id, status, run_at, attempts, created_at)
SELECT 'generate_codes', store_id, id, 'pending', CURRENT_TIMESTAMP, 0, CURRENT_TIMESTAMP
FROM coupon_sets WHERE status = 'generating' AND deleted_at IS NULL;
