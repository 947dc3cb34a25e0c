DROP INDEX webhook_events_undispatched_idx;
ALTER TABLE webhook_events DROP COLUMN dispatched_at;
