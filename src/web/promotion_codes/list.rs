//! `/admin/s/{store}/promotion-codes`: every code across coupons.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::{PromoView, views};
use crate::db;
use crate::db::paging::{Cursor, Sort};
use crate::db::promotion_codes::PromoListQuery;
use crate::domain::code::normal_form;
use crate::domain::ids::CouponId;
use crate::domain::ids::PromotionCodeId;
use crate::domain::promotion::PromoState;
use crate::domain::role::Role;
use crate::error::AppError;
use crate::web::bulk::{self, Selected};
use crate::web::coupons::list::StateOption;
use crate::web::csrf::CsrfForm;
use crate::web::extract::{Manager, StoreAccess, Viewer};
use crate::web::filters;
use crate::web::layout::{Layout, Section};
use crate::web::listing::{Listing, SortHeading};
use crate::web::picker::CouponPicker;
use crate::web::render_status;
use crate::web::see_other;
use crate::web::session::{FlashKind, flash};

const PAGE_SIZE: i64 = 50;

#[derive(Debug, Default, Deserialize)]
pub struct Params {
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub q: String,
    pub coupon: Option<i64>,
    /// What the coupon picker searched for.
    #[serde(default)]
    pub coupon_q: String,
    pub next: Option<i64>,
    pub prev: Option<i64>,
    /// A column order, as on the coupon list (`-used`: most used first).
    #[serde(default)]
    pub sort: String,
    /// The page of a sorted list, from 0.
    pub page: Option<i64>,
}

#[derive(Template)]
#[template(path = "promotion_codes/list.html")]
struct ListPage {
    layout: Layout,
    base: String,
    codes: Vec<PromoView>,
    states: Vec<StateOption>,
    coupons: CouponPicker,
    /// The CSV export with the same filters.
    csv: String,
    q: String,
    filtered: bool,
    prev: Option<String>,
    next: Option<String>,
    can_edit: bool,
    sorts: Vec<StateOption>,
    /// The Code, Used and Remaining headings' links.
    headings: [SortHeading; 3],
    /// "1,204 promotion codes": what the filters match, on every page.
    total: String,
    count: i64,
    /// "newest first", "by code" or "" (a chosen order).
    order: &'static str,
}

impl Params {
    /// The list's query: its filters, from `cursor`, `limit` rows.
    fn query(&self, cursor: Cursor, limit: i64, sort: Option<Sort>) -> PromoListQuery {
        let prefix = normal_form(&self.q);
        PromoListQuery {
            state: PromoState::parse(self.state.trim()),
            coupon: self.coupon.map(CouponId),
            prefix: (!prefix.is_empty()).then_some(prefix),
            cursor,
            limit,
            sort,
        }
    }

    /// The list's links, with its filters and `sort`.
    fn listing(&self, base: &str, sort: Option<Sort>) -> Listing {
        Listing::new(
            format!("{base}/promotion-codes"),
            vec![
                ("state", self.state.clone()),
                ("q", self.q.clone()),
                (
                    "coupon",
                    self.coupon.map(|c| c.to_string()).unwrap_or_default(),
                ),
            ],
            sort,
        )
    }
}

pub async fn list(
    access: StoreAccess<Viewer>,
    params: web::Query<Params>,
) -> Result<HttpResponse, AppError> {
    let params = params.into_inner();
    let state = PromoState::parse(params.state.trim());
    let cursor = match (params.next, params.prev) {
        (Some(id), _) => Cursor::Next(id),
        (None, Some(id)) => Cursor::Prev(id),
        (None, None) => Cursor::First,
    };
    let sort = Sort::parse(&params.sort, params.page.unwrap_or(0));
    let query = params.query(cursor, PAGE_SIZE, sort);
    let store = access.store.clone();
    let search = params.coupon_q.clone();
    let selected = params.coupon;
    let (page, total, coupons) = crate::web::db(&access.state, move |conn| {
        let page = crate::app::promotion_codes::list(conn, &store, &query)?;
        let total = crate::app::promotion_codes::total(conn, &store, &query)?;
        let coupons = crate::app::coupons::choices(conn, &store, &search, selected)?;
        Ok::<_, db::DbError>((page, total, coupons))
    })
    .await?;
    let codes = views(&access, &page.items);
    let base = access.base_path();
    let listing = params.listing(&base, sort);
    let (prev, next) = listing.pages(&page, |p| p.row.id);
    let states = std::iter::once(StateOption {
        value: "",
        label: "All",
        selected: state.is_none(),
    })
    .chain(PromoState::ALL.iter().map(|s| StateOption {
        value: s.as_str(),
        label: s.label(),
        selected: state == Some(*s),
    }))
    .collect();
    let coupons = CouponPicker::new(&base, &params.coupon_q, coupons, params.coupon);
    let page = ListPage {
        csv: listing.csv(),
        sorts: listing.options(),
        headings: listing.headings(),
        total: crate::web::listing::total(total, "promotion code"),
        count: total,
        order: listing.order(!params.q.trim().is_empty()),
        layout: access.layout(Section::PromotionCodes)?,
        base,
        codes,
        states,
        coupons,
        filtered: state.is_some() || !params.q.is_empty() || params.coupon.is_some(),
        q: params.q.clone(),
        prev,
        next,
        can_edit: access.role >= Role::Manager,
    };
    render_status(StatusCode::OK, &page)
}

