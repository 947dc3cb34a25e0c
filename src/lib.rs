pub mod app;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod startup;
pub mod web;
pub mod worker;
