//! Pricing (SPEC section 6): which lines a coupon covers, the discount, the
//! total, and for recurring products the schedule in words. Integer minor
//! units only.

use super::discount::{Discount, Duration, Percent};
use super::ids::ProductId;
use super::money::CurrencyCode;
use super::product::{Billing, Interval};

/// One product of a cart, with its quantity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CartLine {
    pub product: ProductId,
    pub name: String,
    pub unit_price: i64,
    pub quantity: i64,
    pub billing: Billing,
}

impl CartLine {
    /// Price × quantity; carts are built with amounts that fit (see
    /// `checkout::build_cart`).
    pub fn amount(&self) -> i64 {
        self.unit_price.saturating_mul(self.quantity)
    }
}

/// A coupon's terms, as pricing needs them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Terms {
    pub discount: Discount,
    pub duration: Duration,
    /// Empty: every product of the store.
    pub applies_to: Vec<ProductId>,
}

impl Terms {
    /// Is this line eligible? Listed in `applies_to` (or the list is empty),
    /// and recurring when the coupon lasts forever.
    pub fn covers(&self, line: &CartLine) -> bool {
        (self.applies_to.is_empty() || self.applies_to.contains(&line.product))
            && (self.duration != Duration::Forever || line.billing.is_recurring())
    }

    /// The discount on an eligible amount: a percentage rounded half up, or
    /// the amount off capped at the eligible amount.
    pub fn discount_on(&self, eligible: i64) -> i64 {
        let eligible = eligible.max(0);
        match self.discount {
            Discount::Percent(p) => percent_of(eligible, p),
            Discount::Amount { minor, .. } => minor.min(eligible),
        }
    }
}

/// `round_half_up(amount × percent)` for a non-negative amount.
pub fn percent_of(amount: i64, percent: Percent) -> i64 {
    let exact = i128::from(amount.max(0)) * i128::from(percent.basis_points());
    i64::try_from((exact + 5_000) / 10_000).unwrap_or(i64::MAX)
}

/// Why a coupon cannot price this cart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PricingError {
    /// A value coupon in another currency than the order's.
    CurrencyMismatch {
        coupon: CurrencyCode,
        order: CurrencyCode,
    },
    /// No line of the cart is eligible; `recurring_only` when the coupon
    /// lasts forever and only discounts subscriptions.
    NoEligibleProduct { recurring_only: bool },
}

/// A priced cart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quote {
    pub currency: CurrencyCode,
    pub subtotal: i64,
    pub eligible: i64,
    pub discount: i64,
    pub total: i64,
    /// How a recurring discount continues, one sentence per billing interval:
    /// "20% off for the first 3 months, then $10.00/month".
    pub schedule: Vec<String>,
}

/// Prices `lines` (all in `currency`) with an optional coupon.
pub fn quote(
    lines: &[CartLine],
    currency: CurrencyCode,
    terms: Option<&Terms>,
) -> Result<Quote, PricingError> {
    let subtotal = lines
        .iter()
        .fold(0i64, |sum, l| sum.saturating_add(l.amount()));
    let Some(terms) = terms else {
        return Ok(Quote {
            currency,
            subtotal,
            eligible: 0,
            discount: 0,
            total: subtotal,
            schedule: Vec::new(),
        });
    };
    if let Discount::Amount {
        currency: coupon, ..
    } = terms.discount
        && coupon != currency
    {
        return Err(PricingError::CurrencyMismatch {
            coupon,
            order: currency,
        });
    }
    let covered: Vec<&CartLine> = lines.iter().filter(|l| terms.covers(l)).collect();
    if covered.is_empty() {
        return Err(PricingError::NoEligibleProduct {
            recurring_only: terms.duration == Duration::Forever,
        });
    }
    let eligible = covered
        .iter()
        .fold(0i64, |sum, l| sum.saturating_add(l.amount()));
    let discount = terms.discount_on(eligible).clamp(0, subtotal);
    Ok(Quote {
        currency,
        subtotal,
        eligible,
        discount,
        total: subtotal - discount,
        schedule: schedule(&covered, currency, terms),
    })
}

fn unit(interval: Interval, count: i64) -> String {
    let word = interval.as_str();
    if count == 1 {
        word.to_string()
    } else {
        format!("{count} {word}s")
    }
}

