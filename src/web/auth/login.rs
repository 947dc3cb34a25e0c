//! `/admin/login`: email and password. Five failed logins for one email
//! within 15 minutes lock that email out until the oldest one is 15 minutes
//! old (429).

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::TimeDelta;
use serde::Deserialize;

use crate::db;
use crate::domain::email::Email;
use crate::domain::password;
use crate::error::AppError;
use crate::web::csrf::CsrfForm;
use crate::web::forms::FormErrors;
use crate::web::layout::Layout;
use crate::web::session::{log_in, user_id};
use crate::web::{AppState, render_status, see_other};

pub const MAX_FAILURES: i64 = 5;
pub const WINDOW_MINUTES: i64 = 15;

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
    if user_id(&session)?.is_some() {
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

enum Outcome {
    LoggedIn(crate::domain::ids::UserId),
    WrongCredentials,
    Throttled { minutes: i64 },
}

fn attempt(conn: &mut db::Conn, email: &Email, password: &str) -> Result<Outcome, db::DbError> {
    let now = db::now();
    let window_start = now - TimeDelta::minutes(WINDOW_MINUTES);
    let (failures, oldest) = db::login_failures::recent(conn, email, window_start)?;
    if failures >= MAX_FAILURES {
        let lifts_at = oldest.unwrap_or(now) + TimeDelta::minutes(WINDOW_MINUTES);
        let minutes = ((lifts_at - now).num_seconds() + 59) / 60;
        return Ok(Outcome::Throttled {
            minutes: minutes.max(1),
        });
    }
    let user = db::users::find_by_email(conn, email)?;
    let hash = user
        .as_ref()
        .map_or(password::dummy_hash(), |u| u.password_hash.as_str());
    match user {
        Some(user) if password::verify(password, hash) => {
            db::login_failures::clear(conn, email, window_start)?;
            Ok(Outcome::LoggedIn(user.id()))
        }
        _ => {
            // Unknown emails verify against a dummy hash: same time, same answer.
            password::verify(password, hash);
            db::login_failures::record(conn, email)?;
            Ok(Outcome::WrongCredentials)
        }
    }
}

pub async fn submit(
    state: web::Data<AppState>,
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
    let outcome = crate::web::db(&state, move |conn| attempt(conn, &email, &password)).await?;
    match outcome {
        Outcome::LoggedIn(user) => {
            log_in(&session, user)?;
            Ok(see_other("/admin"))
        }
        Outcome::WrongCredentials => render(
            StatusCode::UNAUTHORIZED,
            FormErrors::default(),
            Some("The email or password is wrong.".into()),
        ),
        Outcome::Throttled { minutes } => render(
            StatusCode::TOO_MANY_REQUESTS,
            FormErrors::default(),
            Some(format!(
                "Too many failed logins for this email. For your security, logging in is paused: try again in {minutes} minute{}.",
                if minutes == 1 { "" } else { "s" }
            )),
        ),
    }
}
