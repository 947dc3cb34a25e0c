//! `/{store}/orders/{public_id}`: the receipt. Its address holds 128 random
//! bits, so only the buyer (and staff) can find it.

use actix_web::web;
use askama::Template;
use askama_web::WebTemplate;

use crate::error::AppError;
use crate::web::AppState;
use crate::web::orders::view::OrderView;

#[derive(Template, WebTemplate)]
#[template(path = "checkout/receipt.html")]
pub struct ReceiptPage {
    store_name: String,
    slug: String,
    order: OrderView,
}

pub async fn show(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<ReceiptPage, AppError> {
    let (slug, public_id) = path.into_inner();
    if public_id.len() != 32 || !public_id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(AppError::PublicNotFound);
    }
    let (store, order) = crate::web::db(&state, move |conn| {
        crate::app::orders::receipt(conn, &slug, &public_id)
    })
    .await
    .map_err(AppError::public)?;
    Ok(ReceiptPage {
        store_name: store.name.clone(),
        slug: store.slug.clone(),
        order: OrderView::new(&order, store.timezone.tz()),
    })
}
