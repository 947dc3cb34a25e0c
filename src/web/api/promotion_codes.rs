//! `/api/v1/promotion_codes`: the promotion code form's fields as JSON,
//! through `app::promotion_codes`.

use actix_web::{HttpResponse, web};
use chrono_tz::Tz;
use serde::Deserialize;

use super::coupons::{local_time, present};
use super::listing::filters;
use super::objects::{DeletedObject, PromotionCodeObject};
use super::{Api, ApiError, ApiJson, Ctx, List, Listing, Read, Write, path_id};
use crate::app::promotion_codes::{self as use_case, PromoError};
use crate::db::promotion_codes::PromoListQuery;
use crate::domain::form_errors::FormErrors;
use crate::domain::ids::{CouponId, PromotionCodeId};
use crate::domain::money::CurrencyCode;
use crate::domain::promotion::{PromoInput, PromoState};

/// The promotion code's fields; on PATCH only the restrictions and limits
/// (`code`, `coupon_id` and `active` are set at creation; `active` then
/// changes with `PATCH {"active": false}`).
#[derive(Debug, Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = PromotionCodeRequest)]
pub struct PromoBody {
    #[serde(default)]
    pub coupon_id: Option<i64>,
    #[serde(default, deserialize_with = "present")]
    pub code: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    pub customer: Option<Option<String>>,
    #[serde(default)]
    pub first_time_transaction: Option<bool>,
    #[serde(default, deserialize_with = "present")]
    pub minimum_amount: Option<Option<i64>>,
    #[serde(default, deserialize_with = "present")]
    pub minimum_amount_currency: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub expires_at: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    pub max_redemptions: Option<Option<i64>>,
    #[serde(default, deserialize_with = "present")]
    pub velocity_limit: Option<Option<i64>>,
    #[serde(default, deserialize_with = "present")]
    pub velocity_window: Option<Option<String>>,
    #[serde(default)]
    pub active: Option<bool>,
}

