//! Coupon sets: list, create (generation inline when small, in the
//! background otherwise), the set's page with progress and codes, adding
//! codes, delete, and the streamed CSV export.

pub mod export;
pub mod import;

use crate::app::coupon_sets::{self as use_case, SetError};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::db;
use crate::db::coupon_sets::generate::Run;
use crate::db::coupon_sets::{CodeRow, SetRow};
use crate::db::orders::OrderFilter;
use crate::db::paging::Cursor;
use crate::domain::code::normal_form;
use crate::domain::coupon_set::SetInput;
use crate::domain::ids::CouponSetId;
use crate::domain::role::Role;
use crate::domain::time;
use crate::error::AppError;
use crate::web::coupons::view::CouponView;
use crate::web::csrf::{CsrfForm, NoFields};
use crate::web::extract::{Manager, MinRole, StoreAccess, Viewer};
use crate::web::filters;
use crate::web::forms::FormErrors;
use crate::web::layout::{Layout, Section};
use crate::web::orders::Recent;
use crate::web::picker::CouponPicker;
use crate::web::session::{FlashKind, flash};
use crate::web::share::share_url;
use crate::web::{AppState, render_status, see_other};

/// Sets up to this many codes are generated before the page answers.
const PAGE_SIZE: i64 = 50;

/// Generates small runs now and leaves large ones to the workers.
async fn start(state: &AppState, job: Run) -> Result<(), AppError> {
    let jobs = state.jobs.clone();
    crate::web::db(state, move |conn| {
        use_case::start(conn, &jobs, job).map(|_| ())
    })
    .await
}

impl From<SetError> for AppError {
    fn from(e: SetError) -> AppError {
        set_error(e)
    }
}

/// A set write error that is not the form's.
fn set_error(e: SetError) -> AppError {
    match e {
        SetError::NotFound => AppError::NotFound,
        SetError::Db(e) => e.into(),
        SetError::Invalid(errors) => AppError::BadRequest(errors.summary()),
    }
}

pub struct SetView {
    pub id: i64,
    pub name: String,
    pub coupon_id: i64,
    pub status: String,
    pub total: i64,
    pub used: i64,
    pub unused: i64,
    pub archived: i64,
    pub requested: i64,
    pub generated: i64,
    pub percent: i64,
    pub error: Option<String>,
    pub shape: String,
    /// What its unused codes can still do against the coupon's limit.
    pub capacity: String,
}

impl SetView {
    /// `remaining`: the uses its coupon has left (`None`: no limit).
    pub fn new(s: &SetRow, remaining: Option<i64>) -> SetView {
        SetView {
            capacity: crate::domain::coupon_set::capacity(s.unused_codes(), remaining),
            id: s.id,
            name: s.name.clone(),
            coupon_id: s.coupon_id,
            status: s.status.as_str().to_string(),
            total: s.total_codes,
            used: s.used_codes,
            unused: s.unused_codes(),
            archived: s.archived_codes,
            requested: s.requested,
            generated: s.generated,
            percent: if s.requested > 0 {
                s.generated * 100 / s.requested
            } else {
                100
            },
            error: s.error.clone(),
            shape: format!("{}{}", s.prefix, "X".repeat(s.code_length as usize)),
        }
    }

    pub fn generating(&self) -> bool {
        self.status == "generating"
    }
}

#[derive(Template)]
#[template(path = "coupon_sets/list.html")]
struct ListPage {
    layout: Layout,
    base: String,
    sets: Vec<(SetView, String)>,
    can_edit: bool,
}

pub async fn list(access: StoreAccess<Viewer>) -> Result<HttpResponse, AppError> {
    let store = access.store.clone();
    let sets = crate::web::db(&access.state, move |conn| {
        crate::app::coupon_sets::list_labelled(conn, &store)
    })
    .await?;
    let page = ListPage {
        layout: access.layout(Section::CouponSets)?,
        base: access.base_path(),
        sets: sets
            .into_iter()
            .map(|s| (SetView::new(&s.set, s.coupon_remaining), s.coupon_code))
            .collect(),
        can_edit: access.role >= Role::Manager,
    };
    render_status(StatusCode::OK, &page)
}

#[derive(Template)]
#[template(path = "coupon_sets/new.html")]
struct NewPage {
    layout: Layout,
    base: String,
    form: SetInput,
    errors: FormErrors,
    coupons: CouponPicker,
}

