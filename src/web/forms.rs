//! Form helpers shared by the handlers.

pub use crate::domain::form_errors::FormErrors;
