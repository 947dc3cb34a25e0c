//! Use cases: each public function is one action (log in, invite a member,
//! accept an invitation...), owns its transaction and returns a typed
//! outcome. HTML handlers (and later the JSON API and jobs) call these, never
//! `db` directly for a write.

pub mod accounts;
pub mod analytics;
pub mod api_keys;
pub mod checkout;
pub mod coupon_sets;
pub mod coupons;
pub mod customers;
pub mod jobs;
pub mod members;
pub mod objects;
pub mod orders;
pub mod products;
pub mod promotion_codes;
pub mod redemptions;
pub mod stores;
pub mod tokens;
pub mod webhooks;
