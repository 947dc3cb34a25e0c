//! `/admin/s/{store}/orders`: the store's orders (filtered by coupon,
//! promotion code, set or customer), refused checkouts, an order's page and
//! its refund.

pub mod view;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::db;
use crate::db::orders::{Attempt, OrderFilter};
use crate::db::paging::Cursor;
use crate::domain::ids::{CouponId, CouponSetId, CustomerId, OrderId, PromotionCodeId};
use crate::domain::role::Role;
use crate::domain::time;
use crate::error::AppError;
use crate::web::csrf::{CsrfForm, NoFields};
use crate::web::extract::{Manager, MinRole, StoreAccess, Viewer};
use crate::web::layout::{Layout, Section};
use crate::web::session::{FlashKind, flash};
use crate::web::{render_status, see_other};
use view::OrderView;

const PAGE_SIZE: i64 = 50;
/// Orders shown on a coupon's, promotion code's or set's page.
pub const RECENT: i64 = 10;

#[derive(Debug, Default, Deserialize)]
pub struct Params {
    pub coupon: Option<i64>,
    pub promotion_code: Option<i64>,
    pub set: Option<i64>,
    pub customer: Option<i64>,
    /// `paid` or `refunded`.
    #[serde(default)]
    pub status: String,
    /// A code, ignoring case.
    #[serde(default)]
    pub code: String,
    /// Days of the store's calendar, `YYYY-MM-DD`, both included.
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    pub next: Option<i64>,
    pub prev: Option<i64>,
}

/// The list's own filters, read: what to keep, the query string that keeps
/// them, and a message for a date that does not read.
struct Narrowed {
    narrow: db::orders::Narrow,
    query: String,
    error: Option<String>,
}

impl Params {
    fn narrowed(&self, tz: chrono_tz::Tz) -> Narrowed {
        let mut error = None;
        let mut day = |raw: &str, next: bool| match time::parse_day(raw, tz, next) {
            Ok(at) => at,
            Err(e) => {
                error = Some(e);
                None
            }
        };
        let narrow = db::orders::Narrow {
            status: crate::domain::status::OrderStatus::try_from(self.status.trim().to_string())
                .ok(),
            code: Some(self.code.trim().to_string()).filter(|c| !c.is_empty()),
            from: day(&self.from, false),
            until: day(&self.to, true),
        };
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        for (key, value) in [
            (
                "status",
                narrow.status.map(|s| s.as_str()).unwrap_or_default(),
            ),
            ("code", self.code.trim()),
            ("from", self.from.trim()),
            ("to", self.to.trim()),
        ] {
            if !value.is_empty() {
                query.append_pair(key, value);
            }
        }
        Narrowed {
            narrow,
            query: query.finish(),
            error,
        }
    }
}

impl Params {
    fn filter(&self) -> OrderFilter {
        match (self.coupon, self.promotion_code, self.set, self.customer) {
            (Some(id), ..) => OrderFilter::Coupon(CouponId(id)),
            (_, Some(id), ..) => OrderFilter::Promotion(PromotionCodeId(id)),
            (_, _, Some(id), _) => OrderFilter::Set(CouponSetId(id)),
            (_, _, _, Some(id)) => OrderFilter::Customer(CustomerId(id)),
            _ => OrderFilter::All,
        }
    }
}

/// The query parameter that selects `filter` on the orders list
/// (`coupon=7`), empty for every order.
fn filter_query(filter: OrderFilter) -> String {
    match filter {
        OrderFilter::All => String::new(),
        OrderFilter::Coupon(id) => format!("coupon={id}"),
        OrderFilter::Promotion(id) => format!("promotion_code={id}"),
        OrderFilter::Set(id) => format!("set={id}"),
        OrderFilter::Customer(id) => format!("customer={id}"),
    }
}

pub struct AttemptView {
    pub at: String,
    pub email: String,
    pub code: String,
    pub reason: String,
    pub message: String,
}

