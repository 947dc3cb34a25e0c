//! `/api/v1/coupons`: the coupon form's fields as JSON, through the same
//! use cases (`app::coupons`) and rules.

use actix_web::{HttpResponse, web};
use chrono_tz::Tz;
use serde::{Deserialize, Deserializer};

use super::listing::filters;
use super::objects::CouponObject;
use super::{Api, ApiError, ApiJson, Ctx, List, Listing, Read, Write, path_id};
use crate::app::coupons::{self as use_case, CouponError};
use crate::db::coupons::{Lifecycle, ListQuery};
use crate::domain::coupon::CouponInput;
use crate::domain::form_errors::FormErrors;
use crate::domain::ids::CouponId;
use crate::domain::money::CurrencyCode;
use crate::domain::states::CouponState;

/// A field that may be absent (unchanged), `null` (cleared) or a value.
pub fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// The coupon's fields; on PATCH only those sent change.
#[derive(Debug, Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = CouponRequest)]
pub struct CouponBody {
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default, deserialize_with = "present")]
    pub name: Option<Option<String>>,
    #[serde(default)]
    pub discount_type: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<f64>)]
    pub percent_off: Option<Option<serde_json::Number>>,
    #[serde(default, deserialize_with = "present")]
    pub amount_off: Option<Option<i64>>,
    #[serde(default, deserialize_with = "present")]
    pub currency: Option<Option<String>>,
    #[serde(default)]
    pub duration: Option<String>,
    #[serde(default, deserialize_with = "present")]
    pub duration_in_months: Option<Option<i64>>,
    #[serde(default, deserialize_with = "present")]
    pub max_redemptions: Option<Option<i64>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub starts_at: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub redeem_by: Option<Option<String>>,
    #[serde(default)]
    pub applies_to: Option<Vec<i64>>,
    #[serde(default)]
    pub once_per_customer: Option<bool>,
    #[serde(default)]
    pub confirm_full_discount: Option<bool>,
    #[serde(default, deserialize_with = "present")]
    pub velocity_limit: Option<Option<i64>>,
    #[serde(default, deserialize_with = "present")]
    pub velocity_window: Option<Option<String>>,
}

/// An RFC 3339 time as the form's local time in the store's zone.
pub fn local_time(
    raw: Option<&str>,
    tz: Tz,
    field: &'static str,
    errors: &mut FormErrors,
) -> String {
    let Some(raw) = raw.map(str::trim).filter(|r| !r.is_empty()) else {
        return String::new();
    };
    match chrono::DateTime::parse_from_rfc3339(raw) {
        Ok(t) => crate::domain::time::to_input(t.naive_utc(), tz),
        Err(_) => {
            errors.add(field, "Use an RFC 3339 time, e.g. 2026-12-31T23:59:00Z.");
            String::new()
        }
    }
}

fn text<T: ToString>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

