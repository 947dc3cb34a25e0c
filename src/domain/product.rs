//! Products (Upgrade.Chat's "upgrades"): a name, a price in minor units and
//! how they are billed.

use serde::Deserialize;

use super::form_errors::FormErrors;
use super::money::CurrencyCode;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interval {
    Month,
    Year,
}

impl Interval {
    pub fn as_str(self) -> &'static str {
        match self {
            Interval::Month => "month",
            Interval::Year => "year",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Billing {
    OneTime,
    Recurring(Interval),
}

/// The stored columns (`billing`, `billing_interval`) read back.
impl TryFrom<(String, Option<String>)> for Billing {
    type Error = String;

    fn try_from((billing, interval): (String, Option<String>)) -> Result<Billing, String> {
        match (billing.as_str(), interval.as_deref()) {
            ("one_time", None) => Ok(Billing::OneTime),
            ("recurring", Some("month")) => Ok(Billing::Recurring(Interval::Month)),
            ("recurring", Some("year")) => Ok(Billing::Recurring(Interval::Year)),
            _ => Err(format!(
                "unknown billing {billing:?}/{interval:?} in the database"
            )),
        }
    }
}

impl Billing {
    pub fn parse(billing: &str, interval: &str) -> Result<Billing, (&'static str, String)> {
        match (billing.trim(), interval.trim()) {
            ("one_time", _) => Ok(Billing::OneTime),
            ("recurring", "month") => Ok(Billing::Recurring(Interval::Month)),
            ("recurring", "year") => Ok(Billing::Recurring(Interval::Year)),
            ("recurring", _) => Err(("interval", "Choose monthly or yearly billing.".into())),
            _ => Err(("billing", "Choose one-time or recurring.".into())),
        }
    }

    pub fn billing_str(self) -> &'static str {
        match self {
            Billing::OneTime => "one_time",
            Billing::Recurring(_) => "recurring",
        }
    }

    pub fn interval(self) -> Option<Interval> {
        match self {
            Billing::OneTime => None,
            Billing::Recurring(i) => Some(i),
        }
    }

    pub fn is_recurring(self) -> bool {
        matches!(self, Billing::Recurring(_))
    }

    /// "one-time", "per month", "per year".
    pub fn describe(self) -> &'static str {
        match self {
            Billing::OneTime => "one-time",
            Billing::Recurring(Interval::Month) => "per month",
            Billing::Recurring(Interval::Year) => "per year",
        }
    }
}

/// The product form, as typed.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct ProductInput {
    pub name: String,
    pub price: String,
    pub currency: String,
    pub billing: String,
    pub interval: String,
}

impl ProductInput {
    pub fn with_currency(currency: &str) -> ProductInput {
        ProductInput {
            currency: currency.to_string(),
            ..ProductInput::default()
        }
    }
}

impl Default for ProductInput {
    fn default() -> Self {
        ProductInput {
            name: String::new(),
            price: String::new(),
            currency: "USD".into(),
            billing: "one_time".into(),
            interval: "month".into(),
        }
    }
}

/// A product's checked fields.
#[derive(Debug, Clone)]
pub struct ProductDraft {
    pub name: String,
    pub price: i64,
    pub currency: CurrencyCode,
    pub billing: Billing,
}

impl ProductInput {
    pub fn check(&self) -> Result<ProductDraft, FormErrors> {
        let mut errors = FormErrors::default();
        let name = errors.check(
            "name",
            super::text::name(&self.name, Some("Enter the product's name."), 80),
        );
        let currency = errors.check("currency", CurrencyCode::parse(&self.currency));
        let price = match currency {
            Some(c) if self.price.trim().is_empty() => {
                errors.add(
                    "price",
                    format!(
                        "Enter the price in {}, e.g. {}.",
                        c.code(),
                        c.format_major(999)
                    ),
                );
                None
            }
            Some(c) => errors.check("price", c.parse_major(&self.price)),
            None => None,
        };
        let billing = match Billing::parse(&self.billing, &self.interval) {
            Ok(b) => Some(b),
            Err((field, message)) => {
                errors.add(field, message);
                None
            }
        };
        match (name, currency, price, billing) {
            (Some(name), Some(currency), Some(price), Some(billing)) if errors.is_empty() => {
                Ok(ProductDraft {
                    name,
                    price,
                    currency,
                    billing,
                })
            }
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn stored_billing_reads_back_or_is_an_error() {
        for billing in [
            Billing::OneTime,
            Billing::Recurring(Interval::Month),
            Billing::Recurring(Interval::Year),
        ] {
            let stored = (
                billing.billing_str().to_string(),
                billing.interval().map(|i| i.as_str().to_string()),
            );
            assert_eq!(Billing::try_from(stored), Ok(billing));
        }
        assert!(Billing::try_from(("recurring".to_string(), None)).is_err());
        assert!(Billing::try_from(("weekly".to_string(), None)).is_err());
    }

    use super::*;

    fn input(
        name: &str,
        price: &str,
        currency: &str,
        billing: &str,
        interval: &str,
    ) -> ProductInput {
        ProductInput {
            name: name.into(),
            price: price.into(),
            currency: currency.into(),
            billing: billing.into(),
            interval: interval.into(),
        }
    }

    #[test]
    fn prices_use_the_currency_exponent() {
        let usd = input("Pro", "9.99", "USD", "recurring", "month").check();
        assert_eq!(usd.as_ref().map(|p| p.price).ok(), Some(999));
        assert_eq!(
            usd.map(|p| p.billing).ok(),
            Some(Billing::Recurring(Interval::Month))
        );
        assert_eq!(
            input("Pro", "500", "JPY", "one_time", "")
                .check()
                .map(|p| p.price)
                .ok(),
            Some(500)
        );
        assert_eq!(
            input("Pro", "1.250", "KWD", "one_time", "")
                .check()
                .map(|p| p.price)
                .ok(),
            Some(1250)
        );
    }

    #[test]
    fn bad_products_name_each_field() {
        let errors = input("", "9.999", "USD", "weekly", "")
            .check()
            .err()
            .unwrap_or_default();
        assert!(errors.get("name").is_some());
        assert!(errors.get("price").is_some());
        assert!(errors.get("billing").is_some());
        let errors = input("Pro", "5", "USD", "recurring", "day")
            .check()
            .err()
            .unwrap_or_default();
        assert!(errors.get("interval").is_some());
        let errors = input("Pro", "5.5", "JPY", "one_time", "")
            .check()
            .err()
            .unwrap_or_default();
        assert!(
            errors
                .get("price")
                .unwrap_or_default()
                .contains("no decimals")
        );
    }
}
