//! Redemption checks (SPEC section 6): what a typed code resolved to, who is
//! buying, and the one reason, in the customer's words, why it does not
//! apply. The database re-checks every limit with conditional updates when
//! the order is written; this decides the message.

use chrono::NaiveDateTime;

use super::email::Email;
use super::ids::{CouponId, CouponSetId, PromotionCodeId};
use super::money::CurrencyCode;
use super::pricing::{self, CartLine, PricingError, Quote, Terms};
use super::promotion::{PromoFacts, PromoState};
use super::states::{CouponFacts, CouponState};

/// Why a code does not apply. Each has its own key (kept with refused
/// attempts) and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    UnknownCode,
    /// A coupon's code, typed with other capital and small letters.
    CaseSensitive,
    CouponDeleted,
    CouponArchived,
    CouponScheduled {
        starts: String,
    },
    CouponExpired,
    CouponExhausted,
    PromotionInactive,
    PromotionExpired,
    PromotionExhausted,
    SetCodeUsed,
    SetCodeArchived,
    CustomerRestricted,
    FirstTimeOnly,
    OncePerCustomer,
    MinimumAmount {
        minimum: String,
    },
    CurrencyMismatch {
        coupon: String,
        order: String,
    },
    NoEligibleProduct {
        recurring_only: bool,
    },
    /// The code (or its coupon) tripped its velocity limit: staff must
    /// resume it.
    CodePaused,
}

impl Refusal {
    pub fn key(&self) -> &'static str {
        match self {
            Refusal::UnknownCode => "unknown_code",
            Refusal::CaseSensitive => "case_sensitive",
            Refusal::CouponDeleted => "coupon_deleted",
            Refusal::CouponArchived => "coupon_archived",
            Refusal::CouponScheduled { .. } => "coupon_scheduled",
            Refusal::CouponExpired => "coupon_expired",
            Refusal::CouponExhausted => "coupon_exhausted",
            Refusal::PromotionInactive => "promotion_code_inactive",
            Refusal::PromotionExpired => "promotion_code_expired",
            Refusal::PromotionExhausted => "promotion_code_exhausted",
            Refusal::SetCodeUsed => "set_code_used",
            Refusal::SetCodeArchived => "set_code_archived",
            Refusal::CustomerRestricted => "customer_restricted",
            Refusal::FirstTimeOnly => "first_time_only",
            Refusal::OncePerCustomer => "once_per_customer",
            Refusal::MinimumAmount { .. } => "minimum_amount",
            Refusal::CurrencyMismatch { .. } => "currency_mismatch",
            Refusal::NoEligibleProduct { .. } => "no_eligible_product",
            Refusal::CodePaused => "code_paused",
        }
    }

    /// What the customer reads (and staff, on the refused attempt).
    pub fn message(&self) -> String {
        match self {
            Refusal::UnknownCode => "We do not know this code. Check it for typos.".into(),
            Refusal::CaseSensitive => {
                "Coupon codes are case-sensitive: check the capital and small letters of this code."
                    .into()
            }
            Refusal::CouponDeleted => "This coupon has been withdrawn and no longer works.".into(),
            Refusal::CouponArchived => {
                "This coupon has been withdrawn for now: it cannot be used.".into()
            }
            Refusal::CouponScheduled { starts } => {
                format!("This coupon is not valid yet: it can be used from {starts}.")
            }
            Refusal::CouponExpired => "This coupon has expired.".into(),
            Refusal::CouponExhausted => {
                "This coupon has been fully redeemed: no uses are left.".into()
            }
            Refusal::PromotionInactive => "This promotion code is not active.".into(),
            Refusal::PromotionExpired => "This promotion code has expired.".into(),
            Refusal::PromotionExhausted => {
                "This promotion code has been fully redeemed: no uses are left.".into()
            }
            Refusal::SetCodeUsed => "This code has already been used: each code works once.".into(),
            Refusal::SetCodeArchived => "This code is no longer valid.".into(),
            Refusal::CustomerRestricted => {
                "This code is reserved for another customer's email.".into()
            }
            Refusal::FirstTimeOnly => {
                "This code is for first orders only, and this email has ordered before.".into()
            }
            Refusal::OncePerCustomer => {
                "You have already used this coupon: it works once per customer.".into()
            }
            Refusal::MinimumAmount { minimum } => {
                format!("This code needs an order of at least {minimum} before discount.")
            }
            Refusal::CurrencyMismatch { coupon, order } => format!(
                "This coupon takes an amount off in {coupon}, and this order is in {order}: it cannot apply."
            ),
            Refusal::NoEligibleProduct {
                recurring_only: true,
            } => "This coupon discounts subscriptions only: add a recurring product to use it."
                .into(),
            Refusal::NoEligibleProduct {
                recurring_only: false,
            } => "This code does not apply to any product in your order.".into(),
            Refusal::CodePaused => {
                "This code is paused: it cannot be used right now. Try again later.".into()
            }
        }
    }

    /// The refusal for a coupon that is not active.
    pub fn for_coupon(state: CouponState, starts: impl FnOnce() -> String) -> Option<Refusal> {
        match state {
            CouponState::Active => None,
            CouponState::Deleted => Some(Refusal::CouponDeleted),
            CouponState::Archived => Some(Refusal::CouponArchived),
            CouponState::Paused => Some(Refusal::CodePaused),
            CouponState::Scheduled => Some(Refusal::CouponScheduled { starts: starts() }),
            CouponState::Expired => Some(Refusal::CouponExpired),
            CouponState::Exhausted => Some(Refusal::CouponExhausted),
        }
    }

    /// The refusal for a promotion code that is not active, its coupon being
    /// redeemable.
    pub fn for_promotion(state: PromoState) -> Option<Refusal> {
        match state {
            PromoState::Active | PromoState::CouponInvalid => None,
            PromoState::Inactive => Some(Refusal::PromotionInactive),
            PromoState::Expired => Some(Refusal::PromotionExpired),
            PromoState::Exhausted => Some(Refusal::PromotionExhausted),
            PromoState::Paused => Some(Refusal::CodePaused),
        }
    }
}

