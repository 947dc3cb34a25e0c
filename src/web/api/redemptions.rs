//! `POST /api/v1/validations`, `POST /api/v1/redemptions` (with an
//! `Idempotency-Key`) and `POST /api/v1/redemptions/{id}/rollback`.

use std::collections::BTreeMap;

use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::error::body_of;
use super::json::request_hash;
use super::objects::RedemptionObject;
use super::{Api, ApiError, ApiJson, Ctx, Write, path_id};
use crate::app::redemptions::{
    self as use_case, Answer, CartRequest, RedeemRequest, Redeemed, Validation,
};
use crate::domain::ids::OrderId;
use crate::domain::redemption::Refusal;

/// A cart line: a product of the store and how many.
#[derive(Debug, Deserialize, Serialize, Clone, Copy, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = Line)]
pub struct LineBody {
    pub product_id: i64,
    pub quantity: i64,
}

/// A code and a cart to check it against (`email` for the customer
/// checks); nothing is redeemed.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ValidationRequest)]
pub struct ValidateBody {
    pub code: String,
    #[serde(default)]
    pub email: Option<String>,
    pub lines: Vec<LineBody>,
}

/// The validation's fields (with `email` required) plus `external_id` and
/// `metadata`, kept with the order.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = RedemptionRequest)]
pub struct RedeemBody {
    pub code: String,
    pub email: String,
    pub lines: Vec<LineBody>,
    #[serde(default)]
    pub external_id: Option<String>,
    #[serde(default)]
    pub metadata: Option<BTreeMap<String, String>>,
}

fn cart(code: String, email: String, lines: &[LineBody]) -> CartRequest {
    CartRequest {
        code,
        email,
        lines: lines.iter().map(|l| (l.product_id, l.quantity)).collect(),
    }
}

const EXTERNAL_ID_MAX: usize = 100;
const METADATA_PAIRS_MAX: usize = 20;
const METADATA_KEY_MAX: usize = 40;
const METADATA_VALUE_MAX: usize = 500;

impl RedeemBody {
    fn request(self) -> Result<RedeemRequest, ApiError> {
        let mut errors = Vec::new();
        let mut bad = |param: &str, message: String| {
            errors.push(super::error::FieldError {
                param: param.into(),
                message,
            })
        };
        if let Some(id) = &self.external_id
            && (id.chars().count() > EXTERNAL_ID_MAX || id.chars().any(char::is_control))
        {
            bad(
                "external_id",
                format!("Use at most {EXTERNAL_ID_MAX} characters, without control characters."),
            );
        }
        if let Some(pairs) = &self.metadata {
            if pairs.len() > METADATA_PAIRS_MAX {
                bad(
                    "metadata",
                    format!("Send at most {METADATA_PAIRS_MAX} metadata pairs."),
                );
            } else if pairs.iter().any(|(k, v)| {
                k.is_empty()
                    || k.chars().count() > METADATA_KEY_MAX
                    || v.chars().count() > METADATA_VALUE_MAX
            }) {
                bad(
                    "metadata",
                    format!(
                        "Metadata keys take 1 to {METADATA_KEY_MAX} characters and values at most {METADATA_VALUE_MAX}."
                    ),
                );
            }
        }
        if !errors.is_empty() {
            return Err(ApiError::Invalid(errors));
        }
        let metadata = match &self.metadata {
            Some(pairs) if !pairs.is_empty() => {
                Some(serde_json::to_string(pairs).map_err(ApiError::internal)?)
            }
            _ => None,
        };
        Ok(RedeemRequest {
            cart: cart(self.code, self.email, &self.lines),
            external_id: self.external_id.filter(|id| !id.is_empty()),
            metadata,
        })
    }
}

/// Whether the code applies to the cart, and for how much (amounts in
/// minor units); a refused code has `reason` and `message` instead.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Validation)]
pub struct ValidationObject {
    /// Always `validation`.
    object: &'static str,
    valid: bool,
    /// The code as stored.
    #[serde(skip_serializing_if = "Option::is_none")]
    code: Option<String>,
    /// `coupon`, `promotion_code` or `set_code`.
    #[serde(skip_serializing_if = "Option::is_none")]
    resolved_as: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    coupon_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    subtotal: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    discount: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    total: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    currency: Option<&'static str>,
    /// How a recurring discount continues, one sentence per billing
    /// interval ("20% off for the first 3 months, then $10.00/month").
    #[serde(skip_serializing_if = "Option::is_none")]
    schedule: Option<Vec<String>>,
    /// The refusal's key, as the checkout's `error_code`.
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<String>,
}

/// 429 `too_many_attempts` when this key has sent too many unknown codes.
fn check_guesses(ctx: &Ctx) -> Result<(), ApiError> {
    match ctx.guards.api_guess_wait(ctx.key().0) {
        None => Ok(()),
        Some(wait) => Err(ApiError::RateLimited {
            code: "too_many_attempts",
            message: "Too many unknown codes were sent with this key. For the store's security, codes are paused for this key: retry later.".into(),
            retry_after: wait.as_secs().max(1),
        }),
    }
}

