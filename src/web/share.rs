//! Shareable URLs (`{base}/{store}?coupon={CODE}`) and their QR codes.

use actix_web::HttpResponse;
use qrcode::QrCode;
use qrcode::render::svg;

use crate::error::AppError;

pub use crate::domain::share::{base_url, share_url};

/// A URL as a QR code, rendered on the server as SVG.
pub fn qr_response(url: &str) -> Result<HttpResponse, AppError> {
    let code = QrCode::new(url.as_bytes()).map_err(AppError::internal)?;
    let image = code
        .render::<svg::Color>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build();
    Ok(HttpResponse::Ok()
        .content_type("image/svg+xml")
        .insert_header(("Cache-Control", "private, max-age=300"))
        .body(image))
}
