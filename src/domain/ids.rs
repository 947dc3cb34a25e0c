//! Id newtypes, so that ids of different tables cannot be mixed up.

macro_rules! id_type {
    ($($name:ident),*) => {$(
        /// A row id; `db::ids` maps it to its `BIGINT` column (the derives
        /// below only name that column type).
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
            diesel::AsExpression, diesel::FromSqlRow,
        )]
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        pub struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    )*};
}

id_type!(
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

/// Who made a change, for activity logs: a staff member on the dashboard,
/// or an API key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    Staff(UserId),
    ApiKey(ApiKeyId),
    /// Promodesk itself (the velocity tripwire).
    System,
}

impl Actor {
    pub fn user(self) -> Option<i64> {
        match self {
            Actor::Staff(u) => Some(u.0),
            Actor::ApiKey(_) | Actor::System => None,
        }
    }

    pub fn api_key(self) -> Option<i64> {
        match self {
            Actor::Staff(_) | Actor::System => None,
            Actor::ApiKey(k) => Some(k.0),
        }
    }
}
