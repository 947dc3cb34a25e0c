//! Stores and their members.

use diesel::prelude::*;

use super::schema::{memberships, stores, users};
use super::{Conn, DbError, now};
use crate::domain::email::Email;
use crate::domain::ids::{StoreId, UserId};
use crate::domain::money::CurrencyCode;
use crate::domain::role::Role;
use crate::domain::store::{PublicBaseUrl, StoreName, StoreSlug, TimeZone};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = stores)]
pub struct Store {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub currency: String,
    pub timezone: String,
    pub public_base_url: Option<String>,
}

impl Store {
    pub fn id(&self) -> StoreId {
        StoreId(self.id)
    }
}

/// A store's fields, all checked.
#[derive(Debug, Clone)]
pub struct StoreFields {
    pub slug: StoreSlug,
    pub name: StoreName,
    pub currency: CurrencyCode,
    pub timezone: TimeZone,
    pub public_base_url: Option<PublicBaseUrl>,
}

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
        .first(conn)
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
        diesel::update(stores::table.find(id.0))
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

fn parse_role(raw: &str) -> QueryResult<Role> {
    Role::parse(raw)
        .map_err(|_| DbError::DeserializationError(format!("unknown role {raw:?}").into()))
}

/// The store with this slug (its public checkout).
pub fn find_by_slug(conn: &mut Conn, slug: &str) -> QueryResult<Store> {
    stores::table
        .filter(stores::slug.eq(slug))
        .select(Store::as_select())
        .first(conn)
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
        .filter(memberships::user_id.eq(user.0))
        .select((Store::as_select(), memberships::role))
        .first(conn)
        .optional()?;
    row.map(|(store, role)| Ok((store, parse_role(&role)?)))
        .transpose()
}

/// Every store the user is a member of, by name.
pub fn list_for_member(conn: &mut Conn, user: UserId) -> QueryResult<Vec<(Store, Role)>> {
    let rows: Vec<(Store, String)> = stores::table
        .inner_join(memberships::table)
        .filter(memberships::user_id.eq(user.0))
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
        .filter(memberships::store_id.eq(store.0))
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
            memberships::store_id.eq(store.0),
            memberships::user_id.eq(user.0),
            memberships::role.eq(role.as_str()),
            memberships::created_at.eq(now()),
        ))
        .execute(conn)
        .map(|_| ())
}

/// What adding a member did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberChange {
    /// A new account was created and added.
    Created,
    /// An existing account was added.
    Added,
    /// The account was a member already; its role was changed.
    RoleChanged,
}

/// Why a member could not be added or changed.
#[derive(Debug, thiserror::Error)]
pub enum MemberError {
    #[error("a new account needs a password")]
    PasswordRequired,
    #[error("the store would have no owner left")]
    LastOwner,
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Adds the account with this email to the store with `role`, creating the
/// account with `new_password_hash` when there is none, or changes the role
/// of an existing member. A store always keeps at least one owner.
pub fn put_member(
    conn: &mut Conn,
    store: StoreId,
    email: &Email,
    role: Role,
    new_password_hash: Option<&str>,
) -> Result<MemberChange, MemberError> {
    super::write_transaction(conn, |conn| {
        let user = match super::users::find_by_email(conn, email)? {
            Some(user) => user.id(),
            None => {
                let hash = new_password_hash.ok_or(MemberError::PasswordRequired)?;
                let user = super::users::insert(conn, email, hash)?;
                add_member(conn, store, user, role)?;
                return Ok(MemberChange::Created);
            }
        };
        let current: Option<String> = memberships::table
            .find((store.0, user.0))
            .select(memberships::role)
            .first(conn)
            .optional()?;
        match current {
            None => {
                add_member(conn, store, user, role)?;
                Ok(MemberChange::Added)
            }
            Some(current) => {
                if parse_role(&current)? == Role::Owner && role != Role::Owner {
                    ensure_other_owner(conn, store, user)?;
                }
                diesel::update(memberships::table.find((store.0, user.0)))
                    .set(memberships::role.eq(role.as_str()))
                    .execute(conn)?;
                Ok(MemberChange::RoleChanged)
            }
        }
    })
}

/// Removes a member; the last owner cannot be removed.
pub fn remove_member(conn: &mut Conn, store: StoreId, user: UserId) -> Result<(), MemberError> {
    super::write_transaction(conn, |conn| {
        ensure_other_owner(conn, store, user)?;
        let removed = diesel::delete(memberships::table.find((store.0, user.0))).execute(conn)?;
        if removed == 0 {
            return Err(MemberError::Db(DbError::NotFound));
        }
        // Their sessions end at once (SPEC section 9), wherever they are.
        super::sessions::end_all(conn, user)?;
        Ok(())
    })
}

fn ensure_other_owner(conn: &mut Conn, store: StoreId, user: UserId) -> Result<(), MemberError> {
    let other_owners: i64 = memberships::table
        .filter(memberships::store_id.eq(store.0))
        .filter(memberships::user_id.ne(user.0))
        .filter(memberships::role.eq(Role::Owner.as_str()))
        .count()
        .get_result(conn)?;
    if other_owners == 0 {
        Err(MemberError::LastOwner)
    } else {
        Ok(())
    }
}