/// A promotion code's facts and restrictions.
#[derive(Debug, Clone)]
pub struct PromotionFacts {
    pub id: PromotionCodeId,
    pub facts: PromoFacts,
    pub customer: Option<String>,
    pub first_time_transaction: bool,
    pub minimum: Option<(i64, CurrencyCode)>,
    /// It has a velocity limit of its own.
    pub velocity_limited: bool,
}

pub use super::status::SetCodeState;

/// Which code the customer typed.
#[derive(Debug, Clone)]
pub enum Via {
    Coupon,
    Promotion(PromotionFacts),
    SetCode {
        id: i64,
        set: CouponSetId,
        state: SetCodeState,
    },
}

/// A typed code, resolved: the coupon behind it and how it was reached.
#[derive(Debug, Clone)]
pub struct Applied {
    /// The code as stored (the coupon's, the promotion code's or the set
    /// code's).
    pub code: String,
    pub coupon_id: CouponId,
    pub coupon: CouponFacts,
    /// The coupon's start, in the store's time zone, for the message.
    pub starts_text: String,
    pub terms: Terms,
    pub once_per_customer: bool,
    /// "25% off" or the coupon's name: what the summary shows.
    pub label: String,
    pub via: Via,
    /// The coupon or the promotion code has a velocity limit: placing the
    /// order may trip it (and pause the code).
    pub velocity_limited: bool,
}

impl Applied {
    /// Whether `evaluate` reads the buyer's history (`Buyer::paid_orders`
    /// and `used_coupon`): only for a once-per-customer coupon or a
    /// first-time-only promotion code. Otherwise the checkout need not look
    /// the customer up.
    pub fn reads_history(&self) -> bool {
        self.once_per_customer || matches!(&self.via, Via::Promotion(p) if p.first_time_transaction)
    }
}

/// What is known of the buyer. `email` is `None` on a preview without one:
/// customer checks then wait for the checkout.
#[derive(Debug, Clone, Default)]
pub struct Buyer {
    pub email: Option<Email>,
    /// Paid orders in this store so far.
    pub paid_orders: i64,
    /// Has a paid order used this coupon already?
    pub used_coupon: bool,
}

