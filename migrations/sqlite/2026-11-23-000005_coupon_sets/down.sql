DROP TABLE set_codes;
DROP TABLE coupon_sets;
