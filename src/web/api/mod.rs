//! The JSON API (SPEC 10) under `/api/v1`: Bearer keys, JSON in and out,
//! the error object, lists. Handlers parse JSON into the same inputs the
//! forms fill, call the same use cases (`crate::app`) and render JSON.

pub mod catalog;
pub mod coupon_sets;
pub mod coupons;
pub mod error;
pub mod json;
pub mod limits;
pub use crate::app::objects;
pub mod openapi;
pub mod promotion_codes;
pub mod redemptions;

use std::marker::PhantomData;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};

pub use error::ApiError;
pub use json::ApiJson;

use crate::app::api_keys::{self, Caller, Scope};
use crate::db::paging::{Cursor, Page};
use crate::web::AppState;

/// The least scope a handler needs, as a type: `Api<Write>`.
pub trait NeedScope {
    const SCOPE: Scope;
}
pub struct Read;
pub struct Write;
impl NeedScope for Read {
    const SCOPE: Scope = Scope::Read;
}
impl NeedScope for Write {
    const SCOPE: Scope = Scope::Write;
}

/// A request with a bearer key that needs scope `S`. The key is looked up
/// in the same trip to the database pool as the handler's work (`db`), so a
/// request waits for one blocking thread, not two.
pub struct Api<S: NeedScope = Read> {
    key_hash: String,
    pub state: AppState,
    _scope: PhantomData<S>,
}

/// Who is asking, inside `Api::db`: the key, its store (`Deref`), and the
/// base of the store's share URLs.
pub struct Ctx {
    pub caller: Caller,
    pub base: String,
    pub guards: std::sync::Arc<crate::web::client::Guards>,
    /// This process's analytics counts.
    pub tally: std::sync::Arc<crate::analytics::Tally>,
    /// The idempotency keys this process is redeeming now.
    pub redeeming: std::sync::Arc<crate::app::redemptions::Redeeming>,
}

impl std::ops::Deref for Ctx {
    type Target = crate::db::stores::Store;
    fn deref(&self) -> &crate::db::stores::Store {
        &self.caller.store
    }
}

impl Ctx {
    /// Who the activity logs name.
    pub fn actor(&self) -> crate::domain::ids::Actor {
        crate::domain::ids::Actor::ApiKey(self.caller.key)
    }

    pub fn key(&self) -> crate::domain::ids::ApiKeyId {
        self.caller.key
    }

    /// A code's share URL.
    pub fn share_url(&self, code: &str) -> String {
        crate::web::share::share_url(&self.base, &self.caller.store.slug, code)
    }
}

impl<S: NeedScope> Api<S> {
    /// Authenticates the key (401; 403 below scope `S`), then runs `f` on
    /// the same pooled connection on the blocking pool.
    pub async fn db<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut crate::db::Conn, &Ctx) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        let hash = self.key_hash.clone();
        let (default_base, guards, tally, redeeming) = (
            self.state.default_base_url.clone(),
            self.state.guards.clone(),
            self.state.tally.clone(),
            self.state.redeeming.clone(),
        );
        db(&self.state, move |conn| {
            let caller = api_keys::authenticate(conn, &hash)?.ok_or_else(|| {
                ApiError::authentication("This API key is unknown or has been revoked.")
            })?;
            if S::SCOPE == Scope::Write && caller.scope == Scope::Read {
                return Err(ApiError::permission(
                    "This API key is read-only: create a write key to make changes.",
                ));
            }
            let base =
                crate::web::share::base_url(caller.store.public_base_url.as_deref(), &default_base);
            f(
                conn,
                &Ctx {
                    caller,
                    base,
                    guards,
                    tally,
                    redeeming,
                },
            )
        })
        .await
    }
}

/// The bearer token of a request, if any.
pub fn bearer(req: &HttpRequest) -> Option<&str> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