/// Runs every check of SPEC section 6 in order and prices the cart; the
/// first check that fails gives the refusal.
pub fn evaluate(
    applied: &Applied,
    buyer: &Buyer,
    lines: &[CartLine],
    currency: CurrencyCode,
    now: NaiveDateTime,
) -> Result<Quote, Refusal> {
    if let Some(refusal) =
        Refusal::for_coupon(applied.coupon.state(now), || applied.starts_text.clone())
    {
        return Err(refusal);
    }
    match &applied.via {
        Via::Coupon => {}
        Via::Promotion(promo) => {
            if let Some(refusal) = Refusal::for_promotion(promo.facts.state(now)) {
                return Err(refusal);
            }
        }
        Via::SetCode { state, .. } => match state {
            SetCodeState::Unused => {}
            SetCodeState::Used => return Err(Refusal::SetCodeUsed),
            SetCodeState::Archived => return Err(Refusal::SetCodeArchived),
        },
    }
    if let (Via::Promotion(promo), Some(email)) = (&applied.via, &buyer.email) {
        if promo
            .customer
            .as_deref()
            .is_some_and(|only| only != email.as_str())
        {
            return Err(Refusal::CustomerRestricted);
        }
        if promo.first_time_transaction && buyer.paid_orders > 0 {
            return Err(Refusal::FirstTimeOnly);
        }
    }
    if applied.once_per_customer && buyer.email.is_some() && buyer.used_coupon {
        return Err(Refusal::OncePerCustomer);
    }
    let quote = pricing::quote(lines, currency, Some(&applied.terms)).map_err(|e| match e {
        PricingError::CurrencyMismatch { coupon, order } => Refusal::CurrencyMismatch {
            coupon: coupon.code().into(),
            order: order.code().into(),
        },
        PricingError::NoEligibleProduct { recurring_only } => {
            Refusal::NoEligibleProduct { recurring_only }
        }
    })?;
    if let Via::Promotion(PromotionFacts {
        minimum: Some((amount, min_currency)),
        ..
    }) = &applied.via
        && (*min_currency != currency || quote.subtotal < *amount)
    {
        return Err(Refusal::MinimumAmount {
            minimum: min_currency.display(*amount),
        });
    }
    Ok(quote)
}

/// One promotion code sharing the typed text, as the ranking sees it.
#[derive(Debug, Clone)]
pub struct PromotionCandidate {
    /// Active, or only its coupon is not redeemable now (the refusal then
    /// names the coupon): the code itself may be used.
    pub usable: bool,
    /// The one customer it is reserved for, if any.
    pub customer: Option<String>,
}

/// Where a typed code may be found. `resolve` asks in SPEC 8's order and
/// stops at the first hit; `db::checkout` answers from the database.
pub trait CodeBook {
    /// What a hit is (the code applied to its coupon).
    type Found;
    type Error;
    /// A live coupon with exactly this code (case-sensitive).
    fn live_coupon(&mut self, exact: &str) -> Result<Option<Self::Found>, Self::Error>;
    /// The promotion code meant by this normal form.
    fn promotion(&mut self, normal: &str) -> Result<Option<Self::Found>, Self::Error>;
    /// The set code with this normal form.
    fn set_code(&mut self, normal: &str) -> Result<Option<Self::Found>, Self::Error>;
    /// A deleted coupon with exactly this code.
    fn deleted_coupon(&mut self, exact: &str) -> Result<Option<Self::Found>, Self::Error>;
    /// Is there a live coupon with this code in other case?
    fn coupon_in_other_case(&mut self, typed: &str) -> Result<bool, Self::Error>;
}

/// Resolves a typed code: a coupon code exactly (case-sensitive) first, then
/// a promotion code, then a set code (both in normal form: case, spaces and
/// dashes ignored), then a deleted coupon's code (`coupon_deleted`), then a
/// coupon code typed in other case (`case_sensitive`); else `unknown_code`.
/// A text no code can be (too long, control characters) is unknown without
/// asking the book.
pub fn resolve<B: CodeBook>(
    book: &mut B,
    typed: &str,
) -> Result<Result<B::Found, Refusal>, B::Error> {
    let typed = typed.trim();
    let normal = super::code::normal_form(typed);
    if typed.chars().count() > 200
        || super::text::has_control(typed)
        || normal.chars().count() > super::code::TYPED_CODE_MAX
    {
        return Ok(Err(Refusal::UnknownCode));
    }
    if let Some(found) = book.live_coupon(typed)? {
        return Ok(Ok(found));
    }
    if let Some(found) = book.promotion(&normal)? {
        return Ok(Ok(found));
    }
    if let Some(found) = book.set_code(&normal)? {
        return Ok(Ok(found));
    }
    if let Some(found) = book.deleted_coupon(typed)? {
        return Ok(Ok(found));
    }
    Ok(Err(if book.coupon_in_other_case(typed)? {
        Refusal::CaseSensitive
    } else {
        Refusal::UnknownCode
    }))
}

