//! Promotion codes (SPEC section 4): customer-facing codes on top of a
//! coupon, with Stripe's restrictions. Text uniqueness needs the database and
//! is checked where codes are written.

use chrono::NaiveDateTime;
use chrono_tz::Tz;
use serde::Deserialize;

use super::code::normal_form;
use super::email::Email;
use super::form_errors::FormErrors;
use super::money::CurrencyCode;
use super::time::parse_local;

pub const CODE_MAX: usize = 64;
/// Length of a generated code.
pub const GENERATED_LEN: usize = 8;

/// The promotion code form, as typed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct PromoInput {
    pub coupon_id: String,
    pub code: String,
    pub customer: String,
    pub first_time_transaction: Option<String>,
    pub minimum_amount: String,
    pub minimum_amount_currency: String,
    pub expires_at: String,
    pub max_redemptions: String,
    pub velocity_limit: String,
    pub velocity_window: String,
    pub active: Option<String>,
}

/// A promotion code's text: as typed (trimmed) and its normal form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromoCode {
    pub text: String,
    pub normal: String,
}

impl PromoCode {
    /// `None` for an empty field (a code is generated). Spaces are dropped,
    /// as they are when customers type a code.
    pub fn parse_optional(raw: &str) -> Result<Option<PromoCode>, String> {
        let text: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
        let text = text.as_str();
        if text.is_empty() {
            return Ok(None);
        }
        if let Some(bad) = super::text::not_allowed(text, |c| c.is_ascii_alphanumeric() || c == '-')
        {
            return Err(format!("Use only letters, digits and dashes: {bad}."));
        }
        if text.len() > CODE_MAX {
            return Err(format!(
                "Use at most {CODE_MAX} characters (this one has {}).",
                text.len()
            ));
        }
        let normal = normal_form(text);
        if normal.is_empty() {
            return Err("A code needs at least one letter or digit.".into());
        }
        Ok(Some(PromoCode {
            text: text.to_string(),
            normal,
        }))
    }

    pub fn generated(text: String) -> PromoCode {
        PromoCode {
            normal: normal_form(&text),
            text,
        }
    }
}

/// What the rules need to know about the coupon a code points at.
#[derive(Debug, Clone)]
pub struct CouponLimits {
    pub redeem_by: Option<NaiveDateTime>,
    pub max_redemptions: Option<i64>,
}

pub struct PromoContext {
    pub now: NaiveDateTime,
    pub tz: Tz,
    /// The chosen coupon's limits, or `None` when the id names no live
    /// coupon of the store.
    pub coupon: Option<CouponLimits>,
    /// Redemptions so far, when editing.
    pub times_redeemed: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Minimum {
    pub amount: i64,
    pub currency: CurrencyCode,
}

/// A promotion code whose fields follow the rules; `code` is `None` when one
/// is to be generated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromoDraft {
    pub coupon_id: i64,
    pub code: Option<PromoCode>,
    pub customer: Option<Email>,
    pub first_time_transaction: bool,
    pub minimum: Option<Minimum>,
    pub expires_at: Option<NaiveDateTime>,
    pub max_redemptions: Option<i64>,
    pub velocity: Option<super::velocity::Velocity>,
    pub active: bool,
}

fn check_minimum(input: &PromoInput, errors: &mut FormErrors) -> Option<Minimum> {
    let amount = input.minimum_amount.trim();
    let currency = input.minimum_amount_currency.trim();
    match (amount.is_empty(), currency.is_empty()) {
        (true, true) => None,
        (false, true) => {
            errors.add(
                "minimum_amount_currency",
                "Choose the currency of the minimum amount.",
            );
            None
        }
        // The form picks the store's currency for the minimum; without an
        // amount there is no minimum, whatever the currency says.
        (true, false) => None,
        (false, false) => {
            let currency =
                errors.check("minimum_amount_currency", CurrencyCode::parse(currency))?;
            let amount = errors.check("minimum_amount", currency.parse_major(amount))?;
            if amount == 0 {
                errors.add("minimum_amount", "The minimum must be greater than 0.");
                return None;
            }
            Some(Minimum { amount, currency })
        }
    }
}

