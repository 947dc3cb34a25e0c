//! `/api/v1/products`, `/api/v1/customers` and `/api/v1/orders`.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::listing::filters;
use super::objects::{CustomerObject, OrderObject, ProductObject};
use super::{Api, ApiError, ApiJson, List, Listing, Read, Write, path_id};
use crate::app::customers::CustomerError;
use crate::app::products::ProductError;
use crate::db::orders::OrderFilter;
use crate::domain::ids::{CouponId, OrderId, ProductId};
use crate::domain::product::ProductInput;

/// A product's fields; on PATCH only those sent change. `price` is in
/// minor units.
#[derive(Debug, Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ProductRequest)]
pub struct ProductBody {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub price: Option<i64>,
    #[serde(default)]
    pub currency: Option<String>,
    #[serde(default)]
    pub billing: Option<String>,
    #[serde(default)]
    pub interval: Option<String>,
    #[serde(default)]
    pub archived: Option<bool>,
}

impl ProductBody {
    fn apply(&self, input: &mut ProductInput) {
        if let Some(name) = &self.name {
            input.name = name.clone();
        }
        if let Some(currency) = &self.currency {
            input.currency = currency.clone();
        }
        if let Some(price) = self.price {
            input.price = match crate::domain::money::CurrencyCode::parse(input.currency.trim()) {
                Ok(c) if price >= 0 => c.format_major(price),
                _ => price.to_string(),
            };
        }
        if let Some(billing) = &self.billing {
            input.billing = billing.clone();
        }
        if let Some(interval) = &self.interval {
            input.interval = interval.clone();
        }
    }
}

fn product_error(e: ProductError) -> ApiError {
    match e {
        ProductError::Invalid(errors) => ApiError::invalid(&errors),
        ProductError::NotFound => ApiError::NotFound,
        ProductError::Db(e) => e.into(),
    }
}

filters!(
    /// `GET /products` reads `state`.
    pub ProductFilters: state "string" "active or archived."
);

/// `GET /api/v1/products?state=active|archived`
pub async fn list_products(
    api: Api<Read>,
    params: Listing<ProductFilters>,
) -> Result<HttpResponse, ApiError> {
    let archived = params.state(|s| match s {
        "active" => Some(false),
        "archived" => Some(true),
        _ => None,
    })?;
    let products = api
        .db(|conn, store| Ok(crate::app::products::list(conn, store)?))
        .await?;
    let products = products
        .into_iter()
        .filter(|p| archived.is_none_or(|a| p.archived_at.is_some() == a))
        .collect();
    let page = params.page_in_memory(products, |p| p.id)?;
    Ok(super::ok(&List::of(page, ProductObject::new)))
}

/// `GET /api/v1/products/{id}`
pub async fn show_product(
    api: Api<Read>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = ProductId(path_id(&path)?);
    let product = api
        .db(move |conn, store| crate::app::products::find(conn, store, id).map_err(product_error))
        .await?;
    Ok(super::ok(&ProductObject::new(product)))
}

/// `POST /api/v1/products`
pub async fn create_product(
    api: Api<Write>,
    body: ApiJson<ProductBody>,
) -> Result<HttpResponse, ApiError> {
    let product = api
        .db(move |conn, store| {
            let mut input = ProductInput::with_currency(store.currency.code());
            body.value.apply(&mut input);
            let id = crate::app::products::create(conn, store, &input).map_err(product_error)?;
            if body.value.archived == Some(true) {
                crate::app::products::set_archived(conn, store, id, true).map_err(product_error)?;
            }
            crate::app::products::find(conn, store, id).map_err(product_error)
        })
        .await?;
    Ok(super::created(&ProductObject::new(product)))
}

/// `PATCH /api/v1/products/{id}`: fields, and `archived`.
pub async fn update_product(
    api: Api<Write>,
    path: web::Path<String>,
    body: ApiJson<ProductBody>,
) -> Result<HttpResponse, ApiError> {
    let id = ProductId(path_id(&path)?);
    let product = api
        .db(move |conn, store| {
            let body = body.value;
            crate::app::products::patch(conn, store, id, |input| body.apply(input))
                .map_err(product_error)?;
            if let Some(archived) = body.archived {
                crate::app::products::set_archived(conn, store, id, archived)
                    .map_err(product_error)?;
            }
            crate::app::products::find(conn, store, id).map_err(product_error)
        })
        .await?;
    Ok(super::ok(&ProductObject::new(product)))
}

/// A customer of the store, by email.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = CustomerRequest)]
pub struct CustomerBody {
    pub email: String,
}

filters!(
    /// `GET /customers` reads `q`.
    pub CustomerFilters: q "string" "Customers whose email starts with this."
);

/// `GET /api/v1/customers?q=` (emails starting with `q`)
pub async fn list_customers(
    api: Api<Read>,
    params: Listing<CustomerFilters>,
) -> Result<HttpResponse, ApiError> {
    let (cursor, limit, q) = (params.cursor()?, params.limit()?, params.q());
    let page = api
        .db(move |conn, store| {
            Ok(crate::app::customers::list(
                conn,
                store,
                q.as_deref(),
                cursor,
                limit,
            )?)
        })
        .await?;
    Ok(super::ok(&List::of(page, CustomerObject::new)))
}

/// `POST /api/v1/customers`
pub async fn create_customer(
    api: Api<Write>,
    body: ApiJson<CustomerBody>,
) -> Result<HttpResponse, ApiError> {
    let customer = api
        .db(move |conn, store| {
            let email = crate::app::customers::create(conn, store, &body.value.email).map_err(
                |e| match e {
                    CustomerError::Invalid(errors) => ApiError::invalid(&errors),
                    CustomerError::Db(e) => e.into(),
                },
            )?;
            crate::app::customers::find_by_email(conn, store, &email)?.ok_or(ApiError::NotFound)
        })
        .await?;
    Ok(super::created(&CustomerObject::new(customer)))
}

filters!(
    /// `GET /orders` reads `coupon`.
    pub OrderFilters: coupon "integer" "Orders that redeemed this coupon (its id), by any of its codes."
);

/// `GET /api/v1/orders?coupon=`
pub async fn list_orders(
    api: Api<Read>,
    params: Listing<OrderFilters>,
) -> Result<HttpResponse, ApiError> {
    let filter = match params.coupon()? {
        Some(id) => OrderFilter::Coupon(CouponId(id)),
        None => OrderFilter::All,
    };
    let (cursor, limit) = (params.cursor()?, params.limit()?);
    let page = api
        .db(move |conn, store| {
            Ok(crate::app::orders::list(
                conn, store, filter, cursor, limit,
            )?)
        })
        .await?;
    Ok(super::ok(&List::of(page, |(row, email)| {
        OrderObject::listed(row, email)
    })))
}

/// `GET /api/v1/orders/{id}`
pub async fn show_order(api: Api<Read>, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let id = OrderId(path_id(&path)?);
    let order = api
        .db(move |conn, store| Ok(crate::app::orders::find(conn, store, id)?))
        .await?;
    Ok(super::ok(&OrderObject::new(order)))
}