/// One sentence per billing interval of the covered recurring lines.
fn schedule(covered: &[&CartLine], currency: CurrencyCode, terms: &Terms) -> Vec<String> {
    [Interval::Month, Interval::Year]
        .into_iter()
        .filter_map(|interval| {
            let full = covered
                .iter()
                .filter(|l| l.billing == Billing::Recurring(interval))
                .fold(0i64, |sum, l| sum.saturating_add(l.amount()));
            let per_cycle = terms.discount_on(full);
            if full == 0 || per_cycle == 0 {
                return None;
            }
            let off = match terms.discount {
                Discount::Percent(p) => format!("{}% off", p.display()),
                Discount::Amount { .. } => format!("{} off", currency.display(per_cycle)),
            };
            let word = interval.as_str();
            let full_price = currency.display(full);
            Some(match terms.duration {
                Duration::Once => {
                    format!("{off} the first {word}, then {full_price}/{word}")
                }
                Duration::Repeating { months } => format!(
                    "{off} for the first {}, then {full_price}/{word}",
                    unit(interval, months)
                ),
                Duration::Forever => format!(
                    "{off} every {word}: {}/{word} instead of {full_price}",
                    currency.display(full - per_cycle)
                ),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn usd() -> CurrencyCode {
        CurrencyCode::parse("USD").unwrap_or_else(|e| panic!("{e}"))
    }

    fn line(id: i64, price: i64, quantity: i64, billing: Billing) -> CartLine {
        CartLine {
            product: ProductId(id),
            name: format!("Product {id}"),
            unit_price: price,
            quantity,
            billing,
        }
    }

    fn percent(bp: i64, duration: Duration, applies_to: Vec<i64>) -> Terms {
        Terms {
            discount: Discount::Percent(
                Percent::from_basis_points(bp).unwrap_or(super::super::discount::FULL),
            ),
            duration,
            applies_to: applies_to.into_iter().map(ProductId).collect(),
        }
    }

    const MONTHLY: Billing = Billing::Recurring(Interval::Month);
    const YEARLY: Billing = Billing::Recurring(Interval::Year);

    #[test]
    fn percent_rounds_half_up_on_the_eligible_subtotal() {
        // 12.5% of 3 lines: only the listed ones count.
        let lines = [
            line(1, 999, 1, Billing::OneTime),
            line(2, 1001, 2, Billing::OneTime),
            line(3, 500, 1, Billing::OneTime),
        ];
        let q = quote(
            &lines,
            usd(),
            Some(&percent(1250, Duration::Once, vec![1, 2])),
        );
        let q = q.unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!((q.subtotal, q.eligible), (3501, 3001));
        // 3001 × 0.125 = 375.125 → 375
        assert_eq!((q.discount, q.total), (375, 3126));
        // 5 × 10% = 0.5 → 1 (half up)
        let q = quote(
            &[line(1, 5, 1, Billing::OneTime)],
            usd(),
            Some(&percent(1000, Duration::Once, vec![])),
        );
        assert_eq!(q.map(|q| q.discount), Ok(1));
        assert_eq!(
            percent_of(
                4,
                Percent::from_basis_points(1000).unwrap_or(super::super::discount::FULL)
            ),
            0
        );
    }

    #[test]
    fn value_is_capped_and_needs_the_orders_currency() {
        let terms = Terms {
            discount: Discount::Amount {
                minor: 5000,
                currency: usd(),
            },
            duration: Duration::Once,
            applies_to: vec![],
        };
        let q = quote(&[line(1, 1200, 2, Billing::OneTime)], usd(), Some(&terms));
        assert_eq!(q.map(|q| (q.discount, q.total)), Ok((2400, 0)));
        let eur = CurrencyCode::parse("EUR").unwrap_or_else(|e| panic!("{e}"));
        let q = quote(&[line(1, 1200, 1, Billing::OneTime)], eur, Some(&terms));
        assert_eq!(
            q,
            Err(PricingError::CurrencyMismatch {
                coupon: usd(),
                order: eur
            })
        );
    }

    #[test]
    fn forever_coupons_discount_recurring_lines_only() {
        let terms = percent(2000, Duration::Forever, vec![]);
        let q = quote(
            &[
                line(1, 5000, 1, Billing::OneTime),
                line(2, 1000, 1, MONTHLY),
            ],
            usd(),
            Some(&terms),
        )
        .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!((q.eligible, q.discount, q.total), (1000, 200, 5800));
        assert_eq!(
            q.schedule,
            vec!["20% off every month: $8.00/month instead of $10.00"]
        );
        let none = quote(&[line(1, 5000, 1, Billing::OneTime)], usd(), Some(&terms));
        assert_eq!(
            none,
            Err(PricingError::NoEligibleProduct {
                recurring_only: true
            })
        );
        let other = quote(
            &[line(1, 5000, 1, Billing::OneTime)],
            usd(),
            Some(&percent(2000, Duration::Once, vec![7])),
        );
        assert_eq!(
            other,
            Err(PricingError::NoEligibleProduct {
                recurring_only: false
            })
        );
    }

    #[test]
    fn schedules_say_how_long_the_discount_lasts() {
        let monthly = [line(2, 1000, 1, MONTHLY)];
        let text = |terms: Terms, lines: &[CartLine]| {
            quote(lines, usd(), Some(&terms))
                .map(|q| q.schedule)
                .unwrap_or_default()
        };
        assert_eq!(
            text(
                percent(2000, Duration::Repeating { months: 3 }, vec![]),
                &monthly
            ),
            vec!["20% off for the first 3 months, then $10.00/month"]
        );
        assert_eq!(
            text(
                percent(2000, Duration::Repeating { months: 1 }, vec![]),
                &monthly
            ),
            vec!["20% off for the first month, then $10.00/month"]
        );
        assert_eq!(
            text(percent(2000, Duration::Once, vec![]), &monthly),
            vec!["20% off the first month, then $10.00/month"]
        );
        let value = Terms {
            discount: Discount::Amount {
                minor: 1500,
                currency: usd(),
            },
            duration: Duration::Repeating { months: 2 },
            applies_to: vec![],
        };
        assert_eq!(
            text(
                value,
                &[line(2, 1000, 1, MONTHLY), line(3, 12000, 1, YEARLY)]
            ),
            vec![
                "$10.00 off for the first 2 months, then $10.00/month",
                "$15.00 off for the first 2 years, then $120.00/year"
            ]
        );
        assert!(
            text(
                percent(2000, Duration::Once, vec![]),
                &[line(1, 100, 1, Billing::OneTime)]
            )
            .is_empty()
        );
    }

    fn billing() -> impl Strategy<Value = Billing> {
        prop_oneof![Just(Billing::OneTime), Just(MONTHLY), Just(YEARLY)]
    }

    fn lines() -> impl Strategy<Value = Vec<CartLine>> {
        prop::collection::vec((1i64..6, 0i64..10_000_000, 1i64..20, billing()), 1..6).prop_map(
            |raw| {
                raw.into_iter()
                    .map(|(id, price, qty, billing)| line(id, price, qty, billing))
                    .collect()
            },
        )
    }

    fn terms() -> impl Strategy<Value = Terms> {
        let discount = prop_oneof![
            (1i64..=10_000).prop_map(|bp| Discount::Percent(
                Percent::from_basis_points(bp).unwrap_or(super::super::discount::FULL)
            )),
            (1i64..100_000_000).prop_map(|minor| Discount::Amount {
                minor,
                currency: usd()
            }),
        ];
        let duration = prop_oneof![
            Just(Duration::Once),
            Just(Duration::Forever),
            (1i64..=240).prop_map(|months| Duration::Repeating { months }),
        ];
        (discount, duration, prop::collection::vec(1i64..6, 0..3)).prop_map(
            |(discount, duration, ids)| Terms {
                discount,
                duration,
                applies_to: ids.into_iter().map(ProductId).collect(),
            },
        )
    }

    proptest! {
        #[test]
        fn discounts_stay_within_their_bounds(lines in lines(), terms in terms()) {
            if let Ok(q) = quote(&lines, usd(), Some(&terms)) {
                prop_assert!(q.discount >= 0);
                prop_assert!(q.discount <= q.eligible);
                prop_assert!(q.eligible <= q.subtotal);
                prop_assert_eq!(q.total, q.subtotal - q.discount);
                prop_assert!(q.total >= 0);
            }
        }

        #[test]
        fn a_percent_discount_is_within_half_a_minor_unit(amount in 0i64..1_000_000_000_000, bp in 1i64..=10_000) {
            let p = Percent::from_basis_points(bp).unwrap_or(super::super::discount::FULL);
            let exact = i128::from(amount) * i128::from(bp); // a·p/100, in 1/10000 units
            let got = i128::from(percent_of(amount, p)) * 10_000;
            prop_assert!((got - exact).abs() <= 5_000, "{amount} × {bp}bp gave {got}");
        }
    }
}
