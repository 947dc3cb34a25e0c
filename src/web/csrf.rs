//! `CsrfForm<T>`: the only way a handler reads a POSTed form. It refuses the
//! request with 403 unless the form's `csrf_token` matches the session's, so
//! no handler can forget the check.

use actix_session::{Session, SessionExt};
use actix_web::dev::Payload;
use actix_web::web::Bytes;
use actix_web::{FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;

use crate::error::AppError;

pub struct CsrfForm<T>(pub T);

/// A form with no fields but the token (archive, delete, logout...).
#[derive(Debug, serde::Deserialize)]
pub struct NoFields {}

/// Largest form body read, in bytes.
const LIMIT: usize = 256 * 1024;

impl<T: DeserializeOwned + 'static> FromRequest for CsrfForm<T> {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let session: Session = req.get_session();
        let body = Bytes::from_request(req, payload);
        Box::pin(async move {
            let body = body
                .await
                .map_err(|e| AppError::BadRequest(format!("The form could not be read: {e}.")))?;
            if body.len() > LIMIT {
                return Err(AppError::BadRequest("The form is too large.".into()));
            }
            let token = url::form_urlencoded::parse(&body)
                .find(|(key, _)| key == "csrf_token")
                .map(|(_, value)| value.into_owned());
            super::session::check_csrf(&session, token.as_deref())?;
            serde_html_form::from_bytes::<T>(&body)
                .map(CsrfForm)
                .map_err(|e| AppError::BadRequest(format!("The form could not be read: {e}.")))
        })
    }
}