/// `POST /api/v1/validations`: does the code apply, and for how much?
pub async fn validate(
    api: Api<super::Read>,
    body: ApiJson<ValidateBody>,
) -> Result<HttpResponse, ApiError> {
    let b = body.value;
    let request = cart(b.code, b.email.unwrap_or_default(), &b.lines);
    let (validation, guards, key) = api
        .db(move |conn, store| {
            check_guesses(store)?;
            let validation = use_case::validate(conn, store, &request, &store.tally)?;
            Ok((validation, store.guards.clone(), store.key()))
        })
        .await?;
    let object = match validation {
        Validation::Invalid(errors) => return Err(ApiError::invalid(&errors)),
        Validation::Valid(v) => ValidationObject {
            object: "validation",
            valid: true,
            code: Some(v.code),
            resolved_as: Some(v.resolved_as),
            coupon_id: Some(v.coupon_id.0),
            subtotal: Some(v.quote.subtotal),
            discount: Some(v.quote.discount),
            total: Some(v.quote.total),
            currency: Some(v.quote.currency.code()),
            schedule: Some(v.quote.schedule),
            reason: None,
            message: None,
        },
        Validation::Refused(refusal) => {
            if refusal == Refusal::UnknownCode {
                guards.api_unknown_code(key.0);
            }
            ValidationObject {
                object: "validation",
                valid: false,
                code: None,
                resolved_as: None,
                coupon_id: None,
                subtotal: None,
                discount: None,
                total: None,
                currency: None,
                schedule: None,
                reason: Some(refusal.key()),
                message: Some(refusal.message()),
            }
        }
    };
    Ok(super::ok(&object))
}

/// The `Idempotency-Key` header: required, 1-255 characters.
fn idempotency_key(req: &HttpRequest) -> Result<String, ApiError> {
    let bad = |message: &str| ApiError::BadRequest {
        message: message.into(),
        param: Some("Idempotency-Key".into()),
    };
    let value = req
        .headers()
        .get("idempotency-key")
        .ok_or_else(|| bad("Send an `Idempotency-Key` header (1-255 characters, e.g. a UUID): a retry with the same key never redeems twice."))?;
    let key = value
        .to_str()
        .map_err(|_| bad("The `Idempotency-Key` header must be visible ASCII."))?
        .trim();
    if key.is_empty() || key.len() > 255 {
        return Err(bad(
            "The `Idempotency-Key` header takes 1 to 255 characters.",
        ));
    }
    Ok(key.to_string())
}

fn answer(status: u16, body: String, replayed: bool) -> HttpResponse {
    let status = actix_web::http::StatusCode::from_u16(status)
        .unwrap_or(actix_web::http::StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = HttpResponse::build(status);
    response.content_type("application/json");
    if replayed {
        response.insert_header(("Idempotent-Replayed", "true"));
    }
    response.body(body)
}

/// `POST /api/v1/redemptions`: redeems the code once per idempotency key.
pub async fn redeem(
    api: Api<Write>,
    req: HttpRequest,
    body: ApiJson<RedeemBody>,
) -> Result<HttpResponse, ApiError> {
    let key = idempotency_key(&req)?;
    let hash = request_hash(&body.raw);
    let request = body.value.request()?;
    let answered = api
        .db(move |conn, store| {
            check_guesses(store)?;
            let (guards, caller) = (store.guards.clone(), store.key().0);
            let keep = guards.clone();
            Ok(use_case::redeem(
                conn,
                store,
                use_case::Idempotency {
                    key: &key,
                    request_hash: &hash,
                    running: &store.redeeming,
                },
                &request,
                move || keep.keep_api_refusal(caller),
                |redeemed| match redeemed {
                    Redeemed::Ordered(order) => (
                        201,
                        serde_json::to_string(&RedemptionObject::new(order)).unwrap_or_default(),
                    ),
                    Redeemed::Refused(refusal) => {
                        if *refusal == Refusal::UnknownCode {
                            guards.api_unknown_code(caller);
                        }
                        body_of(&ApiError::Refused(refusal.clone()))
                    }
                    Redeemed::Invalid(errors) => body_of(&ApiError::invalid(errors)),
                },
                &store.tally,
            )?)
        })
        .await?;
    match answered {
        Answer::Fresh { status, body } => Ok(answer(status, body, false)),
        Answer::Replay { status, body } => Ok(answer(status, body, true)),
        Answer::Mismatch => Err(ApiError::Idempotency(
            "This Idempotency-Key was used with another request body: use a new key for a new redemption.",
        )),
        Answer::InFlight => Err(ApiError::Idempotency(
            "The first request with this Idempotency-Key is still running: retry in a moment.",
        )),
    }
}

/// Why the redemption is rolled back (optional).
#[derive(Debug, Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = RollbackRequest)]
pub struct RollbackBody {
    #[serde(default)]
    pub reason: Option<String>,
}

/// `POST /api/v1/redemptions/{id}/rollback`: gives the redemption back (as
/// a staff refund); again, the same answer and nothing changes.
pub async fn rollback(
    api: Api<Write>,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let id = OrderId(path_id(&path)?);
    let mut reason = None;
    if !body.is_empty() {
        let parsed: RollbackBody = super::json::parse(&body)?;
        if parsed
            .reason
            .as_deref()
            .is_some_and(|r| r.chars().count() > 500 || r.chars().any(char::is_control))
        {
            return Err(ApiError::invalid_param(
                "reason",
                "Use at most 500 characters, without control characters.",
            ));
        }
        reason = parsed.reason;
    }
    let order = api
        .db(move |conn, store| {
            Ok(use_case::rollback(
                conn,
                store,
                id,
                store.key(),
                reason.as_deref(),
                &store.tally,
            )?)
        })
        .await?;
    Ok(super::ok(&RedemptionObject::new(&order)))
}
