//! Shareable URLs (`{base}/{store}?coupon={CODE}`), their QR codes (SVG
//! and PNG) and the share card's link builder (a cart pre-filled by
//! `quantity_{id}` in the URL).

use std::io::Write;

use actix_web::HttpResponse;
use qrcode::render::svg;
use qrcode::{Color, QrCode};

use crate::db::products::Product;
use crate::domain::ids::ProductId;
use crate::error::AppError;

pub use crate::domain::share::{base_url, share_url};
use crate::domain::share::{cart_of, cart_query, with_cart};

/// The QR code's image format, from the path's extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QrFormat {
    Svg,
    Png,
}

impl QrFormat {
    /// `svg` or `png`; anything else is a page that does not exist.
    pub fn parse(ext: &str) -> Result<QrFormat, AppError> {
        match ext {
            "svg" => Ok(QrFormat::Svg),
            "png" => Ok(QrFormat::Png),
            _ => Err(AppError::NotFound),
        }
    }
}

/// A URL as a QR code, rendered on the server.
pub fn qr_response(url: &str, format: QrFormat) -> Result<HttpResponse, AppError> {
    let code = QrCode::new(url.as_bytes()).map_err(AppError::internal)?;
    let mut response = HttpResponse::Ok();
    response.insert_header(("Cache-Control", "private, max-age=300"));
    Ok(match format {
        QrFormat::Svg => response.content_type("image/svg+xml").body(
            code.render::<svg::Color>()
                .min_dimensions(200, 200)
                .quiet_zone(true)
                .build(),
        ),
        QrFormat::Png => response
            .content_type("image/png")
            .body(png(&code).map_err(AppError::internal)?),
    })
}

/// Pixels per module in the PNG, and the quiet zone in modules.
const PNG_SCALE: usize = 10;
const QUIET: usize = 4;

/// The QR code as a greyscale PNG (8 bits, black on white, 10 pixels a
/// module, a 4-module quiet zone): big enough to print. PNG is a few
/// chunks around a zlib stream; flate2 and crc32fast do the compression
/// and checksums.
fn png(code: &QrCode) -> std::io::Result<Vec<u8>> {
    let modules = code.width();
    let colors = code.to_colors();
    let side = (modules + 2 * QUIET) * PNG_SCALE;
    let mut raw = Vec::with_capacity(side * (side + 1));
    for y in 0..side {
        raw.push(0); // filter: none
        let my = (y / PNG_SCALE).checked_sub(QUIET).filter(|m| *m < modules);
        for x in 0..side {
            let mx = (x / PNG_SCALE).checked_sub(QUIET).filter(|m| *m < modules);
            let dark = match (mx, my) {
                (Some(mx), Some(my)) => colors[my * modules + mx] == Color::Dark,
                _ => false,
            };
            raw.push(if dark { 0 } else { 255 });
        }
    }
    let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    zlib.write_all(&raw)?;
    let data = zlib.finish()?;
    let side = u32::try_from(side).map_err(std::io::Error::other)?;
    let mut header = Vec::with_capacity(13);
    header.extend(side.to_be_bytes());
    header.extend(side.to_be_bytes());
    // 8-bit greyscale, deflate, adaptive filtering, no interlace.
    header.extend([8, 0, 0, 0, 0]);
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    chunk(&mut out, b"IHDR", &header)?;
    chunk(&mut out, b"IDAT", &data)?;
    chunk(&mut out, b"IEND", &[])?;
    Ok(out)
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) -> std::io::Result<()> {
    let len = u32::try_from(data.len()).map_err(std::io::Error::other)?;
    out.extend(len.to_be_bytes());
    out.extend(kind);
    out.extend(data);
    let mut crc = crc32fast::Hasher::new();
    crc.update(kind);
    crc.update(data);
    out.extend(crc.finalize().to_be_bytes());
    Ok(())
}

/// A product the link builder offers, with the quantity the link has.
pub struct CartChoice {
    pub id: i64,
    pub name: String,
    /// "$19.00 per month".
    pub price: String,
    /// 0 when the link does not add it.
    pub quantity: i64,
}

