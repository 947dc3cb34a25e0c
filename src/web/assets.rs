//! `/static/...`: the stylesheet and script, compiled into the binary so the
//! server runs from any directory with no network.

use actix_web::http::header::CACHE_CONTROL;
use actix_web::{HttpResponse, web};

use crate::error::AppError;

const FILES: [(&str, &str, &str); 4] = [
    (
        "css/app.css",
        "text/css; charset=utf-8",
        include_str!("../../static/css/app.css"),
    ),
    (
        "js/early.js",
        "text/javascript; charset=utf-8",
        include_str!("../../static/js/early.js"),
    ),
    (
        "js/app.js",
        "text/javascript; charset=utf-8",
        include_str!("../../static/js/app.js"),
    ),
    (
        "favicon.svg",
        "image/svg+xml",
        include_str!("../../static/favicon.svg"),
    ),
];

pub async fn serve(path: web::Path<String>) -> Result<HttpResponse, AppError> {
    let (_, mime, body) = FILES
        .iter()
        .find(|(name, _, _)| *name == path.as_str())
        .ok_or(AppError::NotFound)?;
    Ok(HttpResponse::Ok()
        .content_type(*mime)
        .insert_header((CACHE_CONTROL, "public, max-age=3600"))
        .body(*body))
}
