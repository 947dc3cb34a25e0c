//! Shareable URLs (`{base}/{store}?coupon={CODE}`) and their QR codes.

use actix_web::HttpResponse;
use qrcode::QrCode;
use qrcode::render::svg;

use crate::error::AppError;

/// `{base}/{store_slug}?coupon={code}`, the code percent-encoded.
pub fn share_url(base: &str, store_slug: &str, code: &str) -> String {
    let code: String = url::form_urlencoded::byte_serialize(code.as_bytes()).collect();
    format!("{base}/{store_slug}?coupon={code}")
}

/// The base of shareable URLs: the store's own, or the server's.
pub fn base_url(store_base: Option<&str>, server_base: &str) -> String {
    store_base
        .unwrap_or(server_base)
        .trim_end_matches('/')
        .to_string()
}

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
