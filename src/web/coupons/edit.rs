//! The coupon form's handlers: new, create, clone, edit, update.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};

use super::form::{self, Mode};
use crate::db;
use crate::db::coupons::CouponWriteError;
use crate::db::products::Product;
use crate::domain::code::COUPON_CODE_MAX;
use crate::domain::codegen::random_code;
use crate::domain::coupon::{self, CouponContext, CouponInput, ExistingCoupon, ProductFacts};
use crate::domain::ids::CouponId;
use crate::error::AppError;
use crate::web::csrf::CsrfForm;
use crate::web::extract::{Manager, StoreAccess};
use crate::web::forms::FormErrors;
use crate::web::see_other;
use crate::web::session::{FlashKind, flash};

const CODE_TAKEN: &str = "Another coupon of this store already uses this code. Codes are case-sensitive, so Summer10 and SUMMER10 can both exist; an exhausted or archived coupon keeps its code until it is deleted.";

fn taken_message(e: &CouponWriteError) -> String {
    match e {
        CouponWriteError::HeldByPromotion(promo) => format!(
            "The code {promo} (a promotion code or an unused set code) already uses this text, ignoring case; customers could not tell them apart."
        ),
        _ => CODE_TAKEN.to_string(),
    }
}

fn context<'a>(
    access: &StoreAccess<Manager>,
    facts: &'a [ProductFacts],
    existing: Option<&'a ExistingCoupon>,
) -> CouponContext<'a> {
    CouponContext {
        now: db::now(),
        tz: access.store.timezone.tz(),
        products: facts,
        existing,
    }
}

fn facts(products: &[Product]) -> Vec<ProductFacts> {
    products.iter().map(Product::facts).collect()
}

pub async fn new(access: StoreAccess<Manager>) -> Result<HttpResponse, AppError> {
    let products = super::store_products(&access).await?;
    form::render(
        &access,
        StatusCode::OK,
        Mode::New,
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
        Mode::New,
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
    let products = super::store_products(&access).await?;
    let product_facts = facts(&products);
    let draft = match coupon::check(&input, &context(&access, &product_facts, None)) {
        Ok(draft) => draft,
        Err(errors) => {
            return form::render(
                &access,
                StatusCode::UNPROCESSABLE_ENTITY,
                Mode::New,
                input,
                errors,
                &products,
                None,
            );
        }
    };
    let store = access.store.id();
    let user = access.user.id();
    let code = draft.code.as_str().to_string();
    let created = crate::web::db(&access.state, move |conn| {
        Ok::<_, AppError>(db::coupons::insert(conn, store, &draft, user, ""))
    })
    .await?;
    match created {
        Ok(id) => {
            flash(
                &access.session,
                FlashKind::Success,
                format!("Coupon {code} created."),
            )?;
            Ok(see_other(&format!("{}/coupons/{id}", access.base_path())))
        }
        Err(e @ (CouponWriteError::CodeTaken | CouponWriteError::HeldByPromotion(_))) => {
            let mut errors = FormErrors::default();
            errors.add("code", taken_message(&e));
            form::render(
                &access,
                StatusCode::UNPROCESSABLE_ENTITY,
                Mode::New,
                input,
                errors,
                &products,
                None,
            )
        }
        Err(CouponWriteError::Db(e)) => Err(e.into()),
        Err(e) => Err(AppError::internal(e)),
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
    let loaded = super::load(&access, id).await?;
    if loaded.coupon.deleted_at.is_some() {
        return Err(AppError::NotFound);
    }
    let existing = loaded.coupon.existing();
    let product_facts = facts(&loaded.products);
    let rerender = |input: CouponInput, errors: FormErrors| {
        form::render(
            &access,
            StatusCode::UNPROCESSABLE_ENTITY,
            edit_mode(id, &existing),
            input,
            errors,
            &loaded.products,
            locked_terms(&existing),
        )
    };
    let draft = match coupon::check(&input, &context(&access, &product_facts, Some(&existing))) {
        Ok(draft) => draft,
        Err(errors) => return rerender(input, errors),
    };
    let store = access.store.id();
    let user = access.user.id();
    let saved = crate::web::db(&access.state, move |conn| {
        Ok::<_, AppError>(db::coupons::update(conn, store, CouponId(id), &draft, user))
    })
    .await?;
    let mut errors = FormErrors::default();
    match saved {
        Ok(()) => {
            flash(&access.session, FlashKind::Success, "Coupon saved.")?;
            return Ok(see_other(&format!("{}/coupons/{id}", access.base_path())));
        }
        Err(e @ (CouponWriteError::CodeTaken | CouponWriteError::HeldByPromotion(_))) => {
            errors.add("code", taken_message(&e))
        }
        Err(CouponWriteError::Locked) => errors.add(
            "discount_type",
            "The coupon was redeemed while you edited it, so its discount terms are now locked. Reload the page.",
        ),
        Err(CouponWriteError::BelowRedeemed(n)) => errors.add(
            "max_redemptions",
            format!("Already redeemed {n} times: the limit cannot go below {n}."),
        ),
        Err(CouponWriteError::Db(e)) => return Err(e.into()),
    }
    rerender(input, errors)
}
