//! The checkout use case, for the public checkout form (and later the API):
//! `quote` checks a form, resolves its code for this buyer and prices the
//! cart (reads only); `place` does that and then writes the order in one
//! transaction with every limit (`db::orders::place`), or says why not;
//! `refund` gives an order's redemption back.

use crate::analytics::{RefusalSlot, Slot, Tally};
use crate::app::analytics::today;
use crate::db;
use crate::db::stores::Store;
use crate::domain::analytics::CodeKey;
use crate::domain::checkout::{Cart, CheckoutInput, build_cart, parse_email};
use crate::domain::code::TYPED_CODE_MAX;
use crate::domain::coupon::ProductFacts;
use crate::domain::form_errors::FormErrors;
use crate::domain::ids::{Actor, OrderId, StoreId};
use crate::domain::pricing::{self, CartLine, Quote};
use crate::domain::redemption::{self, Applied, Buyer, Refusal, Via};
use crate::domain::text::clipped;

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
    /// The code the typed text resolved to (kept when it was refused), for
    /// the analytics.
    pub code: Option<CodeKey>,
}

/// The code an applied text stands for, as the analytics count it.
fn key_of(applied: &Applied) -> CodeKey {
    let (promotion, set) = match &applied.via {
        Via::Promotion(p) => (p.id.0, 0),
        Via::SetCode { set, .. } => (0, set.0),
        Via::Coupon => (0, 0),
    };
    CodeKey {
        coupon: applied.coupon_id.0,
        promotion,
        set,
    }
}

/// Counts what a look at the checkout came to: a shared URL opened, the
/// code applied to the preview (or an API validation), or refused.
fn count_look(tally: &Tally, checkout: &Checkout, mode: Mode) {
    let outcome = &checkout.outcome;
    if checkout.input.code().is_none() {
        return;
    }
    let day = today(&checkout.store);
    let store = checkout.store.id();
    let slot = |code: CodeKey| Slot {
        store,
        code,
        day,
        currency: String::new(),
    };
    if mode == Mode::Visit
        && let Some(code) = outcome.code
    {
        tally.add(slot(code), |c| c.opens += 1);
    }
    if let Some(refusal) = &outcome.refusal {
        count_refusal(tally, store, outcome.code, day, refusal);
    } else if let (Some(applied), Some(_)) = (&outcome.applied, &outcome.quote) {
        tally.add(slot(key_of(applied)), |c| c.applied += 1);
    }
}

