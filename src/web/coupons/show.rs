//! A coupon's page (terms, usage, share URL with QR code, activity log), its
//! QR code as SVG, and the lifecycle actions.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;

use super::view::CouponView;
use crate::db;
use crate::db::coupons::Lifecycle;
use crate::db::orders::OrderFilter;
use crate::domain::ids::CouponId;
use crate::domain::role::Role;
use crate::domain::states::CouponState;
use crate::error::AppError;
use crate::web::activity::EventView;
use crate::web::coupon_sets::SetView;
use crate::web::csrf::{CsrfForm, NoFields};
use crate::web::extract::{Manager, MinRole, StoreAccess, Viewer};
use crate::web::filters;
use crate::web::layout::{Layout, Section};
use crate::web::orders::Recent;
use crate::web::session::{FlashKind, flash};
use crate::web::share::{QrFormat, ShareCard, offered, qr_url};
use crate::web::{render_status, see_other};

#[derive(Template)]
#[template(path = "coupons/show.html")]
struct ShowPage {
    layout: Layout,
    base: String,
    coupon: CouponView,
    products: Vec<String>,
    promos: Vec<crate::web::promotion_codes::PromoView>,
    events: Vec<EventView>,
    recent: Recent,
    performance: crate::app::analytics::Performance,
    can_edit: bool,
    archived: bool,
    deleted: bool,
    sets: Vec<SetView>,
    /// The confirmation an archive asks for (none when no set code goes).
    archive_confirm: String,
    delete_confirm: String,
    share: ShareCard,
}

fn view_of<R: MinRole>(access: &StoreAccess<R>, coupon: &db::coupons::Coupon) -> CouponView {
    let base = access.share_base();
    CouponView::new(
        coupon,
        db::now(),
        access.store.timezone.tz(),
        &base,
        &access.store.slug,
    )
}

pub async fn show(
    access: StoreAccess<Viewer>,
    path: web::Path<(String, i64)>,
    query: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let loaded = super::load(&access, path.1).await?;
    let id = loaded.coupon.id;
    let store = access.store.clone();
    let filter = OrderFilter::Coupon(id);
    let (events, promos, orders, performance, sets) = crate::web::db(&access.state, move |conn| {
        let sets = crate::app::coupons::sets(conn, id)?;
        let events = crate::app::coupons::events(conn, id)?;
        let promos = crate::app::promotion_codes::for_coupon(conn, &store, id)?;
        let orders = Recent::load(conn, &store, filter)?;
        let performance = crate::app::analytics::for_code(
            conn,
            &store,
            crate::db::analytics::Scope::Coupon(id.0),
        )?;
        Ok::<_, db::DbError>((events, promos, orders, performance, sets))
    })
    .await?;
    let recent = Recent::new(&access, &orders, filter);
    let promos = crate::web::promotion_codes::views(&access, &promos);
    let tz = access.store.timezone.tz();
    let products = loaded
        .products
        .iter()
        .filter(|p| loaded.applies_to.contains(&p.id()))
        .map(|p| format!("{} ({})", p.name, p.billing().describe()))
        .collect();
    let coupon = view_of(&access, &loaded.coupon);
    let stake = crate::app::coupons::codes_at_stake(&sets).at_stake();
    let archive_confirm = if stake.is_empty() {
        String::new()
    } else {
        format!("Archive {}? {stake}", coupon.code)
    };
    let delete_confirm = format!(
        "Delete {}? It stops working for good and its code becomes free; orders keep their history.{}{stake}",
        coupon.code,
        if stake.is_empty() { "" } else { " " },
    );
    let remaining = loaded.coupon.facts().remaining();
    let sets = sets.iter().map(|s| SetView::new(s, remaining)).collect();
    let base = access.base_path();
    let share = ShareCard::new(
        &coupon.code,
        &coupon.share_url,
        format!("{base}/coupons/{id}/qr"),
        format!("{base}/coupons/{id}"),
        &offered(&loaded.products, &loaded.applies_to),
        &query,
    );
    let page = ShowPage {
        share,
        sets,
        archive_confirm,
        delete_confirm,
        layout: access.layout(Section::Coupons)?,
        base: access.base_path(),
        archived: coupon.is(CouponState::Archived),
        deleted: coupon.is(CouponState::Deleted),
        coupon,
        products,
        promos,
        events: EventView::list(events, tz),
        recent,
        performance,
        can_edit: access.role >= Role::Manager,
    };
    render_status(StatusCode::OK, &page)
}

