//! The tabbed coupon form, shared by new, clone and edit.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use askama::Template;

use crate::db::products::Product;
use crate::domain::coupon::CouponInput;
use crate::error::AppError;
use crate::web::extract::{MinRole, StoreAccess};
use crate::web::forms::FormErrors;
use crate::web::layout::{Layout, Section};
use crate::web::render_status;
use crate::web::stores::form::Choices;

/// The six tabs, in order: id, label, the fields each holds.
const TABS: [(&str, &str, &[&str]); 6] = [
    ("code", "Code", &["code", "name"]),
    ("type", "Discount Type", &["discount_type"]),
    (
        "amount",
        "Amount",
        &[
            "percent_off",
            "amount_off",
            "currency",
            "confirm_full_discount",
        ],
    ),
    ("duration", "Duration", &["duration", "duration_in_months"]),
    (
        "redemptions",
        "Redemptions",
        &[
            "max_redemptions",
            "starts_at",
            "redeem_by",
            "once_per_customer",
        ],
    ),
    ("only", "Only", &["applies_to"]),
];

/// Every field, in form order, with the label the error summary uses.
const FIELDS: [(&str, &str); 14] = [
    ("code", "Code"),
    ("name", "Name"),
    ("discount_type", "Discount type"),
    ("percent_off", "Percent off"),
    ("amount_off", "Amount off"),
    ("currency", "Currency"),
    ("confirm_full_discount", "Full discount"),
    ("duration", "Duration"),
    ("duration_in_months", "Months"),
    ("max_redemptions", "Redemption limit"),
    ("starts_at", "Starts at"),
    ("redeem_by", "Redeem by"),
    ("once_per_customer", "Once per customer"),
    ("applies_to", "Products"),
];

pub struct Tab {
    pub id: &'static str,
    pub label: &'static str,
    pub has_error: bool,
    pub active: bool,
}

/// One line of the error summary: a link to the field.
pub struct SummaryItem {
    pub field: &'static str,
    pub label: &'static str,
    pub message: String,
}

pub struct ProductOption {
    pub id: i64,
    pub name: String,
    pub detail: String,
    pub checked: bool,
    pub archived: bool,
}

/// What the form is for.
pub enum Mode {
    /// A new coupon; `cloned_from` names the coupon whose terms it starts
    /// with.
    New {
        cloned_from: Option<String>,
    },
    Edit {
        id: i64,
        code: String,
        locked: bool,
    },
}

#[derive(Template)]
#[template(path = "coupons/form.html")]
struct FormPage {
    layout: Layout,
    base: String,
    mode: Mode,
    form: CouponInput,
    errors: FormErrors,
    tabs: Vec<Tab>,
    active_tab: &'static str,
    summary: Vec<SummaryItem>,
    products: Vec<ProductOption>,
    choices: Choices,
    store_currency: String,
    store_tz: String,
    /// The locked terms in words, when editing a redeemed coupon.
    locked_terms: Option<String>,
}

impl FormPage {
    fn locked(&self) -> bool {
        matches!(self.mode, Mode::Edit { locked: true, .. })
    }

    /// The coupon being edited (its own code is no case twin), or "".
    fn self_id(&self) -> String {
        match &self.mode {
            Mode::New { .. } => String::new(),
            Mode::Edit { id, .. } => id.to_string(),
        }
    }

    fn action(&self) -> String {
        match &self.mode {
            Mode::New { .. } => format!("{}/coupons/new", self.base),
            Mode::Edit { id, .. } => format!("{}/coupons/{id}/edit", self.base),
        }
    }
}

fn tabs(errors: &FormErrors) -> (Vec<Tab>, &'static str) {
    let first_error = TABS
        .iter()
        .find(|(_, _, fields)| fields.iter().any(|f| errors.get(f).is_some()))
        .map_or("code", |(id, _, _)| *id);
    let tabs = TABS
        .iter()
        .map(|(id, label, fields)| Tab {
            id,
            label,
            has_error: fields.iter().any(|f| errors.get(f).is_some()),
            active: *id == first_error,
        })
        .collect();
    (tabs, first_error)
}

fn summary(errors: &FormErrors) -> Vec<SummaryItem> {
    let order: Vec<&'static str> = FIELDS.iter().map(|(f, _)| *f).collect();
    errors
        .in_order(&order)
        .map(|(field, message)| SummaryItem {
            field,
            label: FIELDS
                .iter()
                .find(|(f, _)| *f == field)
                .map_or(field, |(_, l)| *l),
            message: message.to_string(),
        })
        .collect()
}

fn product_options(products: &[Product], chosen: &[String]) -> Vec<ProductOption> {
    products
        .iter()
        .filter(|p| p.archived_at.is_none() || chosen.contains(&p.id.to_string()))
        .map(|p| {
            let row = crate::web::products::ProductRow::from(p);
            ProductOption {
                id: p.id,
                name: p.name.clone(),
                detail: format!("{} {}", row.price, row.billing),
                checked: chosen.contains(&p.id.to_string()),
                archived: row.archived,
            }
        })
        .collect()
}

/// Renders the form with `status` (200, or 422 with errors).
pub fn render<R: MinRole>(
    access: &StoreAccess<R>,
    status: StatusCode,
    mode: Mode,
    form: CouponInput,
    errors: FormErrors,
    products: &[Product],
    locked_terms: Option<String>,
) -> Result<HttpResponse, AppError> {
    let (tabs, active_tab) = tabs(&errors);
    let page = FormPage {
        layout: access.layout(Section::Coupons)?,
        base: access.base_path(),
        mode,
        summary: summary(&errors),
        products: product_options(products, &form.applies_to),
        form,
        errors,
        tabs,
        active_tab,
        choices: Choices::get(),
        store_currency: access.store.currency.to_string(),
        store_tz: access.store.timezone.name().to_string(),
        locked_terms,
    };
    render_status(status, &page)
}

pub use crate::app::coupons::input_of;

/// A new, empty coupon form.
pub fn blank() -> CouponInput {
    CouponInput {
        discount_type: "percent".into(),
        duration: "once".into(),
        ..CouponInput::default()
    }
}
