DROP TRIGGER coupon_sets_keep_keys ON coupon_sets;
DROP TRIGGER set_codes_keep_keys ON set_codes;
DROP FUNCTION keep_set_keys();
DROP TRIGGER coupon_sets_take_codes ON coupon_sets;
DROP FUNCTION coupon_sets_take_codes();
DROP TRIGGER set_codes_name_sets ON set_codes;
DROP FUNCTION set_codes_name_sets();
ALTER TABLE set_codes ADD CONSTRAINT set_codes_set_fkey FOREIGN KEY (store_id, set_id)
    REFERENCES coupon_sets (store_id, id) ON DELETE CASCADE;
