//! Pure rules: types that cannot hold bad values, and their parsers. No I/O.

pub mod checkout;
pub mod code;
pub mod codegen;
pub mod coupon;
pub mod coupon_set;
pub mod csv;
pub mod discount;
pub mod email;
pub mod form_errors;
pub mod ids;
pub mod login;
pub mod money;
pub mod password;
pub mod pricing;
pub mod product;
pub mod promotion;
pub mod redemption;
pub mod role;
pub mod share;
pub mod states;
pub mod status;
pub mod store;
pub mod text;
pub mod throttle;
pub mod time;
pub mod webhook;
