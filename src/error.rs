//! Every error a request can end in, and the page each one shows.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, ContentType};
use actix_web::{HttpResponse, ResponseError};
use askama::Template;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    /// Not found on a customer-facing page: no link into the admin.
    #[error("not found (public page)")]
    PublicNotFound,
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    #[error("missing or wrong CSRF token")]
    Csrf,
    #[error("login required")]
    LoginRequired,
    #[error("too many requests: {0}")]
    TooManyRequests(String),
    /// Too many unknown codes from one client (`too_many_attempts`), on a
    /// customer-facing page.
    #[error("too many attempts: {0}")]
    TooManyAttempts(String),
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("internal error: {0}")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl AppError {
    /// The same error, for a customer-facing page.
    pub fn public(self) -> AppError {
        match self {
            AppError::NotFound => AppError::PublicNotFound,
            e => e,
        }
    }

    pub fn internal(e: impl std::error::Error + Send + Sync + 'static) -> AppError {
        AppError::Internal(Box::new(e))
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        match e {
            diesel::result::Error::NotFound => AppError::NotFound,
            e => AppError::internal(e),
        }
    }
}

macro_rules! internal_from {
    ($($t:ty),*) => {$(
        impl From<$t> for AppError {
            fn from(e: $t) -> Self {
                AppError::internal(e)
            }
        }
    )*};
}

internal_from!(
    diesel::r2d2::PoolError,
    actix_web::error::BlockingError,
    askama::Error,
    actix_session::SessionInsertError,
    actix_session::SessionGetError,
    argon2::password_hash::Error
);

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    status: u16,
    title: &'a str,
    message: &'a str,
    /// The way back, for staff pages.
    admin_link: bool,
}

/// The error's cause chain, for the log.
pub fn cause_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::NotFound | AppError::PublicNotFound => StatusCode::NOT_FOUND,
            AppError::Forbidden(_) | AppError::Csrf => StatusCode::FORBIDDEN,
            AppError::LoginRequired => StatusCode::SEE_OTHER,
            AppError::TooManyRequests(_) | AppError::TooManyAttempts(_) => {
                StatusCode::TOO_MANY_REQUESTS
            }
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        let (title, message): (&str, String) = match self {
            AppError::LoginRequired => {
                return HttpResponse::SeeOther()
                    .insert_header((header::LOCATION, "/admin/login"))
                    .finish();
            }
            AppError::NotFound => (
                "Page not found",
                "There is nothing here. Check the address, or go back to your stores.".into(),
            ),
            AppError::PublicNotFound => (
                "Page not found",
                "There is nothing here. Check the address you were given.".into(),
            ),
            AppError::Forbidden(why) => ("Not allowed", format!("Your role does not allow this: {why}.")),
            AppError::Csrf => (
                "Form expired",
                "This form was missing its security token or it had expired. Go back, reload the page and try again."
                    .into(),
            ),
            AppError::TooManyRequests(msg) | AppError::TooManyAttempts(msg) => {
                ("Too many attempts", msg.clone())
            }
            AppError::BadRequest(msg) => ("Bad request", msg.clone()),
            AppError::Internal(e) => {
                tracing::error!(error = %cause_chain(e.as_ref()), "internal error");
                (
                    "Something went wrong",
                    "An unexpected error happened on our side. It has been logged; please try again."
                        .into(),
                )
            }
        };
        let page = ErrorPage {
            status: status.as_u16(),
            title,
            message: &message,
            admin_link: !matches!(
                self,
                AppError::PublicNotFound | AppError::TooManyAttempts(_)
            ),
        };
        let body = page.render().unwrap_or_else(|_| title.to_string());
        HttpResponse::build(status)
            .content_type(ContentType::html())
            .body(body)
    }
}
