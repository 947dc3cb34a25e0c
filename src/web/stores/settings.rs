//! `/admin/s/{store}/settings`: every member sees the settings; owners
//! change them.

use crate::app::stores::StoreError;
use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use askama::Template;

use super::form::{Choices, StoreForm};
use crate::domain::role::Role;
use crate::error::AppError;
use crate::web::csrf::CsrfForm;
use crate::web::extract::{MinRole, Owner, StoreAccess, Viewer};
use crate::web::forms::FormErrors;
use crate::web::layout::{Layout, Section};
use crate::web::session::{FlashKind, flash};
use crate::web::{render_status, see_other};

#[derive(Template)]
#[template(path = "stores/settings.html")]
struct SettingsPage {
    layout: Layout,
    form: StoreForm,
    errors: FormErrors,
    choices: Choices,
    can_edit: bool,
    /// Explains the base URL field, naming the server's own address.
    base_url_hint: String,
}

fn render<R: MinRole>(
    access: &StoreAccess<R>,
    status: StatusCode,
    form: StoreForm,
    errors: FormErrors,
) -> Result<HttpResponse, AppError> {
    let page = SettingsPage {
        layout: access.layout(Section::Settings)?,
        form,
        errors,
        choices: Choices::get(),
        can_edit: access.role >= Role::Owner,
        base_url_hint: format!(
            "Where your shop lives, e.g. https://shop.example. Shareable coupon URLs start with it; when empty they start with {}.",
            access.state.default_base_url
        ),
    };
    render_status(status, &page)
}

pub async fn show(access: StoreAccess<Viewer>) -> Result<HttpResponse, AppError> {
    let form = super::form::form_of(&access.store);
    render(&access, StatusCode::OK, form, FormErrors::default())
}

pub async fn update(
    access: StoreAccess<Owner>,
    CsrfForm(form): CsrfForm<StoreForm>,
) -> Result<HttpResponse, AppError> {
    let store = access.store.clone();
    let input = form.clone();
    let updated = crate::web::db(&access.state, move |conn| {
        Ok::<_, AppError>(crate::app::stores::update(conn, &store, &input))
    })
    .await?;
    match updated {
        Ok(slug) => {
            flash(&access.session, FlashKind::Success, "Settings saved.")?;
            Ok(see_other(&format!("/admin/s/{}/settings", slug.as_str())))
        }
        Err(StoreError::Invalid(errors)) => {
            render(&access, StatusCode::UNPROCESSABLE_ENTITY, form, errors)
        }
        Err(StoreError::Db(e)) => Err(e.into()),
    }
}
