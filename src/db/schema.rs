// One schema for both backends; the migrations in migrations/sqlite and
// migrations/postgres must keep these column types.

diesel::table! {
    app_settings (key) {
        key -> Text,
        value -> Text,
    }
}

diesel::table! {
    users (id) {
        id -> BigInt,
        email -> Text,
        password_hash -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    stores (id) {
        id -> BigInt,
        slug -> Text,
        name -> Text,
        currency -> Text,
        timezone -> Text,
        public_base_url -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    memberships (store_id, user_id) {
        store_id -> BigInt,
        user_id -> BigInt,
        role -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    login_failures (id) {
        id -> BigInt,
        email -> Text,
        attempted_at -> Timestamp,
        client -> Text,
    }
}

diesel::table! {
    staff_sessions (id) {
        id -> Text,
        user_id -> BigInt,
        created_at -> Timestamp,
        last_seen_at -> Timestamp,
    }
}

diesel::table! {
    invitations (id) {
        id -> BigInt,
        store_id -> BigInt,
        email -> Text,
        role -> Text,
        token_hash -> Text,
        invited_by -> Nullable<BigInt>,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        accepted_at -> Nullable<Timestamp>,
        accepted_by -> Nullable<BigInt>,
    }
}

diesel::table! {
    jobs (id) {
        id -> BigInt,
        kind -> Text,
        store_id -> BigInt,
        subject_id -> BigInt,
        status -> Text,
        run_at -> Timestamp,
        claimed_by -> Nullable<Text>,
        lease_until -> Nullable<Timestamp>,
        attempts -> BigInt,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        finished_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    webhook_endpoints (id) {
        id -> BigInt,
        store_id -> BigInt,
        url -> Text,
        events -> Text,
        active -> Bool,
        secret -> Text,
        created_at -> Timestamp,
        deleted_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    webhook_events (id) {
        id -> BigInt,
        store_id -> BigInt,
        #[sql_name = "type"]
        event_type -> Text,
        object_kind -> Text,
        object_id -> BigInt,
        payload -> Nullable<Text>,
        created_at -> Timestamp,
        dispatched_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> BigInt,
        endpoint_id -> BigInt,
        event_id -> BigInt,
        object_key -> Text,
        status -> Text,
        attempts -> BigInt,
        last_status -> Nullable<BigInt>,
        last_error -> Nullable<Text>,
        next_try_at -> Timestamp,
        delivered_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::joinable!(invitations -> stores (store_id));

diesel::table! {
    customers (id) {
        id -> BigInt,
        store_id -> BigInt,
        email -> Text,
        orders_count -> BigInt,
        first_order_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    orders (id) {
        id -> BigInt,
        store_id -> BigInt,
        public_id -> Text,
        customer_id -> BigInt,
        currency -> Text,
        subtotal -> BigInt,
        discount -> BigInt,
        total -> BigInt,
        code -> Nullable<Text>,
        coupon_id -> Nullable<BigInt>,
        promotion_code_id -> Nullable<BigInt>,
        set_code_id -> Nullable<BigInt>,
        discount_text -> Text,
        schedule -> Text,
        status -> Text,
        refunded_at -> Nullable<Timestamp>,
        refunded_by -> Nullable<BigInt>,
        created_at -> Timestamp,
        external_id -> Nullable<Text>,
        metadata -> Nullable<Text>,
        refunded_by_api_key -> Nullable<BigInt>,
    }
}

diesel::table! {
    order_lines (id) {
        id -> BigInt,
        order_id -> BigInt,
        product_id -> BigInt,
        name -> Text,
        unit_price -> BigInt,
        quantity -> BigInt,
        amount -> BigInt,
        billing -> Text,
    }
}

diesel::table! {
    coupon_customer_redemptions (coupon_id, customer_id) {
        coupon_id -> BigInt,
        customer_id -> BigInt,
        order_id -> BigInt,
    }
}

diesel::table! {
    checkout_attempts (id) {
        id -> BigInt,
        store_id -> BigInt,
        email -> Text,
        code -> Text,
        reason -> Text,
        message -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    api_keys (id) {
        id -> BigInt,
        store_id -> BigInt,
        name -> Text,
        scope -> Text,
        prefix -> Text,
        key_hash -> Text,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
        last_used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    api_idempotency (store_id, idempotency_key) {
        store_id -> BigInt,
        idempotency_key -> Text,
        request_hash -> Text,
        claim -> Text,
        status -> Nullable<Integer>,
        body -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::joinable!(coupon_events -> api_keys (api_key_id));
diesel::joinable!(promotion_code_events -> api_keys (api_key_id));
diesel::joinable!(memberships -> stores (store_id));
diesel::joinable!(memberships -> users (user_id));

diesel::table! {
    products (id) {
        id -> BigInt,
        store_id -> BigInt,
        name -> Text,
        price -> BigInt,
        currency -> Text,
        billing -> Text,
        billing_interval -> Nullable<Text>,
        archived_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    coupons (id) {
        id -> BigInt,
        store_id -> BigInt,
        code -> Text,
        name -> Nullable<Text>,
        discount_type -> Text,
        percent_off_bp -> Nullable<BigInt>,
        amount_off -> Nullable<BigInt>,
        currency -> Nullable<Text>,
        duration -> Text,
        duration_in_months -> Nullable<BigInt>,
        max_redemptions -> Nullable<BigInt>,
        times_redeemed -> BigInt,
        starts_at -> Nullable<Timestamp>,
        redeem_by -> Nullable<Timestamp>,
        once_per_customer -> Bool,
        archived_at -> Nullable<Timestamp>,
        deleted_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        velocity_limit -> Nullable<BigInt>,
        velocity_window -> Nullable<Text>,
        velocity_bucket -> Nullable<BigInt>,
        velocity_count -> BigInt,
        paused_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    coupon_products (coupon_id, product_id) {
        coupon_id -> BigInt,
        product_id -> BigInt,
    }
}

diesel::table! {
    coupon_events (id) {
        id -> BigInt,
        coupon_id -> BigInt,
        user_id -> Nullable<BigInt>,
        action -> Text,
        detail -> Text,
        created_at -> Timestamp,
        api_key_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    promotion_codes (id) {
        id -> BigInt,
        store_id -> BigInt,
        coupon_id -> BigInt,
        code -> Text,
        normal -> Text,
        customer_email -> Nullable<Text>,
        first_time_transaction -> Bool,
        minimum_amount -> Nullable<BigInt>,
        minimum_amount_currency -> Nullable<Text>,
        expires_at -> Nullable<Timestamp>,
        max_redemptions -> Nullable<BigInt>,
        times_redeemed -> BigInt,
        active -> Bool,
        deleted_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        velocity_limit -> Nullable<BigInt>,
        velocity_window -> Nullable<Text>,
        velocity_bucket -> Nullable<BigInt>,
        velocity_count -> BigInt,
        paused_at -> Nullable<Timestamp>,
        rotated_from_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    promotion_code_events (id) {
        id -> BigInt,
        promotion_code_id -> BigInt,
        user_id -> Nullable<BigInt>,
        action -> Text,
        detail -> Text,
        created_at -> Timestamp,
        api_key_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    coupon_sets (id) {
        id -> BigInt,
        store_id -> BigInt,
        coupon_id -> BigInt,
        name -> Text,
        prefix -> Text,
        code_length -> BigInt,
        status -> Text,
        generation -> BigInt,
        requested -> BigInt,
        generated -> BigInt,
        error -> Nullable<Text>,
        total_codes -> BigInt,
        used_codes -> BigInt,
        archived_codes -> BigInt,
        deleted_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    set_codes (id) {
        id -> BigInt,
        store_id -> BigInt,
        set_id -> BigInt,
        code -> Text,
        normal -> Text,
        state -> Text,
        generation -> BigInt,
        used_at -> Nullable<Timestamp>,
        order_id -> Nullable<BigInt>,
    }
}

diesel::joinable!(coupon_sets -> coupons (coupon_id));
diesel::joinable!(set_codes -> coupon_sets (set_id));
diesel::joinable!(promotion_codes -> coupons (coupon_id));
diesel::joinable!(promotion_codes -> stores (store_id));
diesel::joinable!(promotion_code_events -> promotion_codes (promotion_code_id));
diesel::joinable!(promotion_code_events -> users (user_id));
diesel::joinable!(products -> stores (store_id));
diesel::joinable!(coupons -> stores (store_id));
diesel::joinable!(coupon_products -> coupons (coupon_id));
diesel::joinable!(coupon_products -> products (product_id));
diesel::joinable!(coupon_events -> coupons (coupon_id));
diesel::joinable!(coupon_events -> users (user_id));
diesel::joinable!(orders -> customers (customer_id));
diesel::joinable!(staff_sessions -> users (user_id));
diesel::joinable!(order_lines -> orders (order_id));
diesel::joinable!(customers -> stores (store_id));
diesel::joinable!(webhook_deliveries -> webhook_events (event_id));
diesel::joinable!(webhook_deliveries -> webhook_endpoints (endpoint_id));

diesel::allow_tables_to_appear_in_same_query!(
    app_settings,
    users,
    stores,
    memberships,
    login_failures,
    staff_sessions,
    invitations,
    products,
    coupons,
    coupon_products,
    coupon_events,
    promotion_codes,
    promotion_code_events,
    coupon_sets,
    set_codes,
    customers,
    orders,
    order_lines,
    coupon_customer_redemptions,
    checkout_attempts,
    api_keys,
    api_idempotency,
    jobs,
    webhook_endpoints,
    webhook_events,
    webhook_deliveries,
    code_daily,
    refusal_daily,
    store_daily,
    store_refusal_daily,
    code_running,
    code_totals,
);

diesel::table! {
    code_daily (store_id, coupon_id, promotion_code_id, set_id, day, currency) {
        store_id -> BigInt,
        coupon_id -> BigInt,
        promotion_code_id -> BigInt,
        set_id -> BigInt,
        day -> BigInt,
        currency -> Text,
        opens -> BigInt,
        applied -> BigInt,
        redeemed -> BigInt,
        rolled_back -> BigInt,
        discount -> BigInt,
        revenue -> BigInt,
    }
}

diesel::table! {
    refusal_daily (store_id, coupon_id, promotion_code_id, set_id, day, reason) {
        store_id -> BigInt,
        coupon_id -> BigInt,
        promotion_code_id -> BigInt,
        set_id -> BigInt,
        day -> BigInt,
        reason -> Text,
        n -> BigInt,
    }
}

diesel::table! {
    store_daily (store_id, day, currency) {
        store_id -> BigInt,
        day -> BigInt,
        currency -> Text,
        opens -> BigInt,
        applied -> BigInt,
        redeemed -> BigInt,
        rolled_back -> BigInt,
        discount -> BigInt,
        revenue -> BigInt,
    }
}

diesel::table! {
    store_refusal_daily (store_id, day, reason) {
        store_id -> BigInt,
        day -> BigInt,
        reason -> Text,
        n -> BigInt,
    }
}

diesel::table! {
    code_running (store_id, coupon_id, promotion_code_id, set_id, currency, day) {
        store_id -> BigInt,
        coupon_id -> BigInt,
        promotion_code_id -> BigInt,
        set_id -> BigInt,
        currency -> Text,
        day -> BigInt,
        opens -> BigInt,
        applied -> BigInt,
        redeemed -> BigInt,
        rolled_back -> BigInt,
        discount -> BigInt,
        revenue -> BigInt,
    }
}

diesel::table! {
    code_totals (store_id, coupon_id, promotion_code_id, set_id, currency) {
        store_id -> BigInt,
        coupon_id -> BigInt,
        promotion_code_id -> BigInt,
        set_id -> BigInt,
        currency -> Text,
        last_day -> BigInt,
        opens -> BigInt,
        applied -> BigInt,
        redeemed -> BigInt,
        rolled_back -> BigInt,
        discount -> BigInt,
        revenue -> BigInt,
    }
}
