//! The public checkout (`/{store}`): the store's products, an email and a
//! code field. A shareable URL (`?coupon=CODE`) opens it with the code
//! applied to the price preview, or the reason it does not apply. Works
//! without JavaScript: "Apply" re-renders the preview, "Place order" orders.

mod outcome;
pub mod receipt;

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use crate::db;
use crate::db::stores::Store;
use crate::domain::checkout::CheckoutInput;
use crate::domain::code::TYPED_CODE_MAX;
use crate::domain::coupon::ProductFacts;
use crate::domain::form_errors::FormErrors;
use crate::domain::pricing::{self, Quote};
use crate::domain::redemption::Refusal;
use crate::domain::text::clipped;
use crate::error::AppError;
use crate::web::csrf::CsrfForm;
use crate::web::orders::view::{Totals, money};
use crate::web::session::csrf_token;
use crate::web::{AppState, render_status, see_other};
use outcome::{Mode, Outcome, evaluate};

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
}

fn page(
    store: &Store,
    products: &[ProductFacts],
    input: &CheckoutInput,
    outcome: Outcome,
    csrf: String,
) -> StorePage {
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
        store_name: store.name.clone(),
        slug: store.slug.clone(),
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
        code_error: outcome.refusal.map(|r| r.message()),
    }
}

/// The store and its products for sale, or 404.
fn load(conn: &mut db::Conn, slug: &str) -> diesel::QueryResult<(Store, Vec<ProductFacts>)> {
    let store = db::stores::find_by_slug(conn, slug)?;
    let products = db::products::list(conn, store.id())?
        .iter()
        .filter(|p| p.archived_at.is_none())
        .map(|p| p.facts())
        .collect();
    Ok((store, products))
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
    let mut input = CheckoutInput::from_pairs(&query).map_err(AppError::BadRequest)?;
    let client = state.client(&req);
    if input.code().is_some() {
        state.guards.check_guesses(&slug, client)?;
    }
    let (store, products, input, outcome) = crate::web::db(&state, move |conn| {
        let (store, products) = load(conn, &slug)?;
        let outcome = evaluate(conn, &store, &products, &mut input, Mode::Visit)?;
        Ok::<_, db::DbError>((store, products, input, outcome))
    })
    .await
    .map_err(AppError::public)?;
    if outcome.refusal == Some(Refusal::UnknownCode) {
        state.guards.unknown_code(&store.slug, client);
    }
    let csrf = csrf_token(&session)?;
    render_status(
        StatusCode::OK,
        &page(&store, &products, &input, outcome, csrf),
    )
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
    let mut input = CheckoutInput::from_pairs(&form.0).map_err(AppError::BadRequest)?;
    let client = state.client(&req);
    if input.code().is_some() {
        state.guards.check_guesses(&slug, client)?;
    }
    let guards = state.guards.clone();
    let public_id = new_public_id()?;
    let (store, products, input, outcome, placed) = crate::web::db(&state, move |conn| {
        let (store, products) = load(conn, &slug)?;
        let mut outcome = evaluate(
            conn,
            &store,
            &products,
            &mut input,
            if preview { Mode::Preview } else { Mode::Order },
        )?;
        let mut placed = None;
        if !preview && outcome.errors.is_empty() {
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
                };
                match db::orders::place(conn, store.id(), &order) {
                    Ok(id) => placed = Some(id),
                    Err(db::orders::PlaceError::Refused(refusal)) => {
                        outcome.refusal = Some(refusal);
                        outcome.applied = None;
                        outcome.quote = pricing::quote(&cart.lines, cart.currency, None).ok();
                    }
                    Err(db::orders::PlaceError::Db(e)) => return Err(e),
                }
            }
            if let Some(refusal) = &outcome.refusal
                && guards.keep_refusal(client)
            {
                db::orders::record_attempt(
                    conn,
                    store.id(),
                    &clipped(input.email.trim(), 254),
                    &clipped(input.coupon.trim(), TYPED_CODE_MAX),
                    refusal,
                )?;
            }
        }
        Ok::<_, db::DbError>((store, products, input, outcome, placed))
    })
    .await
    .map_err(AppError::public)?;
    if outcome.refusal == Some(Refusal::UnknownCode) {
        state.guards.unknown_code(&store.slug, client);
    }
    if let Some(public_id) = placed {
        return Ok(see_other(&format!("/{}/orders/{public_id}", store.slug)));
    }
    let status = if outcome.errors.is_empty() && (preview || outcome.refusal.is_none()) {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let csrf = csrf_token(&session)?;
    render_status(status, &page(&store, &products, &input, outcome, csrf))
}

/// 128 random bits, hex: the receipt's unguessable address.
fn new_public_id() -> Result<String, AppError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| AppError::Internal(e.to_string().into()))?;
    Ok(hex::encode(bytes))
}
