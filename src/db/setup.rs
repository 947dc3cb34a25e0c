//! First run: the owner account and the first store, exactly once.

use super::stores::{StoreFields, StoreWriteError};
use super::{Conn, DbError, settings};
use crate::domain::email::Email;
use crate::domain::ids::{StoreId, UserId};

#[derive(Debug, thiserror::Error)]
pub enum FirstRunError {
    #[error("setup is already done")]
    AlreadyDone,
    #[error("the slug is taken")]
    SlugTaken,
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<StoreWriteError> for FirstRunError {
    fn from(e: StoreWriteError) -> Self {
        match e {
            StoreWriteError::SlugTaken => FirstRunError::SlugTaken,
            StoreWriteError::Db(e) => FirstRunError::Db(e),
        }
    }
}

/// Creates the owner and the first store in one transaction. The
/// `setup_done` marker row is unique, so two concurrent setups cannot both
/// succeed on any backend.
pub fn create_owner_and_store(
    conn: &mut Conn,
    email: &Email,
    password_hash: &str,
    store: &StoreFields,
) -> Result<(UserId, StoreId), FirstRunError> {
    super::write_transaction(conn, |conn| {
        if super::users::any_exists(conn)? {
            return Err(FirstRunError::AlreadyDone);
        }
        settings::insert(conn, settings::SETUP_DONE, &super::now().to_string()).map_err(|e| {
            if super::is_unique_violation(&e) {
                FirstRunError::AlreadyDone
            } else {
                FirstRunError::Db(e)
            }
        })?;
        let user = super::users::insert(conn, email, password_hash)?;
        let store = super::stores::insert_with_owner(conn, store, user)?;
        Ok((user, store))
    })
}
