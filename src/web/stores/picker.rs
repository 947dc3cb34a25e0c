//! `/admin`: the stores the user belongs to; `/admin/stores/new` creates one
//! with the user as its owner.

use crate::app::stores::StoreError;
use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use askama::Template;
use askama_web::WebTemplate;

use super::form::{Choices, StoreForm};
use crate::db::stores::Store;
use crate::domain::role::Role;
use crate::error::AppError;
use crate::web::csrf::CsrfForm;
use crate::web::extract::CurrentUser;
use crate::web::forms::FormErrors;
use crate::web::layout::Layout;
use crate::web::session::{FlashKind, flash};
use crate::web::{render_status, see_other};

#[derive(Template, WebTemplate)]
#[template(path = "stores/picker.html")]
pub struct PickerPage {
    layout: Layout,
    stores: Vec<(Store, Role)>,
    /// Owners may create stores; others are not offered to.
    can_create: bool,
}

pub async fn show(user: CurrentUser) -> Result<PickerPage, AppError> {
    let id = user.user.id();
    let stores = crate::web::db(&user.state, move |conn| {
        crate::app::stores::list_for_member(conn, id)
    })
    .await?;
    Ok(PickerPage {
        layout: user.layout()?,
        can_create: stores.iter().any(|(_, role)| *role == Role::Owner),
        stores,
    })
}

/// Refuses users who may not create a store (see `may_create_store`).
async fn may_create(user: &CurrentUser) -> Result<(), AppError> {
    let id = user.user.id();
    let allowed = crate::web::db(&user.state, move |conn| {
        crate::app::stores::may_create_store(conn, id)
    })
    .await?;
    if allowed {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "only store owners can create stores; ask an owner to set one up for you",
        ))
    }
}

#[derive(Template)]
#[template(path = "stores/new.html")]
struct NewStorePage {
    layout: Layout,
    form: StoreForm,
    errors: FormErrors,
    choices: Choices,
}

pub async fn new(user: CurrentUser) -> Result<HttpResponse, AppError> {
    may_create(&user).await?;
    let page = NewStorePage {
        layout: user.layout()?,
        form: StoreForm::default(),
        errors: FormErrors::default(),
        choices: Choices::get(),
    };
    render_status(StatusCode::OK, &page)
}

pub async fn create(
    user: CurrentUser,
    CsrfForm(form): CsrfForm<StoreForm>,
) -> Result<HttpResponse, AppError> {
    may_create(&user).await?;
    let rerender = |form: StoreForm, errors: FormErrors| -> Result<HttpResponse, AppError> {
        let page = NewStorePage {
            layout: user.layout()?,
            form,
            errors,
            choices: Choices::get(),
        };
        render_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
    };
    let owner = user.user.id();
    let input = form.clone();
    let created = crate::web::db(&user.state, move |conn| {
        Ok::<_, AppError>(crate::app::stores::create(conn, owner, &input))
    })
    .await?;
    match created {
        Ok(slug) => {
            flash(
                &user.session,
                FlashKind::Success,
                "Store created. You are its owner.",
            )?;
            Ok(see_other(&format!("/admin/s/{}", slug.as_str())))
        }
        Err(StoreError::Invalid(errors)) => rerender(form, errors),
        Err(StoreError::Db(e)) => Err(e.into()),
    }
}

/// `/`: the dashboard lives under `/admin`.
pub async fn root() -> HttpResponse {
    see_other("/admin")
}
