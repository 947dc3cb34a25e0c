//! Stores: the picker, creating one, its overview, settings and members.

pub mod form;
pub mod members;
pub mod overview;
pub mod picker;
pub mod settings;
