//! The API's checkout (SPEC 10): validate a code against a cart (reads
//! only), redeem it once per idempotency key, roll a redemption back. The
//! rules are the checkout's own (`app::checkout`): the same resolution, the
//! same limits in the same transaction, the same refusal keys.

use crate::analytics::Tally;
use crate::app::checkout::{self, Extra, Mode, Placed};
use crate::db::idempotency::Lookup;
use crate::db::orders::OrderRow;
use crate::db::stores::Store;
use crate::db::{self, Conn, DbError};
use crate::domain::checkout::{CheckoutInput, PRODUCTS_FIELD};
use crate::domain::form_errors::FormErrors;
use crate::domain::ids::{Actor, ApiKeyId, CouponId, OrderId, StoreId};
use crate::domain::pricing::Quote;
use crate::domain::redemption::{Refusal, Via};

/// A cart as the API sends it.
#[derive(Debug, Clone, Default)]
pub struct CartRequest {
    pub code: String,
    pub email: String,
    /// (product id, quantity)
    pub lines: Vec<(i64, i64)>,
}

impl CartRequest {
    /// The checkout form this cart fills in; a product given twice is a
    /// field error.
    fn input(&self) -> Result<CheckoutInput, FormErrors> {
        let mut errors = FormErrors::default();
        if self.code.trim().is_empty() {
            errors.add("code", "Enter the code to check.");
        }
        let mut quantities: Vec<(i64, String)> = Vec::new();
        for (product, quantity) in &self.lines {
            if quantities.iter().any(|(p, _)| p == product) {
                errors.add(
                    PRODUCTS_FIELD,
                    format!("Product {product} is in the cart twice: send each product once."),
                );
            }
            quantities.push((*product, quantity.to_string()));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(CheckoutInput {
            email: self.email.clone(),
            coupon: self.code.clone(),
            quantities,
        })
    }
}

/// A code that applies to the cart, and the price.
#[derive(Debug, Clone)]
pub struct Valid {
    pub code: String,
    /// `coupon`, `promotion_code` or `set_code`.
    pub resolved_as: &'static str,
    pub coupon_id: CouponId,
    pub quote: Quote,
}

/// What a validation came to.
#[derive(Debug)]
pub enum Validation {
    Valid(Valid),
    Refused(Refusal),
    /// The cart or the email is wrong: field → message, as the checkout says.
    Invalid(FormErrors),
}

fn resolved_as(via: &Via) -> &'static str {
    match via {
        Via::Coupon => "coupon",
        Via::Promotion(_) => "promotion_code",
        Via::SetCode { .. } => "set_code",
    }
}

/// Is `cart`'s code good for it, and for how much? Nothing is redeemed.
pub fn validate(
    conn: &mut Conn,
    store: &Store,
    cart: &CartRequest,
    tally: &Tally,
) -> Result<Validation, DbError> {
    let input = match cart.input() {
        Ok(input) => input,
        Err(errors) => return Ok(Validation::Invalid(errors)),
    };
    let checked = checkout::quote(conn, store, input, Mode::Preview, tally)?;
    let outcome = checked.outcome;
    if !outcome.errors.is_empty() {
        return Ok(Validation::Invalid(outcome.errors));
    }
    Ok(match (outcome.refusal, outcome.applied, outcome.quote) {
        (Some(refusal), _, _) => Validation::Refused(refusal),
        (None, Some(applied), Some(quote)) => Validation::Valid(Valid {
            resolved_as: resolved_as(&applied.via),
            code: applied.code,
            coupon_id: applied.coupon_id,
            quote,
        }),
        // Every path above gives a refusal or a quote; say the code is
        // unknown rather than guess.
        _ => Validation::Refused(Refusal::UnknownCode),
    })
}

/// A redemption request: the cart and what the order keeps of the caller's.
#[derive(Debug, Clone, Default)]
pub struct RedeemRequest {
    pub cart: CartRequest,
    pub external_id: Option<String>,
    /// String pairs, as JSON text.
    pub metadata: Option<String>,
}

/// What placing the order came to, before it is rendered.
#[derive(Debug)]
pub enum Redeemed {
    Ordered(Box<OrderRow>),
    Refused(Refusal),
    Invalid(FormErrors),
}

