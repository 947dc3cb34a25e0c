//! First-run setup, login and logout, the user's own account, and
//! accepting a member invitation.

pub mod account;
pub mod invite;
pub mod login;
pub mod logout;
pub mod setup;
