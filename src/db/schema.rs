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
    }
}

diesel::joinable!(memberships -> stores (store_id));
diesel::joinable!(memberships -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(
    app_settings,
    users,
    stores,
    memberships,
    login_failures
);
