//! `/admin/s/{store}/promotion-codes`: every code across coupons.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::{PromoView, views};
use crate::db;
use crate::db::paging::Cursor;
use crate::db::promotion_codes::PromoListQuery;
use crate::domain::code::normal_form;
use crate::domain::ids::CouponId;
use crate::domain::promotion::PromoState;
use crate::domain::role::Role;
use crate::error::AppError;
use crate::web::coupons::list::StateOption;
use crate::web::extract::{StoreAccess, Viewer};
use crate::web::layout::{Layout, Section};
use crate::web::picker::CouponPicker;
use crate::web::render_status;

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
}

/// The CSV export with the list's filters.
fn csv_link(base: &str, params: &Params) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    if !params.state.is_empty() {
        query.append_pair("state", &params.state);
    }
    if !params.q.is_empty() {
        query.append_pair("q", &params.q);
    }
    if let Some(coupon) = params.coupon {
        query.append_pair("coupon", &coupon.to_string());
    }
    match query.finish() {
        q if q.is_empty() => format!("{base}/promotion-codes.csv"),
        q => format!("{base}/promotion-codes.csv?{q}"),
    }
}

fn link(base: &str, params: &Params, cursor: (&str, i64)) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    if !params.state.is_empty() {
        query.append_pair("state", &params.state);
    }
    if !params.q.is_empty() {
        query.append_pair("q", &params.q);
    }
    if let Some(coupon) = params.coupon {
        query.append_pair("coupon", &coupon.to_string());
    }
    query.append_pair(cursor.0, &cursor.1.to_string());
    format!("{base}/promotion-codes?{}", query.finish())
}

impl Params {
    /// The list's query: its filters, from `cursor`, `limit` rows.
    fn query(&self, cursor: Cursor, limit: i64) -> PromoListQuery {
        let prefix = normal_form(&self.q);
        PromoListQuery {
            state: PromoState::parse(self.state.trim()),
            coupon: self.coupon.map(CouponId),
            prefix: (!prefix.is_empty()).then_some(prefix),
            cursor,
            limit,
        }
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
    let query = params.query(cursor, PAGE_SIZE);
    let store = access.store.clone();
    let search = params.coupon_q.clone();
    let selected = params.coupon;
    let (page, coupons) = crate::web::db(&access.state, move |conn| {
        let page = crate::app::promotion_codes::list(conn, &store, &query)?;
        let coupons = crate::app::coupons::choices(conn, &store, &search, selected)?;
        Ok::<_, db::DbError>((page, coupons))
    })
    .await?;
    let codes = views(&access, &page.items);
    let base = access.base_path();
    let (prev, next) = crate::web::pager_links(
        &page,
        |p| p.row.id,
        |dir, id| link(&base, &params, (dir, id)),
    );
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
        csv: csv_link(&base, &params),
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
        crate::app::promotion_codes::list(conn, &store, &params.query(cursor, crate::web::CSV_PAGE))
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
