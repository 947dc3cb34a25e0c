//! `/admin/s/{store}`: the store's home.

use askama::Template;
use askama_web::WebTemplate;

use crate::db::velocity::Code;
use crate::domain::time;
use crate::error::AppError;
use crate::web::extract::{StoreAccess, Viewer};
use crate::web::filters;
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
    /// `(href, code, what, paused at)` of every paused code.
    paused: Vec<(String, String, &'static str, String)>,
    dashboard: crate::app::stores::Dashboard,
    /// `(href, code, expires)` of coupons ending within 7 days.
    expiring: Vec<(String, String, String)>,
    admin: String,
}

pub async fn show(access: StoreAccess<Viewer>) -> Result<OverviewPage, AppError> {
    let loaded = access.store.clone();
    let (paused, dashboard) = crate::web::db(&access.state, move |conn| {
        let paused = crate::app::stores::paused_codes(conn, &loaded)?;
        let dashboard = crate::app::stores::dashboard(conn, &loaded)?;
        Ok::<_, crate::db::DbError>((paused, dashboard))
    })
    .await?;
    let store = &access.store;
    let base = access.share_base();
    let admin = access.base_path();
    let tz = store.timezone.tz();
    let paused = paused
        .into_iter()
        .map(|p| {
            let (href, what) = match p.code {
                Code::Coupon(id) => (format!("{admin}/coupons/{}", id.0), "coupon"),
                Code::PromotionCode(id) => (
                    format!("{admin}/promotion-codes/{}", id.0),
                    "promotion code",
                ),
            };
            (href, p.text, what, time::display(p.paused_at, tz))
        })
        .collect();
    let expiring = dashboard
        .expiring
        .iter()
        .map(|(id, code, at)| {
            (
                format!("{admin}/coupons/{id}"),
                code.clone(),
                time::display(*at, tz),
            )
        })
        .collect();
    Ok(OverviewPage {
        paused,
        dashboard,
        expiring,
        admin,
        layout: access.layout(Section::Overview)?,
        name: store.name.clone(),
        slug: store.slug.clone(),
        currency: store.currency.to_string(),
        timezone: store.timezone.name().to_string(),
        role: access.role.label(),
        share_base: format!("{base}/{}", store.slug),
    })
}
