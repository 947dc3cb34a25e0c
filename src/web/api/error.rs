//! The API's error object (SPEC 10): `{"error": {"type", "code",
//! "message", "param"}}`, with `errors` (every `{param, message}`) on 422.

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

use crate::domain::form_errors::FormErrors;
use crate::domain::redemption::Refusal;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: the body or a parameter cannot be read.
    #[error("bad request: {message}")]
    BadRequest {
        message: String,
        param: Option<String>,
    },
    /// 422: rules broken, every field with its message.
    #[error("invalid: {0:?}")]
    Invalid(Vec<FieldError>),
    #[error("unauthenticated: {0}")]
    Authentication(&'static str),
    #[error("forbidden: {0}")]
    Permission(&'static str),
    #[error("not found")]
    NotFound,
    #[error("idempotency: {0}")]
    Idempotency(&'static str),
    #[error("unsupported media type")]
    UnsupportedMediaType,
    /// 422 `redemption_refused`, the refusal key as its code.
    #[error("refused: {0:?}")]
    Refused(Refusal),
    /// 429; `code` is `rate_limited` or `too_many_attempts`.
    #[error("rate limited")]
    RateLimited {
        code: &'static str,
        message: String,
        retry_after: u64,
    },
    #[error("internal error: {0}")]
    Internal(Box<dyn std::error::Error + Send + Sync>),
}

/// One broken rule of a 422: the request's field and the form's message.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct FieldError {
    pub param: String,
    pub message: String,
}

/// The error object every failing request answers with.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Error)]
pub struct Body<'a> {
    error: Inner<'a>,
}

#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = ErrorDetail)]
struct Inner<'a> {
    #[serde(rename = "type")]
    kind: ErrorType,
    /// `parameter_invalid`, `resource_missing`, a refusal key, ...
    code: &'a str,
    message: &'a str,
    /// The first field at fault, if any.
    param: Option<&'a str>,
    /// On 422: every field at fault with its message.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<FieldError>>)]
    errors: Option<&'a [FieldError]>,
}

/// The error's family; `code` says which error of it.
#[derive(Serialize, Clone, Copy, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorType {
    InvalidRequest,
    Authentication,
    Permission,
    NotFound,
    Idempotency,
    RedemptionRefused,
    RateLimited,
    ApiError,
}

/// The API's name for a form field: the checkout's per-product fields are
/// the request's `lines`.
fn param_of(field: &str) -> String {
    if field.starts_with("quantity_") || field == crate::domain::checkout::PRODUCTS_FIELD {
        "lines".into()
    } else {
        field.to_string()
    }
}

impl ApiError {
    pub fn authentication(message: &'static str) -> ApiError {
        ApiError::Authentication(message)
    }

    pub fn permission(message: &'static str) -> ApiError {
        ApiError::Permission(message)
    }

