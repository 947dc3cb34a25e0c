//! `/admin/s/{store}/webhooks` (owners, SPEC 11): add an endpoint (its
//! signing secret is shown once), see each endpoint's deliveries with their
//! attempts, last status and next try, resend one, turn an endpoint off or
//! delete it.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;

use crate::app::webhooks::{self as use_case, WebhookError};
use crate::domain::time;
use crate::domain::webhook::{EVENT_TYPES, EndpointInput};
use crate::error::AppError;
use crate::web::csrf::{CsrfForm, NoFields};
use crate::web::extract::{Owner, StoreAccess};
use crate::web::forms::FormErrors;
use crate::web::layout::{Layout, Section};
use crate::web::session::{FlashKind, flash};
use crate::web::{render_status, see_other};

pub struct EndpointRow {
    pub id: i64,
    pub url: String,
    pub events: String,
    pub active: bool,
    pub created: String,
}

impl EndpointRow {
    fn new(e: crate::db::webhooks::Endpoint, tz: chrono_tz::Tz) -> EndpointRow {
        EndpointRow {
            id: e.id,
            url: e.url,
            events: if e.events.is_empty() {
                "every event".into()
            } else {
                e.events.replace(' ', ", ")
            },
            active: e.active,
            created: time::display(e.created_at, tz),
        }
    }
}

#[derive(Template)]
#[template(path = "stores/webhooks.html")]
struct ListPage {
    layout: Layout,
    base: String,
    endpoints: Vec<EndpointRow>,
    form: EndpointInput,
    errors: FormErrors,
    event_types: &'static [&'static str],
    /// The endpoint just added and its secret, shown this once.
    created: Option<(i64, String)>,
}

impl ListPage {
    fn checked(&self, event: &str) -> bool {
        self.form.events.iter().any(|e| e == event)
    }
}

async fn render_list(
    access: &StoreAccess<Owner>,
    status: StatusCode,
    form: EndpointInput,
    errors: FormErrors,
    created: Option<(i64, String)>,
) -> Result<HttpResponse, AppError> {
    let store = access.store.id();
    let rows = crate::web::db(&access.state, move |conn| use_case::list(conn, store)).await?;
    let tz = access.store.timezone.tz();
    let endpoints = rows.into_iter().map(|e| EndpointRow::new(e, tz)).collect();
    let page = ListPage {
        layout: access.layout(Section::Webhooks)?,
        base: access.base_path(),
        endpoints,
        form,
        errors,
        event_types: EVENT_TYPES,
        created,
    };
    render_status(status, &page)
}

/// `GET /admin/s/{store}/webhooks`
pub async fn list(access: StoreAccess<Owner>) -> Result<HttpResponse, AppError> {
    render_list(
        &access,
        StatusCode::OK,
        EndpointInput::default(),
        FormErrors::default(),
        None,
    )
    .await
}

/// `POST /admin/s/{store}/webhooks`: the page again with the new secret
/// shown once (never put in the session or the log).
pub async fn create(
    access: StoreAccess<Owner>,
    CsrfForm(form): CsrfForm<EndpointInput>,
) -> Result<HttpResponse, AppError> {
    let store = access.store.id();
    let input = form.clone();
    let created = crate::web::db(&access.state, move |conn| {
        Ok::<_, AppError>(use_case::create(conn, store, &input))
    })
    .await?;
    match created {
        Ok(created) => {
            render_list(
                &access,
                StatusCode::OK,
                EndpointInput::default(),
                FormErrors::default(),
                Some(created),
            )
            .await
        }
        Err(WebhookError::Invalid(errors)) => {
            render_list(
                &access,
                StatusCode::UNPROCESSABLE_ENTITY,
                form,
                errors,
                None,
            )
            .await
        }
        Err(WebhookError::Random(e)) => Err(AppError::internal(e)),
        Err(WebhookError::Db(e)) => Err(e.into()),
    }
}