/// `GET /admin/s/{store}/promotion-codes.csv`: every promotion code the
/// list's filters keep, in its order, streamed a thousand at a time.
pub async fn csv(
    access: StoreAccess<Viewer>,
    params: web::Query<Params>,
) -> Result<HttpResponse, AppError> {
    use crate::domain::csv::cell;
    let params = params.into_inner();
    let store = access.store.clone();
    let slug = access.store.slug.clone();
    let tz = access.store.timezone.tz();
    let share_base = access.share_base();
    let fetch = move |conn: &mut db::Conn, cursor| {
        crate::app::promotion_codes::list(
            conn,
            &store,
            &params.query(cursor, crate::web::CSV_PAGE, None),
        )
    };
    let line = move |p: &crate::db::promotion_codes::Promotion| {
        let v = super::PromoView::new(p, db::now(), tz, &share_base, &slug);
        format!(
            "{},{},{},{},{},{},{},{},{},{}\n",
            cell(&v.code),
            cell(&v.coupon_code),
            v.state,
            v.times_redeemed,
            v.max_redemptions,
            v.remaining,
            cell(&v.restrictions.join("; ")),
            cell(v.expires_at.as_deref().unwrap_or_default()),
            cell(&v.created_at),
            cell(&v.share_url),
        )
    };
    Ok(crate::web::csv_export(
        &access.state,
        "promotion-codes.csv",
        b"code,coupon,state,times_redeemed,max_redemptions,remaining,restrictions,expires_at,created_at,share_url\n",
        fetch,
        |p| p.row.id,
        line,
    ))
}

/// `POST /admin/s/{store}/promotion-codes/deactivate-selected`: the list's
/// chosen codes, confirmed once, then each deactivated as its own
/// Deactivate button would.
pub async fn deactivate_selected(
    access: StoreAccess<Manager>,
    form: CsrfForm<Selected>,
) -> Result<HttpResponse, AppError> {
    let form = form.0;
    let ids: Vec<PromotionCodeId> = form.ids.iter().copied().map(PromotionCodeId).collect();
    let store = access.store.clone();
    let list = format!("{}/promotion-codes", access.base_path());
    if !form.confirmed() {
        let codes = crate::web::db(&access.state, move |conn| {
            crate::app::promotion_codes::active_among(conn, &store, &ids)
        })
        .await?;
        let n = bulk::count(codes.len(), "promotion code");
        let page = bulk::Confirm {
            question: format!("Deactivate {n}?"),
            button: format!("Deactivate {n}"),
            consequence:
                "Customers can no longer use them; you can reactivate each one later from its page."
                    .into(),
            ids: codes.iter().map(|p| p.row.id).collect(),
            items: codes.into_iter().map(|p| p.row.code).collect(),
            action: format!("{list}/deactivate-selected"),
            cancel: list,
            layout: access.layout(Section::PromotionCodes)?,
        };
        return bulk::confirm(
            page,
            &access.session,
            "Select the promotion codes to deactivate first: none of the chosen ones is active.",
        );
    }
    let user = access.actor();
    let done = crate::web::db(&access.state, move |conn| {
        crate::app::promotion_codes::deactivate_many(conn, &store, user, &ids)
    })
    .await?;
    if done.is_empty() {
        flash(
            &access.session,
            FlashKind::Error,
            "Nothing was deactivated: none of the chosen promotion codes is active any more.",
        )?;
        return Ok(see_other(&list));
    }
    flash(
        &access.session,
        FlashKind::Success,
        format!(
            "Deactivated {}: {}.",
            bulk::count(done.len(), "promotion code"),
            done.join(", ")
        ),
    )?;
    Ok(see_other(&list))
}
