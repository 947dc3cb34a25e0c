DROP TABLE promotion_code_events;
DROP TABLE promotion_codes;
