//! The coupon form's rules (SPEC section 3): raw input in, a checked draft
//! or a message per field out. Code uniqueness needs the database and is
//! checked where the coupon is written.

use chrono::NaiveDateTime;
use chrono_tz::Tz;
use serde::Deserialize;

use super::code::CouponCode;
use super::discount::{Discount, Duration, FULL, Percent};
use super::form_errors::FormErrors;
use super::ids::ProductId;
use super::money::CurrencyCode;
use super::product::Billing;
use super::time::parse_local;
use super::velocity::Velocity;

pub const NAME_MAX: usize = 40;

/// The coupon form, as typed. Field names are SPEC section 3's.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct CouponInput {
    pub code: String,
    pub name: String,
    pub discount_type: String,
    pub percent_off: String,
    pub amount_off: String,
    pub currency: String,
    pub duration: String,
    pub duration_in_months: String,
    pub max_redemptions: String,
    pub starts_at: String,
    pub redeem_by: String,
    pub applies_to: Vec<String>,
    pub once_per_customer: Option<String>,
    pub confirm_full_discount: Option<String>,
    pub velocity_limit: String,
    pub velocity_window: String,
}

/// What the rules need to know about a product of the store.
#[derive(Debug, Clone)]
pub struct ProductFacts {
    pub id: ProductId,
    pub name: String,
    pub price: i64,
    pub currency: String,
    pub billing: Billing,
    pub archived: bool,
}

/// The coupon being edited, if any.
#[derive(Debug, Clone)]
pub struct ExistingCoupon {
    pub code: String,
    pub discount: Discount,
    pub duration: Duration,
    pub times_redeemed: i64,
    pub starts_at: Option<NaiveDateTime>,
    pub redeem_by: Option<NaiveDateTime>,
}

impl ExistingCoupon {
    /// Discount terms (and the code) are locked after the first redemption.
    pub fn locked(&self) -> bool {
        self.times_redeemed > 0
    }
}

pub struct CouponContext<'a> {
    pub now: NaiveDateTime,
    pub tz: Tz,
    /// Every product of the store, archived ones included.
    pub products: &'a [ProductFacts],
    pub existing: Option<&'a ExistingCoupon>,
}

/// A coupon whose fields all follow the rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CouponDraft {
    pub code: CouponCode,
    pub name: Option<String>,
    pub discount: Discount,
    pub duration: Duration,
    pub max_redemptions: Option<i64>,
    pub starts_at: Option<NaiveDateTime>,
    pub redeem_by: Option<NaiveDateTime>,
    pub applies_to: Vec<ProductId>,
    pub once_per_customer: bool,
    pub velocity: Option<Velocity>,
}

const LOCKED: &str = "Locked after the first redemption: discount terms cannot change once a customer has used the coupon.";

fn check_discount(input: &CouponInput, errors: &mut FormErrors) -> Option<Discount> {
    let empty = |s: &str| s.trim().is_empty();
    match input.discount_type.trim() {
        "percent" => {
            if !empty(&input.amount_off) {
                errors.add(
                    "amount_off",
                    "Leave the amount empty for a percent discount.",
                );
            }
            if !empty(&input.currency) {
                errors.add(
                    "currency",
                    "Leave the currency empty for a percent discount: it works in every currency.",
                );
            }
            errors
                .check("percent_off", Percent::parse(&input.percent_off))
                .map(Discount::Percent)
        }
        "value" => {
            if !empty(&input.percent_off) {
                errors.add(
                    "percent_off",
                    "Leave the percentage empty for a value discount.",
                );
            }
            if empty(&input.currency) {
                errors.add("currency", "Choose the currency of the amount off.");
                return None;
            }
            let currency = errors.check("currency", CurrencyCode::parse(&input.currency))?;
            if empty(&input.amount_off) {
                errors.add(
                    "amount_off",
                    format!("Enter the amount off in {}, e.g. 5.", currency.code()),
                );
                return None;
            }
            let minor = errors.check("amount_off", currency.parse_major(&input.amount_off))?;
            if minor == 0 {
                errors.add("amount_off", "The amount must be greater than 0.");
                return None;
            }
            Some(Discount::Amount { minor, currency })
        }
        "" => {
            errors.add("discount_type", "Choose percent or value.");
            None
        }
        _ => {
            errors.add(
                "discount_type",
                "Choose percent (e.g. 25% off) or value (e.g. $5.00 off).",
            );
            None
        }
    }
}