fn count_refusal(
    tally: &Tally,
    store: StoreId,
    code: Option<CodeKey>,
    day: i64,
    refusal: &Refusal,
) {
    tally.refused(RefusalSlot {
        store,
        code: code.unwrap_or_default(),
        day,
        reason: refusal.key(),
    });
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
fn evaluate(
    conn: &mut db::Conn,
    store: &Store,
    products: &[ProductFacts],
    input: &mut CheckoutInput,
    mode: Mode,
) -> diesel::QueryResult<Outcome> {
    let now = db::now();
    let tz = store.timezone.tz();
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
        code: match &resolved {
            Some(Ok(applied)) => Some(key_of(applied)),
            _ => None,
        },
    };
    match resolved {
        Some(Err(refusal)) => outcome.refusal = Some(refusal),
        Some(Ok(applied)) => {
            if let Some(cart) = &cart {
                let buyer = if applied.reads_history() {
                    db::checkout::buyer(conn, store.id(), email.as_ref(), Some(applied.coupon_id))?
                } else {
                    Buyer {
                        email: email.clone(),
                        ..Buyer::default()
                    }
                };
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

/// A store's checkout form, evaluated.
pub struct Checkout {
    pub store: Store,
    /// The products for sale (not archived).
    pub products: Vec<ProductFacts>,
    /// The form, with the default quantity a shared URL adds.
    pub input: CheckoutInput,
    pub outcome: Outcome,
}

/// What placing an order came to.
pub enum Placed {
    /// The order is written; its receipt's id.
    Ordered {
        store: Store,
        id: OrderId,
        public_id: String,
    },
    /// Nothing ordered: the form's errors or the code's refusal are in the
    /// outcome (a refusal at write time too, e.g. the last use went to
    /// another customer in between; the quote is then without discount).
    NotPlaced(Box<Checkout>),
}

/// Which store: by its slug (the public checkout) or already loaded (the
/// API's key names it).
pub enum StoreRef<'a> {
    Slug(&'a str),
    Loaded(&'a Store),
}

impl<'a> From<&'a str> for StoreRef<'a> {
    fn from(slug: &'a str) -> StoreRef<'a> {
        StoreRef::Slug(slug)
    }
}

impl<'a> From<&'a Store> for StoreRef<'a> {
    fn from(store: &'a Store) -> StoreRef<'a> {
        StoreRef::Loaded(store)
    }
}

/// The store and its products for sale; `NotFound` for an unknown slug.
fn load(conn: &mut db::Conn, store: StoreRef) -> diesel::QueryResult<(Store, Vec<ProductFacts>)> {
    let store = match store {
        StoreRef::Slug(slug) => db::stores::find_by_slug(conn, slug)?,
        StoreRef::Loaded(store) => store.clone(),
    };
    let products = db::products::list(conn, store.id())?
        .iter()
        .filter(|p| p.archived_at.is_none())
        .map(|p| p.facts())
        .collect();
    Ok((store, products))
}

/// The form of `store` evaluated in `mode`: errors, the code's fate and the
/// price. Reads only, from one snapshot; a visit, preview or validation is
/// counted in `tally` (analytics).
pub fn quote<'a>(
    conn: &mut db::Conn,
    store: impl Into<StoreRef<'a>>,
    input: CheckoutInput,
    mode: Mode,
    tally: &Tally,
) -> diesel::QueryResult<Checkout> {
    let checkout = evaluated(conn, store, input, mode)?;
    if mode != Mode::Order {
        count_look(tally, &checkout, mode);
    }
    Ok(checkout)
}

fn evaluated<'a>(
    conn: &mut db::Conn,
    store: impl Into<StoreRef<'a>>,
    input: CheckoutInput,
    mode: Mode,
) -> diesel::QueryResult<Checkout> {
    let store = store.into();
    db::read_snapshot(conn, move |conn| quote_now(conn, store, input, mode))
}

fn quote_now(
    conn: &mut db::Conn,
    store: StoreRef,
    mut input: CheckoutInput,
    mode: Mode,
) -> diesel::QueryResult<Checkout> {
    let (store, products) = load(conn, store)?;
    let outcome = evaluate(conn, &store, &products, &mut input, mode)?;
    Ok(Checkout {
        store,
        products,
        input,
        outcome,
    })
}

/// What an order made through the API records besides the form's fields.
#[derive(Clone, Copy, Default)]
pub struct Extra<'a> {
    pub external_id: Option<&'a str>,
    pub metadata: Option<&'a str>,
    /// Runs last inside the order's transaction (the API stores its answer
    /// there, so an order never exists without it).
    pub then: Option<&'a db::orders::Then<'a>>,
}

/// Places the order of the form, with `public_id` as its receipt's id. A
/// refused code is kept for staff (clipped) when `keep_refusal` allows it
/// (the per-client cap on stored attempts). The redemption or refusal is
/// counted in `tally` once the order's transaction has ended.
pub fn place<'a>(
    conn: &mut db::Conn,
    store: impl Into<StoreRef<'a>>,
    input: CheckoutInput,
    public_id: String,
    extra: Extra,
    keep_refusal: impl FnOnce() -> bool,
    tally: &Tally,
) -> diesel::QueryResult<Placed> {
    let mut checkout = evaluated(conn, store, input, Mode::Order)?;
    if !checkout.outcome.errors.is_empty() {
        return Ok(Placed::NotPlaced(Box::new(checkout)));
    }
    let outcome = &mut checkout.outcome;
    if outcome.refusal.is_none()
        && let (Some(cart), Some(quote), Some(email)) =
            (&outcome.cart, &outcome.quote, &outcome.email)
    {
        let order = db::orders::NewOrder {
            public_id,
            email,
            cart,
            quote,
            applied: outcome.applied.as_ref(),
            external_id: extra.external_id,
            metadata: extra.metadata,
            then: extra.then,
            buckets: crate::domain::velocity::Buckets::at(db::now(), checkout.store.timezone.tz()),
        };
        match db::orders::place(conn, checkout.store.id(), &order) {
            Ok(id) => {
                crate::metrics::redeemed(match order.applied.map(|a| &a.via) {
                    None => "none",
                    Some(Via::Promotion(_)) => "promotion_code",
                    Some(Via::SetCode { .. }) => "set_code",
                    Some(_) => "coupon",
                });
                if let Some(applied) = order.applied {
                    let slot = Slot {
                        store: checkout.store.id(),
                        code: key_of(applied),
                        day: today(&checkout.store),
                        currency: quote.currency.code().to_string(),
                    };
                    tally.add(slot, |c| {
                        c.redeemed += 1;
                        c.discount += quote.discount;
                        c.revenue += quote.total;
                    });
                }
                return Ok(Placed::Ordered {
                    store: checkout.store,
                    id,
                    public_id: order.public_id,
                });
            }
            Err(db::orders::PlaceError::Db(e)) => return Err(e),
            Err(refused) => {
                outcome.refusal = Some(match refused {
                    db::orders::PlaceError::Refused(refusal) => refusal,
                    _ => Refusal::CodePaused,
                });
                outcome.applied = None;
                outcome.quote = pricing::quote(&cart.lines, cart.currency, None).ok();
            }
        }
    }
    if let Some(refusal) = &outcome.refusal {
        crate::metrics::refused(refusal.key());
        if checkout.input.code().is_some() {
            count_refusal(
                tally,
                checkout.store.id(),
                outcome.code,
                today(&checkout.store),
                refusal,
            );
        }
    }
    if let Some(refusal) = &outcome.refusal
        && keep_refusal()
    {
        db::orders::record_attempt(
            conn,
            checkout.store.id(),
            &clipped(checkout.input.email.trim(), 254),
            &clipped(checkout.input.coupon.trim(), TYPED_CODE_MAX),
            refusal,
        )?;
    }
    Ok(Placed::NotPlaced(Box::new(checkout)))
}

/// Refunds a paid order of `store`: its redemption is given back (and
/// counted as rolled back, its amounts taken off the day's). `false` when
/// it was refunded already.
pub fn refund(
    conn: &mut db::Conn,
    store: &Store,
    order: OrderId,
    user: Actor,
    reason: Option<&str>,
    tally: &Tally,
) -> diesel::QueryResult<bool> {
    let refunded = db::orders::refund(conn, store.id(), order, user, reason)?;
    if refunded {
        let row = db::orders::find_row(conn, store.id(), order)?;
        if let Some(coupon) = row.coupon_id {
            let set = match row.set_code_id {
                Some(code) => db::coupon_sets::set_of_code(conn, code)?.unwrap_or(0),
                None => 0,
            };
            let slot = Slot {
                store: store.id(),
                code: CodeKey {
                    coupon,
                    promotion: row.promotion_code_id.unwrap_or(0),
                    set,
                },
                day: today(store),
                currency: row.currency.clone(),
            };
            tally.add(slot, |c| {
                c.rolled_back += 1;
                c.discount -= row.discount;
                c.revenue -= row.total;
            });
        }
    }
    Ok(refunded)
}