/// The answer to a redemption request: rendered now, or a replay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// The request ran now: its status and body.
    Fresh { status: u16, body: String },
    /// An earlier request with this key was answered this way.
    Replay { status: u16, body: String },
    /// The key was used with another request body.
    Mismatch,
    /// The first request with this key is still running.
    InFlight,
}

/// Every this many redemptions, old idempotency answers are pruned.
const PRUNE_EVERY: u64 = 1_000;
static PRUNE_TICK: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// A redemption's `Idempotency-Key` and the hash of its body.
pub struct Idempotency<'a> {
    pub key: &'a str,
    pub request_hash: &'a str,
    /// The keys this process is redeeming now.
    pub running: &'a Redeeming,
}

/// Redeems `request` once per idempotency `key` of the store: the first
/// request places the order (or learns why not) and keeps the answer
/// `render` makes of it for 24 hours, written with the order; a repeat
/// with the same body (same `request_hash`) gets that answer again. A
/// request that did not get past its checks (an invalid cart) keeps
/// nothing, so a fixed retry may run.
pub fn redeem(
    conn: &mut Conn,
    store: &Store,
    idempotency: Idempotency,
    request: &RedeemRequest,
    keep_refusal: impl FnOnce() -> bool,
    render: impl Fn(&Redeemed) -> (u16, String),
    tally: &Tally,
) -> Result<Answer, DbError> {
    let Idempotency {
        key,
        request_hash,
        running,
    } = idempotency;
    // Now and then, answers older than 24 hours go (no timer thread needed).
    if PRUNE_TICK
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        .is_multiple_of(PRUNE_EVERY)
    {
        prune(conn)?;
    }
    // A second request with the key while the first runs in this process
    // is told so. (One in another process finds the answer once the first
    // has written it; until then both may run, and the first answer
    // written wins: see `db::idempotency`.)
    let Some(_running) = running.start(store.id(), key) else {
        return Ok(Answer::InFlight);
    };
    if let Some(answer) = looked_up(conn, store, key, request_hash)? {
        return Ok(answer);
    }
    // The answer to an order is rendered and kept inside the order's own
    // transaction: the order and its stored answer commit together. This
    // copy is read only when the order committed (a limit refusing after
    // the answer was written rolls the stored one back).
    let answer: std::cell::RefCell<Option<(u16, String)>> = std::cell::RefCell::new(None);
    let taken = std::cell::Cell::new(false);
    let keep_answer = |conn: &mut Conn, order: &OrderRow| -> Result<(), DbError> {
        let (status, body) = render(&Redeemed::Ordered(Box::new(order.clone())));
        if !db::idempotency::keep_in(conn, store.id(), key, request_hash, status, &body)? {
            taken.set(true);
            return Err(DbError::RollbackTransaction);
        }
        *answer.borrow_mut() = Some((status, body));
        Ok(())
    };
    let redeemed = match place(conn, store, request, keep_refusal, &keep_answer, tally) {
        Ok(redeemed) => redeemed,
        // Another request with the key answered first: its order stands,
        // this one rolled back.
        Err(_) if taken.get() => return answered_meanwhile(conn, store, key, request_hash),
        Err(e) => return Err(e),
    };
    let Some(redeemed) = redeemed else {
        // Placed: its answer was kept with the order.
        return match answer.into_inner() {
            Some((status, body)) => Ok(Answer::Fresh { status, body }),
            None => Err(DbError::RollbackTransaction),
        };
    };
    let (status, body) = render(&redeemed);
    // A request that did not get past its checks is not kept (as Stripe
    // does): fixed and sent again with the same key, it runs.
    if !matches!(redeemed, Redeemed::Invalid(_))
        && !db::idempotency::keep(conn, store.id(), key, request_hash, status, &body)?
    {
        return answered_meanwhile(conn, store, key, request_hash);
    }
    Ok(Answer::Fresh { status, body })
}

/// The stored answer for `key`, if the request should not run.
fn looked_up(
    conn: &mut Conn,
    store: &Store,
    key: &str,
    request_hash: &str,
) -> Result<Option<Answer>, DbError> {
    Ok(
        match db::idempotency::lookup(conn, store.id(), key, request_hash)? {
            Lookup::Free => None,
            Lookup::Replay { status, body } => Some(Answer::Replay { status, body }),
            Lookup::Mismatch => Some(Answer::Mismatch),
            Lookup::InFlight => Some(Answer::InFlight),
        },
    )
}