/// The form; `q`: what the coupon picker searched for.
async fn new_page(
    access: &StoreAccess<Manager>,
    status: StatusCode,
    form: SetInput,
    errors: FormErrors,
    q: String,
) -> Result<HttpResponse, AppError> {
    let store = access.store.clone();
    let selected = form.coupon_id.trim().parse().ok();
    let search = q.clone();
    let choices = crate::web::db(&access.state, move |conn| {
        crate::app::coupons::choices(conn, &store, &search, selected)
    })
    .await?;
    let base = access.base_path();
    let page = NewPage {
        layout: access.layout(Section::CouponSets)?,
        coupons: CouponPicker::new(&base, &q, choices, selected),
        base,
        form,
        errors,
    };
    render_status(status, &page)
}

#[derive(Debug, Default, Deserialize)]
pub struct NewParams {
    pub coupon_id: Option<i64>,
    #[serde(default)]
    pub coupon_q: String,
}

pub async fn new(
    access: StoreAccess<Manager>,
    params: web::Query<NewParams>,
) -> Result<HttpResponse, AppError> {
    let params = params.into_inner();
    let form = SetInput {
        coupon_id: params.coupon_id.map(|c| c.to_string()).unwrap_or_default(),
        ..SetInput::default()
    };
    new_page(
        &access,
        StatusCode::OK,
        form,
        FormErrors::default(),
        params.coupon_q,
    )
    .await
}

pub async fn create(
    access: StoreAccess<Manager>,
    CsrfForm(form): CsrfForm<SetInput>,
) -> Result<HttpResponse, AppError> {
    let store = access.store.clone();
    let input = form.clone();
    let jobs = access.state.jobs.clone();
    let opened = crate::web::db(&access.state, move |conn| {
        Ok::<_, AppError>(use_case::create(conn, &jobs, &store, &input))
    })
    .await?;
    let job = match opened {
        Ok(job) => job,
        Err(SetError::Invalid(errors)) => {
            return new_page(
                &access,
                StatusCode::UNPROCESSABLE_ENTITY,
                form,
                errors,
                String::new(),
            )
            .await;
        }
        Err(e) => return Err(set_error(e)),
    };
    let id = job.set.0;
    start(&access.state, job).await?;
    flash(&access.session, FlashKind::Success, "Coupon set created.")?;
    Ok(see_other(&format!(
        "{}/coupon-sets/{id}",
        access.base_path()
    )))
}

pub struct CodeView {
    pub code: String,
    pub state: String,
    pub used_at: String,
    pub order_id: String,
    pub share_url: String,
}

#[derive(Template)]
#[template(path = "coupon_sets/show.html")]
struct ShowPage {
    layout: Layout,
    base: String,
    set: SetView,
    coupon: CouponView,
    codes: Vec<CodeView>,
    q: String,
    prev: Option<String>,
    next: Option<String>,
    can_edit: bool,
    recent: Recent,
    performance: crate::app::analytics::Performance,
}

#[derive(Debug, Default, Deserialize)]
pub struct ShowParams {
    #[serde(default)]
    pub q: String,
    pub next: Option<i64>,
    pub prev: Option<i64>,
}

pub fn code_views<R: MinRole>(access: &StoreAccess<R>, rows: &[CodeRow]) -> Vec<CodeView> {
    let tz = access.store.timezone.tz();
    let base = access.share_base();
    rows.iter()
        .map(|c| CodeView {
            code: c.code.clone(),
            state: c.state.as_str().to_string(),
            used_at: c.used_at.map(|t| time::display(t, tz)).unwrap_or_default(),
            order_id: c.order_id.map(|o| o.to_string()).unwrap_or_default(),
            share_url: share_url(&base, &access.store.slug, &c.code),
        })
        .collect()
}

