//! Promotion codes: list, detail with share URL and QR code, the form (new
//! and edit), and deactivate / reactivate / delete.

pub mod form;
pub mod list;
pub mod show;

use chrono::NaiveDateTime;
use chrono_tz::Tz;

use crate::db::promotion_codes::Promotion;
use crate::domain::promotion::describe_restrictions;
use crate::domain::time;
use crate::web::extract::{MinRole, StoreAccess};
use crate::web::share::share_url;

/// A promotion code ready for a template.
pub struct PromoView {
    pub id: i64,
    pub code: String,
    pub coupon_id: i64,
    pub coupon_code: String,
    pub coupon_terms: String,
    pub restrictions: Vec<String>,
    pub state: &'static str,
    pub state_label: &'static str,
    pub times_redeemed: i64,
    pub max_redemptions: String,
    pub remaining: String,
    pub usage: String,
    pub share_url: String,
    pub expires_at: Option<String>,
    pub active: bool,
    pub permanent: bool,
    pub created_at: String,
    /// "10 per hour", or `None` without a velocity limit.
    pub velocity: Option<String>,
    pub paused_at: Option<String>,
}

impl PromoView {
    pub fn new(
        p: &Promotion,
        now: NaiveDateTime,
        tz: Tz,
        base: &str,
        store_slug: &str,
    ) -> PromoView {
        let facts = p.facts(now);
        let state = facts.state(now);
        let row = &p.row;
        let minimum = row
            .minimum_amount
            .zip(row.minimum_amount_currency.as_deref());
        let usage = crate::web::coupons::view::usage_text(
            row.times_redeemed,
            row.max_redemptions,
            "no limit of its own",
        );
        PromoView {
            id: row.id,
            code: row.code.clone(),
            coupon_id: p.coupon.id.0,
            coupon_code: p.coupon.code.clone(),
            coupon_terms: format!(
                "{}, {}",
                p.coupon.discount.describe(),
                p.coupon.duration.describe()
            ),
            restrictions: describe_restrictions(
                row.customer_email.as_deref(),
                row.first_time_transaction,
                minimum,
            ),
            state: state.as_str(),
            state_label: state.label(),
            times_redeemed: row.times_redeemed,
            max_redemptions: row
                .max_redemptions
                .map(|m| m.to_string())
                .unwrap_or_default(),
            remaining: facts.remaining().map(|r| r.to_string()).unwrap_or_default(),
            usage,
            share_url: share_url(base, store_slug, &row.code),
            expires_at: row.expires_at.map(|t| time::display(t, tz)),
            active: row.active,
            permanent: facts.permanently_inactive(now),
            created_at: time::display(row.created_at, tz),
            velocity: row.velocity().map(|v| v.describe()),
            paused_at: row.paused_at.map(|t| time::display(t, tz)),
        }
    }

    /// The paused banner, when its velocity limit paused it.
    pub fn paused_banner(&self) -> Option<String> {
        (self.state == crate::domain::promotion::PromoState::Paused.as_str()).then(|| {
            crate::web::coupons::view::paused_banner(
                &self.code,
                self.velocity.as_deref(),
                self.paused_at.as_deref(),
                "it",
            )
        })
    }

    pub fn restrictions_text(&self) -> String {
        if self.restrictions.is_empty() {
            "anyone".into()
        } else {
            self.restrictions.join(" · ")
        }
    }
}

/// The store's zone and share-URL base, for building views.
fn view_context<R: MinRole>(access: &StoreAccess<R>) -> (Tz, String) {
    let tz = access.store.timezone.tz();
    let base = access.share_base();
    (tz, base)
}

/// A promotion code as this store's pages show it.
pub fn view<R: MinRole>(access: &StoreAccess<R>, code: &Promotion) -> PromoView {
    let (tz, base) = view_context(access);
    PromoView::new(code, crate::db::now(), tz, &base, &access.store.slug)
}

/// Views of `codes` for this store's pages.
pub fn views<R: MinRole>(access: &StoreAccess<R>, codes: &[Promotion]) -> Vec<PromoView> {
    let (tz, base) = view_context(access);
    let now = crate::db::now();
    codes
        .iter()
        .map(|p| PromoView::new(p, now, tz, &base, &access.store.slug))
        .collect()
}