#[derive(Template)]
#[template(path = "orders/list.html")]
struct ListPage {
    layout: Layout,
    base: String,
    orders: Vec<OrderView>,
    filter_note: String,
    prev: Option<String>,
    next: Option<String>,
    attempts: Vec<AttemptView>,
    /// The CSV export with the same filters.
    csv: String,
    /// The list's own filters are set.
    searching: bool,
    date_error: String,
    status: String,
    code: String,
    from: String,
    to: String,
    /// The coupon, code, set or customer filter, kept by the filter form.
    hidden_filter: Option<(&'static str, i64)>,
}

/// The coupon, promotion code, set or customer filter as a form field.
fn hidden_filter(filter: OrderFilter) -> Option<(&'static str, i64)> {
    match filter {
        OrderFilter::All => None,
        OrderFilter::Coupon(id) => Some(("coupon", id.0)),
        OrderFilter::Promotion(id) => Some(("promotion_code", id.0)),
        OrderFilter::Set(id) => Some(("set", id.0)),
        OrderFilter::Customer(id) => Some(("customer", id.0)),
    }
}

pub async fn list(
    access: StoreAccess<Viewer>,
    params: web::Query<Params>,
) -> Result<HttpResponse, AppError> {
    let filter = params.filter();
    let cursor = match (params.next, params.prev) {
        (Some(id), _) => Cursor::Next(id),
        (None, Some(id)) => Cursor::Prev(id),
        _ => Cursor::First,
    };
    let store = access.store.clone();
    let narrowed = params.narrowed(access.store.timezone.tz());
    let narrow = narrowed.narrow.clone();
    let searching = !narrowed.query.is_empty();
    let show_attempts = filter == OrderFilter::All && cursor == Cursor::First && !searching;
    let (page, attempts) = crate::web::db(&access.state, move |conn| {
        let page = crate::app::orders::search(conn, &store, filter, &narrow, cursor, PAGE_SIZE)?;
        let attempts = if show_attempts {
            crate::app::orders::attempts(conn, &store, 20)?
        } else {
            Vec::new()
        };
        Ok::<_, db::DbError>((page, attempts))
    })
    .await?;
    let tz = access.store.timezone.tz();
    let base = access.base_path();
    // Every filter of the page, for its other pages and its CSV.
    let query = [filter_query(filter), narrowed.query.clone()]
        .into_iter()
        .filter(|q| !q.is_empty())
        .collect::<Vec<_>>()
        .join("&");
    let (prev, next) = crate::web::pager_links(
        &page,
        |(order, _)| order.id,
        |dir, id| {
            if query.is_empty() {
                format!("{base}/orders?{dir}={id}")
            } else {
                format!("{base}/orders?{query}&{dir}={id}")
            }
        },
    );
    let csv = if query.is_empty() {
        format!("{base}/orders.csv")
    } else {
        format!("{base}/orders.csv?{query}")
    };
    let orders = OrderView::listed(&page.items, tz);
    let filter_note = match filter {
        OrderFilter::All => String::new(),
        OrderFilter::Coupon(_) => "Orders that used this coupon (through any of its codes)".into(),
        OrderFilter::Promotion(_) => "Orders that used this promotion code".into(),
        OrderFilter::Set(_) => "Orders that used a code of this set".into(),
        OrderFilter::Customer(_) => "Orders of this customer".into(),
    };
    let page = ListPage {
        layout: access.layout(Section::Orders)?,
        base,
        orders,
        filter_note,
        csv,
        searching,
        date_error: narrowed.error.unwrap_or_default(),
        status: params.status.trim().to_string(),
        code: params.code.trim().to_string(),
        from: params.from.trim().to_string(),
        to: params.to.trim().to_string(),
        hidden_filter: hidden_filter(filter),
        prev,
        next,
        attempts: attempts
            .into_iter()
            .map(|a: Attempt| AttemptView {
                at: time::display(a.created_at, tz),
                email: a.email,
                code: a.code,
                reason: a.reason,
                message: a.message,
            })
            .collect(),
    };
    render_status(StatusCode::OK, &page)
}

#[derive(Template)]
#[template(path = "orders/show.html")]
struct ShowPage {
    layout: Layout,
    base: String,
    order: OrderView,
    receipt_url: String,
    refunded_by: String,
    can_refund: bool,
}

pub async fn show(
    access: StoreAccess<Viewer>,
    path: web::Path<(String, i64)>,
) -> Result<HttpResponse, AppError> {
    let store = access.store.clone();
    let id = OrderId(path.1);
    let order = crate::web::db(&access.state, move |conn| {
        crate::app::orders::find(conn, &store, id)
    })
    .await?;
    let tz = access.store.timezone.tz();
    let base = access.share_base();
    let view = OrderView::new(&order, tz);
    let page = ShowPage {
        layout: access.layout(Section::Orders)?,
        base: access.base_path(),
        receipt_url: format!("{base}/{}/orders/{}", access.store.slug, view.public_id),
        refunded_by: order.refunded_by.clone().unwrap_or_default(),
        can_refund: access.role >= Role::Manager && view.refunded.is_none(),
        order: view,
    };
    render_status(StatusCode::OK, &page)
}

/// Refunds an order: its redemption is given back.
pub async fn refund(
    access: StoreAccess<Manager>,
    path: web::Path<(String, i64)>,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let store = access.store.clone();
    let user = access.actor();
    let id = OrderId(path.1);
    let tally = access.state.tally.clone();
    let refunded = crate::web::db(&access.state, move |conn| {
        crate::app::checkout::refund(conn, &store, id, user, None, &tally)
    })
    .await?;
    let message = if refunded {
        "Order refunded: its code can be redeemed again and the counts went down."
    } else {
        "This order was already refunded."
    };
    flash(&access.session, FlashKind::Success, message)?;
    Ok(see_other(&format!(
        "{}/orders/{}",
        access.base_path(),
        id.0
    )))
}

/// The latest orders that used a coupon, promotion code or set, for their
/// pages, and the link to all of them.
pub struct Recent {
    pub orders: Vec<OrderView>,
    pub href: String,
}

impl Recent {
    /// Reads them; call inside `web::db`.
    pub fn load(
        conn: &mut db::Conn,
        store: &crate::db::stores::Store,
        filter: OrderFilter,
    ) -> diesel::QueryResult<db::paging::Page<db::orders::ListedOrder>> {
        crate::app::orders::list(conn, store, filter, Cursor::First, RECENT)
    }

