DROP INDEX code_daily_period_idx;
CREATE INDEX code_daily_store_day_idx ON code_daily (store_id, day);
DROP TABLE store_refusal_daily;
DROP TABLE store_daily;
