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
    /// A column order: `code`, `-code`, `created`, `used`, `remaining`,
    /// `expiry` (a leading `-`: descending).
    #[serde(default)]
    pub sort: String,
    /// The page of a sorted list, from 0.
    pub page: Option<i64>,
}

/// The orders the list offers, as (`sort` value, label).
const SORTS: [(&str, &str); 10] = [
    ("", "Newest first"),
    ("created", "Oldest first"),
    ("code", "Code, A to Z"),
    ("-code", "Code, Z to A"),
    ("-used", "Most used"),
    ("used", "Least used"),
    ("remaining", "Fewest uses left"),
    ("-remaining", "Most uses left"),
    ("expiry", "Ending soonest"),
    ("-expiry", "Ending last"),
];

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
    sorts: Vec<StateOption>,
    /// The Code, Used and Remaining headings' links.
    headings: [SortHeading; 3],
    /// "1,204 coupons": what the filters match, on every page.
    total: String,
    count: i64,
    /// The CSV export with the same filters.
    csv: String,
}

/// A column heading that sorts by its column.
pub struct SortHeading {
    pub href: String,
    /// " ▲" or " ▼" on the column the list is sorted by.
    pub mark: &'static str,
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
fn page_link(base: &str, state: &str, q: &str, sort: &str, cursor: (&str, i64)) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    if !state.is_empty() {
        query.append_pair("state", state);
    }
    if !q.is_empty() {
        query.append_pair("q", q);
    }
    if !sort.is_empty() {
        query.append_pair("sort", sort);
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
    let sort = db::coupons::Sort::parse(&params.sort, params.page.unwrap_or(0));
    let query = ListQuery {
        state,
        prefix: (!q.is_empty()).then(|| q.clone()),
        cursor,
        limit: PAGE_SIZE,
        sort,
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
    let sort_param = sort.map(|s| s.param()).unwrap_or_default();
    let (prev, next) = match sort {
        // A chosen order pages by number.
        Some(sort) => {
            let numbered = |n: i64| page_link(&base, state_str, &q, &sort.param(), ("page", n));
            (
                page.has_prev.then(|| numbered(sort.page - 1)),
                page.has_next.then(|| numbered(sort.page + 1)),
            )
        }
        None => crate::web::pager_links(
            &page,
            |c| c.id.0,
            |dir, id| page_link(&base, state_str, &q, "", (dir, id)),
        ),
    };
    // Column headings sort by their column; again, the other way round.
    let heading = |key: &str| {
        let ascending = sort_param != key;
        let param = if ascending {
            key.to_string()
        } else {
            format!("-{key}")
        };
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        if !state_str.is_empty() {
            query.append_pair("state", state_str);
        }
        if !q.is_empty() {
            query.append_pair("q", &q);
        }
        query.append_pair("sort", &param);
        format!("{base}/coupons?{}", query.finish())
    };
    let headings = ["code", "used", "remaining"].map(|key| SortHeading {
        href: heading(key),
        mark: if sort_param == key {
            " ▲"
        } else if sort_param == format!("-{key}") {
            " ▼"
        } else {
            ""
        },
    });
    let sorts = SORTS
        .iter()
        .map(|(value, label)| StateOption {
            value,
            label,
            selected: *value == sort_param,
        })
        .collect();
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
        sorts,
        headings,
        layout: access.layout(Section::Coupons)?,
        base,
        coupons,
        states,
        filtered: state.is_some() || !q.is_empty(),
        order: match sort {
            Some(_) => "",
            None if q.is_empty() => "newest first",
            None => "by code",
        },
        q,
        prev,
        next,
        can_edit: access.role >= Role::Manager,
    };
    render_status(StatusCode::OK, &list)
}

/// `GET /admin/s/{store}/coupons.csv?state=&q=`: every coupon the list's
/// filters match, in the list's order, streamed a thousand at a time.
pub async fn csv(
    access: StoreAccess<Viewer>,
    params: web::Query<ListParams>,
) -> Result<HttpResponse, AppError> {
    use crate::domain::csv::cell;
    let params = params.into_inner();
    let state = CouponState::parse(params.state.trim());
    let q = params.q.trim().to_string();
    let store = access.store.clone();
    let slug = access.store.slug.clone();
    let tz = access.store.timezone.tz();
    let base_url = access.share_base();
    let fetch = move |conn: &mut db::Conn, cursor| {
        let query = ListQuery {
            state,
            prefix: (!q.is_empty()).then(|| q.clone()),
            cursor,
            limit: crate::web::CSV_PAGE,
            sort: None,
        };
        crate::app::coupons::page(conn, &store, &query)
    };
    let line = move |c: &db::coupons::Coupon| {
        let v = CouponView::new(c, db::now(), tz, &base_url, &slug);
        let at = |t: Option<chrono::NaiveDateTime>| {
            t.map(|t| crate::domain::time::to_input(t, tz))
                .unwrap_or_default()
        };
        format!(
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
        )
    };
    Ok(crate::web::csv_export(
        &access.state,
        "coupons.csv",
        b"code,name,discount,duration,state,times_redeemed,max_redemptions,remaining,starts_at,redeem_by,created_at,share_url\n",
        fetch,
        |c| c.id.0,
        line,
    ))
}
