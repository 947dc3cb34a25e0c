//! `/admin/s/{store}/customers`: customers by email, their paid orders and
//! first order; staff can add one by email.

use crate::app::customers::CustomerError;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::db::paging::Cursor;
use crate::domain::form_errors::FormErrors;
use crate::domain::role::Role;
use crate::domain::time;
use crate::error::AppError;
use crate::web::csrf::CsrfForm;
use crate::web::extract::{Manager, StoreAccess, Viewer};
use crate::web::filters;
use crate::web::layout::{Layout, Section};
use crate::web::session::{FlashKind, flash};
use crate::web::{render_status, see_other};

const PAGE_SIZE: i64 = 50;

#[derive(Debug, Default, Deserialize)]
pub struct Params {
    #[serde(default)]
    pub q: String,
    pub next: Option<i64>,
    pub prev: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
pub struct NewCustomer {
    #[serde(default)]
    pub email: String,
}

pub struct CustomerView {
    pub id: i64,
    pub email: String,
    pub orders_count: i64,
    pub first_order: String,
    pub created_at: String,
}

impl CustomerView {
    fn of(c: &crate::db::customers::Customer, tz: chrono_tz::Tz) -> CustomerView {
        CustomerView {
            id: c.id,
            email: c.email.clone(),
            orders_count: c.orders_count,
            first_order: c
                .first_order_at
                .map(|t| time::display(t, tz))
                .unwrap_or_default(),
            created_at: time::display(c.created_at, tz),
        }
    }
}

#[derive(Template)]
#[template(path = "customers/list.html")]
struct ListPage {
    layout: Layout,
    base: String,
    customers: Vec<CustomerView>,
    /// The CSV export with the same search.
    csv: String,
    q: String,
    prev: Option<String>,
    next: Option<String>,
    can_edit: bool,
    email: String,
    errors: FormErrors,
}

async fn render(
    access: StoreAccess<Viewer>,
    params: Params,
    email: String,
    errors: FormErrors,
) -> Result<HttpResponse, AppError> {
    let cursor = match (params.next, params.prev) {
        (Some(id), _) => Cursor::Next(id),
        (None, Some(id)) => Cursor::Prev(id),
        _ => Cursor::First,
    };
    let store = access.store.clone();
    let q = params.q.trim().to_lowercase();
    let search = Some(q.clone()).filter(|q| !q.is_empty());
    let page = crate::web::db(&access.state, move |conn| {
        crate::app::customers::list(conn, &store, search.as_deref(), cursor, PAGE_SIZE)
    })
    .await?;
    let tz = access.store.timezone.tz();
    let base = access.base_path();
    let encoded: String = url::form_urlencoded::byte_serialize(q.as_bytes()).collect();
    let (prev, next) = crate::web::pager_links(
        &page,
        |c| c.id,
        |dir, id| format!("{base}/customers?q={encoded}&{dir}={id}"),
    );
    let customers: Vec<CustomerView> = page.items.iter().map(|c| CustomerView::of(c, tz)).collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = ListPage {
        layout: access.layout(Section::Customers)?,
        csv: if q.is_empty() {
            format!("{base}/customers.csv")
        } else {
            format!("{base}/customers.csv?q={encoded}")
        },
        base,
        customers,
        q,
        prev,
        next,
        can_edit: access.role >= Role::Manager,
        email,
        errors,
    };
    render_status(status, &page)
}

pub async fn list(
    access: StoreAccess<Viewer>,
    params: web::Query<Params>,
) -> Result<HttpResponse, AppError> {
    render(
        access,
        params.into_inner(),
        String::new(),
        FormErrors::default(),
    )
    .await
}

/// Adds a customer by email (staff).
pub async fn create(
    access: StoreAccess<Manager>,
    form: CsrfForm<NewCustomer>,
) -> Result<HttpResponse, AppError> {
    let raw = form.0.email;
    let store = access.store.clone();
    let typed = raw.clone();
    let created = crate::web::db(&access.state, move |conn| {
        Ok::<_, AppError>(crate::app::customers::create(conn, &store, &typed))
    })
    .await?;
    let errors = match created {
        Ok(email) => {
            flash(
                &access.session,
                FlashKind::Success,
                format!("Customer {} added.", email.as_str()),
            )?;
            return Ok(see_other(&format!("{}/customers", access.base_path())));
        }
        Err(CustomerError::Invalid(errors)) => errors,
        Err(CustomerError::Db(e)) => return Err(e.into()),
    };
    let viewer = access.as_viewer();
    render(viewer, Params::default(), raw, errors).await
}

#[derive(Template)]
#[template(path = "customers/show.html")]
struct ShowPage {
    layout: Layout,
    base: String,
    customer: CustomerView,
    /// Paid orders' totals and discounts, "$12.50 · €3.00".
    spent: String,
    discount: String,
    /// Codes used in paid orders, most used first.
    codes: Vec<(String, i64)>,
    orders: Vec<crate::web::orders::view::OrderView>,
    all_orders: String,
}

/// `GET /admin/s/{store}/customers/{id}`: a customer's orders, lifetime
/// spend, discount received and codes used.
pub async fn show(
    access: StoreAccess<Viewer>,
    path: web::Path<(String, i64)>,
) -> Result<HttpResponse, AppError> {
    let store = access.store.clone();
    let id = path.1;
    let page = crate::web::db(&access.state, move |conn| {
        crate::app::customers::page(conn, &store, id, 20)
    })
    .await?;
    let tz = access.store.timezone.tz();
    let c = &page.customer;
    let sums = |pick: fn(&(String, i64, i64)) -> i64| -> String {
        let amounts: Vec<(String, i64)> = page
            .lifetime
            .money
            .iter()
            .map(|m| (m.0.clone(), pick(m)))
            .collect();
        crate::app::analytics::money_text(&amounts, &access.store)
    };
    let base = access.base_path();
    let view = ShowPage {
        layout: access.layout(Section::Customers)?,
        spent: sums(|m| m.1),
        discount: sums(|m| m.2),
        codes: page.lifetime.codes.clone(),
        orders: crate::web::orders::view::OrderView::listed(&page.orders.items, tz),
        all_orders: format!("{base}/orders?customer={}", c.id),
        customer: CustomerView::of(c, tz),
        base,
    };
    render_status(StatusCode::OK, &view)
}

/// `GET /admin/s/{store}/customers.csv?q=`: every customer the list's
/// search keeps, newest first, streamed a thousand at a time.
pub async fn csv(
    access: StoreAccess<Viewer>,
    params: web::Query<Params>,
) -> Result<HttpResponse, AppError> {
    use crate::domain::csv::cell;
    let q = params.q.trim().to_lowercase();
    let store = access.store.clone();
    let tz = access.store.timezone.tz();
    let fetch = move |conn: &mut crate::db::Conn, cursor| {
        let search = Some(q.as_str()).filter(|q| !q.is_empty());
        crate::app::customers::list(conn, &store, search, cursor, crate::web::CSV_PAGE)
    };
    let line = move |c: &crate::db::customers::Customer| {
        format!(
            "{},{},{},{}\n",
            cell(&c.email),
            c.orders_count,
            c.first_order_at
                .map(|t| time::to_input(t, tz))
                .unwrap_or_default(),
            time::to_input(c.created_at, tz),
        )
    };
    Ok(crate::web::csv_export(
        &access.state,
        "customers.csv",
        b"email,paid_orders,first_order_at,created_at\n",
        fetch,
        |c| c.id,
        line,
    ))
}
