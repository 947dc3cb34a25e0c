-- Events of one object go out in order: db::webhooks::next_due skips a due
-- delivery while an earlier one of its object is pending. This index makes
-- that look one probe per due delivery; without it PostgreSQL hashed every
-- pending delivery of the endpoint for each batch of 100 (255 ms a batch
-- with 10,000 waiting, most of a delivery run's time).
CREATE INDEX webhook_deliveries_object_idx ON webhook_deliveries (endpoint_id, object_key, id)
    WHERE status = 'pending';
