//! `/admin/login`: email and password. A client that failed 20 times in 15
//! minutes (any emails), or failed for an email that failed 5 times, gets
//! 429 (`domain::login`); a client that has not failed can still log in.
//! A login starts a server-side session (`db::sessions`).

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::app::accounts::{self, LogIn};
use crate::domain::email::Email;
use crate::domain::login::Throttle;
use crate::error::AppError;
use crate::web::csrf::CsrfForm;
use crate::web::forms::FormErrors;
use crate::web::layout::Layout;
use crate::web::session::{log_in, new_session_id, session_id};
use crate::web::{AppState, render_status, see_other};

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LoginForm {
    pub email: String,
    pub password: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct LoginQuery {
    #[serde(default)]
    pub logged_out: Option<String>,
}

#[derive(Template)]
#[template(path = "auth/login.html")]
struct LoginPage {
    layout: Layout,
    email: String,
    errors: FormErrors,
    /// A message about the whole form (wrong credentials, throttled).
    notice: Option<String>,
    logged_out: bool,
}

pub async fn show(
    state: web::Data<AppState>,
    session: Session,
    query: web::Query<LoginQuery>,
) -> Result<HttpResponse, AppError> {
    if super::setup::setup_open(&state).await? {
        return Ok(see_other("/admin/setup"));
    }
    if let Some(sid) = session_id(&session)?
        && crate::web::db(&state, move |conn| {
            crate::app::accounts::session_user(conn, &sid)
        })
        .await?
        .is_some()
    {
        return Ok(see_other("/admin"));
    }
    let page = LoginPage {
        layout: Layout::anonymous(&session)?,
        email: String::new(),
        errors: FormErrors::default(),
        notice: None,
        logged_out: query.logged_out.is_some(),
    };
    render_status(StatusCode::OK, &page)
}

/// What the page says to a throttled client.
pub fn throttled_message(throttle: Throttle) -> String {
    let (what, minutes) = match throttle {
        Throttle::Client { minutes } => ("from your network", minutes),
        Throttle::Email { minutes } => ("for this email", minutes),
    };
    format!(
        "Too many failed logins {what}. For your security, logging in from here is paused: try again in {minutes} minute{}.",
        if minutes == 1 { "" } else { "s" }
    )
}

pub async fn submit(
    state: web::Data<AppState>,
    req: HttpRequest,
    session: Session,
    CsrfForm(form): CsrfForm<LoginForm>,
) -> Result<HttpResponse, AppError> {
    let mut errors = FormErrors::default();
    let email = errors.check("email", Email::parse(&form.email));
    if form.password.is_empty() {
        errors.add("password", "Enter your password.");
    }
    let render = |status, errors, notice| -> Result<HttpResponse, AppError> {
        let page = LoginPage {
            layout: Layout::anonymous(&session)?,
            email: form.email.clone(),
            errors,
            notice,
            logged_out: false,
        };
        render_status(status, &page)
    };
    let Some(email) = email.filter(|_| errors.is_empty()) else {
        return render(StatusCode::UNPROCESSABLE_ENTITY, errors, None);
    };
    let password = form.password.clone();
    let client = state
        .client(&req)
        .map(|ip| ip.to_string())
        .unwrap_or_default();
    let session_id = new_session_id()?;
    let sid = session_id.clone();
    let outcome = crate::web::db(&state, move |conn| {
        accounts::log_in(conn, &email, &password, &client, &sid)
    })
    .await?;
    match outcome {
        LogIn::LoggedIn(user) => {
            log_in(&session, &session_id)?;
            let id = user.id();
            let landing =
                crate::web::db(&state, move |conn| crate::app::stores::landing(conn, id)).await?;
            Ok(see_other(&landing))
        }
        LogIn::WrongCredentials => render(
            StatusCode::UNAUTHORIZED,
            FormErrors::default(),
            Some("The email or password is wrong.".into()),
        ),
        LogIn::Throttled(throttle) => render(
            StatusCode::TOO_MANY_REQUESTS,
            FormErrors::default(),
            Some(throttled_message(throttle)),
        ),
    }
}
