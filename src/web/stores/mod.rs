//! Stores: the picker, creating one, its overview, settings and members.

pub mod analytics;
pub mod api_keys;
pub mod form;
pub mod members;
pub mod overview;
pub mod picker;
pub mod settings;
pub mod webhooks;