impl<S: NeedScope + 'static> FromRequest for Api<S> {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req
            .app_data::<web::Data<AppState>>()
            .map(|d| d.get_ref().clone());
        std::future::ready(match (state, bearer(req)) {
            (None, _) => Err(ApiError::Internal("application state is missing".into())),
            (Some(_), None) => Err(ApiError::authentication(
                "Send your API key as `Authorization: Bearer pdk_...`.",
            )),
            (Some(state), Some(token)) => Ok(Api {
                key_hash: api_keys::hash(token),
                state,
                _scope: PhantomData,
            }),
        })
    }
}

/// Runs database work on the blocking pool, with API errors.
pub async fn db<T, F>(state: &AppState, f: F) -> Result<T, ApiError>
where
    F: FnOnce(&mut crate::db::Conn) -> Result<T, ApiError> + Send + 'static,
    T: Send + 'static,
{
    let pool = state.pool.clone();
    web::block(move || {
        let mut conn = pool.get().map_err(ApiError::internal)?;
        f(&mut conn)
    })
    .await
    .map_err(ApiError::internal)?
}

/// `limit`, `starting_after` and the HTML lists' filters.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    pub limit: Option<String>,
    pub starting_after: Option<String>,
    pub state: Option<String>,
    pub coupon: Option<String>,
    pub q: Option<String>,
}

impl ListParams {
    /// 1-100, default 20.
    pub fn limit(&self) -> Result<i64, ApiError> {
        match self.limit.as_deref().map(str::trim) {
            None | Some("") => Ok(20),
            Some(raw) => raw
                .parse::<i64>()
                .ok()
                .filter(|n| (1..=100).contains(n))
                .ok_or_else(|| ApiError::invalid_param("limit", "Use a limit from 1 to 100.")),
        }
    }

    pub fn cursor(&self) -> Result<Cursor, ApiError> {
        match self.starting_after.as_deref().map(str::trim) {
            None | Some("") => Ok(Cursor::First),
            Some(raw) => raw.parse::<i64>().map(Cursor::Next).map_err(|_| {
                ApiError::invalid_param("starting_after", "Use the id of the last object you got.")
            }),
        }
    }

    pub fn coupon(&self) -> Result<Option<i64>, ApiError> {
        match self.coupon.as_deref().map(str::trim) {
            None | Some("") => Ok(None),
            Some(raw) => raw
                .parse::<i64>()
                .map(Some)
                .map_err(|_| ApiError::invalid_param("coupon", "Use a coupon id.")),
        }
    }

    /// The `state` filter read by `parse`; `hint` lists the states.
    pub fn state<T>(
        &self,
        parse: impl Fn(&str) -> Option<T>,
        hint: &str,
    ) -> Result<Option<T>, ApiError> {
        match self.state.as_deref().map(str::trim) {
            None | Some("") => Ok(None),
            Some(raw) => parse(raw)
                .map(Some)
                .ok_or_else(|| ApiError::invalid_param("state", hint)),
        }
    }

    /// One page of a list read whole (a store's products or sets): newest
    /// first, after `starting_after`, `limit` of them.
    pub fn page_in_memory<T>(
        &self,
        mut items: Vec<T>,
        id: impl Fn(&T) -> i64,
    ) -> Result<Page<T>, ApiError> {
        let limit = self.limit()?;
        items.sort_by_key(|i| std::cmp::Reverse(id(i)));
        if let Cursor::Next(after) = self.cursor()? {
            items.retain(|i| id(i) < after);
        }
        let has_next = items.len() as i64 > limit;
        items.truncate(limit as usize);
        Ok(Page {
            items,
            has_prev: false,
            has_next,
        })
    }

    pub fn q(&self) -> Option<String> {
        self.q
            .as_deref()
            .map(str::trim)
            .filter(|q| !q.is_empty())
            .map(String::from)
    }
}