/// Which of the promotion codes sharing a text a customer means (SPEC 4:
/// several customer-restricted codes may share one): a usable one reserved
/// for this email, then a usable open one, then any (its state gives the
/// refusal). Among equals, the last (the lookup lists newest first, so the
/// oldest). `None` when there are none.
pub fn best_promotion(candidates: &[PromotionCandidate], email: Option<&str>) -> Option<usize> {
    let rank = |c: &PromotionCandidate| {
        let mine = match (&c.customer, email) {
            (None, _) => 1,
            (Some(only), Some(email)) if only == email => 2,
            _ => 0,
        };
        (c.usable, mine)
    };
    candidates
        .iter()
        .enumerate()
        .max_by_key(|(_, c)| rank(c))
        .map(|(i, _)| i)
}

#[cfg(test)]
mod tests {
    /// A book holding some codes, recording what it was asked.
    #[derive(Default)]
    struct Book {
        live: Vec<&'static str>,
        promotions: Vec<&'static str>,
        sets: Vec<&'static str>,
        deleted: Vec<&'static str>,
        asked: Vec<String>,
    }

    impl CodeBook for Book {
        type Found = String;
        type Error = ();
        fn live_coupon(&mut self, exact: &str) -> Result<Option<String>, ()> {
            self.asked.push(format!("live {exact}"));
            Ok(self
                .live
                .contains(&exact)
                .then(|| format!("coupon {exact}")))
        }
        fn promotion(&mut self, normal: &str) -> Result<Option<String>, ()> {
            self.asked.push(format!("promotion {normal}"));
            Ok(self
                .promotions
                .contains(&normal)
                .then(|| format!("promotion {normal}")))
        }
        fn set_code(&mut self, normal: &str) -> Result<Option<String>, ()> {
            self.asked.push(format!("set {normal}"));
            Ok(self.sets.contains(&normal).then(|| format!("set {normal}")))
        }
        fn deleted_coupon(&mut self, exact: &str) -> Result<Option<String>, ()> {
            self.asked.push(format!("deleted {exact}"));
            Ok(self
                .deleted
                .contains(&exact)
                .then(|| format!("deleted {exact}")))
        }
        fn coupon_in_other_case(&mut self, typed: &str) -> Result<bool, ()> {
            self.asked.push(format!("case {typed}"));
            Ok(self.live.iter().any(|c| c.eq_ignore_ascii_case(typed)))
        }
    }

    #[test]
    fn codes_resolve_in_the_specs_order() {
        // A coupon code beats a promotion code with the same normal form.
        let mut book = Book {
            live: vec!["SAVE10"],
            promotions: vec!["SAVE10"],
            ..Book::default()
        };
        assert_eq!(
            resolve(&mut book, " SAVE10 "),
            Ok(Ok("coupon SAVE10".into()))
        );
        assert_eq!(book.asked, ["live SAVE10"]);
        // Typed in other case: the promotion code (normal form) wins.
        let mut book = Book {
            live: vec!["SAVE10"],
            promotions: vec!["SAVE10"],
            ..Book::default()
        };
        assert_eq!(
            resolve(&mut book, "save-10"),
            Ok(Ok("promotion SAVE10".into()))
        );
        // A promotion code beats a set code; a set code beats a deleted coupon.
        let mut book = Book {
            promotions: vec!["FALL25"],
            sets: vec!["FALL25", "GIFT7"],
            deleted: vec!["GIFT7"],
            ..Book::default()
        };
        assert_eq!(
            resolve(&mut book, "fall 25"),
            Ok(Ok("promotion FALL25".into()))
        );
        assert_eq!(resolve(&mut book, "GIFT7"), Ok(Ok("set GIFT7".into())));
        // Then a deleted coupon, then the case hint, then unknown.
        let mut book = Book {
            live: vec!["Summer"],
            deleted: vec!["OLD5"],
            ..Book::default()
        };
        assert_eq!(resolve(&mut book, "OLD5"), Ok(Ok("deleted OLD5".into())));
        assert_eq!(
            resolve(&mut book, "SUMMER"),
            Ok(Err(Refusal::CaseSensitive))
        );
        assert_eq!(resolve(&mut book, "NOPE"), Ok(Err(Refusal::UnknownCode)));
        assert_eq!(
            book.asked[book.asked.len() - 5..],
            [
                "live NOPE",
                "promotion NOPE",
                "set NOPE",
                "deleted NOPE",
                "case NOPE"
            ]
        );
    }

