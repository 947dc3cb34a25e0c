//! `/admin/s/{store}/coupons`: filter by state, search by code prefix,
//! keyset pagination (fast at any depth).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::view::CouponView;
use crate::db;
use crate::db::coupons::{Cursor, ListQuery};
use crate::domain::ids::CouponId;
use crate::domain::role::Role;
use crate::domain::states::CouponState;
use crate::error::AppError;
use crate::web::bulk::{self, Selected};
use crate::web::csrf::CsrfForm;
use crate::web::extract::{Manager, StoreAccess, Viewer};
use crate::web::filters;
use crate::web::layout::{Layout, Section};
use crate::web::listing::{Listing, SortHeading};
use crate::web::render_status;
use crate::web::see_other;
use crate::web::session::{FlashKind, flash};

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
    let listing = Listing::new(
        format!("{base}/coupons"),
        vec![("state", state_str.to_string()), ("q", q.clone())],
        sort,
    );
    let (prev, next) = listing.pages(&page, |c| c.id.0);
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
        total: crate::web::listing::total(total, "coupon"),
        csv: listing.csv(),
        count: total,
        sorts: listing.options(),
        headings: listing.headings(),
        order: listing.order(!q.is_empty()),
        layout: access.layout(Section::Coupons)?,
        base,
        coupons,
        states,
        filtered: state.is_some() || !q.is_empty(),
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

/// `POST /admin/s/{store}/coupons/archive-selected`: the list's chosen
/// coupons, confirmed once with the set codes that go (SPEC section 3),
/// then archived each as a single archive would be.
pub async fn archive_selected(
    access: StoreAccess<Manager>,
    form: CsrfForm<Selected>,
) -> Result<HttpResponse, AppError> {
    let form = form.0;
    let ids: Vec<CouponId> = form.ids.iter().copied().map(CouponId).collect();
    let store = access.store.clone();
    let list = format!("{}/coupons", access.base_path());
    if !form.confirmed() {
        let (coupons, at_stake) = crate::web::db(&access.state, move |conn| {
            crate::app::coupons::archive_preview(conn, &store, &ids)
        })
        .await?;
        let n = bulk::count(coupons.len(), "coupon");
        let page = bulk::Confirm {
            question: format!("Archive {n}?"),
            button: format!("Archive {n}"),
            consequence: [
                "No new redemptions until you unarchive them.",
                &at_stake.at_stake(),
            ]
            .join(" ")
            .trim()
            .to_string(),
            ids: coupons.iter().map(|c| c.id.0).collect(),
            items: coupons.into_iter().map(|c| c.code).collect(),
            action: format!("{list}/archive-selected"),
            cancel: list,
            layout: access.layout(Section::Coupons)?,
        };
        return bulk::confirm(
            page,
            &access.session,
            "Select the coupons to archive first: none of the chosen ones is live and unarchived.",
        );
    }
    let user = access.actor();
    let (archived, ended) = crate::web::db(&access.state, move |conn| {
        crate::app::coupons::archive_many(conn, &store, user, &ids)
    })
    .await?;
    if archived.is_empty() {
        flash(
            &access.session,
            FlashKind::Error,
            "Nothing was archived: none of the chosen coupons is live and unarchived any more.",
        )?;
        return Ok(see_other(&list));
    }
    let mut message = format!(
        "Archived {}: {}.",
        bulk::count(archived.len(), "coupon"),
        archived.join(", ")
    );
    let went = ended.done();
    if !went.is_empty() {
        message.push_str(&format!(" Their sets: {went}."));
    }
    flash(&access.session, FlashKind::Success, &message)?;
    Ok(see_other(&list))
}
