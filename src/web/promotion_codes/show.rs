//! A promotion code's page, its QR code, and deactivate / reactivate / delete.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;

use super::{PromoView, view};
use crate::app::promotion_codes::{self as use_case, PromoError};
use crate::db;
use crate::db::orders::OrderFilter;
use crate::db::promotion_codes::Promotion;
use crate::domain::ids::PromotionCodeId;
use crate::domain::role::Role;
use crate::error::AppError;
use crate::web::activity::EventView;
use crate::web::csrf::{CsrfForm, NoFields};
use crate::web::extract::{Manager, MinRole, StoreAccess, Viewer};
use crate::web::filters;
use crate::web::layout::{Layout, Section};
use crate::web::orders::Recent;
use crate::web::session::{FlashKind, flash};
use crate::web::share::{QrFormat, ShareCard, offered, qr_url};
use crate::web::{render_status, see_other};

#[derive(Template)]
#[template(path = "promotion_codes/show.html")]
struct ShowPage {
    layout: Layout,
    base: String,
    promo: PromoView,
    events: Vec<EventView>,
    recent: Recent,
    can_edit: bool,
    rotation: use_case::Rotation,
    performance: crate::app::analytics::Performance,
    share: ShareCard,
}

pub async fn load<R: MinRole>(access: &StoreAccess<R>, id: i64) -> Result<Promotion, AppError> {
    let store = access.store.clone();
    crate::web::db(&access.state, move |conn| {
        crate::app::promotion_codes::find(conn, &store, PromotionCodeId(id)).map_err(promo_error)
    })
    .await
}

pub async fn show(
    access: StoreAccess<Viewer>,
    path: web::Path<(String, i64)>,
    query: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let promo = load(&access, path.1).await?;
    let id = promo.id();
    let store = access.store.clone();
    let filter = OrderFilter::Promotion(id);
    let loaded = promo.clone();
    let coupon = promo.coupon.id;
    let (events, orders, rotation, performance, products) =
        crate::web::db(&access.state, move |conn| {
            let (_, applies_to, products) =
                crate::app::coupons::with_products(conn, &store, coupon)?;
            let products: Vec<_> = offered(&products, &applies_to)
                .into_iter()
                .cloned()
                .collect();
            let events = crate::app::promotion_codes::events(conn, id)?;
            let orders = Recent::load(conn, &store, filter)?;
            let rotation = use_case::rotation(conn, &store, &loaded)?;
            let performance = crate::app::analytics::for_code(
                conn,
                &store,
                crate::db::analytics::Scope::Promotion(id.0),
            )?;
            Ok::<_, db::DbError>((events, orders, rotation, performance, products))
        })
        .await?;
    let recent = Recent::new(&access, &orders, filter);
    let tz = access.store.timezone.tz();
    let promo = view(&access, &promo);
    let base = access.base_path();
    let share = ShareCard::new(
        &promo.code,
        &promo.share_url,
        format!("{base}/promotion-codes/{id}/qr"),
        format!("{base}/promotion-codes/{id}"),
        &products.iter().collect::<Vec<_>>(),
        &query,
    );
    let page = ShowPage {
        share,
        layout: access.layout(Section::PromotionCodes)?,
        base,
        promo,
        events: EventView::list(events, tz),
        recent,
        can_edit: access.role >= Role::Manager,
        rotation,
        performance,
    };
    render_status(StatusCode::OK, &page)
}

pub async fn qr(
    access: StoreAccess<Viewer>,
    path: web::Path<(String, i64, String)>,
    query: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let format = QrFormat::parse(&path.2)?;
    let promo = load(&access, path.1).await?;
    let view = view(&access, &promo);
    crate::web::share::qr_response(&qr_url(&view.share_url, &query), format)
}

