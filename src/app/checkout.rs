//! What a checkout form comes to: the form checked, the code resolved and
//! checked for this buyer, and the cart priced. Reads only; the order itself
//! is written by `db::orders::place`.

use crate::db;
use crate::db::stores::Store;
use crate::domain::checkout::{Cart, CheckoutInput, build_cart, parse_email};
use crate::domain::coupon::ProductFacts;
use crate::domain::form_errors::FormErrors;
use crate::domain::pricing::{self, CartLine, Quote};
use crate::domain::redemption::{self, Applied, Refusal};

/// Why the form is evaluated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `GET /{store}`, e.g. from a share URL: an empty cart gets one unit
    /// of the first product the code covers.
    Visit,
    /// "Apply": the preview, no email needed.
    Preview,
    /// "Place order".
    Order,
}

/// What a checkout form comes to: field errors, the code's fate, the quote.
pub struct Outcome {
    pub errors: FormErrors,
    pub cart: Option<Cart>,
    pub email: Option<crate::domain::email::Email>,
    pub applied: Option<Applied>,
    pub refusal: Option<Refusal>,
    pub quote: Option<Quote>,
}

/// One unit of the first product the code applies to (or the first
/// product), for a shared URL opened without a cart.
fn default_quantities(
    input: &mut CheckoutInput,
    products: &[ProductFacts],
    applied: Option<&Applied>,
) {
    let cart_line = |p: &ProductFacts| CartLine {
        product: p.id,
        name: p.name.clone(),
        unit_price: p.price,
        quantity: 1,
        billing: p.billing,
    };
    let pick = products
        .iter()
        .find(|p| applied.is_none_or(|a| a.terms.covers(&cart_line(p))))
        .or_else(|| products.first());
    if let Some(p) = pick {
        input.quantities.push((p.id.0, "1".into()));
    }
}

/// Checks the form, resolves the code and prices the cart. Reads only.
pub fn evaluate(
    conn: &mut db::Conn,
    store: &Store,
    products: &[ProductFacts],
    input: &mut CheckoutInput,
    mode: Mode,
) -> diesel::QueryResult<Outcome> {
    let now = db::now();
    let tz = crate::web::coupons::view::store_tz(&store.timezone);
    let mut errors = FormErrors::default();
    let email = errors
        .check("email", parse_email(&input.email, mode == Mode::Order))
        .flatten();
    let resolved = match input.code() {
        Some(code) => Some(db::checkout::resolve(
            conn,
            store.id(),
            code,
            email.as_ref(),
            now,
            tz,
        )?),
        None => None,
    };
    if mode == Mode::Visit && input.quantities.iter().all(|(_, q)| q.trim().is_empty()) {
        default_quantities(
            input,
            products,
            resolved.as_ref().and_then(|r| r.as_ref().ok()),
        );
    }
    // A first look at the page (nothing chosen, nothing to choose) is not
    // an error.
    let untouched = mode == Mode::Visit && input.quantities.is_empty();
    let cart = match build_cart(input, products) {
        Ok(cart) => Some(cart),
        Err(_) if untouched => None,
        Err(cart_errors) => {
            for (field, message) in cart_errors.iter() {
                errors.add(field.to_string(), message);
            }
            None
        }
    };
    let mut outcome = Outcome {
        errors,
        cart: None,
        email: email.clone(),
        applied: None,
        refusal: None,
        quote: None,
    };
    match resolved {
        Some(Err(refusal)) => outcome.refusal = Some(refusal),
        Some(Ok(applied)) => {
            if let Some(cart) = &cart {
                let buyer =
                    db::checkout::buyer(conn, store.id(), email.as_ref(), Some(applied.coupon_id))?;
                match redemption::evaluate(&applied, &buyer, &cart.lines, cart.currency, now) {
                    Ok(quote) => outcome.quote = Some(quote),
                    Err(refusal) => outcome.refusal = Some(refusal),
                }
            }
            outcome.applied = Some(applied);
        }
        None => {}
    }
    if outcome.refusal.is_some() {
        outcome.applied = None;
    }
    if outcome.quote.is_none()
        && let Some(cart) = &cart
    {
        outcome.quote = pricing::quote(&cart.lines, cart.currency, None).ok();
    }
    outcome.cart = cart;
    Ok(outcome)
}