impl CouponBody {
    /// Writes the fields sent into the form.
    pub fn apply(self, input: &mut CouponInput, tz: Tz) -> Result<(), FormErrors> {
        let mut errors = FormErrors::default();
        if let Some(code) = self.code {
            input.code = code;
        }
        if let Some(name) = self.name {
            input.name = name.unwrap_or_default();
        }
        if let Some(kind) = self.discount_type {
            input.discount_type = kind;
            // A new kind of discount replaces the other kind's fields.
            input.percent_off.clear();
            input.amount_off.clear();
            input.currency.clear();
        }
        if let Some(p) = self.percent_off {
            input.percent_off = text(p);
        }
        if let Some(c) = self.currency {
            input.currency = c.unwrap_or_default();
        }
        if let Some(a) = self.amount_off {
            // Minor units, written as the form's amount in the currency.
            input.amount_off = match (a, CurrencyCode::parse(input.currency.trim())) {
                (Some(minor), Ok(currency)) if minor >= 0 => currency.format_major(minor),
                (a, _) => text(a),
            };
        }
        if let Some(d) = self.duration {
            input.duration = d;
        }
        if let Some(m) = self.duration_in_months {
            input.duration_in_months = text(m);
        }
        if let Some(m) = self.max_redemptions {
            input.max_redemptions = text(m);
        }
        if let Some(t) = self.starts_at {
            input.starts_at = local_time(t.as_deref(), tz, "starts_at", &mut errors);
        }
        if let Some(t) = self.redeem_by {
            input.redeem_by = local_time(t.as_deref(), tz, "redeem_by", &mut errors);
        }
        if let Some(products) = self.applies_to {
            input.applies_to = products.iter().map(i64::to_string).collect();
        }
        if let Some(once) = self.once_per_customer {
            input.once_per_customer = once.then(|| "on".into());
        }
        if let Some(confirm) = self.confirm_full_discount {
            input.confirm_full_discount = confirm.then(|| "on".into());
        }
        if let Some(limit) = self.velocity_limit {
            input.velocity_limit = text(limit);
        }
        if let Some(window) = self.velocity_window {
            input.velocity_window = window.unwrap_or_default();
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

fn error(e: CouponError) -> ApiError {
    match e {
        CouponError::Invalid(errors) => ApiError::invalid(&errors),
        CouponError::NotFound => ApiError::NotFound,
        CouponError::Db(e) => e.into(),
    }
}

/// The coupon as it is now, as an object.
fn object(conn: &mut crate::db::Conn, store: &Ctx, id: CouponId) -> Result<CouponObject, ApiError> {
    let (coupon, applies_to) = use_case::find(conn, store, id).map_err(error)?;
    let url = store.share_url(&coupon.code);
    Ok(CouponObject::new(coupon, &applies_to, url))
}

filters!(
    /// `GET /coupons` reads `state` and `q`.
    pub CouponFilters:
        state "string" "active, paused, scheduled, expired, exhausted, archived or deleted.",
        q "string" "Coupons whose code starts with this."
);

/// `GET /api/v1/coupons?state=&q=&limit=&starting_after=`
pub async fn list(
    api: Api<Read>,
    params: Listing<CouponFilters>,
) -> Result<HttpResponse, ApiError> {
    let state = params.state(CouponState::parse)?;
    let query = ListQuery {
        state,
        prefix: params.q(),
        cursor: params.cursor()?,
        limit: params.limit()?,
        sort: None,
    };
    let list = api
        .db(move |conn, store| {
            let page = use_case::list(conn, store, &query)?;
            Ok(List::of(page, |(c, applies_to)| {
                let url = store.share_url(&c.code);
                CouponObject::new(c, &applies_to, url)
            }))
        })
        .await?;
    Ok(super::ok(&list))
}

/// `GET /api/v1/coupons/{id}`
pub async fn show(api: Api<Read>, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let id = CouponId(path_id(&path)?);
    let coupon = api.db(move |conn, store| object(conn, store, id)).await?;
    Ok(super::ok(&coupon))
}

/// `POST /api/v1/coupons`
pub async fn create(api: Api<Write>, body: ApiJson<CouponBody>) -> Result<HttpResponse, ApiError> {
    let coupon = api
        .db(move |conn, store| {
            let mut input = crate::web::coupons::form::blank();
            body.value
                .apply(&mut input, store.timezone.tz())
                .map_err(|e| ApiError::invalid(&e))?;
            let id = use_case::create(conn, store, store.actor(), &input).map_err(error)?;
            object(conn, store, id)
        })
        .await?;
    Ok(super::created(&coupon))
}

/// `PATCH /api/v1/coupons/{id}`: only the fields sent change.
pub async fn update(
    api: Api<Write>,
    path: web::Path<String>,
    body: ApiJson<CouponBody>,
) -> Result<HttpResponse, ApiError> {
    let id = CouponId(path_id(&path)?);
    let coupon = api
        .db(move |conn, store| {
            let tz = store.timezone.tz();
            use_case::patch(conn, store, store.actor(), id, |input| {
                body.value.apply(input, tz)
            })
            .map_err(error)?;
            object(conn, store, id)
        })
        .await?;
    Ok(super::ok(&coupon))
}

async fn change(
    api: Api<Write>,
    path: web::Path<String>,
    action: Lifecycle,
) -> Result<HttpResponse, ApiError> {
    let id = CouponId(path_id(&path)?);
    let coupon = api
        .db(move |conn, store| {
            // Only a live coupon of this store answers.
            let before = object(conn, store, id)?;
            use_case::change(conn, store, store.actor(), id, action)?;
            if action == Lifecycle::Delete {
                return Ok(CouponObject {
                    state: CouponState::Deleted.as_str(),
                    ..before
                });
            }
            object(conn, store, id)
        })
        .await?;
    Ok(super::ok(&coupon))
}

/// `POST /api/v1/coupons/{id}/archive`
pub async fn archive(api: Api<Write>, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    change(api, path, Lifecycle::Archive).await
}

/// `POST /api/v1/coupons/{id}/unarchive`
pub async fn unarchive(api: Api<Write>, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    change(api, path, Lifecycle::Unarchive).await
}

/// `DELETE /api/v1/coupons/{id}`: the coupon as it was, `state: "deleted"`.
pub async fn delete(api: Api<Write>, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    change(api, path, Lifecycle::Delete).await
}

/// `POST /api/v1/coupons/{id}/resume`: a coupon its velocity limit paused
/// may be redeemed again.
pub async fn resume(api: Api<Write>, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let id = CouponId(path_id(&path)?);
    let coupon = api
        .db(move |conn, store| {
            object(conn, store, id)?;
            use_case::resume(conn, store, store.actor(), id)?;
            object(conn, store, id)
        })
        .await?;
    Ok(super::ok(&coupon))
}
