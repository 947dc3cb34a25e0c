//! The checkout form (SPEC section 8): `email`, `coupon` and
//! `quantity_{product_id}` fields in, a cart in one currency out, or a
//! message per field.

use super::coupon::ProductFacts;
use super::email::Email;
use super::form_errors::FormErrors;
use super::money::CurrencyCode;
use super::pricing::CartLine;

pub const MAX_QUANTITY: i64 = 999;
/// The form key of the cart-wide message (no product, mixed currencies).
pub const PRODUCTS_FIELD: &str = "products";

/// The checkout form, as typed.
#[derive(Debug, Clone, Default)]
pub struct CheckoutInput {
    pub email: String,
    pub coupon: String,
    /// (product id, quantity) as typed, from `quantity_{id}` fields.
    pub quantities: Vec<(i64, String)>,
}

impl CheckoutInput {
    /// From the form's (or query's) pairs; unknown fields are ignored. A
    /// field given twice is refused: the preview and the order must read the
    /// same value.
    pub fn from_pairs(pairs: &[(String, String)]) -> Result<CheckoutInput, String> {
        let mut input = CheckoutInput::default();
        let mut seen = std::collections::HashSet::new();
        for (key, value) in pairs {
            let ours = matches!(key.as_str(), "email" | "coupon") || key.starts_with("quantity_");
            if ours && !seen.insert(key.as_str()) {
                return Err(format!(
                    "The form has the field “{}” twice; send each field once.",
                    super::text::clipped(key, 40)
                ));
            }
            match key.as_str() {
                "email" => input.email = value.clone(),
                "coupon" => input.coupon = value.clone(),
                _ => {
                    if let Some(id) = key
                        .strip_prefix("quantity_")
                        .and_then(|id| id.parse::<i64>().ok())
                    {
                        input.quantities.push((id, value.clone()));
                    }
                }
            }
        }
        Ok(input)
    }

    /// The quantity typed for a product, as typed.
    pub fn quantity_of(&self, product: i64) -> &str {
        self.quantities
            .iter()
            .rev()
            .find(|(id, _)| *id == product)
            .map_or("", |(_, q)| q.as_str())
    }

    pub fn code(&self) -> Option<&str> {
        Some(self.coupon.trim()).filter(|c| !c.is_empty())
    }
}

/// A cart whose lines share one currency.
#[derive(Debug, Clone)]
pub struct Cart {
    pub lines: Vec<CartLine>,
    pub currency: CurrencyCode,
}

