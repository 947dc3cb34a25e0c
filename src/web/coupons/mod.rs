//! Coupons: list, detail, the tabbed form (new, clone, edit) and the
//! lifecycle actions (archive, unarchive, delete).

pub mod edit;
pub mod form;
pub mod list;
pub mod show;
pub mod view;

use crate::db;
use crate::db::coupons::Coupon;
use crate::db::products::Product;
use crate::domain::ids::{CouponId, ProductId};
use crate::error::AppError;
use crate::web::extract::{MinRole, StoreAccess};

/// A coupon of this store, its products, and every product of the store.
pub struct Loaded {
    pub coupon: Coupon,
    pub applies_to: Vec<ProductId>,
    pub products: Vec<Product>,
}

pub async fn load<R: MinRole>(access: &StoreAccess<R>, id: i64) -> Result<Loaded, AppError> {
    let store = access.store.clone();
    crate::web::db(&access.state, move |conn| {
        let (coupon, applies_to, products) =
            crate::app::coupons::with_products(conn, &store, CouponId(id))?;
        Ok::<_, db::DbError>(Loaded {
            coupon,
            applies_to,
            products,
        })
    })
    .await
}

pub async fn store_products<R: MinRole>(access: &StoreAccess<R>) -> Result<Vec<Product>, AppError> {
    let store = access.store.clone();
    crate::web::db(&access.state, move |conn| {
        crate::app::products::list(conn, &store)
    })
    .await
}
