-- Events are fanned out to their endpoints' deliveries by the job workers
-- (app::webhooks::dispatch), a batch at a time, no longer by the change's
-- own transaction: the change writes its event row and nothing more. An
-- event is waiting for that while dispatched_at is NULL. Events written
-- before this migration had their deliveries made already.
ALTER TABLE webhook_events ADD COLUMN dispatched_at TIMESTAMP;
UPDATE webhook_events SET dispatched_at = created_at;
CREATE INDEX webhook_events_undispatched_idx ON webhook_events (id) WHERE dispatched_at IS NULL;
