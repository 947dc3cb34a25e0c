//! The id newtypes of `domain::ids` as `BIGINT` columns: queries take and
//! return `CouponId`, `OrderId`... without unwrapping. The domain only
//! names the column type (derives); the conversions live here.

use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql};
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::BigInt;

use crate::domain::ids::*;

macro_rules! id_column {
    ($($name:ident),*) => {$(
        impl<DB> ToSql<BigInt, DB> for $name
        where
            DB: Backend,
            i64: ToSql<BigInt, DB>,
        {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
                <i64 as ToSql<BigInt, DB>>::to_sql(&self.0, out)
            }
        }

        impl<DB> FromSql<BigInt, DB> for $name
        where
            DB: Backend,
            i64: FromSql<BigInt, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
                i64::from_sql(bytes).map($name)
            }
        }

    )*};
}

id_column!(
    UserId,
    StoreId,
    ProductId,
    CouponId,
    PromotionCodeId,
    CouponSetId,
    CustomerId,
    OrderId,
    ApiKeyId,
    JobId
);
