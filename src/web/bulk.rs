//! Bulk actions on a list's selected rows (archive coupons, deactivate
//! promotion codes): the list posts the chosen ids; the first post shows
//! one confirmation page that names the rows and what goes with them, the
//! second (with `confirmed`) does it. Works without JavaScript.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use askama::Template;
use serde::Deserialize;

use crate::error::AppError;
use crate::web::layout::Layout;
use crate::web::render_status;
use crate::web::session::{FlashKind, flash};

/// The rows a list's checkboxes chose (`ids`, repeated).
#[derive(Debug, Default, Deserialize)]
pub struct Selected {
    #[serde(default)]
    pub ids: Vec<i64>,
    /// Set by the confirmation page's button.
    #[serde(default)]
    pub confirmed: String,
}

impl Selected {
    pub fn confirmed(&self) -> bool {
        !self.confirmed.is_empty()
    }
}

/// The confirmation: "Archive 3 coupons?", the rows, the consequence.
#[derive(Template)]
#[template(path = "bulk_confirm.html")]
pub struct Confirm {
    pub layout: Layout,
    pub question: String,
    /// The rows' codes.
    pub items: Vec<String>,
    /// What else happens, e.g. "1,004 unused codes of 2 sets will be deleted; used codes are kept."
    pub consequence: String,
    /// Where the confirmed form posts (the same action).
    pub action: String,
    pub ids: Vec<i64>,
    /// "Archive 3 coupons".
    pub button: String,
    /// Back to the list.
    pub cancel: String,
}

/// The confirmation page, or back to the list with `nothing` when none of
/// the chosen rows can take the action.
pub fn confirm(
    page: Confirm,
    session: &actix_session::Session,
    nothing: &str,
) -> Result<HttpResponse, AppError> {
    if page.items.is_empty() {
        flash(session, FlashKind::Error, nothing)?;
        return Ok(crate::web::see_other(&page.cancel));
    }
    render_status(StatusCode::OK, &page)
}

/// "3 coupons" / "1 coupon".
pub fn count(n: usize, noun: &str) -> String {
    crate::web::listing::total(i64::try_from(n).unwrap_or(i64::MAX), noun)
}
