//! The coupon form's handlers: new, create, clone, edit, update.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};

use super::form::{self, Mode};
use crate::app::coupons::{self as use_case, CouponError};
use crate::db;
use crate::domain::code::COUPON_CODE_MAX;
use crate::domain::codegen::random_code;
use crate::domain::coupon::{CouponInput, ExistingCoupon};
use crate::domain::ids::CouponId;
use crate::error::AppError;
use crate::web::csrf::CsrfForm;
use crate::web::extract::{Manager, StoreAccess};
use crate::web::forms::FormErrors;
use crate::web::see_other;
use crate::web::session::{FlashKind, flash};

pub async fn new(access: StoreAccess<Manager>) -> Result<HttpResponse, AppError> {
    let products = super::store_products(&access).await?;
    form::render(
        &access,
        StatusCode::OK,
        Mode::New { cloned_from: None },
        form::blank(),
        FormErrors::default(),
        &products,
        None,
    )
}

/// The clone form: the coupon's terms with a fresh code suggestion.
pub async fn clone(
    access: StoreAccess<Manager>,
    path: web::Path<(String, i64)>,
) -> Result<HttpResponse, AppError> {
    let loaded = super::load(&access, path.1).await?;
    let tz = access.store.timezone.tz();
    let mut input = form::input_of(&loaded.coupon, &loaded.applies_to, tz);
    let suffix = random_code(4).map_err(AppError::internal)?;
    let stem: String = loaded
        .coupon
        .code
        .chars()
        .take(COUPON_CODE_MAX - suffix.len())
        .collect();
    input.code = format!("{stem}{suffix}");
    if input.redeem_by.is_empty() || loaded.coupon.redeem_by.is_some_and(|r| r <= db::now()) {
        input.redeem_by.clear();
    }
    form::render(
        &access,
        StatusCode::OK,
        Mode::New {
            cloned_from: Some(loaded.coupon.code.clone()),
        },
        input,
        FormErrors::default(),
        &loaded.products,
        None,
    )
}

pub async fn create(
    access: StoreAccess<Manager>,
    CsrfForm(input): CsrfForm<CouponInput>,
) -> Result<HttpResponse, AppError> {
    let store = access.store.clone();
    let user = access.actor();
    let form = input.clone();
    let created = crate::web::db(&access.state, move |conn| {
        Ok::<_, AppError>(match use_case::create(conn, &store, user, &form) {
            Ok(id) => Ok((id, use_case::case_twins(conn, &store, id)?)),
            Err(e) => Err(e),
        })
    })
    .await?;
    match created {
        Ok((id, twins)) => {
            let code = input.code.trim();
            flash(
                &access.session,
                FlashKind::Success,
                format!("Coupon {code} created."),
            )?;
            if let Some(warning) = use_case::case_warning(code, &twins) {
                flash(&access.session, FlashKind::Warning, warning)?;
            }
            Ok(see_other(&format!("{}/coupons/{id}", access.base_path())))
        }
        Err(CouponError::Invalid(errors)) => {
            let products = super::store_products(&access).await?;
            form::render(
                &access,
                StatusCode::UNPROCESSABLE_ENTITY,
                Mode::New { cloned_from: None },
                input,
                errors,
                &products,
                None,
            )
        }
        Err(CouponError::NotFound) => Err(AppError::NotFound),
        Err(CouponError::Db(e)) => Err(e.into()),
    }
}

fn edit_mode(id: i64, existing: &ExistingCoupon) -> Mode {
    Mode::Edit {
        id,
        code: existing.code.clone(),
        locked: existing.locked(),
    }
}

fn locked_terms(existing: &ExistingCoupon) -> Option<String> {
    existing.locked().then(|| {
        format!(
            "{}, {}",
            existing.discount.describe(),
            existing.duration.describe()
        )
    })
}

pub async fn edit(
    access: StoreAccess<Manager>,
    path: web::Path<(String, i64)>,
) -> Result<HttpResponse, AppError> {
    let loaded = super::load(&access, path.1).await?;
    if loaded.coupon.deleted_at.is_some() {
        return Err(AppError::NotFound);
    }
    let existing = loaded.coupon.existing();
    let input = form::input_of(
        &loaded.coupon,
        &loaded.applies_to,
        access.store.timezone.tz(),
    );
    form::render(
        &access,
        StatusCode::OK,
        edit_mode(path.1, &existing),
        input,
        FormErrors::default(),
        &loaded.products,
        locked_terms(&existing),
    )
}

pub async fn update(
    access: StoreAccess<Manager>,
    path: web::Path<(String, i64)>,
    CsrfForm(input): CsrfForm<CouponInput>,
) -> Result<HttpResponse, AppError> {
    let id = path.1;
    let store = access.store.clone();
    let user = access.actor();
    let form = input.clone();
    let saved = crate::web::db(&access.state, move |conn| {
        Ok::<_, AppError>(use_case::update(conn, &store, user, CouponId(id), &form))
    })
    .await?;
    let errors = match saved {
        Ok(()) => {
            flash(&access.session, FlashKind::Success, "Coupon saved.")?;
            return Ok(see_other(&format!("{}/coupons/{id}", access.base_path())));
        }
        Err(CouponError::Invalid(errors)) => errors,
        Err(CouponError::NotFound) => return Err(AppError::NotFound),
        Err(CouponError::Db(e)) => return Err(e.into()),
    };
    let loaded = super::load(&access, id).await?;
    let existing = loaded.coupon.existing();
    form::render(
        &access,
        StatusCode::UNPROCESSABLE_ENTITY,
        edit_mode(id, &existing),
        input,
        errors,
        &loaded.products,
        locked_terms(&existing),
    )
}
