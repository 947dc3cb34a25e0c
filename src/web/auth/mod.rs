//! First-run setup, login and logout.

pub mod login;
pub mod logout;
pub mod setup;
