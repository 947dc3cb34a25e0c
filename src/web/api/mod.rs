//! The JSON API (SPEC 10) under `/api/v1`: Bearer keys, JSON in and out,
//! the error object, lists. Handlers parse JSON into the same inputs the
//! forms fill, call the same use cases (`crate::app`) and render JSON.

pub mod catalog;
pub mod coupon_sets;
pub mod coupons;
pub mod error;
pub mod json;
pub mod limits;
pub mod listing;
pub use crate::app::objects;
pub mod openapi;
pub mod promotion_codes;
pub mod redemptions;

use std::marker::PhantomData;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use serde::Serialize;

pub use error::ApiError;
pub use json::ApiJson;
pub use listing::{Filter, Filters, ListParams, Listing};

use crate::app::api_keys::{self, Caller, Scope};
use crate::db::paging::Page;
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

/// The list envelope.
#[derive(Serialize)]
pub struct List<T: Serialize> {
    pub object: &'static str,
    pub data: Vec<T>,
    pub has_more: bool,
}

/// `List<Coupon>` is the schema `CouponList`.
impl<T: Serialize + utoipa::ToSchema> utoipa::ToSchema for List<T> {
    fn name() -> std::borrow::Cow<'static, str> {
        format!("{}List", T::name()).into()
    }

    fn schemas(
        schemas: &mut Vec<(
            String,
            utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
        )>,
    ) {
        T::schemas(schemas);
        schemas.push((T::name().into_owned(), T::schema()));
    }
}

impl<T: Serialize + utoipa::ToSchema> utoipa::PartialSchema for List<T> {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::{ArrayBuilder, ObjectBuilder, Ref, Type};
        ObjectBuilder::new()
            .property(
                "object",
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .enum_values(Some(["list"])),
            )
            .required("object")
            .property(
                "data",
                ArrayBuilder::new().items(Ref::from_schema_name(T::name())),
            )
            .required("data")
            .property(
                "has_more",
                ObjectBuilder::new()
                    .schema_type(Type::Boolean)
                    .description(Some(
                        "Whether more follow: ask again with `starting_after` = the last id.",
                    )),
            )
            .required("has_more")
            .into()
    }
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
    /// The request body's type, if any (its schema, for the document).
    pub body: Option<openapi::SchemaOf>,
    /// A list's filters (`limit` and `starting_after` besides), as its
    /// handler's `Listing` reads them.
    pub query: Option<&'static [Filter]>,
    /// Each success status with its answer's type.
    pub answers: &'static [(u16, openapi::SchemaOf)],
    /// The least key scope (`read` or `write`), or `none` for public.
    pub scope: &'static str,
}

