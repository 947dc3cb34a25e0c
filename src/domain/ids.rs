//! Id newtypes, so that ids of different tables cannot be mixed up.

macro_rules! id_type {
    ($($name:ident),*) => {$(
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
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
    OrderId
);