async fn set_active(
    access: StoreAccess<Manager>,
    id: i64,
    active: bool,
) -> Result<HttpResponse, AppError> {
    let store = access.store.clone();
    let user = access.actor();
    let result = crate::web::db(&access.state, move |conn| {
        Ok::<_, AppError>(use_case::set_active(
            conn,
            &store,
            user,
            PromotionCodeId(id),
            active,
        ))
    })
    .await?;
    let (kind, message) = match result {
        Ok(p) if active => (
            FlashKind::Success,
            format!("{} is active again.", p.row.code),
        ),
        Ok(p) => (
            FlashKind::Success,
            format!(
                "{} is deactivated; its text is free for a new code.",
                p.row.code
            ),
        ),
        Err(PromoError::Invalid(errors)) => (FlashKind::Error, errors.summary()),
        Err(PromoError::NotFound) => return Err(AppError::NotFound),
        Err(PromoError::Db(e)) => return Err(e.into()),
    };
    flash(&access.session, kind, message)?;
    Ok(see_other(&format!(
        "{}/promotion-codes/{id}",
        access.base_path()
    )))
}

pub async fn deactivate(
    access: StoreAccess<Manager>,
    path: web::Path<(String, i64)>,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    set_active(access, path.1, false).await
}

pub async fn reactivate(
    access: StoreAccess<Manager>,
    path: web::Path<(String, i64)>,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    set_active(access, path.1, true).await
}

/// Resumes a code its velocity limit paused.
pub async fn resume(
    access: StoreAccess<Manager>,
    path: web::Path<(String, i64)>,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let store = access.store.clone();
    let user = access.actor();
    let id = PromotionCodeId(path.1);
    let resumed = crate::web::db(&access.state, move |conn| {
        use_case::resume(conn, &store, user, id).map_err(promo_error)
    })
    .await?;
    let message = if resumed {
        "Promotion code resumed: it can be redeemed again, and its velocity window counts from 0."
    } else {
        "The promotion code was not paused."
    };
    flash(&access.session, FlashKind::Success, message)?;
    Ok(see_other(&format!(
        "{}/promotion-codes/{}",
        access.base_path(),
        id.0
    )))
}

/// Rotates a code: a new random one replaces it; answers with the new
/// code's page.
pub async fn rotate(
    access: StoreAccess<Manager>,
    path: web::Path<(String, i64)>,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let store = access.store.clone();
    let user = access.actor();
    let id = PromotionCodeId(path.1);
    let result = crate::web::db(&access.state, move |conn| {
        Ok::<_, AppError>(use_case::rotate(conn, &store, user, id))
    })
    .await?;
    let base = access.base_path();
    match result {
        Ok(new) => {
            flash(
                &access.session,
                FlashKind::Success,
                "Rotated: this new code replaces the old one, which is now inactive for good. Share the new URL.",
            )?;
            Ok(see_other(&format!("{base}/promotion-codes/{}", new.0)))
        }
        Err(PromoError::Invalid(errors)) => {
            flash(&access.session, FlashKind::Error, errors.summary())?;
            Ok(see_other(&format!("{base}/promotion-codes/{}", id.0)))
        }
        Err(e) => Err(promo_error(e)),
    }
}

fn promo_error(e: PromoError) -> AppError {
    match e {
        PromoError::NotFound => AppError::NotFound,
        PromoError::Db(e) => AppError::from(e),
        PromoError::Invalid(errors) => AppError::BadRequest(errors.summary()),
    }
}

pub async fn delete(
    access: StoreAccess<Manager>,
    path: web::Path<(String, i64)>,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let store = access.store.clone();
    let user = access.actor();
    let id = PromotionCodeId(path.1);
    let kept = crate::web::db(&access.state, move |conn| {
        use_case::delete(conn, &store, user, id).map_err(promo_error)
    })
    .await?;
    let message = if kept {
        "Promotion code deleted. It was redeemed, so it is kept (hidden) for order history."
    } else {
        "Promotion code deleted."
    };
    flash(&access.session, FlashKind::Success, message)?;
    Ok(see_other(&format!(
        "{}/promotion-codes",
        access.base_path()
    )))
}
