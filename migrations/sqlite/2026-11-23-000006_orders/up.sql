-- Customers: one per email in a store, created at their first checkout (or by
-- staff). orders_count counts paid orders, so a first-time restriction is a
-- conditional update on it.
CREATE TABLE customers (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    store_id BIGINT NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    orders_count BIGINT NOT NULL DEFAULT 0 CHECK (orders_count >= 0),
    first_order_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX customers_email_idx ON customers (store_id, email);
CREATE INDEX customers_list_idx ON customers (store_id, id);

-- Orders keep the code as typed and the ids it resolved to, without foreign
-- keys on codes: codes can be deleted, orders keep their history.
CREATE TABLE orders (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    store_id BIGINT NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
    public_id TEXT NOT NULL UNIQUE,
    customer_id BIGINT NOT NULL REFERENCES customers (id),
    currency TEXT NOT NULL,
    subtotal BIGINT NOT NULL CHECK (subtotal >= 0),
    discount BIGINT NOT NULL CHECK (discount >= 0),
    total BIGINT NOT NULL CHECK (total >= 0),
    code TEXT,
    coupon_id BIGINT,
    promotion_code_id BIGINT,
    set_code_id BIGINT,
    discount_text TEXT NOT NULL DEFAULT '',
    schedule TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL CHECK (status IN ('paid', 'refunded')),
    refunded_at TIMESTAMP,
    refunded_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL,
    CHECK (total = subtotal - discount)
);
CREATE INDEX orders_list_idx ON orders (store_id, id);
CREATE INDEX orders_coupon_idx ON orders (coupon_id, id) WHERE coupon_id IS NOT NULL;
CREATE INDEX orders_promotion_code_idx ON orders (promotion_code_id, id) WHERE promotion_code_id IS NOT NULL;
CREATE INDEX orders_set_code_idx ON orders (set_code_id) WHERE set_code_id IS NOT NULL;
CREATE INDEX orders_customer_idx ON orders (customer_id, id);

CREATE TABLE order_lines (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    order_id BIGINT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    product_id BIGINT NOT NULL,
    name TEXT NOT NULL,
    unit_price BIGINT NOT NULL,
    quantity BIGINT NOT NULL CHECK (quantity >= 1),
    amount BIGINT NOT NULL,
    billing TEXT NOT NULL
);
CREATE INDEX order_lines_order_idx ON order_lines (order_id, id);

-- Once-per-customer coupons: one row per (coupon, customer) redemption, so
-- two concurrent checkouts cannot both pass.
CREATE TABLE coupon_customer_redemptions (
    coupon_id BIGINT NOT NULL,
    customer_id BIGINT NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    order_id BIGINT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    PRIMARY KEY (coupon_id, customer_id)
);

-- Checkouts refused because of their code, with the reason the customer saw.
CREATE TABLE checkout_attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    store_id BIGINT NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    code TEXT NOT NULL,
    reason TEXT NOT NULL,
    message TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX checkout_attempts_store_idx ON checkout_attempts (store_id, id);
