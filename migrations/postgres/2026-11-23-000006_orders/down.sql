DROP TABLE checkout_attempts;
DROP TABLE coupon_customer_redemptions;
DROP TABLE order_lines;
DROP TABLE orders;
DROP TABLE customers;
