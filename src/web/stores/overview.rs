//! `/admin/s/{store}`: the store's home.

use askama::Template;
use askama_web::WebTemplate;

use crate::error::AppError;
use crate::web::extract::{StoreAccess, Viewer};
use crate::web::layout::{Layout, Section};

#[derive(Template, WebTemplate)]
#[template(path = "stores/overview.html")]
pub struct OverviewPage {
    layout: Layout,
    name: String,
    slug: String,
    currency: String,
    timezone: String,
    role: &'static str,
    share_base: String,
}

pub async fn show(access: StoreAccess<Viewer>) -> Result<OverviewPage, AppError> {
    let store = &access.store;
    let base = access.share_base();
    Ok(OverviewPage {
        layout: access.layout(Section::Overview)?,
        name: store.name.clone(),
        slug: store.slug.clone(),
        currency: store.currency.to_string(),
        timezone: store.timezone.name().to_string(),
        role: access.role.label(),
        share_base: format!("{base}/{}", store.slug),
    })
}
