DROP INDEX login_failures_client_idx;
ALTER TABLE login_failures DROP COLUMN client;
DROP TABLE staff_sessions;
