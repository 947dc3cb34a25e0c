//! `/admin/invite/{token}`: the one-time link an owner hands over. The
//! invitee chooses a password (new account) or logs in, or accepts with the
//! account they are logged in with, and lands in the store
//! (`app::members::accept`).

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::app::members::{self as use_case, AcceptError, Acceptor, InvitationView};
use crate::db::users::User;
use crate::domain::password::NewPassword;
use crate::domain::role::Role;
use crate::error::AppError;
use crate::web::csrf::CsrfForm;
use crate::web::forms::FormErrors;
use crate::web::layout::Layout;
use crate::web::session::{FlashKind, flash, log_in, new_session_id, session_id};
use crate::web::{AppState, render_status, see_other};

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AcceptForm {
    pub password: String,
}

/// What the page asks of the visitor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ask {
    /// Logged in with the invited email: just accept.
    Accept,
    /// Logged in with another account: log out first.
    OtherAccount,
    /// The email has an account: its password.
    LogIn,
    /// No account yet: a new password.
    NewPassword,
}

#[derive(Template)]
#[template(path = "auth/invite.html")]
struct InvitePage {
    layout: Layout,
    /// `None`: the link does not work (used, withdrawn, out of date).
    invite: Option<InviteView>,
    errors: FormErrors,
    notice: Option<String>,
}

struct InviteView {
    token: String,
    store_name: String,
    email: String,
    role: Role,
    ask: Ask,
    logged_in_as: Option<String>,
}

/// The logged-in user, if the session is live.
async fn current_user(state: &AppState, session: &Session) -> Result<Option<User>, AppError> {
    let Some(sid) = session_id(session)? else {
        return Ok(None);
    };
    crate::web::db(state, move |conn| {
        crate::app::accounts::session_user(conn, &sid)
    })
    .await
}

fn ask(view: &InvitationView, user: Option<&User>) -> Ask {
    match user {
        Some(user) if user.email == view.invitation.email => Ask::Accept,
        Some(_) => Ask::OtherAccount,
        None if view.has_account => Ask::LogIn,
        None => Ask::NewPassword,
    }
}

async fn load(state: &AppState, token: &str) -> Result<Option<InvitationView>, AppError> {
    let token = token.to_string();
    crate::web::db(state, move |conn| use_case::open(conn, &token)).await
}

fn render(
    session: &Session,
    user: Option<&User>,
    status: StatusCode,
    invite: Option<InviteView>,
    errors: FormErrors,
    notice: Option<String>,
) -> Result<HttpResponse, AppError> {
    let page = InvitePage {
        layout: Layout::new(session, user, None)?,
        invite,
        errors,
        notice,
    };
    render_status(status, &page)
}

fn view(token: &str, found: &InvitationView, user: Option<&User>) -> InviteView {
    InviteView {
        token: token.to_string(),
        store_name: found.invitation.store_name.clone(),
        email: found.invitation.email.clone(),
        role: found.invitation.role,
        ask: ask(found, user),
        logged_in_as: user.map(|u| u.email.clone()),
    }
}

/// A link that does not work: 404, with what to do about it.
fn not_open(session: &Session, user: Option<&User>) -> Result<HttpResponse, AppError> {
    render(
        session,
        user,
        StatusCode::NOT_FOUND,
        None,
        FormErrors::default(),
        None,
    )
}

pub async fn show(
    state: web::Data<AppState>,
    session: Session,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let token = path.into_inner();
    let user = current_user(&state, &session).await?;
    let Some(found) = load(&state, &token).await? else {
        return not_open(&session, user.as_ref());
    };
    let invite = view(&token, &found, user.as_ref());
    render(
        &session,
        user.as_ref(),
        StatusCode::OK,
        Some(invite),
        FormErrors::default(),
        None,
    )
}

pub async fn accept(
    state: web::Data<AppState>,
    req: HttpRequest,
    session: Session,
    path: web::Path<String>,
    CsrfForm(form): CsrfForm<AcceptForm>,
) -> Result<HttpResponse, AppError> {
    let token = path.into_inner();
    let user = current_user(&state, &session).await?;
    let Some(found) = load(&state, &token).await? else {
        return not_open(&session, user.as_ref());
    };
    let asked = ask(&found, user.as_ref());
    let again = |status, errors, notice| {
        render(
            &session,
            user.as_ref(),
            status,
            Some(view(&token, &found, user.as_ref())),
            errors,
            notice,
        )
    };
    let mut errors = FormErrors::default();
    let session_id = new_session_id()?;
    let client = state
        .client(&req)
        .map(|ip| ip.to_string())
        .unwrap_or_default();
    let password_hash = match asked {
        Ask::OtherAccount => return again(StatusCode::FORBIDDEN, errors, None),
        Ask::NewPassword => {
            let Some(password) = errors.check("password", NewPassword::parse(&form.password))
            else {
                return again(StatusCode::UNPROCESSABLE_ENTITY, errors, None);
            };
            Some(web::block(move || password.hash()).await??)
        }
        Ask::LogIn if form.password.is_empty() => {
            errors.add("password", "Enter your password.");
            return again(StatusCode::UNPROCESSABLE_ENTITY, errors, None);
        }
        Ask::LogIn | Ask::Accept => None,
    };
    let accepting = user.clone();
    let password = form.password.clone();
    let (token2, sid) = (token.clone(), session_id.clone());
    let outcome = crate::web::db(&state, move |conn| {
        let acceptor = match (&accepting, &password_hash) {
            (Some(user), _) => Acceptor::LoggedIn(user),
            (None, Some(hash)) => Acceptor::NewAccount {
                password_hash: hash,
                session_id: &sid,
            },
            (None, None) => Acceptor::LogIn {
                password: &password,
                client: &client,
                session_id: &sid,
            },
        };
        Ok::<_, AppError>(use_case::accept(conn, &token2, acceptor))
    })
    .await?;
    let joined = match outcome {
        Ok(joined) => joined,
        Err(AcceptError::NotOpen) => return not_open(&session, user.as_ref()),
        Err(AcceptError::WrongAccount) => return again(StatusCode::FORBIDDEN, errors, None),
        Err(AcceptError::AccountExists) => {
            return again(
                StatusCode::CONFLICT,
                errors,
                Some(
                    "An account with this email was just created: reload this page and log in."
                        .into(),
                ),
            );
        }
        Err(AcceptError::WrongPassword) => {
            errors.add("password", "The password is wrong.");
            return again(StatusCode::UNAUTHORIZED, errors, None);
        }
        Err(AcceptError::Throttled(throttle)) => {
            return again(
                StatusCode::TOO_MANY_REQUESTS,
                errors,
                Some(super::login::throttled_message(throttle)),
            );
        }
        Err(AcceptError::Db(e)) => return Err(e.into()),
    };
    if user.is_none() {
        log_in(&session, &session_id)?;
    }
    flash(
        &session,
        FlashKind::Success,
        format!(
            "Welcome to {}: you joined as {}.",
            joined.store_name,
            joined.role.label()
        ),
    )?;
    Ok(see_other(&format!("/admin/s/{}", joined.store_slug)))
}