/// The answer another request with the key wrote while this one ran.
fn answered_meanwhile(
    conn: &mut Conn,
    store: &Store,
    key: &str,
    request_hash: &str,
) -> Result<Answer, DbError> {
    Ok(looked_up(conn, store, key, request_hash)?.unwrap_or(Answer::InFlight))
}

/// The idempotency keys of the redemptions running in this process, as
/// `(store, key)`.
#[derive(Debug, Default)]
pub struct Redeeming(std::sync::Mutex<std::collections::HashSet<(i64, String)>>);

impl Redeeming {
    fn keys(&self) -> std::sync::MutexGuard<'_, std::collections::HashSet<(i64, String)>> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Holds `key` until the returned guard is dropped; `None` when a
    /// request with this key runs already.
    fn start(&self, store: StoreId, key: &str) -> Option<Running<'_>> {
        let held = (store.0, key.to_string());
        let fresh = self.keys().insert(held.clone());
        // (Made only when fresh: dropping one frees its key.)
        fresh.then(|| Running(self, held))
    }
}

/// A key held by a running request of this process, until dropped.
struct Running<'a>(&'a Redeeming, (i64, String));

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.0.keys().remove(&self.1);
    }
}

fn place(
    conn: &mut Conn,
    store: &Store,
    request: &RedeemRequest,
    keep_refusal: impl FnOnce() -> bool,
    then: &db::orders::Then,
    tally: &Tally,
) -> Result<Option<Redeemed>, DbError> {
    let input = match request.cart.input() {
        Ok(input) => input,
        Err(errors) => return Ok(Some(Redeemed::Invalid(errors))),
    };
    let public_id = super::tokens::new_token()
        .map(|t| t[..32].to_string())
        .map_err(|e| DbError::QueryBuilderError(Box::new(e)))?;
    let extra = Extra {
        external_id: request.external_id.as_deref(),
        metadata: request.metadata.as_deref(),
        then: Some(then),
    };
    match checkout::place(conn, store, input, public_id, extra, keep_refusal, tally)? {
        // The answer was rendered and kept inside the order's transaction.
        Placed::Ordered { .. } => Ok(None),
        Placed::NotPlaced(checked) => {
            let outcome = checked.outcome;
            Ok(Some(match outcome.refusal {
                _ if !outcome.errors.is_empty() => Redeemed::Invalid(outcome.errors),
                Some(refusal) => Redeemed::Refused(refusal),
                None => {
                    let mut errors = FormErrors::default();
                    errors.add("code", "Enter the code to redeem.");
                    Redeemed::Invalid(errors)
                }
            }))
        }
    }
}

/// Gives redemption (order) `id` back exactly as a staff refund does; a
/// second rollback changes nothing. `NotFound` for another store's id.
pub fn rollback(
    conn: &mut Conn,
    store: &Store,
    id: OrderId,
    key: ApiKeyId,
    reason: Option<&str>,
    tally: &Tally,
) -> Result<OrderRow, DbError> {
    checkout::refund(conn, store, id, Actor::ApiKey(key), reason, tally)?;
    db::orders::find_row(conn, store.id(), id)
}

/// Deletes idempotency answers older than 24 hours.
pub fn prune(conn: &mut Conn) -> Result<usize, DbError> {
    db::idempotency::prune(conn, db::now() - db::idempotency::KEPT_FOR)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A key is held once at a time, per store, until its guard drops; a
    /// refused second start frees nothing.
    #[test]
    fn a_key_runs_once_at_a_time() {
        let redeeming = Redeeming::default();
        let first = redeeming.start(StoreId(1), "k").expect("free");
        assert!(redeeming.start(StoreId(1), "k").is_none());
        assert!(redeeming.start(StoreId(1), "k").is_none(), "still held");
        let other_store = redeeming
            .start(StoreId(2), "k")
            .expect("another store's key");
        drop(first);
        assert!(redeeming.start(StoreId(1), "k").is_some());
        drop(other_store);
        assert!(redeeming.keys().is_empty());
    }
}
