//! The public checkout (`/{store}`): the store's products, an email and a
//! code field. A shareable URL (`?coupon=CODE`) opens it with the code
//! applied to the price preview, or the reason it does not apply. Works
//! without JavaScript: "Apply" re-renders the preview, "Place order" orders.

pub mod receipt;

use std::net::IpAddr;

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use crate::app::checkout::{self as use_case, Checkout, Mode, Placed};
use crate::domain::checkout::CheckoutInput;
use crate::domain::form_errors::FormErrors;
use crate::domain::pricing::Quote;
use crate::domain::redemption::Refusal;
use crate::error::AppError;
use crate::web::csrf::CsrfForm;
use crate::web::orders::view::{Totals, money};
use crate::web::session::csrf_token;
use crate::web::{AppState, render_status, see_other};

/// A product as the checkout lists it, with the quantity typed.
pub struct ProductRow {
    pub id: i64,
    pub name: String,
    pub price: String,
    pub billing: &'static str,
    pub quantity: String,
}

/// The price preview.
pub struct Preview {
    pub lines: Vec<(String, i64, String)>,
    pub totals: Totals,
    pub schedule: Vec<String>,
}

impl Preview {
    fn new(quote: &Quote, cart: &crate::domain::checkout::Cart) -> Preview {
        let c = quote.currency;
        Preview {
            lines: cart
                .lines
                .iter()
                .map(|l| (l.name.clone(), l.quantity, c.display(l.amount())))
                .collect(),
            totals: Totals::new(c.code(), quote.subtotal, quote.discount, quote.total),
            schedule: quote.schedule.clone(),
        }
    }
}

#[derive(Template)]
#[template(path = "checkout/store.html")]
struct StorePage {
    store_name: String,
    slug: String,
    csrf_token: String,
    products: Vec<ProductRow>,
    email: String,
    coupon: String,
    errors: FormErrors,
    preview: Option<Preview>,
    /// "SUMMER10 applied: Summer sale".
    applied: Option<String>,
    code_error: Option<String>,
    /// The refusal's key (SPEC 10), as the API answers it.
    error_code: Option<&'static str>,
}

fn page(checkout: Checkout, csrf: String) -> StorePage {
    let Checkout {
        store,
        products,
        input,
        outcome,
    } = checkout;
    let rows = products
        .iter()
        .map(|p| ProductRow {
            id: p.id.0,
            name: p.name.clone(),
            price: money(&p.currency, p.price),
            billing: p.billing.describe(),
            quantity: input.quantity_of(p.id.0).trim().to_string(),
        })
        .collect();
    let preview = match (&outcome.quote, &outcome.cart) {
        (Some(quote), Some(cart)) => Some(Preview::new(quote, cart)),
        _ => None,
    };
    StorePage {
        store_name: store.name,
        slug: store.slug,
        csrf_token: csrf,
        products: rows,
        email: input.email.trim().to_string(),
        coupon: input.coupon.trim().to_string(),
        errors: outcome.errors,
        preview,
        applied: outcome
            .applied
            .as_ref()
            .map(|a| format!("{} applied: {}", a.code, a.label)),
        error_code: outcome.refusal.as_ref().map(|r| r.key()),
        code_error: outcome.refusal.map(|r| r.message()),
    }
}

/// SPEC 12 "Guessing": a client past its limit of unknown codes in this
/// store gets 429 before any lookup.
fn check_guesses(
    state: &AppState,
    slug: &str,
    client: Option<IpAddr>,
    input: &CheckoutInput,
) -> Result<(), AppError> {
    if input.code().is_some() {
        state.guards.check_guesses(slug, client)?;
    }
    Ok(())
}

/// Counts an unknown code against the client.
fn count_guess(state: &AppState, checkout: &Checkout, client: Option<IpAddr>) {
    if checkout.outcome.refusal == Some(Refusal::UnknownCode) {
        state.guards.unknown_code(&checkout.store.slug, client);
    }
}

/// `GET /{store}`: the checkout, with `?coupon=` applied to a preview.
pub async fn show(
    state: web::Data<AppState>,
    req: HttpRequest,
    session: Session,
    path: web::Path<String>,
    query: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let slug = path.into_inner();
    let input = CheckoutInput::from_pairs(&query).map_err(AppError::BadRequest)?;
    let client = state.client(&req);
    check_guesses(&state, &slug, client, &input)?;
    let tally = state.tally.clone();
    let checkout = crate::web::db(&state, move |conn| {
        use_case::quote(conn, slug.as_str(), input, Mode::Visit, &tally)
    })
    .await
    .map_err(AppError::public)?;
    count_guess(&state, &checkout, client);
    let csrf = csrf_token(&session)?;
    render_status(StatusCode::OK, &page(checkout, csrf))
}

/// `POST /{store}/checkout`: "Apply" (a `preview` field) re-renders the
/// preview; otherwise the order is placed, or the form comes back with 422
/// and the reason.
pub async fn submit(
    state: web::Data<AppState>,
    req: HttpRequest,
    session: Session,
    path: web::Path<String>,
    form: CsrfForm<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let slug = path.into_inner();
    let preview = form.0.iter().any(|(k, _)| k == "preview");
    let input = CheckoutInput::from_pairs(&form.0).map_err(AppError::BadRequest)?;
    let client = state.client(&req);
    check_guesses(&state, &slug, client, &input)?;
    let guards = state.guards.clone();
    let public_id = new_public_id()?;
    let tally = state.tally.clone();
    let placed = crate::web::db(&state, move |conn| {
        if preview {
            use_case::quote(conn, slug.as_str(), input, Mode::Preview, &tally)
                .map(|checkout| Placed::NotPlaced(Box::new(checkout)))
        } else {
            use_case::place(
                conn,
                slug.as_str(),
                input,
                public_id,
                Default::default(),
                || guards.keep_refusal(client),
                &tally,
            )
        }
    })
    .await
    .map_err(AppError::public)?;
    let checkout = match placed {
        Placed::Ordered {
            store, public_id, ..
        } => {
            return Ok(see_other(&format!("/{}/orders/{public_id}", store.slug)));
        }
        Placed::NotPlaced(checkout) => *checkout,
    };
    count_guess(&state, &checkout, client);
    let outcome = &checkout.outcome;
    let status = if outcome.errors.is_empty() && (preview || outcome.refusal.is_none()) {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let csrf = csrf_token(&session)?;
    render_status(status, &page(checkout, csrf))
}

/// 128 random bits, hex: the receipt's unguessable address.
fn new_public_id() -> Result<String, AppError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(AppError::internal)?;
    Ok(hex::encode(bytes))
}