    #[test]
    fn texts_no_code_can_be_are_unknown_without_a_lookup() {
        let mut book = Book::default();
        for typed in ["A".repeat(201), "AB\u{0}C".to_string(), "X".repeat(65)] {
            assert_eq!(resolve(&mut book, &typed), Ok(Err(Refusal::UnknownCode)));
        }
        assert!(book.asked.is_empty());
    }

    fn candidate(usable: bool, customer: Option<&str>) -> PromotionCandidate {
        PromotionCandidate {
            usable,
            customer: customer.map(str::to_string),
        }
    }

    #[test]
    fn the_customers_own_usable_code_wins_then_an_open_one_then_any() {
        let jane = Some("jane@example.com");
        let codes = [
            candidate(false, None),
            candidate(true, Some("joe@example.com")),
            candidate(true, None),
            candidate(true, jane),
            candidate(true, None),
        ];
        assert_eq!(best_promotion(&codes, jane), Some(3));
        assert_eq!(best_promotion(&codes, Some("ann@example.com")), Some(4));
        assert_eq!(best_promotion(&codes, None), Some(4));
        // Nothing usable: the first one, whose state gives the refusal.
        let ended = [candidate(false, jane), candidate(false, None)];
        assert_eq!(best_promotion(&ended, Some("ann@example.com")), Some(1));
        assert_eq!(best_promotion(&ended, jane), Some(0));
        assert_eq!(best_promotion(&[], jane), None);
    }
    use super::*;
    use crate::domain::discount::{Discount, Duration, Percent};
    use crate::domain::ids::ProductId;
    use crate::domain::product::{Billing, Interval};
    use chrono::TimeDelta;

    fn usd() -> CurrencyCode {
        CurrencyCode::parse("USD").unwrap_or_else(|e| panic!("{e}"))
    }

    fn applied(via: Via) -> Applied {
        Applied {
            code: "SUMMER10".into(),
            coupon_id: CouponId(1),
            coupon: CouponFacts {
                deleted: false,
                archived: false,
                paused: false,
                starts_at: None,
                redeem_by: None,
                times_redeemed: 0,
                max_redemptions: Some(10),
            },
            starts_text: "1 Jan 2030".into(),
            terms: Terms {
                discount: Discount::Percent(
                    Percent::from_basis_points(2500).unwrap_or(crate::domain::discount::FULL),
                ),
                duration: Duration::Once,
                applies_to: vec![],
            },
            once_per_customer: false,
            label: "25% off".into(),
            via,
            velocity_limited: false,
        }
    }

    fn promo() -> PromotionFacts {
        PromotionFacts {
            id: PromotionCodeId(1),
            facts: PromoFacts {
                active: true,
                paused: false,
                expires_at: None,
                times_redeemed: 0,
                max_redemptions: None,
                coupon_deleted: false,
                coupon_redeemable: true,
            },
            customer: None,
            first_time_transaction: false,
            minimum: None,
            velocity_limited: false,
        }
    }

    fn cart() -> Vec<CartLine> {
        vec![CartLine {
            product: ProductId(1),
            name: "Plan".into(),
            unit_price: 2000,
            quantity: 1,
            billing: Billing::Recurring(Interval::Month),
        }]
    }

    fn buyer() -> Buyer {
        Buyer {
            email: Email::parse("jane@example.com").ok(),
            ..Buyer::default()
        }
    }