/// Checks the form against the rules of SPEC section 4.
pub fn check(input: &PromoInput, ctx: &PromoContext) -> Result<PromoDraft, FormErrors> {
    let mut errors = FormErrors::default();
    let coupon_id = input.coupon_id.trim().parse::<i64>().ok();
    let coupon = match (coupon_id, &ctx.coupon) {
        (Some(_), Some(coupon)) => Some(coupon),
        _ => {
            errors.add(
                "coupon_id",
                "Choose a coupon of this store that is not deleted.",
            );
            None
        }
    };
    let code = errors
        .check("code", PromoCode::parse_optional(&input.code))
        .flatten();
    let customer = match input.customer.trim() {
        "" => None,
        raw => errors.check("customer", Email::parse(raw)),
    };
    let minimum = check_minimum(input, &mut errors);

    let mut expires_at = errors
        .check("expires_at", parse_local(&input.expires_at, ctx.tz))
        .flatten();
    if let Some(e) = expires_at
        && e <= ctx.now
    {
        errors.add(
            "expires_at",
            "Choose a time in the future: this one has passed.",
        );
    }
    if let Some(coupon) = coupon {
        match (expires_at, coupon.redeem_by) {
            (Some(e), Some(r)) if e > r => errors.add(
                "expires_at",
                format!(
                    "The coupon can only be redeemed until {}: the code cannot outlive it.",
                    super::time::display(r, ctx.tz)
                ),
            ),
            (None, Some(r)) => expires_at = Some(r),
            _ => {}
        }
    }

    let max_redemptions = match input.max_redemptions.trim() {
        "" => None,
        raw => match raw.parse::<i64>() {
            Ok(max) if max >= 1 => {
                if let Some(coupon_max) = coupon.and_then(|c| c.max_redemptions)
                    && max > coupon_max
                {
                    errors.add(
                        "max_redemptions",
                        format!("The coupon allows {coupon_max} redemptions in all: the code cannot allow more."),
                    );
                }
                if max < ctx.times_redeemed {
                    errors.add(
                        "max_redemptions",
                        format!(
                            "Already redeemed {} times: the limit cannot go below {}.",
                            ctx.times_redeemed, ctx.times_redeemed
                        ),
                    );
                }
                Some(max)
            }
            _ => {
                errors.add(
                    "max_redemptions",
                    "Enter a whole number of at least 1, or leave it empty for no limit.",
                );
                None
            }
        },
    };

    let velocity =
        super::velocity::check(&input.velocity_limit, &input.velocity_window, &mut errors);

    match coupon_id {
        Some(coupon_id) if errors.is_empty() => Ok(PromoDraft {
            coupon_id,
            code,
            customer,
            first_time_transaction: input.first_time_transaction.is_some(),
            minimum,
            expires_at,
            max_redemptions,
            velocity,
            active: input.active.is_some(),
        }),
        _ => Err(errors),
    }
}

/// A promotion code's state, derived; the first three are permanent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromoState {
    Active,
    /// Tripped its velocity limit (SPEC section 12) until staff resume it.
    Paused,
    Inactive,
    Expired,
    Exhausted,
    CouponInvalid,
}

impl PromoState {
    pub const ALL: [PromoState; 6] = [
        PromoState::Active,
        PromoState::Paused,
        PromoState::Inactive,
        PromoState::Expired,
        PromoState::Exhausted,
        PromoState::CouponInvalid,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PromoState::Active => "active",
            PromoState::Paused => "paused",
            PromoState::Inactive => "inactive",
            PromoState::Expired => "expired",
            PromoState::Exhausted => "exhausted",
            PromoState::CouponInvalid => "coupon_invalid",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            PromoState::Active => "Active",
            PromoState::Paused => "Paused",
            PromoState::Inactive => "Inactive",
            PromoState::Expired => "Expired",
            PromoState::Exhausted => "Exhausted",
            PromoState::CouponInvalid => "Coupon invalid",
        }
    }

    pub fn parse(raw: &str) -> Option<PromoState> {
        PromoState::ALL.into_iter().find(|s| s.as_str() == raw)
    }
}