pub struct DeliveryRow {
    pub id: i64,
    pub event_id: i64,
    pub event: String,
    pub status: String,
    pub attempts: i64,
    pub last_status: String,
    pub last_error: String,
    pub next_try: String,
    pub created: String,
}

#[derive(Template)]
#[template(path = "stores/webhook.html")]
struct EndpointPage {
    layout: Layout,
    base: String,
    endpoint: EndpointRow,
    deliveries: Vec<DeliveryRow>,
}

/// `GET /admin/s/{store}/webhooks/{id}`: the endpoint's latest deliveries.
pub async fn show(
    access: StoreAccess<Owner>,
    path: web::Path<(String, i64)>,
) -> Result<HttpResponse, AppError> {
    let (store, id) = (access.store.id(), path.1);
    let (endpoint, deliveries) =
        crate::web::db(&access.state, move |conn| use_case::find(conn, store, id)).await?;
    let tz = access.store.timezone.tz();
    let deliveries = deliveries
        .into_iter()
        .map(|(d, event)| DeliveryRow {
            id: d.id,
            event_id: d.event_id,
            event,
            next_try: if d.status == "pending" {
                time::display(d.next_try_at, tz)
            } else {
                "—".into()
            },
            status: d.status,
            attempts: d.attempts,
            last_status: d.last_status.map_or_else(|| "—".into(), |s| s.to_string()),
            last_error: d.last_error.unwrap_or_default(),
            created: time::display(d.created_at, tz),
        })
        .collect();
    let page = EndpointPage {
        layout: access.layout(Section::Webhooks)?,
        base: access.base_path(),
        endpoint: EndpointRow::new(endpoint, tz),
        deliveries,
    };
    render_status(StatusCode::OK, &page)
}

/// `POST /admin/s/{store}/webhooks/{id}/resend/{delivery}`
pub async fn resend(
    access: StoreAccess<Owner>,
    path: web::Path<(String, i64, i64)>,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let (store, endpoint, delivery) = (access.store.id(), path.1, path.2);
    let done = crate::web::db(&access.state, move |conn| {
        use_case::resend(conn, store, endpoint, delivery)
    })
    .await?;
    if !done {
        return Err(AppError::NotFound);
    }
    access.state.jobs.wake();
    flash(&access.session, FlashKind::Success, "Sending it again now.")?;
    Ok(see_other(&format!(
        "{}/webhooks/{endpoint}",
        access.base_path()
    )))
}

/// `POST /admin/s/{store}/webhooks/{id}/disable` and `/enable`.
async fn set_active(
    access: StoreAccess<Owner>,
    id: i64,
    active: bool,
) -> Result<HttpResponse, AppError> {
    let store = access.store.id();
    let done = crate::web::db(&access.state, move |conn| {
        use_case::set_active(conn, store, id, active)
    })
    .await?;
    if !done {
        return Err(AppError::NotFound);
    }
    let message = if active {
        "Endpoint on: events are sent again, the waiting ones first."
    } else {
        "Endpoint off: events wait until you turn it on again."
    };
    flash(&access.session, FlashKind::Success, message)?;
    Ok(see_other(&format!("{}/webhooks/{id}", access.base_path())))
}

pub async fn disable(
    access: StoreAccess<Owner>,
    path: web::Path<(String, i64)>,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    set_active(access, path.1, false).await
}

pub async fn enable(
    access: StoreAccess<Owner>,
    path: web::Path<(String, i64)>,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    set_active(access, path.1, true).await
}

/// `POST /admin/s/{store}/webhooks/{id}/delete`
pub async fn delete(
    access: StoreAccess<Owner>,
    path: web::Path<(String, i64)>,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let (store, id) = (access.store.id(), path.1);
    let done = crate::web::db(&access.state, move |conn| use_case::delete(conn, store, id)).await?;
    if !done {
        return Err(AppError::NotFound);
    }
    flash(
        &access.session,
        FlashKind::Success,
        "Endpoint deleted: nothing more is sent to it.",
    )?;
    Ok(see_other(&format!("{}/webhooks", access.base_path())))
}
