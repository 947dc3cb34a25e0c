//! The promotion code form: new (with a coupon picker, or from a coupon's
//! page) and edit (restrictions and limits; the text and coupon stay).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::list::CouponOption;
use super::show::{clash_message, load};
use crate::db;
use crate::db::promotion_codes::PromoWriteError;
use crate::domain::ids::{CouponId, PromotionCodeId};
use crate::domain::money::CurrencyCode;
use crate::domain::promotion::{self, CouponLimits, PromoContext, PromoInput, PromoState};
use crate::domain::time;
use crate::error::AppError;
use crate::web::csrf::CsrfForm;
use crate::web::extract::{Manager, StoreAccess};
use crate::web::forms::FormErrors;
use crate::web::layout::{Layout, Section};
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
    coupons: Vec<CouponOption>,
    choices: Choices,
}

async fn render(
    access: &StoreAccess<Manager>,
    status: StatusCode,
    editing: Option<(i64, String)>,
    form: PromoInput,
    errors: FormErrors,
) -> Result<HttpResponse, AppError> {
    let store = access.store.id();
    let choices = crate::web::db(&access.state, move |conn| {
        db::promotion_codes::coupon_choices(conn, store)
    })
    .await?;
    let page = FormPage {
        layout: access.layout(Section::PromotionCodes)?,
        base: access.base_path(),
        editing,
        coupons: CouponOption::list(choices, form.coupon_id.trim().parse().ok()),
        form,
        errors,
        choices: Choices::get(),
    };
    render_status(status, &page)
}

#[derive(Debug, Default, Deserialize)]
pub struct NewParams {
    pub coupon_id: Option<i64>,
}

pub async fn new(
    access: StoreAccess<Manager>,
    params: web::Query<NewParams>,
) -> Result<HttpResponse, AppError> {
    let form = PromoInput {
        coupon_id: params.coupon_id.map(|c| c.to_string()).unwrap_or_default(),
        active: Some("on".into()),
        ..PromoInput::default()
    };
    render(&access, StatusCode::OK, None, form, FormErrors::default()).await
}

/// The limits of the chosen coupon, if it is a live coupon of the store.
async fn coupon_limits(
    access: &StoreAccess<Manager>,
    raw_id: &str,
) -> Result<Option<CouponLimits>, AppError> {
    let Ok(id) = raw_id.trim().parse::<i64>() else {
        return Ok(None);
    };
    let store = access.store.id();
    let coupon = crate::web::db(&access.state, move |conn| {
        db::coupons::find_live(conn, store, CouponId(id)).optional_found()
    })
    .await?;
    Ok(coupon.map(|c| CouponLimits {
        redeem_by: c.redeem_by,
        max_redemptions: c.max_redemptions,
    }))
}

trait OptionalFound<T> {
    fn optional_found(self) -> Result<Option<T>, db::DbError>;
}