/// The stored facts a promotion code's state depends on.
#[derive(Debug, Clone, Copy)]
pub struct PromoFacts {
    pub active: bool,
    pub paused: bool,
    pub expires_at: Option<NaiveDateTime>,
    pub times_redeemed: i64,
    pub max_redemptions: Option<i64>,
    pub coupon_deleted: bool,
    /// The coupon can be redeemed now (not archived, scheduled, expired or
    /// exhausted).
    pub coupon_redeemable: bool,
}

impl PromoFacts {
    pub fn state(&self, now: NaiveDateTime) -> PromoState {
        if self.coupon_deleted {
            PromoState::CouponInvalid
        } else if self.expires_at.is_some_and(|e| now >= e) {
            PromoState::Expired
        } else if self
            .max_redemptions
            .is_some_and(|m| self.times_redeemed >= m)
        {
            PromoState::Exhausted
        } else if !self.active {
            PromoState::Inactive
        } else if !self.coupon_redeemable {
            PromoState::CouponInvalid
        } else if self.paused {
            PromoState::Paused
        } else {
            PromoState::Active
        }
    }

    /// Exhausted, expired or its coupon deleted: it can never be active again.
    pub fn permanently_inactive(&self, now: NaiveDateTime) -> bool {
        self.coupon_deleted
            || self.expires_at.is_some_and(|e| now >= e)
            || self
                .max_redemptions
                .is_some_and(|m| self.times_redeemed >= m)
    }

    pub fn remaining(&self) -> Option<i64> {
        self.max_redemptions
            .map(|m| (m - self.times_redeemed).max(0))
    }
}