/// Declares the API's routes once: `register` adds them to the scope and
/// `ROUTES` lists them for the OpenAPI document and the route tests.
macro_rules! api_routes {
    (@body) => { None };
    (@body $body:ty) => { Some(openapi::schema_of::<$body> as openapi::SchemaOf) };
    (@query) => { None };
    (@query $filters:ty) => { Some(<$filters as Filters>::FILTERS) };
    ($($method:ident $path:literal => $handler:expr, $scope:literal, $summary:literal,
       body [$($body:ty)?], $(query [$filters:ty],)? answer $($status:literal $answer:ty),+;)*) => {
        pub const ROUTES: &[Route] = &[$(Route {
            method: stringify!($method),
            path: $path,
            summary: $summary,
            body: api_routes!(@body $($body)?),
            query: api_routes!(@query $($filters)?),
            answers: &[$(($status, openapi::schema_of::<$answer>)),+],
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
        body [], answer 200 openapi::Document;
    post "/validations" => redemptions::validate, "read", "Checks a code against a cart: whether it applies and for how much. Nothing is redeemed.",
        body [redemptions::ValidateBody], answer 200 redemptions::ValidationObject;
    post "/redemptions" => redemptions::redeem, "write", "Redeems a code for a cart, once per Idempotency-Key header (kept 24 hours).",
        body [redemptions::RedeemBody], answer 201 objects::RedemptionObject;
    post "/redemptions/{id}/rollback" => redemptions::rollback, "write", "Gives a redemption back, as a staff refund does. Idempotent.",
        body [redemptions::RollbackBody], answer 200 objects::RedemptionObject;
    get "/products" => catalog::list_products, "read", "Lists products (filter: state=active|archived).",
        body [], query [catalog::ProductFilters], answer 200 List<objects::ProductObject>;
    post "/products" => catalog::create_product, "write", "Creates a product.",
        body [catalog::ProductBody], answer 201 objects::ProductObject;
    get "/products/{id}" => catalog::show_product, "read", "Reads a product.",
        body [], answer 200 objects::ProductObject;
    patch "/products/{id}" => catalog::update_product, "write", "Changes the fields sent (and `archived`).",
        body [catalog::ProductBody], answer 200 objects::ProductObject;
    get "/coupons" => coupons::list, "read", "Lists coupons (filters: state, q = code prefix).",
        body [], query [coupons::CouponFilters], answer 200 List<objects::CouponObject>;
    post "/coupons" => coupons::create, "write", "Creates a coupon.",
        body [coupons::CouponBody], answer 201 objects::CouponObject;
    get "/coupons/{id}" => coupons::show, "read", "Reads a coupon.",
        body [], answer 200 objects::CouponObject;
    patch "/coupons/{id}" => coupons::update, "write", "Changes the fields sent; terms are locked once redeemed.",
        body [coupons::CouponBody], answer 200 objects::CouponObject;
    delete "/coupons/{id}" => coupons::delete, "write", "Deletes a coupon (its sets' unused codes go).",
        body [], answer 200 objects::CouponObject;
    post "/coupons/{id}/archive" => coupons::archive, "write", "Archives a coupon (its sets' unused codes go).",
        body [], answer 200 objects::CouponObject;
    post "/coupons/{id}/unarchive" => coupons::unarchive, "write", "Unarchives a coupon.",
        body [], answer 200 objects::CouponObject;
    post "/coupons/{id}/resume" => coupons::resume, "write", "Resumes a coupon its velocity limit paused; its window counts from 0 again.",
        body [], answer 200 objects::CouponObject;
    get "/promotion_codes" => promotion_codes::list, "read", "Lists promotion codes (filters: state, coupon, q).",
        body [], query [promotion_codes::PromoFilters], answer 200 List<objects::PromotionCodeObject>;
    post "/promotion_codes" => promotion_codes::create, "write", "Creates a promotion code for a coupon.",
        body [promotion_codes::PromoBody], answer 201 objects::PromotionCodeObject;
    get "/promotion_codes/{id}" => promotion_codes::show, "read", "Reads a promotion code.",
        body [], answer 200 objects::PromotionCodeObject;
    patch "/promotion_codes/{id}" => promotion_codes::update, "write", "Changes restrictions and limits, or `active`.",
        body [promotion_codes::PromoBody], answer 200 objects::PromotionCodeObject;
    delete "/promotion_codes/{id}" => promotion_codes::delete, "write", "Deletes a promotion code (a redeemed one is kept for order history).",
        body [], answer 200 objects::DeletedObject;
    post "/promotion_codes/{id}/resume" => promotion_codes::resume, "write", "Resumes a code its velocity limit paused; its window counts from 0 again.",
        body [], answer 200 objects::PromotionCodeObject;
    post "/promotion_codes/{id}/rotate" => promotion_codes::rotate, "write", "Replaces a (leaked) code by a new random one with the same coupon, restrictions and remaining uses; the old one stops for good.",
        body [], answer 201 objects::PromotionCodeObject;
    get "/coupon_sets" => coupon_sets::list, "read", "Lists coupon sets (filter: coupon).",
        body [], query [coupon_sets::SetFilters], answer 200 List<objects::CouponSetObject>;
    post "/coupon_sets" => coupon_sets::create, "write", "Creates a set of single-use codes; a large count answers 202 while it generates.",
        body [coupon_sets::SetBody], answer 201 objects::CouponSetObject, 202 objects::CouponSetObject;
    get "/coupon_sets/{id}" => coupon_sets::show, "read", "Reads a set, with its progress while it generates.",
        body [], answer 200 objects::CouponSetObject;
    delete "/coupon_sets/{id}" => coupon_sets::delete, "write", "Deletes a set: unused codes go, used ones are kept.",
        body [], answer 200 objects::DeletedObject;
    post "/coupon_sets/{id}/codes" => coupon_sets::add_codes, "write", "Generates more codes ({\"count\": N}) or imports up to 10,000 ({\"codes\": [...]}). A count answers the set (202 while it generates); an import answers what it added and refused.",
        body [coupon_sets::CodesBody], answer 200 objects::CodeImportObject, 201 objects::CouponSetObject, 202 objects::CouponSetObject;
    get "/coupon_sets/{id}/codes" => coupon_sets::codes, "read", "Lists a set's codes (filter: state=unused|used|archived).",
        body [], query [coupon_sets::CodeFilters], answer 200 List<objects::SetCodeObject>;
    get "/customers" => catalog::list_customers, "read", "Lists customers (q = email prefix).",
        body [], query [catalog::CustomerFilters], answer 200 List<objects::CustomerObject>;
    post "/customers" => catalog::create_customer, "write", "Adds a customer by email.",
        body [catalog::CustomerBody], answer 201 objects::CustomerObject;
    get "/orders" => catalog::list_orders, "read", "Lists orders (filter: coupon).",
        body [], query [catalog::OrderFilters], answer 200 List<objects::OrderObject>;
    get "/orders/{id}" => catalog::show_order, "read", "Reads an order with its lines.",
        body [], answer 200 objects::OrderObject;
}

/// Any other path under `/api/v1`: a JSON 404.
pub async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound)
}