/// The share URL (with the link builder's cart) as a QR code, SVG or PNG.
pub async fn qr(
    access: StoreAccess<Viewer>,
    path: web::Path<(String, i64, String)>,
    query: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let format = QrFormat::parse(&path.2)?;
    let store = access.store.clone();
    let id = CouponId(path.1);
    let coupon = crate::web::db(&access.state, move |conn| {
        crate::app::coupons::find_any(conn, &store, id)
    })
    .await?;
    let url = qr_url(&view_of(&access, &coupon).share_url, &query);
    crate::web::share::qr_response(&url, format)
}

/// "Coupon archived: …" and what went with it: "… Its sets: 1,004 unused
/// codes of 2 sets deleted, 3 used codes archived."
fn with_ended(message: &str, ended: &str) -> String {
    if ended.is_empty() {
        message.to_string()
    } else {
        format!("{message} Its sets: {ended}.")
    }
}

async fn lifecycle(
    access: StoreAccess<Manager>,
    id: i64,
    action: Lifecycle,
) -> Result<HttpResponse, AppError> {
    let store = access.store.clone();
    let user = access.actor();
    let changed = crate::web::db(&access.state, move |conn| {
        crate::app::coupons::change(conn, &store, user, CouponId(id), action)
    })
    .await?;
    let message = match (action, changed) {
        (Lifecycle::Archive, Some(ended)) => with_ended(
            "Coupon archived: no new redemptions until you unarchive it.",
            &ended.done(),
        ),
        (Lifecycle::Unarchive, Some(_)) => "Coupon unarchived: it can be redeemed again.".into(),
        (Lifecycle::Delete, Some(ended)) => with_ended(
            "Coupon deleted: its code is free for a new coupon; orders keep their history.",
            &ended.done(),
        ),
        (Lifecycle::Archive, None) => "The coupon was already archived.".into(),
        (Lifecycle::Unarchive, None) => "The coupon was not archived.".into(),
        (Lifecycle::Delete, None) => "The coupon was already deleted.".into(),
    };
    flash(&access.session, FlashKind::Success, &message)?;
    let target = match action {
        Lifecycle::Delete => format!("{}/coupons", access.base_path()),
        _ => format!("{}/coupons/{id}", access.base_path()),
    };
    Ok(see_other(&target))
}

pub async fn archive(
    access: StoreAccess<Manager>,
    path: web::Path<(String, i64)>,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    lifecycle(access, path.1, Lifecycle::Archive).await
}

pub async fn unarchive(
    access: StoreAccess<Manager>,
    path: web::Path<(String, i64)>,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    lifecycle(access, path.1, Lifecycle::Unarchive).await
}

pub async fn delete(
    access: StoreAccess<Manager>,
    path: web::Path<(String, i64)>,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    lifecycle(access, path.1, Lifecycle::Delete).await
}

/// Resumes a coupon its velocity limit paused.
pub async fn resume(
    access: StoreAccess<Manager>,
    path: web::Path<(String, i64)>,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let store = access.store.clone();
    let user = access.actor();
    let id = CouponId(path.1);
    let resumed = crate::web::db(&access.state, move |conn| {
        crate::app::coupons::resume(conn, &store, user, id)
    })
    .await?;
    let message = if resumed {
        "Coupon resumed: it can be redeemed again, and its velocity window counts from 0."
    } else {
        "The coupon was not paused."
    };
    flash(&access.session, FlashKind::Success, message)?;
    Ok(see_other(&format!(
        "{}/coupons/{}",
        access.base_path(),
        id.0
    )))
}