/// The share card: the URL (with the cart the link builder chose), its QR
/// code in both formats, and the products the builder offers.
pub struct ShareCard {
    pub code: String,
    /// The URL without a cart (the builder's JavaScript starts from it).
    pub plain_url: String,
    /// The URL with the chosen cart.
    pub url: String,
    /// The QR code's path without its extension, e.g. `.../coupons/5/qr`.
    pub qr_path: String,
    /// `?quantity_3=2` for the QR code's path, or empty.
    pub qr_query: String,
    /// The page that shows the card (the builder's form reloads it).
    pub page: String,
    pub products: Vec<CartChoice>,
}

impl ShareCard {
    /// `offered`: the products a link may pre-fill; `pairs`: the page's
    /// query, whose `quantity_{id}` (for offered products) make the cart.
    pub fn new(
        code: &str,
        plain_url: &str,
        qr_path: String,
        page: String,
        offered: &[&Product],
        pairs: &[(String, String)],
    ) -> ShareCard {
        let cart: Vec<(i64, i64)> = cart_of(pairs)
            .into_iter()
            .filter(|(id, _)| offered.iter().any(|p| p.id == *id))
            .collect();
        let query = cart_query(&cart);
        ShareCard {
            code: code.to_string(),
            plain_url: plain_url.to_string(),
            url: with_cart(plain_url, &cart),
            qr_path,
            qr_query: if query.is_empty() {
                String::new()
            } else {
                format!("?{query}")
            },
            page,
            products: offered
                .iter()
                .map(|p| CartChoice {
                    id: p.id,
                    name: p.name.clone(),
                    price: match p.billing() {
                        crate::domain::product::Billing::OneTime => p.currency.display(p.price),
                        billing => {
                            format!("{} {}", p.currency.display(p.price), billing.describe())
                        }
                    },
                    quantity: cart
                        .iter()
                        .find(|(id, _)| *id == p.id)
                        .map_or(0, |(_, n)| *n),
                })
                .collect(),
        }
    }

    pub fn has_cart(&self) -> bool {
        !self.qr_query.is_empty()
    }
}

/// The products a share link may pre-fill: the store's live products the
/// coupon covers (all of them when it is not limited), at most 50.
pub fn offered<'a>(products: &'a [Product], applies_to: &[ProductId]) -> Vec<&'a Product> {
    products
        .iter()
        .filter(|p| p.archived_at.is_none())
        .filter(|p| applies_to.is_empty() || applies_to.contains(&p.id()))
        .take(50)
        .collect()
}

/// The share URL of a code's QR code request: the page's URL plus the
/// cart its `quantity_{id}` parameters ask for.
pub fn qr_url(plain_url: &str, pairs: &[(String, String)]) -> String {
    with_cart(plain_url, &cart_of(pairs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_png_is_a_valid_greyscale_image_of_the_code() {
        let code = QrCode::new(b"https://shop.example/acme?coupon=SUMMER10").expect("a code");
        let bytes = png(&code).expect("a PNG");
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
        assert_eq!(&bytes[12..16], b"IHDR");
        let side = (code.width() + 2 * QUIET) * PNG_SCALE;
        let width = u32::from_be_bytes([bytes[16], bytes[17], bytes[18], bytes[19]]);
        assert_eq!(width as usize, side);
        // Each chunk's CRC checks, and the pixels decompress to the modules.
        let mut at = 8;
        let mut idat = Vec::new();
        while at < bytes.len() {
            let len = u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
                as usize;
            let body = &bytes[at + 4..at + 8 + len];
            let crc = &bytes[at + 8 + len..at + 12 + len];
            assert_eq!(crc32fast::hash(body).to_be_bytes(), crc);
            if &body[..4] == b"IDAT" {
                idat.extend(&body[4..]);
            }
            at += 12 + len;
        }
        let mut raw = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::ZlibDecoder::new(&idat[..]), &mut raw)
            .expect("zlib");
        assert_eq!(raw.len(), side * (side + 1));
        // The top-left finder pattern's corner is dark, the quiet zone white.
        let pixel = |x: usize, y: usize| raw[y * (side + 1) + 1 + x];
        assert_eq!(pixel(0, 0), 255);
        assert_eq!(pixel(QUIET * PNG_SCALE, QUIET * PNG_SCALE), 0);
        let colors = code.to_colors();
        let dark = colors.iter().filter(|c| **c == Color::Dark).count() * PNG_SCALE * PNG_SCALE;
        assert_eq!(
            raw.iter().filter(|p| **p == 0).count(),
            dark + side,
            "dark pixels and one filter byte a row"
        );
    }
}
