//! JSON request bodies: `Content-Type: application/json` (else 415), and a
//! body that does not parse is a 400 that says why.

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;

use super::ApiError;

/// The largest body: an import of 10,000 codes fits.
pub const BODY_LIMIT: usize = 2 * 1024 * 1024;

/// A JSON body, with its raw bytes (the idempotency key's request hash).
pub struct ApiJson<T> {
    pub value: T,
    pub raw: web::Bytes,
}

fn is_json(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
}

impl<T: DeserializeOwned + 'static> FromRequest for ApiJson<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let json = is_json(req);
        let bytes = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            if !json {
                return Err(ApiError::UnsupportedMediaType);
            }
            let raw = bytes
                .await
                .map_err(|e| ApiError::bad_request(format!("The body could not be read: {e}.")))?;
            let value = parse(&raw)?;
            Ok(ApiJson { value, raw })
        })
    }
}

/// A JSON body as `T`; a 400 that says why when it is not.
pub fn parse<T: DeserializeOwned>(raw: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice::<T>(raw).map_err(|e| {
        ApiError::bad_request(format!("The body is not valid JSON for this request: {e}."))
    })
}

/// The canonical form of a JSON body (keys sorted), hashed: two bodies
/// that mean the same hash the same.
pub fn request_hash(raw: &[u8]) -> String {
    let canonical = serde_json::from_slice::<serde_json::Value>(raw)
        .map(|v| v.to_string())
        .unwrap_or_else(|_| String::from_utf8_lossy(raw).into_owned());
    crate::app::tokens::hash(&canonical)
}