/// Builds the cart from the typed quantities; `products` are the store's
/// products for sale (not archived).
pub fn build_cart(input: &CheckoutInput, products: &[ProductFacts]) -> Result<Cart, FormErrors> {
    let mut errors = FormErrors::default();
    let mut lines = Vec::new();
    for (id, raw) in &input.quantities {
        let field = format!("quantity_{id}");
        let raw = raw.trim();
        if raw.is_empty()
            || lines
                .iter()
                .any(|l: &(CartLine, String)| l.0.product.0 == *id)
        {
            continue;
        }
        let quantity = match raw.parse::<i64>() {
            Ok(q) if (0..=MAX_QUANTITY).contains(&q) => q,
            _ => {
                errors.add(
                    field,
                    format!("Enter a whole number from 0 to {MAX_QUANTITY}."),
                );
                continue;
            }
        };
        if quantity == 0 {
            continue;
        }
        let Some(product) = products.iter().find(|p| p.id.0 == *id && !p.archived) else {
            // Not on the page (archived or unknown): say it for the cart.
            errors.add(
                PRODUCTS_FIELD,
                "A product of this order is no longer for sale: check your order and try again.",
            );
            continue;
        };
        if product.price.checked_mul(quantity).is_none() {
            errors.add(field, "This quantity is too large.");
            continue;
        }
        lines.push((
            CartLine {
                product: product.id,
                name: product.name.clone(),
                unit_price: product.price,
                quantity,
                billing: product.billing,
            },
            product.currency.clone(),
        ));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let Some((_, first)) = lines.first() else {
        errors.add(
            PRODUCTS_FIELD,
            "Choose at least one product: enter a quantity of 1 or more.",
        );
        return Err(errors);
    };
    if lines.iter().any(|(_, c)| c != first) {
        errors.add(
            PRODUCTS_FIELD,
            "All products of one order must share one currency: order these separately.",
        );
        return Err(errors);
    }
    let currency = errors.check(PRODUCTS_FIELD, CurrencyCode::parse(first));
    let sum = lines
        .iter()
        .try_fold(0i64, |sum, (l, _)| sum.checked_add(l.amount()));
    match (currency, sum) {
        (Some(currency), Some(_)) => Ok(Cart {
            lines: lines.into_iter().map(|(l, _)| l).collect(),
            currency,
        }),
        (_, None) => {
            errors.add(PRODUCTS_FIELD, "This order is too large.");
            Err(errors)
        }
        _ => Err(errors),
    }
}

/// The checkout's email: required to order, optional on a preview.
pub fn parse_email(raw: &str, required: bool) -> Result<Option<Email>, String> {
    match raw.trim() {
        "" if required => Err("Enter your email: the receipt and the order use it.".into()),
        "" => Ok(None),
        raw => Email::parse(raw).map(Some),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::ProductId;
    use crate::domain::product::Billing;

    fn product(id: i64, currency: &str, archived: bool) -> ProductFacts {
        ProductFacts {
            id: ProductId(id),
            name: format!("P{id}"),
            price: 1000,
            currency: currency.into(),
            billing: Billing::OneTime,
            archived,
        }
    }

    fn input(pairs: &[(&str, &str)]) -> CheckoutInput {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        CheckoutInput::from_pairs(&pairs).expect("no field twice")
    }

    #[test]
    fn a_field_given_twice_is_refused() {
        for key in ["quantity_1", "coupon", "email"] {
            let pairs = vec![
                (key.to_string(), "1".to_string()),
                ("quantity_2".to_string(), "1".to_string()),
                (key.to_string(), "5".to_string()),
            ];
            let refused = CheckoutInput::from_pairs(&pairs).expect_err("refused");
            assert!(refused.contains(key), "{refused}");
        }
        // Fields the checkout does not read may repeat.
        let pairs = vec![
            ("preview".to_string(), "1".to_string()),
            ("preview".to_string(), "1".to_string()),
        ];
        assert!(CheckoutInput::from_pairs(&pairs).is_ok());
    }

    #[test]
    fn carts_need_products_of_one_currency() {
        let products = [
            product(1, "USD", false),
            product(2, "EUR", false),
            product(3, "USD", true),
            product(4, "USD", false),
        ];
        let cart = build_cart(
            &input(&[("quantity_1", "2"), ("quantity_4", "0")]),
            &products,
        );
        assert_eq!(cart.map(|c| c.lines.len()).ok(), Some(1));
        let errors = |pairs: &[(&str, &str)]| {
            build_cart(&input(pairs), &products)
                .err()
                .map(|e| e.first_field().unwrap_or_default().to_string())
        };
        assert_eq!(errors(&[("quantity_1", "")]), Some("products".into()));
        assert_eq!(
            errors(&[("quantity_1", "1"), ("quantity_2", "1")]),
            Some("products".into())
        );
        assert_eq!(errors(&[("quantity_1", "-1")]), Some("quantity_1".into()));
        assert_eq!(errors(&[("quantity_1", "1000")]), Some("quantity_1".into()));
        assert_eq!(errors(&[("quantity_1", "1.5")]), Some("quantity_1".into()));
        assert_eq!(errors(&[("quantity_3", "1")]), Some("products".into()));
        assert_eq!(errors(&[("quantity_99", "1")]), Some("products".into()));
        assert_eq!(input(&[("coupon", "  ")]).code(), None);
        assert!(parse_email("", true).is_err());
        assert_eq!(parse_email("", false), Ok(None));
    }
}
