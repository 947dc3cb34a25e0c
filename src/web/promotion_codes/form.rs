//! The promotion code form: new (with a coupon picker, or from a coupon's
//! page) and edit (restrictions and limits; the text and coupon stay).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::show::load;
use crate::app::promotion_codes::{self as use_case, PromoError};
use crate::domain::ids::PromotionCodeId;
use crate::domain::promotion::PromoInput;
use crate::error::AppError;
use crate::web::csrf::CsrfForm;
use crate::web::extract::{Manager, StoreAccess};
use crate::web::forms::FormErrors;
use crate::web::layout::{Layout, Section};
use crate::web::picker::CouponPicker;
use crate::web::session::{FlashKind, flash};
use crate::web::stores::form::Choices;
use crate::web::{render_status, see_other};

#[derive(Template)]
#[template(path = "promotion_codes/form.html")]
struct FormPage {
    layout: Layout,
    base: String,
    /// `Some((id, code))` when editing.
    editing: Option<(i64, String)>,
    form: PromoInput,
    errors: FormErrors,
    coupons: CouponPicker,
    choices: Choices,
}

/// The form; `q`: what the coupon picker searched for (a new code only:
/// an edit keeps its coupon and shows no picker).
async fn render(
    access: &StoreAccess<Manager>,
    status: StatusCode,
    editing: Option<(i64, String)>,
    form: PromoInput,
    errors: FormErrors,
    q: &str,
) -> Result<HttpResponse, AppError> {
    let store = access.store.clone();
    let selected = form.coupon_id.trim().parse().ok();
    let search = q.to_string();
    let picking = editing.is_none();
    let choices = crate::web::db(&access.state, move |conn| {
        if picking {
            crate::app::coupons::choices(conn, &store, &search, selected)
        } else {
            Ok(Vec::new())
        }
    })
    .await?;
    let base = access.base_path();
    let page = FormPage {
        layout: access.layout(Section::PromotionCodes)?,
        coupons: CouponPicker::new(&base, q, choices, selected),
        base,
        editing,
        form,
        errors,
        choices: Choices::get(),
    };
    render_status(status, &page)
}

#[derive(Debug, Default, Deserialize)]
pub struct NewParams {
    pub coupon_id: Option<i64>,
    #[serde(default)]
    pub coupon_q: String,
}

pub async fn new(
    access: StoreAccess<Manager>,
    params: web::Query<NewParams>,
) -> Result<HttpResponse, AppError> {
    let form = PromoInput {
        coupon_id: params.coupon_id.map(|c| c.to_string()).unwrap_or_default(),
        active: Some("on".into()),
        // A minimum is most often in the store's own currency.
        minimum_amount_currency: access.store.currency.to_string(),
        ..PromoInput::default()
    };
    render(
        &access,
        StatusCode::OK,
        None,
        form,
        FormErrors::default(),
        &params.coupon_q,
    )
    .await
}

/// After a write: the code's page with `message`, or the form again with
/// the reason beside its field.
async fn finish(
    access: &StoreAccess<Manager>,
    written: Result<PromotionCodeId, PromoError>,
    message: &str,
    editing: Option<(i64, String)>,
    form: PromoInput,
) -> Result<HttpResponse, AppError> {
    match written {
        Ok(id) => {
            flash(&access.session, FlashKind::Success, message)?;
            Ok(see_other(&format!(
                "{}/promotion-codes/{id}",
                access.base_path()
            )))
        }
        Err(PromoError::Invalid(errors)) => {
            render(
                access,
                StatusCode::UNPROCESSABLE_ENTITY,
                editing,
                form,
                errors,
                "",
            )
            .await
        }
        Err(PromoError::NotFound) => Err(AppError::NotFound),
        Err(PromoError::Db(e)) => Err(e.into()),
    }
}

pub async fn create(
    access: StoreAccess<Manager>,
    CsrfForm(form): CsrfForm<PromoInput>,
) -> Result<HttpResponse, AppError> {
    let store = access.store.clone();
    let user = access.actor();
    let input = form.clone();
    let created = crate::web::db(&access.state, move |conn| {
        Ok::<_, AppError>(use_case::create(conn, &store, user, &input))
    })
    .await?;
    finish(&access, created, "Promotion code created.", None, form).await
}

pub async fn edit(
    access: StoreAccess<Manager>,
    path: web::Path<(String, i64)>,
) -> Result<HttpResponse, AppError> {
    let promo = load(&access, path.1).await?;
    let tz = access.store.timezone.tz();
    let row = &promo.row;
    let form = crate::app::promotion_codes::input_of(&promo, tz);
    render(
        &access,
        StatusCode::OK,
        Some((row.id, row.code.clone())),
        form,
        FormErrors::default(),
        "",
    )
    .await
}

pub async fn update(
    access: StoreAccess<Manager>,
    path: web::Path<(String, i64)>,
    CsrfForm(mut form): CsrfForm<PromoInput>,
) -> Result<HttpResponse, AppError> {
    let store = access.store.clone();
    let user = access.actor();
    let id = PromotionCodeId(path.1);
    let input = form.clone();
    let saved = crate::web::db(&access.state, move |conn| {
        Ok::<_, AppError>(use_case::update(conn, &store, user, id, &input))
    })
    .await?;
    // Read again only to show the form: the text and the coupon never
    // change after creation (the use case keeps them too).
    let editing = match &saved {
        Err(PromoError::Invalid(_)) => {
            let promo = load(&access, id.0).await?;
            form.coupon_id = promo.row.coupon_id.to_string();
            form.code = promo.row.code.clone();
            form.active = promo.row.active.then(|| "on".into());
            Some((promo.row.id, promo.row.code))
        }
        _ => None,
    };
    let saved = saved.map(|()| id);
    finish(&access, saved, "Promotion code saved.", editing, form).await
}
