//! `/admin/setup`: while no user exists, the first person creates the owner
//! account and the first store. Afterwards it answers 404.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::db::setup::FirstRunError;
use crate::db::stores::StoreFields;
use crate::domain::email::Email;
use crate::domain::money::CurrencyCode;
use crate::domain::password::NewPassword;
use crate::domain::store::{StoreName, StoreSlug, TimeZone};
use crate::error::AppError;
use crate::web::csrf::CsrfForm;
use crate::web::forms::FormErrors;
use crate::web::layout::Layout;
use crate::web::session::{FlashKind, flash, log_in, new_session_id};
use crate::web::stores::form::Choices;
use crate::web::{AppState, render_status, see_other};

#[derive(Debug, Deserialize)]
#[serde(default)]
pub struct SetupForm {
    pub email: String,
    pub password: String,
    pub store_name: String,
    pub store_slug: String,
    pub currency: String,
    pub timezone: String,
}

impl Default for SetupForm {
    fn default() -> Self {
        SetupForm {
            email: String::new(),
            password: String::new(),
            store_name: String::new(),
            store_slug: String::new(),
            currency: "USD".into(),
            timezone: "UTC".into(),
        }
    }
}

#[derive(Template)]
#[template(path = "auth/setup.html")]
struct SetupPage {
    layout: Layout,
    form: SetupForm,
    errors: FormErrors,
    choices: Choices,
}

fn page(session: &Session, form: SetupForm, errors: FormErrors) -> Result<SetupPage, AppError> {
    Ok(SetupPage {
        layout: Layout::anonymous(session)?,
        form,
        errors,
        choices: Choices::get(),
    })
}

/// Is setup still to be done (no user exists)?
pub async fn setup_open(state: &AppState) -> Result<bool, AppError> {
    crate::web::db(state, crate::app::accounts::setup_open).await
}

pub async fn show(state: web::Data<AppState>, session: Session) -> Result<HttpResponse, AppError> {
    if !setup_open(&state).await? {
        return Err(AppError::NotFound);
    }
    render_status(
        StatusCode::OK,
        &page(&session, SetupForm::default(), FormErrors::default())?,
    )
}

struct Checked {
    email: Email,
    password: NewPassword,
    store: StoreFields,
}

fn check(form: &SetupForm) -> Result<Checked, FormErrors> {
    let mut errors = FormErrors::default();
    let email = errors.check("email", Email::parse(&form.email));
    let password = errors.check("password", NewPassword::parse(&form.password));
    let name = errors.check("store_name", StoreName::parse(&form.store_name));
    let slug = errors.check("store_slug", StoreSlug::parse(&form.store_slug));
    let currency = errors.check("currency", CurrencyCode::parse(&form.currency));
    let timezone = errors.check("timezone", TimeZone::parse(&form.timezone));
    match (email, password, name, slug, currency, timezone) {
        (Some(email), Some(password), Some(name), Some(slug), Some(currency), Some(timezone)) => {
            Ok(Checked {
                email,
                password,
                store: StoreFields {
                    slug,
                    name,
                    currency,
                    timezone,
                    public_base_url: None,
                },
            })
        }
        _ => Err(errors),
    }
}

pub async fn submit(
    state: web::Data<AppState>,
    session: Session,
    CsrfForm(mut form): CsrfForm<SetupForm>,
) -> Result<HttpResponse, AppError> {
    if !setup_open(&state).await? {
        return Err(AppError::NotFound);
    }
    let checked = match check(&form) {
        Ok(checked) => checked,
        Err(errors) => {
            form.password.clear();
            return render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &page(&session, form, errors)?,
            );
        }
    };
    let hash = web::block(move || checked.password.hash()).await??;
    let slug = checked.store.slug.as_str().to_string();
    let email = checked.email.clone();
    let store = checked.store.clone();
    let sid = new_session_id()?;
    let session_row = sid.clone();
    let created = crate::web::db(&state, move |conn| {
        crate::app::accounts::set_up(conn, &email, &hash, &store, &session_row)
    })
    .await?;
    match created {
        Ok(_) => {
            log_in(&session, &sid)?;
            flash(
                &session,
                FlashKind::Success,
                "Welcome to Promodesk! Your store is ready.",
            )?;
            Ok(see_other(&format!("/admin/s/{slug}")))
        }
        Err(FirstRunError::AlreadyDone) => Err(AppError::NotFound),
        Err(FirstRunError::SlugTaken) => {
            let mut errors = FormErrors::default();
            errors.add("store_slug", "This slug is taken; choose another.");
            form.password.clear();
            render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &page(&session, form, errors)?,
            )
        }
        Err(FirstRunError::Db(e)) => Err(e.into()),
    }
}