/// The restrictions in words: "first order only", "min $50.00",
/// "only jane@example.com".
pub fn describe_restrictions(
    customer: Option<&str>,
    first_time: bool,
    minimum: Option<(i64, &str)>,
) -> Vec<String> {
    let mut words = Vec::new();
    if let Some(email) = customer {
        words.push(format!("only {email}"));
    }
    if first_time {
        words.push("first order only".into());
    }
    if let Some((amount, currency)) = minimum {
        let shown = CurrencyCode::parse(currency)
            .map(|c| c.display(amount))
            .unwrap_or_else(|_| format!("{amount} {currency}"));
        words.push(format!("min {shown}"));
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;

    fn ctx(coupon: Option<CouponLimits>) -> PromoContext {
        PromoContext {
            now: chrono::Utc::now().naive_utc(),
            tz: Tz::UTC,
            coupon,
            times_redeemed: 0,
        }
    }

    fn limits() -> CouponLimits {
        CouponLimits {
            redeem_by: Some(chrono::Utc::now().naive_utc() + TimeDelta::days(30)),
            max_redemptions: Some(100),
        }
    }

    fn input() -> PromoInput {
        PromoInput {
            coupon_id: "1".into(),
            code: "FALL-25 off".into(),
            active: Some("on".into()),
            ..PromoInput::default()
        }
    }

    #[test]
    fn codes_normalise_and_generate() {
        let code = PromoCode::parse_optional(" fall-25 off ").ok().flatten();
        assert_eq!(
            code.map(|c| (c.text, c.normal)),
            Some(("fall-25off".into(), "FALL25OFF".into()))
        );
        let code = PromoCode::parse_optional("fall-25-off").ok().flatten();
        assert_eq!(code.map(|c| c.normal), Some("FALL25OFF".into()));
        assert_eq!(PromoCode::parse_optional("  "), Ok(None));
        assert!(PromoCode::parse_optional("---").is_err());
        assert!(PromoCode::parse_optional(&"A".repeat(65)).is_err());
        assert!(PromoCode::parse_optional("ÉTÉ").is_err());
    }

    #[test]
    fn expiry_defaults_to_and_never_passes_the_coupons() {
        let lim = limits();
        let draft = check(&input_with_code("FALL25"), &ctx(Some(lim.clone())));
        assert_eq!(draft.map(|d| d.expires_at).ok(), Some(lim.redeem_by));
        let mut late = input_with_code("FALL25");
        late.expires_at = (chrono::Utc::now() + TimeDelta::days(60))
            .format("%Y-%m-%dT%H:%M")
            .to_string();
        let errors = check(&late, &ctx(Some(lim))).err().unwrap_or_default();
        assert!(
            errors
                .get("expires_at")
                .unwrap_or_default()
                .contains("cannot outlive")
        );
    }

    #[test]
    fn limits_and_restrictions() {
        let mut too_many = input_with_code("FALL25");
        too_many.max_redemptions = "101".into();
        let errors = check(&too_many, &ctx(Some(limits())))
            .err()
            .unwrap_or_default();
        assert!(
            errors
                .get("max_redemptions")
                .unwrap_or_default()
                .contains("100")
        );
        let mut half = input_with_code("FALL25");
        half.minimum_amount = "50".into();
        let errors = check(&half, &ctx(Some(limits()))).err().unwrap_or_default();
        assert!(errors.get("minimum_amount_currency").is_some());
        let mut minimum = half.clone();
        minimum.minimum_amount_currency = "USD".into();
        minimum.customer = " Jane@Example.com ".into();
        minimum.first_time_transaction = Some("on".into());
        let draft = check(&minimum, &ctx(Some(limits())));
        assert_eq!(
            draft
                .as_ref()
                .map(|d| d.minimum.as_ref().map(|m| m.amount))
                .ok(),
            Some(Some(5000))
        );
        assert_eq!(
            draft
                .map(|d| d.customer.map(|c| c.as_str().to_string()))
                .ok(),
            Some(Some("jane@example.com".into()))
        );
        let errors = check(&input_with_code("FALL25"), &ctx(None))
            .err()
            .unwrap_or_default();
        assert!(errors.get("coupon_id").is_some());
        assert_eq!(
            describe_restrictions(Some("jane@example.com"), true, Some((5000, "USD"))),
            vec!["only jane@example.com", "first order only", "min $50.00"]
        );
    }

    #[test]
    fn states_and_permanence() {
        let now = chrono::Utc::now().naive_utc();
        let base = PromoFacts {
            active: true,
            paused: false,
            expires_at: None,
            times_redeemed: 0,
            max_redemptions: None,
            coupon_deleted: false,
            coupon_redeemable: true,
        };
        assert_eq!(base.state(now), PromoState::Active);
        let off = PromoFacts {
            active: false,
            ..base
        };
        assert_eq!(off.state(now), PromoState::Inactive);
        assert!(!off.permanently_inactive(now));
        let paused = PromoFacts {
            paused: true,
            ..base
        };
        assert_eq!(paused.state(now), PromoState::Paused);
        assert!(!paused.permanently_inactive(now));
        assert_eq!(
            PromoFacts {
                active: false,
                ..paused
            }
            .state(now),
            PromoState::Inactive
        );
        let exhausted = PromoFacts {
            times_redeemed: 2,
            max_redemptions: Some(2),
            ..off
        };
        assert_eq!(exhausted.state(now), PromoState::Exhausted);
        assert!(exhausted.permanently_inactive(now));
        let expired = PromoFacts {
            expires_at: Some(now),
            ..base
        };
        assert_eq!(expired.state(now), PromoState::Expired);
        let archived_coupon = PromoFacts {
            coupon_redeemable: false,
            ..base
        };
        assert_eq!(archived_coupon.state(now), PromoState::CouponInvalid);
        assert!(!archived_coupon.permanently_inactive(now));
        let deleted_coupon = PromoFacts {
            coupon_deleted: true,
            ..base
        };
        assert_eq!(deleted_coupon.state(now), PromoState::CouponInvalid);
        assert!(deleted_coupon.permanently_inactive(now));
    }

    fn input_with_code(code: &str) -> PromoInput {
        PromoInput {
            code: code.into(),
            ..input()
        }
    }
}
