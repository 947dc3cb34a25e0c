//! Pure rules: types that cannot hold bad values, and their parsers. No I/O.

pub mod email;
pub mod ids;
pub mod money;
pub mod password;
pub mod role;
pub mod store;
