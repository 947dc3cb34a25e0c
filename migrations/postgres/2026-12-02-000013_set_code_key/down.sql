ALTER TABLE set_codes
    DROP CONSTRAINT set_codes_set_fkey,
    ADD CONSTRAINT set_codes_store_id_fkey FOREIGN KEY (store_id) REFERENCES stores (id) ON DELETE CASCADE,
    ADD CONSTRAINT set_codes_set_id_fkey FOREIGN KEY (set_id) REFERENCES coupon_sets (id) ON DELETE CASCADE;
DROP INDEX coupon_sets_store_key_idx;
