//! `/admin/s/{store}/coupons`: filter by state, search by code prefix,
//! keyset pagination (fast at any depth).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::view::CouponView;
use crate::db;
use crate::db::coupons::{Cursor, ListQuery};
use crate::domain::role::Role;
use crate::domain::states::CouponState;
use crate::error::AppError;
use crate::web::extract::{StoreAccess, Viewer};
use crate::web::layout::{Layout, Section};
use crate::web::render_status;

pub const PAGE_SIZE: i64 = 50;

#[derive(Debug, Default, Deserialize)]
pub struct ListParams {
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub q: String,
    /// The page after this coupon id.
    pub next: Option<i64>,
    /// The page before this coupon id.
    pub prev: Option<i64>,
}

pub struct StateOption {
    pub value: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "coupons/list.html")]
struct ListPage {
    layout: Layout,
    base: String,
    coupons: Vec<CouponView>,
    states: Vec<StateOption>,
    q: String,
    filtered: bool,
    /// "newest first" or "by code".
    order: &'static str,
    prev: Option<String>,
    next: Option<String>,
    can_edit: bool,
    /// "1,204 coupons": what the filters match, on every page.
    total: String,
    count: i64,
    /// The CSV export with the same filters.
    csv: String,
}

/// The CSV export's URL with the list's filters.
fn csv_link(base: &str, state: &str, q: &str) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    if !state.is_empty() {
        query.append_pair("state", state);
    }
    if !q.is_empty() {
        query.append_pair("q", q);
    }
    let query = query.finish();
    if query.is_empty() {
        format!("{base}/coupons.csv")
    } else {
        format!("{base}/coupons.csv?{query}")
    }
}

/// A list URL with the current filters and a cursor.
fn page_link(base: &str, state: &str, q: &str, cursor: (&str, i64)) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    if !state.is_empty() {
        query.append_pair("state", state);
    }
    if !q.is_empty() {
        query.append_pair("q", q);
    }
    query.append_pair(cursor.0, &cursor.1.to_string());
    format!("{base}/coupons?{}", query.finish())
}

pub async fn list(
    access: StoreAccess<Viewer>,
    params: web::Query<ListParams>,
) -> Result<HttpResponse, AppError> {
    let params = params.into_inner();
    let state = CouponState::parse(params.state.trim());
    let q = params.q.trim().to_string();
    let cursor = match (params.next, params.prev) {
        (Some(id), _) => Cursor::Next(id),
        (None, Some(id)) => Cursor::Prev(id),
        (None, None) => Cursor::First,
    };
    let query = ListQuery {
        state,
        prefix: (!q.is_empty()).then(|| q.clone()),
        cursor,
        limit: PAGE_SIZE,
    };
    let store = access.store.clone();
    let (page, total) = crate::web::db(&access.state, move |conn| {
        let page = crate::app::coupons::page(conn, &store, &query)?;
        let total = crate::app::coupons::total(conn, &store, &query)?;
        Ok::<_, db::DbError>((page, total))
    })
    .await?;

    let tz = access.store.timezone.tz();
    let base_url = access.share_base();
    let coupons: Vec<CouponView> = page
        .items
        .iter()
        .map(|c| CouponView::new(c, db::now(), tz, &base_url, &access.store.slug))
        .collect();
    let base = access.base_path();
    let state_str = state.map_or("", CouponState::as_str);
    let (prev, next) = crate::web::pager_links(
        &page,
        |c| c.id.0,
        |dir, id| page_link(&base, state_str, &q, (dir, id)),
    );
    let states = std::iter::once(StateOption {
        value: "",
        label: "All (not deleted)",
        selected: state.is_none(),
    })
    .chain(CouponState::ALL.iter().map(|s| StateOption {
        value: s.as_str(),
        label: s.label(),
        selected: state == Some(*s),
    }))
    .collect();
    let list = ListPage {
        total: format!(
            "{} coupon{}",
            crate::domain::text::thousands(total),
            if total == 1 { "" } else { "s" }
        ),
        csv: csv_link(&base, state_str, &q),
        count: total,
        layout: access.layout(Section::Coupons)?,
        base,
        coupons,
        states,
        filtered: state.is_some() || !q.is_empty(),
        order: if q.is_empty() {
            "newest first"
        } else {
            "by code"
        },
        q,
        prev,
        next,
        can_edit: access.role >= Role::Manager,
    };
    render_status(StatusCode::OK, &list)
}

const CSV_CHUNK: i64 = 1_000;

/// `GET /admin/s/{store}/coupons.csv?state=&q=`: every coupon the list's
/// filters match, in the list's order, streamed a thousand at a time.
pub async fn csv(
    access: StoreAccess<Viewer>,
    params: web::Query<ListParams>,
) -> Result<HttpResponse, AppError> {
    use crate::domain::csv::cell;
    use actix_web::web::Bytes;
    use futures_util::{StreamExt, stream};
    let params = params.into_inner();
    let state = CouponState::parse(params.state.trim());
    let q = params.q.trim().to_string();
    let app = access.state.clone();
    let store = access.store.clone();
    let tz = access.store.timezone.tz();
    let base_url = access.share_base();
    let header = Bytes::from_static(
        b"code,name,discount,duration,state,times_redeemed,max_redemptions,remaining,starts_at,redeem_by,created_at,share_url\n",
    );
    // State: where the next chunk starts, or None once every row is sent.
    let body = stream::unfold(Some(Cursor::First), move |cursor| {
        let (app, store, base_url, q) = (app.clone(), store.clone(), base_url.clone(), q.clone());
        async move {
            let cursor = cursor?;
            let query = ListQuery {
                state,
                prefix: (!q.is_empty()).then(|| q.clone()),
                cursor,
                limit: CSV_CHUNK,
            };
            let read = store.clone();
            let page = match crate::web::db(&app, move |conn| {
                crate::app::coupons::page(conn, &read, &query)
            })
            .await
            {
                Ok(page) => page,
                Err(e) => return Some((Err(e), None)),
            };
            if page.items.is_empty() {
                return None;
            }
            let mut text = String::with_capacity(page.items.len() * 160);
            for c in &page.items {
                let v = CouponView::new(c, db::now(), tz, &base_url, &store.slug);
                let at = |t: Option<chrono::NaiveDateTime>| {
                    t.map(|t| crate::domain::time::to_input(t, tz))
                        .unwrap_or_default()
                };
                text.push_str(&format!(
                    "{},{},{},{},{},{},{},{},{},{},{},{}\n",
                    cell(&v.code),
                    cell(&v.name),
                    cell(&v.discount),
                    cell(&v.duration),
                    v.state,
                    v.times_redeemed,
                    v.max_redemptions,
                    v.remaining,
                    at(c.starts_at),
                    at(c.redeem_by),
                    crate::domain::time::to_input(c.created_at, tz),
                    cell(&v.share_url),
                ));
            }
            let next = page
                .has_next
                .then(|| page.items.last().map(|c| Cursor::Next(c.id.0)))
                .flatten();
            Some((Ok::<_, AppError>(Bytes::from(text)), next))
        }
    });
    let body = stream::once(async move { Ok::<_, AppError>(header) }).chain(body);
    Ok(crate::web::csv_attachment("coupons.csv", body))
}
