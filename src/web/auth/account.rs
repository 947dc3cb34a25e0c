//! `/admin/account`: the logged-in user's own account. Changing the
//! password ends every session of the user (other browsers included); this
//! browser goes on in a fresh session (`app::accounts::change_password`).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::app::accounts::{self, PasswordChange};
use crate::domain::password::NewPassword;
use crate::error::AppError;
use crate::web::csrf::CsrfForm;
use crate::web::extract::CurrentUser;
use crate::web::forms::FormErrors;
use crate::web::layout::Layout;
use crate::web::session::{FlashKind, flash, log_in, new_session_id};
use crate::web::{render_status, see_other};

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PasswordForm {
    pub current_password: String,
    pub password: String,
}

#[derive(Template)]
#[template(path = "auth/account.html")]
struct AccountPage {
    layout: Layout,
    email: String,
    errors: FormErrors,
    notice: Option<String>,
}

fn render(
    me: &CurrentUser,
    status: StatusCode,
    errors: FormErrors,
    notice: Option<String>,
) -> Result<HttpResponse, AppError> {
    let page = AccountPage {
        layout: me.layout()?,
        email: me.user.email.clone(),
        errors,
        notice,
    };
    render_status(status, &page)
}

pub async fn show(me: CurrentUser) -> Result<HttpResponse, AppError> {
    render(&me, StatusCode::OK, FormErrors::default(), None)
}

pub async fn change_password(
    me: CurrentUser,
    req: HttpRequest,
    CsrfForm(form): CsrfForm<PasswordForm>,
) -> Result<HttpResponse, AppError> {
    let mut errors = FormErrors::default();
    if form.current_password.is_empty() {
        errors.add("current_password", "Enter your current password.");
    }
    let new = errors.check("password", NewPassword::parse(&form.password));
    let Some(new) = new.filter(|_| errors.is_empty()) else {
        return render(&me, StatusCode::UNPROCESSABLE_ENTITY, errors, None);
    };
    let new_hash = web::block(move || new.hash()).await??;
    let client = me
        .state
        .client(&req)
        .map(|ip| ip.to_string())
        .unwrap_or_default();
    let session_id = new_session_id()?;
    let (user, current, sid) = (
        me.user.clone(),
        form.current_password.clone(),
        session_id.clone(),
    );
    let outcome = crate::web::db(&me.state, move |conn| {
        accounts::change_password(conn, &user, &current, &new_hash, &client, &sid)
    })
    .await?;
    match outcome {
        PasswordChange::Changed => {
            log_in(&me.session, &session_id)?;
            flash(
                &me.session,
                FlashKind::Success,
                "Password changed. Every other session of your account has been logged out.",
            )?;
            Ok(see_other("/admin/account"))
        }
        PasswordChange::WrongPassword => {
            errors.add("current_password", "The current password is wrong.");
            render(&me, StatusCode::UNPROCESSABLE_ENTITY, errors, None)
        }
        PasswordChange::Throttled(throttle) => render(
            &me,
            StatusCode::TOO_MANY_REQUESTS,
            errors,
            Some(super::login::throttled_message(throttle)),
        ),
    }
}
