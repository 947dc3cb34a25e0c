//! Member invitations (SPEC section 8). Rows hold the SHA-256 of the token,
//! never the token; an invitation is open until it is accepted, revoked
//! (deleted) or past `expires_at`.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{invitations, stores};
use super::stores::parse_role;
use super::{Conn, DbError};
use crate::db::FirstRow;
use crate::domain::email::Email;
use crate::domain::ids::{StoreId, UserId};
use crate::domain::role::Role;

/// An invitation that can still be accepted.
#[derive(Debug, Clone)]
pub struct OpenInvitation {
    pub id: i64,
    pub store_id: StoreId,
    pub store_slug: String,
    pub store_name: String,
    pub email: String,
    pub role: Role,
    pub expires_at: NaiveDateTime,
}

/// What the members page lists.
#[derive(Debug, Clone)]
pub struct Pending {
    pub id: i64,
    pub email: String,
    pub role: Role,
    pub expires_at: NaiveDateTime,
}

/// A new invitation, valid until `expires_at`.
pub struct NewInvitation<'a> {
    pub store: StoreId,
    pub email: &'a Email,
    pub role: Role,
    pub token_hash: &'a str,
    pub invited_by: UserId,
    pub now: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

/// Stores a new invitation; an earlier open one for the same email and
/// store is withdrawn, so only the newest link works.
pub fn replace(conn: &mut Conn, new: &NewInvitation) -> QueryResult<()> {
    diesel::delete(
        invitations::table
            .filter(invitations::store_id.eq(new.store))
            .filter(invitations::email.eq(new.email.as_str()))
            .filter(invitations::accepted_at.is_null()),
    )
    .execute(conn)?;
    diesel::insert_into(invitations::table)
        .values((
            invitations::store_id.eq(new.store),
            invitations::email.eq(new.email.as_str()),
            invitations::role.eq(new.role.as_str()),
            invitations::token_hash.eq(new.token_hash),
            invitations::invited_by.eq(new.invited_by),
            invitations::created_at.eq(new.now),
            invitations::expires_at.eq(new.expires_at),
        ))
        .execute(conn)
        .map(|_| ())
}

/// The open invitation with this token hash, with its store.
pub fn find_open(
    conn: &mut Conn,
    token_hash: &str,
    now: NaiveDateTime,
) -> Result<Option<OpenInvitation>, DbError> {
    let row: Option<(i64, i64, String, String, String, String, NaiveDateTime)> = invitations::table
        .inner_join(stores::table)
        .filter(invitations::token_hash.eq(token_hash))
        .filter(invitations::accepted_at.is_null())
        .filter(invitations::expires_at.gt(now))
        .select((
            invitations::id,
            invitations::store_id,
            stores::slug,
            stores::name,
            invitations::email,
            invitations::role,
            invitations::expires_at,
        ))
        .first_row(conn)
        .optional()?;
    row.map(|(id, store, slug, name, email, role, expires_at)| {
        Ok(OpenInvitation {
            id,
            store_id: StoreId(store),
            store_slug: slug,
            store_name: name,
            email,
            role: parse_role(&role)?,
            expires_at,
        })
    })
    .transpose()
}

/// Marks the invitation used by `user`; false when it was no longer open
/// (accepted or revoked meanwhile), so a link works exactly once.
pub fn mark_accepted(
    conn: &mut Conn,
    id: i64,
    user: UserId,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::update(
        invitations::table
            .find(id)
            .filter(invitations::accepted_at.is_null())
            .filter(invitations::expires_at.gt(now)),
    )
    .set((
        invitations::accepted_at.eq(now),
        invitations::accepted_by.eq(user),
    ))
    .execute(conn)
    .map(|n| n == 1)
}

/// The store's open invitations, newest first.
pub fn pending(
    conn: &mut Conn,
    store: StoreId,
    now: NaiveDateTime,
) -> Result<Vec<Pending>, DbError> {
    let rows: Vec<(i64, String, String, NaiveDateTime)> = invitations::table
        .filter(invitations::store_id.eq(store))
        .filter(invitations::accepted_at.is_null())
        .filter(invitations::expires_at.gt(now))
        .select((
            invitations::id,
            invitations::email,
            invitations::role,
            invitations::expires_at,
        ))
        .order(invitations::id.desc())
        .load(conn)?;
    rows.into_iter()
        .map(|(id, email, role, expires_at)| {
            Ok(Pending {
                id,
                email,
                role: parse_role(&role)?,
                expires_at,
            })
        })
        .collect()
}

/// Withdraws an open invitation of the store; false when there was none.
pub fn revoke(conn: &mut Conn, store: StoreId, id: i64) -> QueryResult<bool> {
    diesel::delete(
        invitations::table
            .find(id)
            .filter(invitations::store_id.eq(store))
            .filter(invitations::accepted_at.is_null()),
    )
    .execute(conn)
    .map(|n| n == 1)
}
