//! HTTP handlers, one folder per resource, and the extractors they share.

pub mod activity;
pub mod api;
pub mod assets;
pub mod auth;
pub mod bulk;
pub mod checkout;
pub mod client;
pub mod coupon_sets;
pub mod coupons;
pub mod csrf;
pub mod customers;
pub mod extract;
pub mod filters;
pub mod forms;
pub mod health;
pub mod layout;
pub mod listing;
pub mod orders;
pub mod picker;
pub mod products;
pub mod promotion_codes;
pub mod session;
pub mod share;
pub mod stores;

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, ContentType};
use actix_web::web;
use askama::Template;

use crate::db::{Conn, Pool};
use crate::error::AppError;

/// What every handler can reach: the pool and the server's own address.
#[derive(Clone)]
pub struct AppState {
    pub pool: Pool,
    /// Used for shareable URLs when a store sets no `public_base_url`.
    pub default_base_url: String,
    /// The reverse proxy whose `X-Forwarded-For` names the client.
    pub trusted_proxy: Option<std::net::IpAddr>,
    /// Per-client counters of unknown codes and refused checkouts.
    pub guards: std::sync::Arc<client::Guards>,
    /// This process as a job runner (its lease name, its worker's wake-up).
    pub jobs: crate::app::jobs::Jobs,
    /// `METRICS_TOKEN`: `/metrics` answers only with it as a bearer token.
    pub metrics_token: Option<String>,
    /// Analytics counts not yet written (`crate::analytics`).
    pub tally: std::sync::Arc<crate::analytics::Tally>,
    /// The idempotency keys of the API redemptions running now.
    pub redeeming: std::sync::Arc<crate::app::redemptions::Redeeming>,
}

impl AppState {
    /// The address of the client that sent `req`.
    pub fn client(&self, req: &actix_web::HttpRequest) -> Option<std::net::IpAddr> {
        client::address(req, self.trusted_proxy)
    }
}

/// Runs database work on the blocking thread pool, never on an async worker.
/// Every diesel call (and `pool.get()`) goes through here.
pub async fn db<T, E, F>(state: &AppState, f: F) -> Result<T, AppError>
where
    F: FnOnce(&mut Conn) -> Result<T, E> + Send + 'static,
    T: Send + 'static,
    E: Into<AppError> + Send + 'static,
{
    let pool = state.pool.clone();
    web::block(move || {
        let mut conn = pool.get()?;
        f(&mut conn).map_err(Into::into)
    })
    .await?
}

/// Renders a page with a status other than 200 (e.g. 422 for a form with
/// errors).
pub fn render_status<T: Template>(status: StatusCode, page: &T) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::build(status)
        .content_type(ContentType::html())
        .body(page.render()?))
}

/// 303 See Other to `location`: the answer to every successful POST.
/// Rows a CSV export reads at a time.
pub const CSV_PAGE: i64 = 1_000;

/// A list exported as CSV, streamed page by page so that memory stays flat:
/// `header`, then the rows of `fetch(conn, cursor)` (one blocking call a
/// page, in the list's order), each written by `line`, until a page says
/// nothing follows; `key` is a row's cursor id.
pub fn csv_export<T, F, L>(
    state: &AppState,
    filename: &str,
    header: &'static [u8],
    fetch: F,
    key: fn(&T) -> i64,
    line: L,
) -> HttpResponse
where
    T: Send + 'static,
    F: Fn(
            &mut Conn,
            crate::db::paging::Cursor,
        ) -> Result<crate::db::paging::Page<T>, crate::db::DbError>
        + Send
        + Sync
        + 'static,
    L: Fn(&T) -> String + 'static,
{
    use crate::db::paging::Cursor;
    use futures_util::{StreamExt, stream};
    let fetch = std::sync::Arc::new(fetch);
    let line = std::rc::Rc::new(line);
    let state = state.clone();
    let rows = stream::unfold(Some(Cursor::First), move |cursor| {
        let (state, fetch, line) = (state.clone(), fetch.clone(), line.clone());
        async move {
            let cursor = cursor?;
            let page = match db(&state, move |conn| fetch(conn, cursor)).await {
                Ok(page) => page,
                Err(e) => return Some((Err(e), None)),
            };
            if page.items.is_empty() {
                return None;
            }
            let text: String = page.items.iter().map(|row| line(row)).collect();
            let next = page
                .has_next
                .then(|| page.items.last().map(|row| Cursor::Next(key(row))))
                .flatten();
            Some((Ok(web::Bytes::from(text)), next))
        }
    });
    let body = stream::once(async move { Ok(web::Bytes::from_static(header)) }).chain(rows);
    csv_attachment(filename, body)
}

/// A CSV download named `filename`, streamed from `body` (header first).
pub fn csv_attachment<S>(filename: &str, body: S) -> HttpResponse
where
    S: futures_util::Stream<Item = Result<web::Bytes, AppError>> + 'static,
{
    use actix_web::http::header::{ContentDisposition, DispositionParam, DispositionType};
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            ContentDisposition {
                disposition: DispositionType::Attachment,
                parameters: vec![DispositionParam::Filename(filename.to_string())],
            },
        ))
        .streaming(body)
}

pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}

/// The previous and next links of a keyset page: `link(direction, id)`
/// from the first and last row shown.
pub fn pager_links<T>(
    page: &crate::db::paging::Page<T>,
    id: impl Fn(&T) -> i64,
    link: impl Fn(&str, i64) -> String,
) -> (Option<String>, Option<String>) {
    let prev = match (page.has_prev, page.items.first()) {
        (true, Some(first)) => Some(link("prev", id(first))),
        _ => None,
    };
    let next = match (page.has_next, page.items.last()) {
        (true, Some(last)) => Some(link("next", id(last))),
        _ => None,
    };
    (prev, next)
}
