//! `/admin/s/{store}/settings`: every member sees the settings; owners
//! change them.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use askama::Template;

use super::form::{Choices, StoreForm};
use crate::db;
use crate::db::stores::StoreWriteError;
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
    let form = StoreForm::from_store(&access.store);
    render(&access, StatusCode::OK, form, FormErrors::default())
}

pub async fn update(
    access: StoreAccess<Owner>,
    CsrfForm(form): CsrfForm<StoreForm>,
) -> Result<HttpResponse, AppError> {
    let fields = match form.check() {
        Ok(fields) => fields,
        Err(errors) => return render(&access, StatusCode::UNPROCESSABLE_ENTITY, form, errors),
    };
    let id = access.store.id();
    let slug = fields.slug.as_str().to_string();
    let updated = crate::web::db(&access.state, move |conn| {
        Ok::<_, AppError>(db::stores::update(conn, id, &fields))
    })
    .await?;
    match updated {
        Ok(()) => {
            flash(&access.session, FlashKind::Success, "Settings saved.")?;
            Ok(see_other(&format!("/admin/s/{slug}/settings")))
        }
        Err(StoreWriteError::SlugTaken) => {
            let mut errors = FormErrors::default();
            errors.add("slug", "This slug is taken; choose another.");
            render(&access, StatusCode::UNPROCESSABLE_ENTITY, form, errors)
        }
        Err(StoreWriteError::Db(e)) => Err(e.into()),
    }
}
