//! API keys (SPEC 10): only each key's SHA-256 is stored, with its first
//! 8 characters for the keys page.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{api_keys, stores};
use super::stores::Store;
use super::{Conn, last_insert_id, now};
use crate::db::FirstRow;
use crate::domain::ids::{ApiKeyId, StoreId, UserId};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = api_keys)]
pub struct ApiKeyRow {
    pub id: i64,
    pub name: String,
    pub scope: String,
    pub prefix: String,
    pub created_at: NaiveDateTime,
    pub last_used_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
}

impl ApiKeyRow {
    pub fn id(&self) -> ApiKeyId {
        ApiKeyId(self.id)
    }
}

/// A new key's row.
pub struct NewKey<'a> {
    pub name: &'a str,
    pub scope: &'a str,
    pub prefix: &'a str,
    pub key_hash: &'a str,
    pub created_by: UserId,
}

pub fn insert(conn: &mut Conn, store: StoreId, key: &NewKey) -> QueryResult<ApiKeyId> {
    super::write_transaction(conn, |conn| {
        diesel::insert_into(api_keys::table)
            .values((
                api_keys::store_id.eq(store),
                api_keys::name.eq(key.name),
                api_keys::scope.eq(key.scope),
                api_keys::prefix.eq(key.prefix),
                api_keys::key_hash.eq(key.key_hash),
                api_keys::created_by.eq(Some(key.created_by)),
                api_keys::created_at.eq(now()),
            ))
            .execute(conn)?;
        last_insert_id(conn).map(ApiKeyId)
    })
}

/// The store's keys, newest first, revoked ones included.
pub fn list(conn: &mut Conn, store: StoreId) -> QueryResult<Vec<ApiKeyRow>> {
    api_keys::table
        .filter(api_keys::store_id.eq(store))
        .select(ApiKeyRow::as_select())
        .order(api_keys::id.desc())
        .load(conn)
}

/// Revokes a key of the store; `false` when there is no such live key.
pub fn revoke(conn: &mut Conn, store: StoreId, id: ApiKeyId) -> QueryResult<bool> {
    super::write_transaction(conn, |conn| {
        diesel::update(
            api_keys::table
                .filter(api_keys::store_id.eq(store))
                .filter(api_keys::id.eq(id))
                .filter(api_keys::revoked_at.is_null()),
        )
        .set(api_keys::revoked_at.eq(Some(now())))
        .execute(conn)
        .map(|n| n == 1)
    })
}

/// The live key with this hash and its store.
pub fn find_live(conn: &mut Conn, key_hash: &str) -> QueryResult<Option<(ApiKeyRow, Store)>> {
    api_keys::table
        .inner_join(stores::table.on(stores::id.eq(api_keys::store_id)))
        .filter(api_keys::key_hash.eq(key_hash))
        .filter(api_keys::revoked_at.is_null())
        .select((ApiKeyRow::as_select(), Store::as_select()))
        .first_row(conn)
        .optional()
}

/// Records a use of the key. At most one write a minute per key, so that
/// reads through the API do not all become writes.
pub fn touch(conn: &mut Conn, id: ApiKeyId, at: NaiveDateTime) -> QueryResult<()> {
    let stale = at - chrono::Duration::minutes(1);
    super::write_transaction(conn, |conn| {
        diesel::update(
            api_keys::table.filter(api_keys::id.eq(id)).filter(
                api_keys::last_used_at
                    .is_null()
                    .or(api_keys::last_used_at.lt(stale)),
            ),
        )
        .set(api_keys::last_used_at.eq(Some(at)))
        .execute(conn)
        .map(|_| ())
    })
}