    pub fn new<R: MinRole>(
        access: &StoreAccess<R>,
        page: &db::paging::Page<db::orders::ListedOrder>,
        filter: OrderFilter,
    ) -> Recent {
        Recent {
            orders: OrderView::listed(&page.items, access.store.timezone.tz()),
            href: format!("{}/orders?{}", access.base_path(), filter_query(filter)),
        }
    }
}

/// `GET /admin/s/{store}/orders.csv`: every order the list's filters keep,
/// newest first, streamed a thousand at a time.
pub async fn csv(
    access: StoreAccess<Viewer>,
    params: web::Query<Params>,
) -> Result<HttpResponse, AppError> {
    use crate::domain::csv::cell;
    let filter = params.filter();
    let tz = access.store.timezone.tz();
    let narrow = params.narrowed(tz).narrow;
    let store = access.store.clone();
    let fetch = move |conn: &mut db::Conn, cursor| {
        crate::app::orders::search(conn, &store, filter, &narrow, cursor, crate::web::CSV_PAGE)
    };
    let line = move |(o, email): &db::orders::ListedOrder| {
        format!(
            "{},{},{},{},{},{},{},{},{},{}\n",
            cell(&o.public_id),
            time::to_input(o.created_at, tz),
            cell(email),
            cell(o.code.as_deref().unwrap_or_default()),
            cell(&o.currency),
            o.subtotal,
            o.discount,
            o.total,
            o.status.as_str(),
            cell(o.external_id.as_deref().unwrap_or_default()),
        )
    };
    Ok(crate::web::csv_export(
        &access.state,
        "orders.csv",
        b"order,created_at,email,code,currency,subtotal,discount,total,status,external_id\n",
        fetch,
        |(o, _)| o.id,
        line,
    ))
}
