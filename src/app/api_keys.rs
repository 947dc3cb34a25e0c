//! API keys (SPEC 10): an owner creates one with a name and a scope; the
//! full key (`pdk_` + 40 base62 characters) is shown once and only its
//! SHA-256 is kept. A request names its key in `Authorization: Bearer`.

use crate::db::api_keys::{ApiKeyRow, NewKey};
use crate::db::stores::Store;
use crate::db::{self, Conn, DbError};
use crate::domain::form_errors::FormErrors;
use crate::domain::ids::{ApiKeyId, StoreId, UserId};

pub const PREFIX: &str = "pdk_";
const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const NAME_MAX: usize = 100;

/// What a key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Read,
    Write,
}

impl Scope {
    pub fn parse(raw: &str) -> Option<Scope> {
        match raw.trim() {
            "read" => Some(Scope::Read),
            "write" => Some(Scope::Write),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Write => "write",
        }
    }
}

/// A key that authenticated a request.
#[derive(Debug, Clone)]
pub struct Caller {
    pub key: ApiKeyId,
    pub scope: Scope,
    pub store: Store,
}

/// Why a key was not created.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("the key form is invalid")]
    Invalid(FormErrors),
    #[error("no randomness for a new key")]
    Random(#[from] getrandom::Error),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// What the database keeps of a key.
pub fn hash(key: &str) -> String {
    super::tokens::hash(key)
}

/// A new random key: `pdk_` and 40 base62 characters (238 bits).
fn new_key() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 40];
    getrandom::fill(&mut bytes)?;
    let mut key = String::from(PREFIX);
    for b in bytes {
        // 248 = 4 × 62: rejection keeps every character equally likely.
        let mut b = b;
        while b >= 248 {
            let mut one = [0u8; 1];
            getrandom::fill(&mut one)?;
            b = one[0];
        }
        key.push(char::from(ALPHABET[usize::from(b % 62)]));
    }
    Ok(key)
}

/// Creates a key; returns the full key, to be shown once.
pub fn create(
    conn: &mut Conn,
    store: StoreId,
    user: UserId,
    name: &str,
    scope: &str,
) -> Result<String, KeyError> {
    let mut errors = FormErrors::default();
    let name = name.trim();
    if name.is_empty() {
        errors.add(
            "name",
            "Name the key after what uses it, e.g. “Shop server”.",
        );
    } else if name.chars().count() > NAME_MAX {
        errors.add("name", format!("Use at most {NAME_MAX} characters."));
    } else if name.chars().any(char::is_control) {
        errors.add("name", "Use letters, digits, spaces and punctuation only.");
    }
    let scope = Scope::parse(scope);
    if scope.is_none() {
        errors.add(
            "scope",
            "Choose read (lists and lookups) or write (also redeems and changes).",
        );
    }
    let Some(scope) = scope.filter(|_| errors.is_empty()) else {
        return Err(KeyError::Invalid(errors));
    };
    let key = new_key()?;
    db::api_keys::insert(
        conn,
        store,
        &NewKey {
            name,
            scope: scope.as_str(),
            prefix: &key[..8],
            key_hash: &hash(&key),
            created_by: user,
        },
    )?;
    Ok(key)
}

pub fn list(conn: &mut Conn, store: StoreId) -> Result<Vec<ApiKeyRow>, DbError> {
    db::api_keys::list(conn, store)
}

/// Revokes a key; `false` when it was revoked already or is not this
/// store's.
pub fn revoke(conn: &mut Conn, store: StoreId, id: ApiKeyId) -> Result<bool, DbError> {
    db::api_keys::revoke(conn, store, id)
}

/// The live key whose hash is `key_hash`, and its store; records its use.
pub fn authenticate(conn: &mut Conn, key_hash: &str) -> Result<Option<Caller>, DbError> {
    let Some((row, store)) = db::api_keys::find_live(conn, key_hash)? else {
        return Ok(None);
    };
    let now = db::now();
    if row
        .last_used_at
        .is_none_or(|t| t < now - chrono::Duration::minutes(1))
    {
        db::api_keys::touch(conn, row.id(), now)?;
    }
    Ok(Some(Caller {
        key: row.id(),
        scope: Scope::parse(&row.scope).unwrap_or(Scope::Read),
        store,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_prefixed_base62_of_40() {
        let a = new_key().unwrap();
        let b = new_key().unwrap();
        assert_ne!(a, b);
        assert_eq!(a.len(), 44);
        assert!(a.starts_with("pdk_"));
        assert!(a[4..].bytes().all(|c| c.is_ascii_alphanumeric()));
    }
}
