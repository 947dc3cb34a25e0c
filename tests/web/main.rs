//! Black-box tests: each test spawns the app on a random port with a fresh
//! database (SQLite, and PostgreSQL when reachable) and drives it over HTTP.

mod helpers;

mod access;
mod analytics;
mod api;
mod auth;
mod browser;
mod checkout;
mod concurrency;
mod coupon_sets;
mod coupons;
mod csrf;
mod customers;
mod hardening;
mod members;
mod operations;
mod processes;
mod products;
mod promotion_codes;
mod routes;
mod rules;
mod stores;
mod velocity;
mod webhooks;