    /// A 500 that keeps its cause (logged with its chain, never shown).
    pub fn internal(e: impl std::error::Error + Send + Sync + 'static) -> ApiError {
        ApiError::Internal(Box::new(e))
    }

    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::BadRequest {
            message: message.into(),
            param: None,
        }
    }

    /// 422 for one parameter.
    pub fn invalid_param(param: &str, message: impl Into<String>) -> ApiError {
        ApiError::Invalid(vec![FieldError {
            param: param.into(),
            message: message.into(),
        }])
    }

    /// 422 with the messages the form would show.
    pub fn invalid(errors: &FormErrors) -> ApiError {
        let mut list: Vec<FieldError> = Vec::new();
        for (field, message) in errors.iter() {
            let param = param_of(field);
            if !list
                .iter()
                .any(|e| e.param == param && e.message == message)
            {
                list.push(FieldError {
                    param,
                    message: message.to_string(),
                });
            }
        }
        ApiError::Invalid(list)
    }

    fn kind_and_code(&self) -> (ErrorType, &str) {
        match self {
            ApiError::BadRequest { .. } => (ErrorType::InvalidRequest, "invalid_request"),
            ApiError::Invalid(_) => (ErrorType::InvalidRequest, "parameter_invalid"),
            ApiError::Authentication(_) => (ErrorType::Authentication, "api_key_invalid"),
            ApiError::Permission(_) => (ErrorType::Permission, "scope_insufficient"),
            ApiError::NotFound => (ErrorType::NotFound, "resource_missing"),
            ApiError::Idempotency(_) => (ErrorType::Idempotency, "idempotency_conflict"),
            ApiError::UnsupportedMediaType => (ErrorType::InvalidRequest, "unsupported_media_type"),
            ApiError::Refused(r) => (ErrorType::RedemptionRefused, r.key()),
            ApiError::RateLimited { code, .. } => (ErrorType::RateLimited, code),
            ApiError::Internal(_) => (ErrorType::ApiError, "internal"),
        }
    }

    fn message(&self) -> String {
        match self {
            ApiError::BadRequest { message, .. } => message.clone(),
            ApiError::Invalid(list) => list
                .iter()
                .map(|e| e.message.as_str())
                .collect::<Vec<_>>()
                .join(" "),
            ApiError::Authentication(m) | ApiError::Permission(m) | ApiError::Idempotency(m) => {
                (*m).to_string()
            }
            ApiError::NotFound => "No such object in this store.".into(),
            ApiError::UnsupportedMediaType => {
                "Send the body as JSON, with `Content-Type: application/json`.".into()
            }
            ApiError::Refused(r) => r.message(),
            ApiError::RateLimited { message, .. } => message.clone(),
            ApiError::Internal(_) => {
                "An unexpected error happened on our side. It has been logged; please try again."
                    .into()
            }
        }
    }

    fn param(&self) -> Option<&str> {
        match self {
            ApiError::BadRequest { param, .. } => param.as_deref(),
            ApiError::Invalid(list) => list.first().map(|e| e.param.as_str()),
            ApiError::Refused(_) => Some("code"),
            _ => None,
        }
    }
}

impl From<crate::db::DbError> for ApiError {
    fn from(e: crate::db::DbError) -> Self {
        match e {
            crate::db::DbError::NotFound => ApiError::NotFound,
            e => ApiError::Internal(Box::new(e)),
        }
    }
}

impl From<crate::error::AppError> for ApiError {
    fn from(e: crate::error::AppError) -> Self {
        use crate::error::AppError;
        match e {
            AppError::NotFound | AppError::PublicNotFound => ApiError::NotFound,
            AppError::BadRequest(m) => ApiError::bad_request(m),
            AppError::Internal(e) => ApiError::Internal(e),
            e => ApiError::internal(e),
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::Invalid(_) | ApiError::Refused(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Authentication(_) => StatusCode::UNAUTHORIZED,
            ApiError::Permission(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::Idempotency(_) => StatusCode::CONFLICT,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let ApiError::Internal(e) = self {
            tracing::error!(error = %crate::error::cause_chain(e.as_ref()), "internal error (API)");
        }
        let mut response = HttpResponse::build(self.status_code());
        if let ApiError::Authentication(_) = self {
            response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        if let ApiError::RateLimited { retry_after, .. } = self {
            response.insert_header((header::RETRY_AFTER, retry_after.to_string()));
        }
        let message = self.message();
        response.json(self.body(&message))
    }
}

impl ApiError {
    /// The error object, with `message` (from `message()`).
    fn body<'a>(&'a self, message: &'a str) -> Body<'a> {
        let (kind, code) = self.kind_and_code();
        Body {
            error: Inner {
                kind,
                code,
                message,
                param: self.param(),
                errors: match self {
                    ApiError::Invalid(list) => Some(list),
                    _ => None,
                },
            },
        }
    }
}

/// The status and body of an error, as the idempotency store keeps them.
pub fn body_of(e: &ApiError) -> (u16, String) {
    let message = e.message();
    let body = serde_json::to_string(&e.body(&message)).unwrap_or_default();
    (e.status_code().as_u16(), body)
}
