DROP TABLE coupon_events;
DROP TABLE coupon_products;
DROP TABLE coupons;
DROP TABLE products;
