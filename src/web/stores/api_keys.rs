//! `/admin/s/{store}/api-keys` (owners): create a key with a name and a
//! scope (the full key is shown once), see each key's first characters and
//! last use, revoke one.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::app::api_keys::{self as use_case, KeyError};
use crate::domain::ids::ApiKeyId;
use crate::domain::time;
use crate::error::AppError;
use crate::web::csrf::{CsrfForm, NoFields};
use crate::web::extract::{Owner, StoreAccess};
use crate::web::forms::FormErrors;
use crate::web::layout::{Layout, Section};
use crate::web::session::{FlashKind, flash};
use crate::web::{render_status, see_other};

#[derive(Debug, Deserialize)]
#[serde(default)]
pub struct KeyForm {
    pub name: String,
    pub scope: String,
}

impl Default for KeyForm {
    fn default() -> Self {
        KeyForm {
            name: String::new(),
            scope: "write".into(),
        }
    }
}

pub struct KeyRow {
    pub id: i64,
    pub name: String,
    pub scope: String,
    pub prefix: String,
    pub created: String,
    pub last_used: String,
    pub revoked: Option<String>,
}

#[derive(Template)]
#[template(path = "stores/api_keys.html")]
struct KeysPage {
    layout: Layout,
    keys: Vec<KeyRow>,
    form: KeyForm,
    errors: FormErrors,
    /// The key just created, shown this once.
    new_key: Option<String>,
    api_base: String,
}

async fn render(
    access: &StoreAccess<Owner>,
    status: StatusCode,
    form: KeyForm,
    errors: FormErrors,
    new_key: Option<String>,
) -> Result<HttpResponse, AppError> {
    let store = access.store.id();
    let rows = crate::web::db(&access.state, move |conn| use_case::list(conn, store)).await?;
    let tz = access.store.timezone.tz();
    let keys = rows
        .into_iter()
        .map(|k| KeyRow {
            id: k.id,
            name: k.name,
            scope: k.scope,
            prefix: k.prefix,
            created: time::display(k.created_at, tz),
            last_used: k
                .last_used_at
                .map_or_else(|| "never".into(), |t| time::display(t, tz)),
            revoked: k.revoked_at.map(|t| time::display(t, tz)),
        })
        .collect();
    let page = KeysPage {
        layout: access.layout(Section::ApiKeys)?,
        keys,
        form,
        errors,
        new_key,
        api_base: format!("{}/api/v1", access.share_base()),
    };
    render_status(status, &page)
}

/// `GET /admin/s/{store}/api-keys`
pub async fn show(access: StoreAccess<Owner>) -> Result<HttpResponse, AppError> {
    render(
        &access,
        StatusCode::OK,
        KeyForm::default(),
        FormErrors::default(),
        None,
    )
    .await
}

/// `POST /admin/s/{store}/api-keys`: the page again, with the new key shown
/// once (never stored in the session or the log).
pub async fn create(
    access: StoreAccess<Owner>,
    form: CsrfForm<KeyForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.0;
    let (store, user) = (access.store.id(), access.user.id());
    let (name, scope) = (form.name.clone(), form.scope.clone());
    let created = crate::web::db(&access.state, move |conn| {
        Ok::<_, AppError>(use_case::create(conn, store, user, &name, &scope))
    })
    .await?;
    match created {
        Ok(key) => {
            render(
                &access,
                StatusCode::OK,
                KeyForm::default(),
                FormErrors::default(),
                Some(key),
            )
            .await
        }
        Err(KeyError::Invalid(errors)) => {
            render(
                &access,
                StatusCode::UNPROCESSABLE_ENTITY,
                form,
                errors,
                None,
            )
            .await
        }
        Err(KeyError::Random(e)) => Err(AppError::internal(e)),
        Err(KeyError::Db(e)) => Err(e.into()),
    }
}

/// `POST /admin/s/{store}/api-keys/{id}/revoke`
pub async fn revoke(
    access: StoreAccess<Owner>,
    path: web::Path<(String, i64)>,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let id = ApiKeyId(path.1);
    let store = access.store.id();
    let revoked =
        crate::web::db(&access.state, move |conn| use_case::revoke(conn, store, id)).await?;
    if !revoked {
        return Err(AppError::NotFound);
    }
    flash(
        &access.session,
        FlashKind::Success,
        "Key revoked: requests with it now get 401.",
    )?;
    Ok(see_other(&format!("{}/api-keys", access.base_path())))
}
