//! Who works in a store. Owners invite people by email and role; the
//! invitee accepts through a one-time link (valid 7 days), creating an
//! account or logging in. Nobody becomes a member without accepting, and
//! the owner learns nothing about which emails have accounts.

use chrono::{NaiveDateTime, TimeDelta};

use super::accounts::{self, LogIn};
use crate::db::invitations::{NewInvitation, OpenInvitation, Pending};
use crate::db::stores::{Member, MemberError};
use crate::db::users::User;
use crate::db::{self, Conn, DbError};
use crate::domain::email::Email;
use crate::domain::ids::{StoreId, UserId};
use crate::domain::login::Throttle;
use crate::domain::role::Role;

/// How long an invitation link works.
pub const INVITE_VALID_FOR: TimeDelta = TimeDelta::days(7);

/// The members page: members and open invitations.
pub fn list(conn: &mut Conn, store: StoreId) -> Result<(Vec<Member>, Vec<Pending>), DbError> {
    let members = db::stores::members(conn, store)?;
    let pending = db::invitations::pending(conn, store, db::now())?;
    Ok((members, pending))
}

/// A new invitation: the token goes into the link, shown once.
#[derive(Debug)]
pub struct Invited {
    pub token: String,
    pub expires_at: NaiveDateTime,
}

#[derive(Debug, thiserror::Error)]
pub enum InviteError {
    /// The email is a member already (the members list shows it): change
    /// the role there instead.
    #[error("already a member")]
    AlreadyMember,
    #[error("no randomness for the token: {0}")]
    NoRandomness(getrandom::Error),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Invites `email` to the store as `role`. The answer is the same whether or
/// not the email has an account; an earlier open invitation for the email
/// stops working.
pub fn invite(
    conn: &mut Conn,
    store: StoreId,
    invited_by: UserId,
    email: &Email,
    role: Role,
) -> Result<Invited, InviteError> {
    let token = super::tokens::new_token().map_err(InviteError::NoRandomness)?;
    let token_hash = super::tokens::hash(&token);
    let now = db::now();
    let expires_at = now + INVITE_VALID_FOR;
    db::write_transaction(conn, |conn| {
        if db::stores::has_member_email(conn, store, email)? {
            return Err(InviteError::AlreadyMember);
        }
        db::invitations::replace(
            conn,
            &NewInvitation {
                store,
                email,
                role,
                token_hash: &token_hash,
                invited_by,
                now,
                expires_at,
            },
        )?;
        Ok(Invited { token, expires_at })
    })
}

/// Withdraws an open invitation; false when there was none to withdraw.
pub fn revoke(conn: &mut Conn, store: StoreId, id: i64) -> Result<bool, DbError> {
    db::invitations::revoke(conn, store, id)
}

/// What the invitation page shows.
#[derive(Debug, Clone)]
pub struct InvitationView {
    pub invitation: OpenInvitation,
    /// Does the invited email have an account (log in) or not (choose a
    /// password)? Only the holder of the link learns this.
    pub has_account: bool,
}

/// The open invitation behind a link, or `None` when the link was used,
/// withdrawn, has run out or never existed.
pub fn open(conn: &mut Conn, token: &str) -> Result<Option<InvitationView>, DbError> {
    let Some(invitation) =
        db::invitations::find_open(conn, &super::tokens::hash(token), db::now())?
    else {
        return Ok(None);
    };
    let email =
        Email::parse(&invitation.email).map_err(|e| DbError::DeserializationError(e.into()))?;
    let has_account = db::users::find_by_email(conn, &email)?.is_some();
    Ok(Some(InvitationView {
        invitation,
        has_account,
    }))
}

/// Who accepts an invitation.
pub enum Acceptor<'a> {
    /// The logged-in user, whose email must be the invited one.
    LoggedIn(&'a User),
    /// A new account for the invited email, with this password hash, logged
    /// in as the session `session_id`.
    NewAccount {
        password_hash: &'a str,
        session_id: &'a str,
    },
    /// The existing account of the invited email, logging in with
    /// `password` (throttled like any login) as the session `session_id`.
    LogIn {
        password: &'a str,
        client: &'a str,
        session_id: &'a str,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum AcceptError {
    #[error("the invitation is used, withdrawn or out of date")]
    NotOpen,
    #[error("logged in as another account")]
    WrongAccount,
    #[error("an account with this email exists now")]
    AccountExists,
    #[error("wrong password")]
    WrongPassword,
    #[error("throttled")]
    Throttled(Throttle),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Accepts the invitation behind `token`: the user joins the store with the
/// invited role (a member already keeps their role). A link works once.
/// Returns the invitation (for the store's slug and the role).
pub fn accept(
    conn: &mut Conn,
    token: &str,
    acceptor: Acceptor,
) -> Result<OpenInvitation, AcceptError> {
    let view = open(conn, token)?.ok_or(AcceptError::NotOpen)?;
    let invitation = view.invitation;
    let email =
        Email::parse(&invitation.email).map_err(|e| DbError::DeserializationError(e.into()))?;
    let existing = match acceptor {
        Acceptor::LoggedIn(user) if user.email == invitation.email => Some(user.id()),
        Acceptor::LoggedIn(_) => return Err(AcceptError::WrongAccount),
        Acceptor::LogIn {
            password,
            client,
            session_id,
        } => match accounts::log_in(conn, &email, password, client, session_id)? {
            LogIn::LoggedIn(user) => Some(user.id()),
            LogIn::WrongCredentials => return Err(AcceptError::WrongPassword),
            LogIn::Throttled(throttle) => return Err(AcceptError::Throttled(throttle)),
        },
        Acceptor::NewAccount { .. } => None,
    };
    db::write_transaction(conn, |conn| {
        let user = match (existing, &acceptor) {
            (Some(user), _) => user,
            (
                None,
                Acceptor::NewAccount {
                    password_hash,
                    session_id,
                },
            ) => {
                if db::users::find_by_email(conn, &email)?.is_some() {
                    return Err(AcceptError::AccountExists);
                }
                let user = db::users::insert(conn, &email, password_hash)?;
                db::sessions::create(conn, session_id, user)?;
                user
            }
            (None, _) => return Err(AcceptError::NotOpen),
        };
        if !db::invitations::mark_accepted(conn, invitation.id, user, db::now())? {
            return Err(AcceptError::NotOpen);
        }
        if db::stores::role_of(conn, invitation.store_id, user)?.is_none() {
            db::stores::add_member(conn, invitation.store_id, user, invitation.role)?;
        }
        Ok(invitation.clone())
    })
}

/// Changes a member's role; the store always keeps an owner.
pub fn set_role(
    conn: &mut Conn,
    store: StoreId,
    user: UserId,
    role: Role,
) -> Result<(), MemberError> {
    db::write_transaction(conn, |conn| db::stores::set_role(conn, store, user, role))
}

/// Removes a member, whose sessions end at once; the last owner stays.
pub fn remove(conn: &mut Conn, store: StoreId, user: UserId) -> Result<(), MemberError> {
    db::write_transaction(conn, |conn| db::stores::remove_member(conn, store, user))
}
