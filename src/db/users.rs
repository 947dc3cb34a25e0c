//! Staff accounts.

use diesel::prelude::*;

use super::schema::users;
use super::{Conn, now};
use crate::db::FirstRow;
use crate::domain::email::Email;
use crate::domain::ids::UserId;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub password_hash: String,
}

impl User {
    pub fn id(&self) -> UserId {
        UserId(self.id)
    }
}

pub fn any_exists(conn: &mut Conn) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(users::table.select(users::id))).get_result(conn)
}

pub fn find(conn: &mut Conn, id: UserId) -> QueryResult<Option<User>> {
    users::table
        .find(id)
        .select(User::as_select())
        .first_row(conn)
        .optional()
}

pub fn find_by_email(conn: &mut Conn, email: &Email) -> QueryResult<Option<User>> {
    users::table
        .filter(users::email.eq(email.as_str()))
        .select(User::as_select())
        .first_row(conn)
        .optional()
}

pub fn insert(conn: &mut Conn, email: &Email, password_hash: &str) -> QueryResult<UserId> {
    diesel::insert_into(users::table)
        .values((
            users::email.eq(email.as_str()),
            users::password_hash.eq(password_hash),
            users::created_at.eq(now()),
        ))
        .execute(conn)?;
    super::last_insert_id(conn).map(UserId)
}

pub fn set_password_hash(conn: &mut Conn, user: UserId, password_hash: &str) -> QueryResult<()> {
    diesel::update(users::table.find(user))
        .set(users::password_hash.eq(password_hash))
        .execute(conn)
        .map(|_| ())
}