/// The list envelope.
#[derive(Serialize)]
pub struct List<T: Serialize> {
    pub object: &'static str,
    pub data: Vec<T>,
    pub has_more: bool,
}

impl<T: Serialize> List<T> {
    pub fn of<R>(page: Page<R>, f: impl FnMut(R) -> T) -> List<T> {
        List {
            object: "list",
            has_more: page.has_next,
            data: page.items.into_iter().map(f).collect(),
        }
    }
}

/// 200 with a JSON body.
pub fn ok<T: Serialize>(body: &T) -> HttpResponse {
    HttpResponse::Ok().json(body)
}

/// 201 with a JSON body.
pub fn created<T: Serialize>(body: &T) -> HttpResponse {
    HttpResponse::Created().json(body)
}

/// A path id; anything else is a 404 (as an unknown id).
pub fn path_id(raw: &str) -> Result<i64, ApiError> {
    raw.parse::<i64>().map_err(|_| ApiError::NotFound)
}

/// One route of the API, as the router serves it and the OpenAPI document
/// describes it.
pub struct Route {
    pub method: &'static str,
    /// Below `/api/v1`, e.g. `/coupons/{id}`.
    pub path: &'static str,
    pub summary: &'static str,
    /// The request body's schema, if any.
    pub body: Option<&'static str>,
    /// The success status and the answer's schema.
    pub answer: (u16, &'static str),
    /// The least key scope (`read` or `write`), or `none` for public.
    pub scope: &'static str,
}

/// Declares the API's routes once: `register` adds them to the scope and
/// `ROUTES` lists them for the OpenAPI document and the route tests.
macro_rules! api_routes {
    ($($method:ident $path:literal => $handler:expr, $scope:literal, $summary:literal,
       body $body:expr, answer $status:literal $answer:literal;)*) => {
        pub const ROUTES: &[Route] = &[$(Route {
            method: stringify!($method),
            path: $path,
            summary: $summary,
            body: $body,
            answer: ($status, $answer),
            scope: $scope,
        }),*];

        /// Adds every API route to `scope` (`/api/v1`).
        pub fn register(scope: actix_web::Scope) -> actix_web::Scope {
            scope$(.route($path, web::$method().to($handler)))*
        }
    };
}

api_routes! {
    get "/openapi.json" => openapi::document, "none", "This document (OpenAPI 3.1).",
        body None, answer 200 "OpenApi";
    post "/validations" => redemptions::validate, "read", "Checks a code against a cart: whether it applies and for how much. Nothing is redeemed.",
        body Some("ValidationRequest"), answer 200 "Validation";
    post "/redemptions" => redemptions::redeem, "write", "Redeems a code for a cart, once per Idempotency-Key header (kept 24 hours).",
        body Some("RedemptionRequest"), answer 201 "Redemption";
    post "/redemptions/{id}/rollback" => redemptions::rollback, "write", "Gives a redemption back, as a staff refund does. Idempotent.",
        body Some("RollbackRequest"), answer 200 "Redemption";
    get "/products" => catalog::list_products, "read", "Lists products (filter: state=active|archived).",
        body None, answer 200 "ProductList";
    post "/products" => catalog::create_product, "write", "Creates a product.",
        body Some("ProductRequest"), answer 201 "Product";
    get "/products/{id}" => catalog::show_product, "read", "Reads a product.",
        body None, answer 200 "Product";
    patch "/products/{id}" => catalog::update_product, "write", "Changes the fields sent (and `archived`).",
        body Some("ProductRequest"), answer 200 "Product";
    get "/coupons" => coupons::list, "read", "Lists coupons (filters: state, q = code prefix).",
        body None, answer 200 "CouponList";
    post "/coupons" => coupons::create, "write", "Creates a coupon.",
        body Some("CouponRequest"), answer 201 "Coupon";
    get "/coupons/{id}" => coupons::show, "read", "Reads a coupon.",
        body None, answer 200 "Coupon";
    patch "/coupons/{id}" => coupons::update, "write", "Changes the fields sent; terms are locked once redeemed.",
        body Some("CouponRequest"), answer 200 "Coupon";
    delete "/coupons/{id}" => coupons::delete, "write", "Deletes a coupon (its sets' unused codes go).",
        body None, answer 200 "Coupon";
    post "/coupons/{id}/archive" => coupons::archive, "write", "Archives a coupon (its sets' unused codes go).",
        body None, answer 200 "Coupon";
    post "/coupons/{id}/unarchive" => coupons::unarchive, "write", "Unarchives a coupon.",
        body None, answer 200 "Coupon";
    post "/coupons/{id}/resume" => coupons::resume, "write", "Resumes a coupon its velocity limit paused; its window counts from 0 again.",
        body None, answer 200 "Coupon";
    get "/promotion_codes" => promotion_codes::list, "read", "Lists promotion codes (filters: state, coupon, q).",
        body None, answer 200 "PromotionCodeList";
    post "/promotion_codes" => promotion_codes::create, "write", "Creates a promotion code for a coupon.",
        body Some("PromotionCodeRequest"), answer 201 "PromotionCode";
    get "/promotion_codes/{id}" => promotion_codes::show, "read", "Reads a promotion code.",
        body None, answer 200 "PromotionCode";
    patch "/promotion_codes/{id}" => promotion_codes::update, "write", "Changes restrictions and limits, or `active`.",
        body Some("PromotionCodeRequest"), answer 200 "PromotionCode";
    delete "/promotion_codes/{id}" => promotion_codes::delete, "write", "Deletes a promotion code (a redeemed one is kept for order history).",
        body None, answer 200 "Deleted";
    post "/promotion_codes/{id}/resume" => promotion_codes::resume, "write", "Resumes a code its velocity limit paused; its window counts from 0 again.",
        body None, answer 200 "PromotionCode";
    post "/promotion_codes/{id}/rotate" => promotion_codes::rotate, "write", "Replaces a (leaked) code by a new random one with the same coupon, restrictions and remaining uses; the old one stops for good.",
        body None, answer 201 "PromotionCode";
    get "/coupon_sets" => coupon_sets::list, "read", "Lists coupon sets (filter: coupon).",
        body None, answer 200 "CouponSetList";
    post "/coupon_sets" => coupon_sets::create, "write", "Creates a set of single-use codes; a large count answers 202 while it generates.",
        body Some("CouponSetRequest"), answer 201 "CouponSet";
    get "/coupon_sets/{id}" => coupon_sets::show, "read", "Reads a set, with its progress while it generates.",
        body None, answer 200 "CouponSet";
    delete "/coupon_sets/{id}" => coupon_sets::delete, "write", "Deletes a set: unused codes go, used ones are kept.",
        body None, answer 200 "Deleted";
    post "/coupon_sets/{id}/codes" => coupon_sets::add_codes, "write", "Generates more codes ({\"count\": N}) or imports up to 10,000 ({\"codes\": [...]}).",
        body Some("CodesRequest"), answer 200 "CodeImport";
    get "/coupon_sets/{id}/codes" => coupon_sets::codes, "read", "Lists a set's codes (filter: state=unused|used|archived).",
        body None, answer 200 "SetCodeList";
    get "/customers" => catalog::list_customers, "read", "Lists customers (q = email prefix).",
        body None, answer 200 "CustomerList";
    post "/customers" => catalog::create_customer, "write", "Adds a customer by email.",
        body Some("CustomerRequest"), answer 201 "Customer";
    get "/orders" => catalog::list_orders, "read", "Lists orders (filter: coupon).",
        body None, answer 200 "OrderList";
    get "/orders/{id}" => catalog::show_order, "read", "Reads an order with its lines.",
        body None, answer 200 "Order";
}

/// Any other path under `/api/v1`: a JSON 404.
pub async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound)
}