pub async fn show(
    access: StoreAccess<Viewer>,
    path: web::Path<(String, i64)>,
    params: web::Query<ShowParams>,
) -> Result<HttpResponse, AppError> {
    let store = access.store.clone();
    let id = CouponSetId(path.1);
    let prefix = normal_form(&params.q);
    let cursor = match (params.next, params.prev) {
        (Some(n), _) => Cursor::Next(n),
        (None, Some(p)) => Cursor::Prev(p),
        _ => Cursor::First,
    };
    let filter = OrderFilter::Set(id);
    let (set, coupon, page, orders, performance) = crate::web::db(&access.state, move |conn| {
        let (set, coupon, page) = crate::app::coupon_sets::page(
            conn,
            &store,
            id,
            Some(prefix.as_str()),
            cursor,
            PAGE_SIZE,
        )?;
        let orders = Recent::load(conn, &store, filter)?;
        let performance =
            crate::app::analytics::for_code(conn, &store, crate::db::analytics::Scope::Set(id.0))?;
        Ok::<_, db::DbError>((set, coupon, page, orders, performance))
    })
    .await?;
    let recent = Recent::new(&access, &orders, filter);
    let base = access.base_path();
    let link = |key: &str, id: i64| {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        if !params.q.is_empty() {
            query.append_pair("q", &params.q);
        }
        query.append_pair(key, &id.to_string());
        format!("{base}/coupon-sets/{}?{}", set.id, query.finish())
    };
    let (prev, next) = crate::web::pager_links(&page, |c| c.id, link);
    let tz = access.store.timezone.tz();
    let server = access.share_base();
    let view = ShowPage {
        layout: access.layout(Section::CouponSets)?,
        codes: code_views(&access, &page.items),
        coupon: CouponView::new(&coupon, db::now(), tz, &server, &access.store.slug),
        set: SetView::new(&set, coupon.facts().remaining()),
        q: params.q.clone(),
        prev,
        next,
        can_edit: access.role >= Role::Manager,
        recent,
        base,
        performance,
    };
    render_status(StatusCode::OK, &view)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct MoreForm {
    pub count: String,
}

/// Adds codes to a set.
pub async fn generate_more(
    access: StoreAccess<Manager>,
    path: web::Path<(String, i64)>,
    CsrfForm(form): CsrfForm<MoreForm>,
) -> Result<HttpResponse, AppError> {
    let store = access.store.clone();
    let id = CouponSetId(path.1);
    let target = format!("{}/coupon-sets/{}", access.base_path(), id.0);
    let jobs = access.state.jobs.clone();
    let opened = crate::web::db(&access.state, move |conn| {
        Ok::<_, AppError>(use_case::add_codes(conn, &jobs, &store, id, &form.count))
    })
    .await?;
    match opened {
        Ok(job) => {
            let count = job.count;
            start(&access.state, job).await?;
            flash(
                &access.session,
                FlashKind::Success,
                format!("Adding {count} codes."),
            )?;
        }
        Err(SetError::Invalid(errors)) => {
            flash(&access.session, FlashKind::Error, errors.summary())?;
        }
        Err(e) => return Err(set_error(e)),
    }
    Ok(see_other(&target))
}

pub async fn delete(
    access: StoreAccess<Manager>,
    path: web::Path<(String, i64)>,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let store = access.store.clone();
    let id = CouponSetId(path.1);
    let deleted = crate::web::db(&access.state, move |conn| {
        Ok::<_, AppError>(use_case::delete(conn, &store, id))
    })
    .await?;
    match deleted {
        Ok(()) => {
            flash(
                &access.session,
                FlashKind::Success,
                "Coupon set deleted: its unused codes are gone, its used codes archived.",
            )?;
            Ok(see_other(&format!("{}/coupon-sets", access.base_path())))
        }
        Err(SetError::Invalid(errors)) => {
            flash(&access.session, FlashKind::Error, errors.summary())?;
            Ok(see_other(&format!(
                "{}/coupon-sets/{}",
                access.base_path(),
                id.0
            )))
        }
        Err(e) => Err(set_error(e)),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct QrParams {
    #[serde(default)]
    pub code: String,
}

/// `GET .../coupon-sets/{id}/qr.svg?code=` (or `qr.png`): one code's share URL as a QR
/// code (404 when the set has no such code).
pub async fn code_qr(
    access: StoreAccess<Viewer>,
    path: web::Path<(String, i64, String)>,
    params: web::Query<QrParams>,
) -> Result<HttpResponse, AppError> {
    let format = crate::web::share::QrFormat::parse(&path.2)?;
    let store = access.store.clone();
    let id = CouponSetId(path.1);
    let normal = normal_form(&params.code);
    let found = crate::web::db(&access.state, move |conn| {
        Ok::<_, AppError>(crate::app::coupon_sets::code(conn, &store, id, &normal))
    })
    .await?;
    let code = match found {
        Ok(Some(code)) => code,
        Ok(None) | Err(SetError::NotFound) => return Err(AppError::NotFound),
        Err(e) => return Err(AppError::internal(e)),
    };
    let url = share_url(&access.share_base(), &access.store.slug, &code.code);
    crate::web::share::qr_response(&url, format)
}

/// `GET .../set-codes/{id}`: a set code (linked from orders) opens its
/// set's page, searched for it.
pub async fn code_page(
    access: StoreAccess<Viewer>,
    path: web::Path<(String, i64)>,
) -> Result<HttpResponse, AppError> {
    let store = access.store.clone();
    let id = path.1;
    let found = crate::web::db(&access.state, move |conn| {
        use_case::code_by_id(conn, &store, id)
    })
    .await?;
    let (set, code) = found.ok_or(AppError::NotFound)?;
    let q: String = url::form_urlencoded::byte_serialize(code.as_bytes()).collect();
    Ok(see_other(&format!(
        "{}/coupon-sets/{set}?q={q}",
        access.base_path()
    )))
}