impl<T> OptionalFound<T> for Result<T, db::DbError> {
    fn optional_found(self) -> Result<Option<T>, db::DbError> {
        match self {
            Ok(v) => Ok(Some(v)),
            Err(db::DbError::NotFound) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

fn write_error(e: PromoWriteError, errors: &mut FormErrors) -> Result<(), AppError> {
    match e {
        PromoWriteError::Taken(clash) => errors.add("code", clash_message(&clash)),
        PromoWriteError::CouponGone => errors.add(
            "coupon_id",
            "Choose a coupon of this store that is not deleted.",
        ),
        PromoWriteError::NoFreeCode => {
            errors.add("code", "No free code could be generated; type one instead.")
        }
        PromoWriteError::Permanent => errors.add(
            "max_redemptions",
            "The code was redeemed more times than this limit allows.",
        ),
        PromoWriteError::Ended(PromoState::Expired) => errors.add(
            "expires_at",
            "This code has expired for good: it cannot be changed. Create a new promotion code instead.",
        ),
        PromoWriteError::Ended(PromoState::Exhausted) => errors.add(
            "max_redemptions",
            "This code is fully redeemed for good: it cannot be changed. Create a new promotion code instead.",
        ),
        PromoWriteError::Ended(_) => errors.add(
            "coupon_id",
            "This code's coupon is deleted: the code cannot be changed.",
        ),
        PromoWriteError::CouponInvalid => {
            errors.add("coupon_id", "The coupon cannot be redeemed right now.")
        }
        PromoWriteError::Db(e) => return Err(e.into()),
    }
    Ok(())
}

/// After a write: the code's page with `message`, or the form again with
/// the reason beside its field.
async fn finish(
    access: &StoreAccess<Manager>,
    written: Result<PromotionCodeId, PromoWriteError>,
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
        Err(e) => {
            let mut errors = FormErrors::default();
            write_error(e, &mut errors)?;
            render(
                access,
                StatusCode::UNPROCESSABLE_ENTITY,
                editing,
                form,
                errors,
            )
            .await
        }
    }
}

pub async fn create(
    access: StoreAccess<Manager>,
    CsrfForm(form): CsrfForm<PromoInput>,
) -> Result<HttpResponse, AppError> {
    let ctx = PromoContext {
        now: db::now(),
        tz: access.store.timezone.tz(),
        coupon: coupon_limits(&access, &form.coupon_id).await?,
        times_redeemed: 0,
    };
    let draft = match promotion::check(&form, &ctx) {
        Ok(draft) => draft,
        Err(errors) => {
            return render(
                &access,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                form,
                errors,
            )
            .await;
        }
    };
    let store = access.store.id();
    let user = access.user.id();
    let created = crate::web::db(&access.state, move |conn| {
        Ok::<_, AppError>(db::promotion_codes::create(conn, store, &draft, user))
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
    let form = PromoInput {
        coupon_id: row.coupon_id.to_string(),
        code: row.code.clone(),
        customer: row.customer_email.clone().unwrap_or_default(),
        first_time_transaction: row.first_time_transaction.then(|| "on".into()),
        minimum_amount: row
            .minimum_amount
            .zip(
                row.minimum_amount_currency
                    .as_deref()
                    .and_then(|c| CurrencyCode::parse(c).ok()),
            )
            .map(|(amount, currency)| currency.format_major(amount))
            .unwrap_or_default(),
        minimum_amount_currency: row.minimum_amount_currency.clone().unwrap_or_default(),
        expires_at: row
            .expires_at
            .map(|t| time::to_input(t, tz))
            .unwrap_or_default(),
        max_redemptions: row
            .max_redemptions
            .map(|m| m.to_string())
            .unwrap_or_default(),
        active: row.active.then(|| "on".into()),
    };
    render(
        &access,
        StatusCode::OK,
        Some((row.id, row.code.clone())),
        form,
        FormErrors::default(),
    )
    .await
}

pub async fn update(
    access: StoreAccess<Manager>,
    path: web::Path<(String, i64)>,
    CsrfForm(mut form): CsrfForm<PromoInput>,
) -> Result<HttpResponse, AppError> {
    let promo = load(&access, path.1).await?;
    // The text and the coupon never change after creation.
    form.coupon_id = promo.row.coupon_id.to_string();
    form.code = promo.row.code.clone();
    form.active = promo.row.active.then(|| "on".into());
    let ctx = PromoContext {
        now: db::now(),
        tz: access.store.timezone.tz(),
        coupon: Some(CouponLimits {
            redeem_by: promo.coupon.redeem_by,
            max_redemptions: promo.coupon.max_redemptions,
        }),
        times_redeemed: promo.row.times_redeemed,
    };
    let editing = Some((promo.row.id, promo.row.code.clone()));
    let draft = match promotion::check(&form, &ctx) {
        Ok(draft) => draft,
        Err(errors) => {
            return render(
                &access,
                StatusCode::UNPROCESSABLE_ENTITY,
                editing,
                form,
                errors,
            )
            .await;
        }
    };
    let store = access.store.id();
    let user = access.user.id();
    let id = PromotionCodeId(promo.row.id);
    let saved = crate::web::db(&access.state, move |conn| {
        Ok::<_, AppError>(db::promotion_codes::update(conn, store, id, &draft, user))
    })
    .await?;
    let saved = saved.map(|()| id);
    finish(&access, saved, "Promotion code saved.", editing, form).await
}