impl PromoBody {
    fn apply(self, input: &mut PromoInput, tz: Tz) -> Result<(), FormErrors> {
        let mut errors = FormErrors::default();
        if let Some(id) = self.coupon_id {
            input.coupon_id = id.to_string();
        }
        if let Some(code) = self.code {
            input.code = code.unwrap_or_default();
        }
        if let Some(customer) = self.customer {
            input.customer = customer.unwrap_or_default();
        }
        if let Some(first) = self.first_time_transaction {
            input.first_time_transaction = first.then(|| "on".into());
        }
        if let Some(currency) = self.minimum_amount_currency {
            input.minimum_amount_currency = currency.unwrap_or_default();
        }
        if let Some(amount) = self.minimum_amount {
            input.minimum_amount = match (
                amount,
                CurrencyCode::parse(input.minimum_amount_currency.trim()),
            ) {
                (Some(minor), Ok(currency)) if minor >= 0 => currency.format_major(minor),
                (amount, _) => amount.map(|a| a.to_string()).unwrap_or_default(),
            };
        }
        if let Some(t) = self.expires_at {
            input.expires_at = local_time(t.as_deref(), tz, "expires_at", &mut errors);
        }
        if let Some(m) = self.max_redemptions {
            input.max_redemptions = m.map(|m| m.to_string()).unwrap_or_default();
        }
        if let Some(limit) = self.velocity_limit {
            input.velocity_limit = limit.map(|l| l.to_string()).unwrap_or_default();
        }
        if let Some(window) = self.velocity_window {
            input.velocity_window = window.unwrap_or_default();
        }
        if let Some(active) = self.active {
            input.active = active.then(|| "on".into());
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

fn error(e: PromoError) -> ApiError {
    match e {
        PromoError::Invalid(errors) => ApiError::invalid(&errors),
        PromoError::NotFound => ApiError::NotFound,
        PromoError::Db(e) => e.into(),
    }
}

fn object(
    conn: &mut crate::db::Conn,
    store: &Ctx,
    id: PromotionCodeId,
) -> Result<PromotionCodeObject, ApiError> {
    let promo = use_case::find(conn, store, id).map_err(error)?;
    let url = store.share_url(&promo.row.code);
    Ok(PromotionCodeObject::new(promo, url))
}

filters!(
    /// `GET /promotion_codes` reads `state`, `coupon` and `q`.
    pub PromoFilters:
        state "string" "active, paused, inactive, expired, exhausted or coupon_invalid.",
        coupon "integer" "The codes of this coupon (its id).",
        q "string" "Codes that start with this (case and separators ignored)."
);

/// `GET /api/v1/promotion_codes?state=&coupon=&q=`
pub async fn list(api: Api<Read>, params: Listing<PromoFilters>) -> Result<HttpResponse, ApiError> {
    let state = params.state(PromoState::parse)?;
    let query = PromoListQuery {
        state,
        coupon: params.coupon()?.map(CouponId),
        prefix: params.q().map(|q| crate::domain::code::normal_form(&q)),
        cursor: params.cursor()?,
        limit: params.limit()?,
        sort: None,
    };
    let list = api
        .db(move |conn, store| {
            let page = use_case::list(conn, store, &query)?;
            Ok(List::of(page, |p| {
                let url = store.share_url(&p.row.code);
                PromotionCodeObject::new(p, url)
            }))
        })
        .await?;
    Ok(super::ok(&list))
}

/// `GET /api/v1/promotion_codes/{id}`
pub async fn show(api: Api<Read>, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let id = PromotionCodeId(path_id(&path)?);
    Ok(super::ok(
        &api.db(move |conn, store| object(conn, store, id)).await?,
    ))
}

/// `POST /api/v1/promotion_codes`
pub async fn create(api: Api<Write>, body: ApiJson<PromoBody>) -> Result<HttpResponse, ApiError> {
    let promo = api
        .db(move |conn, store| {
            let mut input = PromoInput {
                active: Some("on".into()),
                ..PromoInput::default()
            };
            body.value
                .apply(&mut input, store.timezone.tz())
                .map_err(|e| ApiError::invalid(&e))?;
            let id = use_case::create(conn, store, store.actor(), &input).map_err(error)?;
            object(conn, store, id)
        })
        .await?;
    Ok(super::created(&promo))
}

/// `PATCH /api/v1/promotion_codes/{id}`: restrictions and limits, and
/// `active` (deactivate, or reactivate when allowed).
pub async fn update(
    api: Api<Write>,
    path: web::Path<String>,
    body: ApiJson<PromoBody>,
) -> Result<HttpResponse, ApiError> {
    let id = PromotionCodeId(path_id(&path)?);
    let mut body = body.value;
    if body.coupon_id.is_some() || body.code.is_some() {
        return Err(ApiError::invalid_param(
            if body.coupon_id.is_some() {
                "coupon_id"
            } else {
                "code"
            },
            "A promotion code's text and coupon are set when it is created; create a new code instead.",
        ));
    }
    let active = body.active.take();
    let restrictions = body.customer.is_some()
        || body.first_time_transaction.is_some()
        || body.minimum_amount.is_some()
        || body.minimum_amount_currency.is_some()
        || body.expires_at.is_some()
        || body.max_redemptions.is_some()
        || body.velocity_limit.is_some()
        || body.velocity_window.is_some();
    let promo = api
        .db(move |conn, store| {
            let (tz, actor) = (store.timezone.tz(), store.actor());
            if restrictions {
                use_case::patch(conn, store, actor, id, |input| body.apply(input, tz))
                    .map_err(error)?;
            }
            if let Some(active) = active {
                use_case::set_active(conn, store, actor, id, active).map_err(error)?;
            }
            object(conn, store, id)
        })
        .await?;
    Ok(super::ok(&promo))
}

/// `DELETE /api/v1/promotion_codes/{id}`: a redeemed code is kept (hidden)
/// for order history; `{"deleted": true}` either way.
pub async fn delete(api: Api<Write>, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let id = PromotionCodeId(path_id(&path)?);
    api.db(move |conn, store| use_case::delete(conn, store, store.actor(), id).map_err(error))
        .await?;
    Ok(super::ok(&DeletedObject::new("promotion_code", id.0)))
}

/// `POST /api/v1/promotion_codes/{id}/resume`: a code its velocity limit
/// paused may be redeemed again.
pub async fn resume(api: Api<Write>, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let id = PromotionCodeId(path_id(&path)?);
    let promo = api
        .db(move |conn, store| {
            use_case::resume(conn, store, store.actor(), id).map_err(error)?;
            object(conn, store, id)
        })
        .await?;
    Ok(super::ok(&promo))
}

/// `POST /api/v1/promotion_codes/{id}/rotate`: a new random code with the
/// same coupon, restrictions and remaining uses replaces this one; answers
/// the new code (201), whose `rotated_from` is this one.
pub async fn rotate(api: Api<Write>, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let id = PromotionCodeId(path_id(&path)?);
    let promo = api
        .db(move |conn, store| {
            let new = use_case::rotate(conn, store, store.actor(), id).map_err(error)?;
            object(conn, store, new)
        })
        .await?;
    Ok(super::created(&promo))
}
