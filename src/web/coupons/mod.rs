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
    let store = access.store.id();
    crate::web::db(&access.state, move |conn| {
        let coupon = db::coupons::find(conn, store, CouponId(id))?;
        let applies_to = db::coupons::applies_to(conn, coupon.id)?;
        let products = db::products::list(conn, store)?;
        Ok::<_, db::DbError>(Loaded {
            coupon,
            applies_to,
            products,
        })
    })
    .await
}

pub async fn store_products<R: MinRole>(access: &StoreAccess<R>) -> Result<Vec<Product>, AppError> {
    let store = access.store.id();
    crate::web::db(&access.state, move |conn| db::products::list(conn, store)).await
}
