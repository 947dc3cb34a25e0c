//! The coupon picker of the set, promotion code and promotion code list
//! pages: a search box and the matching coupons (the first
//! `app::coupons::CHOICES` by code, and the chosen one wherever it is), so
//! that every coupon of a store can be reached. Without JavaScript the box
//! submits a GET search of its own (`coupon_q`); with it, `app.js` asks
//! `GET .../coupons/choices?q=` as one types and refills the options.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use crate::db::coupons::Choice;
use crate::error::AppError;
use crate::web::extract::{StoreAccess, Viewer};

/// A coupon in a picker: "CODE — name (25% off, once)".
#[derive(Debug, Clone, Serialize)]
pub struct CouponOption {
    pub id: i64,
    /// The bare code (the coupon form's case check compares it).
    pub code: String,
    pub label: String,
    pub selected: bool,
    /// Uses left ("" when unlimited), for the new set form's warning.
    pub remaining: String,
}

/// What the picker shows.
pub struct CouponPicker {
    /// The search typed so far.
    pub q: String,
    pub options: Vec<CouponOption>,
    /// What the list holds: "The first 50 coupons by code: search to find
    /// others.", "1 found for “zz”." or nothing.
    pub note: String,
    /// Where the type-ahead asks for matches.
    pub search_url: String,
}

impl CouponOption {
    fn of(c: Choice, selected: Option<i64>) -> CouponOption {
        CouponOption {
            label: match c.name {
                Some(name) => format!("{} — {name} ({})", c.code, c.terms),
                None => format!("{} ({})", c.code, c.terms),
            },
            selected: selected == Some(c.id),
            remaining: c.remaining.map(|r| r.to_string()).unwrap_or_default(),
            id: c.id,
            code: c.code,
        }
    }
}

impl CouponPicker {
    pub fn new(base: &str, q: &str, choices: Vec<Choice>, selected: Option<i64>) -> CouponPicker {
        let found = choices.iter().filter(|c| Some(c.id) != selected).count();
        let note = if found as i64 >= crate::app::coupons::CHOICES {
            format!("The first {found} coupons by code: search to find others.")
        } else if !q.trim().is_empty() {
            format!("{found} found for “{}”.", q.trim())
        } else {
            String::new()
        };
        CouponPicker {
            q: q.to_string(),
            note,
            options: choices
                .into_iter()
                .map(|c| CouponOption::of(c, selected))
                .collect(),
            search_url: format!("{base}/coupons/choices"),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct ChoicesParams {
    #[serde(default)]
    pub q: String,
}

/// `GET /admin/s/{store}/coupons/choices?q=`: the picker's matches as
/// JSON, `[{"id", "label", "selected", "remaining"}]`.
pub async fn choices(
    access: StoreAccess<Viewer>,
    params: web::Query<ChoicesParams>,
) -> Result<HttpResponse, AppError> {
    let store = access.store.clone();
    let q = params.into_inner().q;
    let found = crate::web::db(&access.state, move |conn| {
        crate::app::coupons::choices(conn, &store, &q, None)
    })
    .await?;
    let options: Vec<CouponOption> = found
        .into_iter()
        .map(|c| CouponOption::of(c, None))
        .collect();
    Ok(HttpResponse::Ok().json(options))
}