fn check_dates(
    input: &CouponInput,
    ctx: &CouponContext,
    errors: &mut FormErrors,
) -> (Option<NaiveDateTime>, Option<NaiveDateTime>) {
    let starts_at = errors
        .check("starts_at", parse_local(&input.starts_at, ctx.tz))
        .flatten();
    let redeem_by = errors
        .check("redeem_by", parse_local(&input.redeem_by, ctx.tz))
        .flatten();
    let existing = ctx.existing;
    if let Some(r) = redeem_by {
        let unchanged = existing.is_some_and(|e| e.redeem_by == Some(r));
        if r <= ctx.now && !unchanged {
            errors.add(
                "redeem_by",
                "Choose a time in the future: this one has passed.",
            );
        }
        if let Some(s) = starts_at
            && r <= s
        {
            errors.add("redeem_by", "Redeem by must come after the start.");
        }
    }
    if let Some(e) = existing
        && e.locked()
        && starts_at != e.starts_at
    {
        errors.add(
            "starts_at",
            "The start cannot change after the first redemption.",
        );
    }
    (starts_at, redeem_by)
}

fn check_max(input: &CouponInput, ctx: &CouponContext, errors: &mut FormErrors) -> Option<i64> {
    let raw = input.max_redemptions.trim();
    if raw.is_empty() {
        return None;
    }
    match raw.parse::<i64>() {
        Ok(max) if max >= 1 => {
            if let Some(e) = ctx.existing
                && max < e.times_redeemed
            {
                errors.add(
                    "max_redemptions",
                    format!(
                        "Already redeemed {} times: the limit cannot go below {}.",
                        e.times_redeemed, e.times_redeemed
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
    }
}

fn check_products<'a>(
    input: &CouponInput,
    ctx: &'a CouponContext,
    errors: &mut FormErrors,
) -> Vec<&'a ProductFacts> {
    let mut chosen: Vec<&ProductFacts> = Vec::new();
    for raw in &input.applies_to {
        let found = raw
            .trim()
            .parse::<i64>()
            .ok()
            .and_then(|id| ctx.products.iter().find(|p| p.id.0 == id));
        match found {
            Some(p) if !chosen.iter().any(|c| c.id == p.id) => chosen.push(p),
            Some(_) => {}
            None => errors.add("applies_to", "Choose products of this store."),
        }
    }
    chosen
}

/// Checks the form against every rule of SPEC section 3.
pub fn check(input: &CouponInput, ctx: &CouponContext) -> Result<CouponDraft, FormErrors> {
    let mut errors = FormErrors::default();
    let existing = ctx.existing.filter(|e| e.locked());

    let code = errors.check("code", CouponCode::parse(&input.code));
    if let (Some(code), Some(e)) = (&code, existing)
        && code.as_str() != e.code
    {
        errors.add("code", "The code cannot change after the first redemption.");
    }
    let name = errors
        .check("name", super::text::name(&input.name, None, NAME_MAX))
        .unwrap_or_default();

    let discount = check_discount(input, &mut errors);
    let duration = match Duration::parse(&input.duration, &input.duration_in_months) {
        Ok(d) => Some(d),
        Err((field, message)) => {
            errors.add(field, message);
            None
        }
    };
    if let Some(e) = existing {
        if discount.is_some_and(|d| d.type_str() != e.discount.type_str()) {
            errors.add("discount_type", LOCKED);
        } else if discount.is_some_and(|d| d != e.discount) {
            let field = match e.discount {
                Discount::Percent(_) => "percent_off",
                Discount::Amount { .. } => "amount_off",
            };
            errors.add(field, LOCKED);
        }
        if duration.is_some_and(|d| d.as_str() != e.duration.as_str()) {
            errors.add("duration", LOCKED);
        } else if duration.is_some_and(|d| d != e.duration) {
            errors.add("duration_in_months", LOCKED);
        }
    }

    let max_redemptions = check_max(input, ctx, &mut errors);
    let (starts_at, redeem_by) = check_dates(input, ctx, &mut errors);
    let chosen = check_products(input, ctx, &mut errors);
    let velocity =
        super::velocity::check(&input.velocity_limit, &input.velocity_window, &mut errors);

    if duration == Some(Duration::Forever)
        && !chosen.is_empty()
        && chosen.iter().all(|p| !p.billing.is_recurring())
    {
        errors.add(
            "applies_to",
            "A forever coupon only discounts recurring products, and every product chosen here is one-time. Add a recurring product, or choose another duration.",
        );
    }

    if let (Some(discount), Some(duration)) = (discount, duration) {
        // Unchanged terms were confirmed when they were first saved.
        let unchanged = ctx
            .existing
            .is_some_and(|e| e.discount == discount && e.duration == duration);
        let confirmed = unchanged || input.confirm_full_discount.is_some();
        if !confirmed && let Some(why) = full_discount(discount, duration, &chosen, ctx.products) {
            errors.add("confirm_full_discount", why);
        }
    }

    match (code, discount, duration) {
        (Some(code), Some(discount), Some(duration)) if errors.is_empty() => Ok(CouponDraft {
            code,
            name: (!name.is_empty()).then_some(name),
            discount,
            duration,
            max_redemptions,
            starts_at,
            redeem_by,
            applies_to: chosen.iter().map(|p| p.id).collect(),
            once_per_customer: input.once_per_customer.is_some(),
            velocity,
        }),
        _ => Err(errors),
    }
}

/// Why this discount gives something away for free, if it does: 100% off,
/// or an amount off that covers a whole product it applies to.
fn full_discount(
    discount: Discount,
    duration: Duration,
    chosen: &[&ProductFacts],
    all: &[ProductFacts],
) -> Option<String> {
    const ADVICE: &str = "Giving a product away is not recommended: use a free trial instead. Tick the box to confirm you mean it.";
    match discount {
        Discount::Percent(p) if p >= FULL => {
            Some(format!("100% off makes the purchase free. {ADVICE}"))
        }
        Discount::Percent(_) => None,
        Discount::Amount { minor, currency } => {
            let in_scope: Vec<&ProductFacts> = if chosen.is_empty() {
                all.iter().filter(|p| !p.archived).collect()
            } else {
                chosen.to_vec()
            };
            in_scope
                .into_iter()
                .filter(|p| duration != Duration::Forever || p.billing.is_recurring())
                .find(|p| p.currency == currency.code() && p.price > 0 && minor >= p.price)
                .map(|p| {
                    format!(
                        "{} off covers the whole price of “{}” ({}). {ADVICE}",
                        currency.display(minor),
                        p.name,
                        currency.display(p.price)
                    )
                })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::product::Interval;
    use chrono::TimeDelta;

    fn products() -> Vec<ProductFacts> {
        vec![
            ProductFacts {
                id: ProductId(1),
                name: "Ebook".into(),
                price: 1500,
                currency: "USD".into(),
                billing: Billing::OneTime,
                archived: false,
            },
            ProductFacts {
                id: ProductId(2),
                name: "Pro plan".into(),
                price: 1000,
                currency: "USD".into(),
                billing: Billing::Recurring(Interval::Month),
                archived: false,
            },
        ]
    }

    fn good() -> CouponInput {
        CouponInput {
            code: "SUMMER10".into(),
            discount_type: "percent".into(),
            percent_off: "25".into(),
            duration: "once".into(),
            ..CouponInput::default()
        }
    }

    fn run(
        input: &CouponInput,
        existing: Option<&ExistingCoupon>,
    ) -> Result<CouponDraft, FormErrors> {
        let products = products();
        let ctx = CouponContext {
            now: chrono::Utc::now().naive_utc(),
            tz: chrono_tz::Europe::Berlin,
            products: &products,
            existing,
        };
        check(input, &ctx)
    }

    fn error(input: CouponInput, field: &str) -> String {
        run(&input, None)
            .err()
            .and_then(|e| e.get(field).map(str::to_string))
            .unwrap_or_else(|| panic!("no error on {field} for {input:?}"))
    }

    #[test]
    fn a_good_coupon_passes() {
        let draft = run(&good(), None);
        assert_eq!(
            draft.as_ref().map(|d| d.discount.describe()).ok(),
            Some("25% off".into())
        );
        let value = CouponInput {
            discount_type: "value".into(),
            percent_off: "".into(),
            amount_off: "5".into(),
            currency: "usd".into(),
            duration: "repeating".into(),
            duration_in_months: "3".into(),
            applies_to: vec!["2".into()],
            ..good()
        };
        let draft = run(&value, None);
        assert_eq!(
            draft.as_ref().map(|d| d.discount.describe()).ok(),
            Some("$5.00 off".into())
        );
        assert_eq!(draft.map(|d| d.applies_to).ok(), Some(vec![ProductId(2)]));
    }

    #[test]
    fn every_field_rule_has_its_message() {
        assert!(
            error(
                CouponInput {
                    code: "SUMMER-10".into(),
                    ..good()
                },
                "code"
            )
            .contains("letters")
        );
        assert!(
            error(
                CouponInput {
                    name: "x".repeat(41),
                    ..good()
                },
                "name"
            )
            .contains("40")
        );
        assert!(
            error(
                CouponInput {
                    percent_off: "100.5".into(),
                    ..good()
                },
                "percent_off"
            )
            .contains("100")
        );
        assert!(
            error(
                CouponInput {
                    percent_off: "12.345".into(),
                    ..good()
                },
                "percent_off"
            )
            .contains("2 decimal")
        );
        assert!(
            error(
                CouponInput {
                    currency: "USD".into(),
                    ..good()
                },
                "currency"
            )
            .contains("empty")
        );
        let value = CouponInput {
            discount_type: "value".into(),
            percent_off: "".into(),
            amount_off: "5.001".into(),
            currency: "USD".into(),
            ..good()
        };
        assert!(error(value.clone(), "amount_off").contains("2 decimal"));
        assert!(
            error(
                CouponInput {
                    currency: "".into(),
                    ..value.clone()
                },
                "currency"
            )
            .contains("Choose")
        );
        assert!(
            error(
                CouponInput {
                    amount_off: "5.5".into(),
                    currency: "JPY".into(),
                    ..value
                },
                "amount_off"
            )
            .contains("no decimals")
        );
        assert!(
            error(
                CouponInput {
                    duration_in_months: "3".into(),
                    ..good()
                },
                "duration_in_months"
            )
            .contains("empty")
        );
        assert!(
            error(
                CouponInput {
                    duration: "repeating".into(),
                    ..good()
                },
                "duration_in_months"
            )
            .contains("months")
        );
        assert!(
            error(
                CouponInput {
                    max_redemptions: "0".into(),
                    ..good()
                },
                "max_redemptions"
            )
            .contains("at least 1")
        );
        assert!(
            error(
                CouponInput {
                    redeem_by: "2020-01-01T00:00".into(),
                    ..good()
                },
                "redeem_by"
            )
            .contains("future")
        );
        let later = (chrono::Utc::now() + TimeDelta::days(30))
            .format("%Y-%m-%dT%H:%M")
            .to_string();
        let sooner = (chrono::Utc::now() + TimeDelta::days(10))
            .format("%Y-%m-%dT%H:%M")
            .to_string();
        assert!(
            error(
                CouponInput {
                    starts_at: later,
                    redeem_by: sooner,
                    ..good()
                },
                "redeem_by"
            )
            .contains("after the start")
        );
        assert!(
            error(
                CouponInput {
                    applies_to: vec!["99".into()],
                    ..good()
                },
                "applies_to"
            )
            .contains("this store")
        );
    }

    #[test]
    fn full_discounts_need_confirmation() {
        assert!(
            error(
                CouponInput {
                    percent_off: "100".into(),
                    ..good()
                },
                "confirm_full_discount"
            )
            .contains("free trial")
        );
        let confirmed = CouponInput {
            percent_off: "100".into(),
            confirm_full_discount: Some("on".into()),
            ..good()
        };
        assert!(run(&confirmed, None).is_ok());
        let covers = CouponInput {
            discount_type: "value".into(),
            percent_off: "".into(),
            amount_off: "10".into(),
            currency: "USD".into(),
            ..good()
        };
        assert!(error(covers.clone(), "confirm_full_discount").contains("Pro plan"));
        // Only the ebook is in scope, and $10 does not cover it.
        assert!(
            run(
                &CouponInput {
                    applies_to: vec!["1".into()],
                    ..covers.clone()
                },
                None
            )
            .is_ok()
        );
        // Another currency never covers a USD product.
        assert!(
            run(
                &CouponInput {
                    currency: "EUR".into(),
                    ..covers
                },
                None
            )
            .is_ok()
        );
    }

    #[test]
    fn forever_coupons_need_a_recurring_product() {
        let forever = CouponInput {
            duration: "forever".into(),
            applies_to: vec!["1".into()],
            ..good()
        };
        assert!(error(forever.clone(), "applies_to").contains("recurring"));
        assert!(
            run(
                &CouponInput {
                    applies_to: vec!["1".into(), "2".into()],
                    ..forever.clone()
                },
                None
            )
            .is_ok()
        );
        assert!(
            run(
                &CouponInput {
                    applies_to: vec![],
                    ..forever
                },
                None
            )
            .is_ok()
        );
    }

    #[test]
    fn terms_lock_after_the_first_redemption() {
        let existing = ExistingCoupon {
            code: "SUMMER10".into(),
            discount: Discount::Percent(Percent::parse("25").unwrap_or(FULL)),
            duration: Duration::Once,
            times_redeemed: 3,
            starts_at: None,
            redeem_by: None,
        };
        assert!(run(&good(), Some(&existing)).is_ok());
        let changes = [
            (
                CouponInput {
                    percent_off: "30".into(),
                    ..good()
                },
                "percent_off",
            ),
            (
                CouponInput {
                    duration: "forever".into(),
                    ..good()
                },
                "duration",
            ),
            (
                CouponInput {
                    code: "WINTER10".into(),
                    ..good()
                },
                "code",
            ),
            (
                CouponInput {
                    max_redemptions: "2".into(),
                    ..good()
                },
                "max_redemptions",
            ),
        ];
        for (input, field) in changes {
            let errors = run(&input, Some(&existing)).err().unwrap_or_default();
            assert!(errors.get(field).is_some(), "{field} was not refused");
        }
        // Editable fields stay editable.
        let edited = CouponInput {
            name: "Summer".into(),
            max_redemptions: "3".into(),
            once_per_customer: Some("on".into()),
            ..good()
        };
        assert!(run(&edited, Some(&existing)).is_ok());
    }
}
