//! How coupons read on pages: terms in words, usage, state, share URL.

use chrono::NaiveDateTime;
use chrono_tz::Tz;

use crate::db::coupons::Coupon;
use crate::domain::states::CouponState;
use crate::domain::time;
use crate::web::share::share_url;

/// A coupon ready for a template: every value already in words.
pub struct CouponView {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub discount: String,
    pub duration: String,
    pub state: &'static str,
    pub state_label: &'static str,
    pub times_redeemed: i64,
    /// Empty when unlimited (the bare `data-field` value).
    pub max_redemptions: String,
    /// Empty when unlimited.
    pub remaining: String,
    /// "10 of 100 used · 90 remaining", "3 used · no limit".
    pub usage: String,
    pub share_url: String,
    pub starts_at: Option<String>,
    pub redeem_by: Option<String>,
    pub once_per_customer: bool,
    pub created_at: String,
    pub locked: bool,
    /// "10 per hour", or `None` without a velocity limit.
    pub velocity: Option<String>,
    pub paused_at: Option<String>,
}

impl CouponView {
    pub fn new(
        c: &Coupon,
        now: NaiveDateTime,
        tz: Tz,
        base_url: &str,
        store_slug: &str,
    ) -> CouponView {
        let facts = c.facts();
        let state = facts.state(now);
        let usage = usage_text(c.times_redeemed, c.max_redemptions, "no limit");
        CouponView {
            id: c.id.0,
            code: c.code.clone(),
            name: c.name.clone().unwrap_or_default(),
            discount: c.discount.describe(),
            duration: c.duration.describe(),
            state: state.as_str(),
            state_label: state.label(),
            times_redeemed: c.times_redeemed,
            max_redemptions: c.max_redemptions.map(|m| m.to_string()).unwrap_or_default(),
            remaining: facts.remaining().map(|r| r.to_string()).unwrap_or_default(),
            usage,
            share_url: share_url(base_url, store_slug, &c.code),
            starts_at: c.starts_at.map(|t| time::display(t, tz)),
            redeem_by: c.redeem_by.map(|t| time::display(t, tz)),
            once_per_customer: c.once_per_customer,
            created_at: time::display(c.created_at, tz),
            locked: c.times_redeemed > 0,
            velocity: c.velocity.map(|v| v.describe()),
            paused_at: c.paused_at.map(|t| time::display(t, tz)),
        }
    }

    pub fn is(&self, state: CouponState) -> bool {
        self.state == state.as_str()
    }

    pub fn is_paused(&self) -> bool {
        self.is(CouponState::Paused)
    }

    /// A banner for states that stop redemptions.
    pub fn banner(&self) -> Option<String> {
        let text = match CouponState::parse(self.state)? {
            CouponState::Active => return None,
            CouponState::Exhausted => format!(
                "Exhausted: all {} redemptions are used. Customers can no longer redeem {}; raise the limit to allow more, or delete it to free the code.",
                self.max_redemptions, self.code
            ),
            CouponState::Expired => format!(
                "Expired: the redeem-by time ({}) has passed.",
                self.redeem_by.clone().unwrap_or_default()
            ),
            CouponState::Scheduled => format!(
                "Scheduled: customers can redeem it from {}.",
                self.starts_at.clone().unwrap_or_default()
            ),
            CouponState::Archived => {
                "Archived: no new redemptions until you unarchive it.".to_string()
            }
            CouponState::Paused => paused_banner(
                &self.code,
                self.velocity.as_deref(),
                self.paused_at.as_deref(),
                "it, its promotion codes or its set codes",
            ),
            CouponState::Deleted => {
                "Deleted: kept for order history; its code is free for a new coupon.".to_string()
            }
        };
        Some(text)
    }
}

/// What a paused code's banner says: when and why it stopped.
pub fn paused_banner(code: &str, velocity: Option<&str>, at: Option<&str>, what: &str) -> String {
    let limit = velocity.map_or(String::new(), |v| format!(" of {v}"));
    let at = at.map_or(String::new(), |t| format!(" at {t}"));
    format!(
        "Paused: {code} reached its velocity limit{limit}{at}, which may mean it has leaked. Customers cannot redeem {what} until you resume it."
    )
}

/// "10 of 100 used · 90 remaining", or "3 used · {unlimited}".
pub fn usage_text(times: i64, max: Option<i64>, unlimited: &str) -> String {
    use crate::domain::text::thousands;
    match max {
        Some(max) => format!(
            "{} of {} used · {} remaining",
            thousands(times),
            thousands(max),
            thousands((max - times).max(0))
        ),
        None => format!("{} used · {unlimited}", thousands(times)),
    }
}
