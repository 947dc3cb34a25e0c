//! Application-wide key/value settings (e.g. the generated session key).

use diesel::prelude::*;

use super::Conn;
use super::schema::app_settings;
use crate::db::FirstRow;

pub const SESSION_KEY: &str = "session_key";
pub const SETUP_DONE: &str = "setup_done";

pub fn get(conn: &mut Conn, key: &str) -> QueryResult<Option<String>> {
    app_settings::table
        .find(key)
        .select(app_settings::value)
        .first_row(conn)
        .optional()
}

/// Stores `value` under `key` unless the key is taken; returns the value in
/// force, so concurrent callers all end up with the first one written.
pub fn get_or_insert(conn: &mut Conn, key: &str, value: &str) -> QueryResult<String> {
    super::write_transaction(conn, |conn| {
        if let Some(existing) = get(conn, key)? {
            return Ok(existing);
        }
        insert(conn, key, value)?;
        Ok(value.to_string())
    })
}

/// Inserts a new key; fails with a unique violation when it exists.
pub fn insert(conn: &mut Conn, key: &str, value: &str) -> QueryResult<()> {
    diesel::insert_into(app_settings::table)
        .values((app_settings::key.eq(key), app_settings::value.eq(value)))
        .execute(conn)
        .map(|_| ())
}