    #[test]
    fn each_check_gives_its_own_refusal() {
        let now = chrono::Utc::now().naive_utc();
        let check = |a: Applied, b: Buyer| evaluate(&a, &b, &cart(), usd(), now).err();
        assert_eq!(check(applied(Via::Coupon), buyer()), None);

        let mut a = applied(Via::Coupon);
        a.coupon.times_redeemed = 10;
        assert_eq!(check(a, buyer()), Some(Refusal::CouponExhausted));
        let mut a = applied(Via::Coupon);
        a.coupon.starts_at = Some(now + TimeDelta::days(1));
        assert_eq!(
            check(a, buyer()),
            Some(Refusal::CouponScheduled {
                starts: "1 Jan 2030".into()
            })
        );

        let mut p = promo();
        p.facts.active = false;
        assert_eq!(
            check(applied(Via::Promotion(p)), buyer()),
            Some(Refusal::PromotionInactive)
        );
        let mut p = promo();
        p.customer = Some("joe@example.com".into());
        assert_eq!(
            check(applied(Via::Promotion(p.clone())), buyer()),
            Some(Refusal::CustomerRestricted)
        );
        // Without an email (a preview) the customer checks wait.
        assert_eq!(check(applied(Via::Promotion(p)), Buyer::default()), None);
        let mut p = promo();
        p.first_time_transaction = true;
        let returning = Buyer {
            paid_orders: 1,
            ..buyer()
        };
        assert_eq!(
            check(applied(Via::Promotion(p)), returning),
            Some(Refusal::FirstTimeOnly)
        );
        let mut p = promo();
        p.minimum = Some((5000, usd()));
        assert_eq!(
            check(applied(Via::Promotion(p)), buyer()),
            Some(Refusal::MinimumAmount {
                minimum: "$50.00".into()
            })
        );
        let mut a = applied(Via::Coupon);
        a.once_per_customer = true;
        let again = Buyer {
            used_coupon: true,
            ..buyer()
        };
        assert_eq!(check(a, again), Some(Refusal::OncePerCustomer));
        let used = Via::SetCode {
            id: 1,
            set: CouponSetId(1),
            state: SetCodeState::Used,
        };
        assert_eq!(check(applied(used), buyer()), Some(Refusal::SetCodeUsed));
        let mut a = applied(Via::Coupon);
        a.terms.applies_to = vec![ProductId(9)];
        assert_eq!(
            check(a, buyer()),
            Some(Refusal::NoEligibleProduct {
                recurring_only: false
            })
        );
    }

    /// A code that does not read the buyer's history is judged the same
    /// whatever that history is, so the checkout may skip looking it up.
    #[test]
    fn history_matters_only_where_the_code_reads_it() {
        let now = chrono::Utc::now().naive_utc();
        let check = |a: &Applied, b: Buyer| evaluate(a, &b, &cart(), usd(), now);
        let mut first_time = promo();
        first_time.first_time_transaction = true;
        let mut once = applied(Via::Coupon);
        once.once_per_customer = true;
        let mut once_promo = applied(Via::Promotion(promo()));
        once_promo.once_per_customer = true;
        let mut restricted = promo();
        restricted.customer = Some("jane@example.com".into());
        let mut minimum = promo();
        minimum.minimum = Some((1000, usd()));
        let codes = [
            applied(Via::Coupon),
            applied(Via::Promotion(promo())),
            applied(Via::Promotion(restricted)),
            applied(Via::Promotion(minimum)),
            applied(Via::Promotion(first_time)),
            once,
            once_promo,
        ];
        for a in &codes {
            let fresh = check(a, buyer());
            let mut differs = false;
            for (paid_orders, used_coupon) in [(0, true), (1, false), (5, true)] {
                let history = Buyer {
                    paid_orders,
                    used_coupon,
                    ..buyer()
                };
                differs |= check(a, history) != fresh;
            }
            assert_eq!(
                differs,
                a.reads_history(),
                "{:?} {:?}",
                a.via,
                a.once_per_customer
            );
        }
    }

    #[test]
    fn every_refusal_has_its_own_key_and_message() {
        let all = [
            Refusal::UnknownCode,
            Refusal::CaseSensitive,
            Refusal::CouponDeleted,
            Refusal::CouponArchived,
            Refusal::CouponScheduled { starts: "x".into() },
            Refusal::CouponExpired,
            Refusal::CouponExhausted,
            Refusal::PromotionInactive,
            Refusal::PromotionExpired,
            Refusal::PromotionExhausted,
            Refusal::SetCodeUsed,
            Refusal::SetCodeArchived,
            Refusal::CustomerRestricted,
            Refusal::FirstTimeOnly,
            Refusal::OncePerCustomer,
            Refusal::MinimumAmount {
                minimum: "x".into(),
            },
            Refusal::CurrencyMismatch {
                coupon: "EUR".into(),
                order: "USD".into(),
            },
            Refusal::NoEligibleProduct {
                recurring_only: false,
            },
        ];
        let keys: std::collections::HashSet<_> = all.iter().map(Refusal::key).collect();
        let messages: std::collections::HashSet<_> = all.iter().map(Refusal::message).collect();
        assert_eq!(keys.len(), all.len());
        assert_eq!(messages.len(), all.len());
    }
}
