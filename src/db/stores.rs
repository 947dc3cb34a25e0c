//! Stores and their members.

use diesel::prelude::*;

use crate::db::FirstRow;
use crate::domain::money::CurrencyCode;

use super::schema::{memberships, stores, users};
use super::{Conn, DbError, now};
use crate::domain::email::Email;
use crate::domain::ids::{StoreId, UserId};
use crate::domain::role::Role;
use crate::domain::store::{StoreSlug, TimeZone};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = stores)]
pub struct Store {
    pub id: i64,
    pub slug: String,
    pub name: String,
    #[diesel(deserialize_as = String)]
    pub currency: CurrencyCode,
    #[diesel(deserialize_as = String)]
    pub timezone: TimeZone,
    pub public_base_url: Option<String>,
}

impl Store {
    pub fn id(&self) -> StoreId {
        StoreId(self.id)
    }
}

pub use crate::domain::store::StoreFields;

/// Why a store could not be written.
#[derive(Debug, thiserror::Error)]
pub enum StoreWriteError {
    #[error("the slug is taken")]
    SlugTaken,
    #[error(transparent)]
    Db(#[from] DbError),
}

fn slug_taken(conn: &mut Conn, slug: &StoreSlug, except: Option<StoreId>) -> QueryResult<bool> {
    let owner: Option<i64> = stores::table
        .filter(stores::slug.eq(slug.as_str()))
        .select(stores::id)
        .first_row(conn)
        .optional()?;
    Ok(owner.is_some_and(|id| Some(StoreId(id)) != except))
}

/// Maps a unique violation that slipped past the check (a concurrent
/// insert) to `SlugTaken`.
fn slug_conflict(e: DbError) -> StoreWriteError {
    if super::is_unique_violation(&e) {
        StoreWriteError::SlugTaken
    } else {
        StoreWriteError::Db(e)
    }
}

/// Creates a store with `owner` as its owner. Call inside a write transaction.
pub fn insert_with_owner(
    conn: &mut Conn,
    fields: &StoreFields,
    owner: UserId,
) -> Result<StoreId, StoreWriteError> {
    if slug_taken(conn, &fields.slug, None)? {
        return Err(StoreWriteError::SlugTaken);
    }
    diesel::insert_into(stores::table)
        .values((
            stores::slug.eq(fields.slug.as_str()),
            stores::name.eq(fields.name.as_str()),
            stores::currency.eq(fields.currency.code()),
            stores::timezone.eq(fields.timezone.name()),
            stores::public_base_url.eq(fields.public_base_url.as_ref().map(|u| u.as_str())),
            stores::created_at.eq(now()),
        ))
        .execute(conn)
        .map_err(slug_conflict)?;
    let store = StoreId(super::last_insert_id(conn)?);
    add_member(conn, store, owner, Role::Owner)?;
    Ok(store)
}

pub fn update(conn: &mut Conn, id: StoreId, fields: &StoreFields) -> Result<(), StoreWriteError> {
    super::write_transaction(conn, |conn| {
        if slug_taken(conn, &fields.slug, Some(id))? {
            return Err(StoreWriteError::SlugTaken);
        }
        diesel::update(stores::table.find(id))
            .set((
                stores::slug.eq(fields.slug.as_str()),
                stores::name.eq(fields.name.as_str()),
                stores::currency.eq(fields.currency.code()),
                stores::timezone.eq(fields.timezone.name()),
                stores::public_base_url.eq(fields.public_base_url.as_ref().map(|u| u.as_str())),
            ))
            .execute(conn)
            .map_err(slug_conflict)?;
        Ok(())
    })
}

pub(super) fn parse_role(raw: &str) -> QueryResult<Role> {
    Role::parse(raw)
        .map_err(|_| DbError::DeserializationError(format!("unknown role {raw:?}").into()))
}

/// Store `id` (for background jobs, which know a store by id).
pub fn find(conn: &mut Conn, id: StoreId) -> QueryResult<Store> {
    stores::table
        .filter(stores::id.eq(id))
        .select(Store::as_select())
        .first_row(conn)
}

/// The store with this slug (its public checkout).
pub fn find_by_slug(conn: &mut Conn, slug: &str) -> QueryResult<Store> {
    stores::table
        .filter(stores::slug.eq(slug))
        .select(Store::as_select())
        .first_row(conn)
}

/// The store with this slug and the user's role in it, or `None` when the
/// store does not exist or the user is not a member (the caller cannot tell
/// which, by design).
pub fn find_for_member(
    conn: &mut Conn,
    slug: &str,
    user: UserId,
) -> QueryResult<Option<(Store, Role)>> {
    let row: Option<(Store, String)> = stores::table
        .inner_join(memberships::table)
        .filter(stores::slug.eq(slug))
        .filter(memberships::user_id.eq(user))
        .select((Store::as_select(), memberships::role))
        .first_row(conn)
        .optional()?;
    row.map(|(store, role)| Ok((store, parse_role(&role)?)))
        .transpose()
}

/// Every store the user is a member of, by name.
pub fn list_for_member(conn: &mut Conn, user: UserId) -> QueryResult<Vec<(Store, Role)>> {
    let rows: Vec<(Store, String)> = stores::table
        .inner_join(memberships::table)
        .filter(memberships::user_id.eq(user))
        .select((Store::as_select(), memberships::role))
        .order((stores::name.asc(), stores::id.asc()))
        .load(conn)?;
    rows.into_iter()
        .map(|(store, role)| Ok((store, parse_role(&role)?)))
        .collect()
}

/// A member of a store, for the members page.
#[derive(Debug, Clone)]
pub struct Member {
    pub user_id: UserId,
    pub email: String,
    pub role: Role,
}

pub fn members(conn: &mut Conn, store: StoreId) -> QueryResult<Vec<Member>> {
    let rows: Vec<(i64, String, String)> = memberships::table
        .inner_join(users::table)
        .filter(memberships::store_id.eq(store))
        .select((users::id, users::email, memberships::role))
        .order(users::email.asc())
        .load(conn)?;
    rows.into_iter()
        .map(|(id, email, role)| {
            Ok(Member {
                user_id: UserId(id),
                email,
                role: parse_role(&role)?,
            })
        })
        .collect()
}

pub fn add_member(conn: &mut Conn, store: StoreId, user: UserId, role: Role) -> QueryResult<()> {
    diesel::insert_into(memberships::table)
        .values((
            memberships::store_id.eq(store),
            memberships::user_id.eq(user),
            memberships::role.eq(role.as_str()),
            memberships::created_at.eq(now()),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Why a member's role could not be changed or the member removed.
#[derive(Debug, thiserror::Error)]
pub enum MemberError {
    #[error("the store would have no owner left")]
    LastOwner,
    #[error("no such member")]
    NotMember,
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Is the account with this email a member of the store?
pub fn has_member_email(conn: &mut Conn, store: StoreId, email: &Email) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        memberships::table
            .inner_join(users::table)
            .filter(memberships::store_id.eq(store))
            .filter(users::email.eq(email.as_str())),
    ))
    .get_result(conn)
}

/// The member's role, if the user is a member.
pub fn role_of(conn: &mut Conn, store: StoreId, user: UserId) -> QueryResult<Option<Role>> {
    let role: Option<String> = memberships::table
        .find((store, user))
        .select(memberships::role)
        .first_row(conn)
        .optional()?;
    role.map(|r| parse_role(&r)).transpose()
}

/// Changes a member's role; the store always keeps an owner. The caller
/// owns the transaction.
pub fn set_role(
    conn: &mut Conn,
    store: StoreId,
    user: UserId,
    role: Role,
) -> Result<(), MemberError> {
    let current = role_of(conn, store, user)?.ok_or(MemberError::NotMember)?;
    if current == Role::Owner && role != Role::Owner {
        ensure_other_owner(conn, store, user)?;
    }
    diesel::update(memberships::table.find((store, user)))
        .set(memberships::role.eq(role.as_str()))
        .execute(conn)?;
    Ok(())
}

/// Removes a member and ends all of their sessions at once (SPEC section
/// 9); the last owner cannot be removed. The caller owns the transaction.
pub fn remove_member(conn: &mut Conn, store: StoreId, user: UserId) -> Result<(), MemberError> {
    ensure_other_owner(conn, store, user)?;
    let removed = diesel::delete(memberships::table.find((store, user))).execute(conn)?;
    if removed == 0 {
        return Err(MemberError::NotMember);
    }
    super::sessions::end_all(conn, user)?;
    Ok(())
}

fn ensure_other_owner(conn: &mut Conn, store: StoreId, user: UserId) -> Result<(), MemberError> {
    let other_owners: i64 = memberships::table
        .filter(memberships::store_id.eq(store))
        .filter(memberships::user_id.ne(user))
        .filter(memberships::role.eq(Role::Owner.as_str()))
        .count()
        .get_result(conn)?;
    if other_owners == 0 {
        Err(MemberError::LastOwner)
    } else {
        Ok(())
    }
}
