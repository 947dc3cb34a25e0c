//! The API's objects (SPEC 10): every one has `"object": "<kind>"`, money in
//! minor units, times in RFC 3339 UTC, integer ids.

use chrono::{NaiveDateTime, SecondsFormat};
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::coupon_sets::{CodeRow, ImportReport, SetRow};
use crate::db::coupons::Coupon;
use crate::db::customers::Customer;
use crate::db::orders::{Order, OrderRow};
use crate::db::products::Product;
use crate::db::promotion_codes::Promotion;
use crate::domain::discount::{Discount, Duration};
use crate::domain::ids::ProductId;

/// RFC 3339 in UTC, e.g. `2026-12-31T23:59:00Z`.
pub fn time(t: NaiveDateTime) -> String {
    t.and_utc().to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn time_opt(t: Option<NaiveDateTime>) -> Option<String> {
    t.map(time)
}

#[derive(Serialize, ToSchema)]
#[schema(as = Product)]
pub struct ProductObject {
    pub object: &'static str,
    pub id: i64,
    pub name: String,
    pub price: i64,
    pub currency: &'static str,
    pub billing: &'static str,
    pub interval: Option<&'static str>,
    pub archived: bool,
}

impl ProductObject {
    pub fn new(p: Product) -> ProductObject {
        ProductObject {
            object: "product",
            id: p.id,
            name: p.name,
            price: p.price,
            currency: p.currency.code(),
            billing: p.billing.billing_str(),
            interval: p.billing.interval().map(|i| i.as_str()),
            archived: p.archived_at.is_some(),
        }
    }
}

#[derive(Serialize, ToSchema)]
#[schema(as = Coupon)]
pub struct CouponObject {
    pub object: &'static str,
    pub id: i64,
    pub code: String,
    pub name: Option<String>,
    pub discount_type: &'static str,
    /// Percent off, e.g. 12.5.
    pub percent_off: Option<f64>,
    pub amount_off: Option<i64>,
    pub currency: Option<&'static str>,
    pub duration: &'static str,
    pub duration_in_months: Option<i64>,
    pub max_redemptions: Option<i64>,
    pub times_redeemed: i64,
    pub remaining: Option<i64>,
    #[schema(format = DateTime)]
    pub starts_at: Option<String>,
    #[schema(format = DateTime)]
    pub redeem_by: Option<String>,
    pub applies_to: Vec<i64>,
    pub once_per_customer: bool,
    pub velocity_limit: Option<i64>,
    /// `hour` or `day`, with `velocity_limit`.
    pub velocity_window: Option<&'static str>,
    /// When its velocity limit paused it (state `paused`).
    #[schema(format = DateTime)]
    pub paused_at: Option<String>,
    pub state: &'static str,
    pub share_url: String,
    #[schema(format = DateTime)]
    pub created_at: String,
}

impl CouponObject {
    pub fn new(c: Coupon, applies_to: &[ProductId], share_url: String) -> CouponObject {
        let state = c.state(crate::db::now()).as_str();
        let (percent_off, amount_off, currency) = match c.discount {
            Discount::Percent(p) => (Some(p.basis_points() as f64 / 100.0), None, None),
            Discount::Amount { minor, currency } => (None, Some(minor), Some(currency.code())),
        };
        let (duration, months) = match c.duration {
            Duration::Once => ("once", None),
            Duration::Forever => ("forever", None),
            Duration::Repeating { months } => ("repeating", Some(months)),
        };
        CouponObject {
            object: "coupon",
            id: c.id.0,
            discount_type: c.discount.type_str(),
            percent_off,
            amount_off,
            currency,
            duration,
            duration_in_months: months,
            remaining: c.max_redemptions.map(|m| (m - c.times_redeemed).max(0)),
            max_redemptions: c.max_redemptions,
            times_redeemed: c.times_redeemed,
            starts_at: time_opt(c.starts_at),
            redeem_by: time_opt(c.redeem_by),
            applies_to: applies_to.iter().map(|p| p.0).collect(),
            once_per_customer: c.once_per_customer,
            velocity_limit: c.velocity.map(|v| v.limit),
            velocity_window: c.velocity.map(|v| v.window.as_str()),
            paused_at: time_opt(c.paused_at),
            state,
            share_url,
            created_at: time(c.created_at),
            code: c.code,
            name: c.name,
        }
    }
}

#[derive(Serialize, ToSchema)]
#[schema(as = PromotionCode)]
pub struct PromotionCodeObject {
    pub object: &'static str,
    pub id: i64,
    pub code: String,
    pub coupon_id: i64,
    pub customer: Option<String>,
    pub first_time_transaction: bool,
    pub minimum_amount: Option<i64>,
    pub minimum_amount_currency: Option<String>,
    #[schema(format = DateTime)]
    pub expires_at: Option<String>,
    pub max_redemptions: Option<i64>,
    pub times_redeemed: i64,
    pub remaining: Option<i64>,
    pub velocity_limit: Option<i64>,
    pub velocity_window: Option<&'static str>,
    #[schema(format = DateTime)]
    pub paused_at: Option<String>,
    /// The code this one replaced when it was rotated.
    pub rotated_from: Option<i64>,
    pub active: bool,
    pub state: &'static str,
    pub share_url: String,
    #[schema(format = DateTime)]
    pub created_at: String,
}

impl PromotionCodeObject {
    pub fn new(p: Promotion, share_url: String) -> PromotionCodeObject {
        let state = p.state(crate::db::now()).as_str();
        let velocity = p.row.velocity();
        let row = p.row;
        PromotionCodeObject {
            velocity_limit: velocity.map(|v| v.limit),
            velocity_window: velocity.map(|v| v.window.as_str()),
            paused_at: time_opt(row.paused_at),
            rotated_from: row.rotated_from_id,
            object: "promotion_code",
            id: row.id,
            coupon_id: row.coupon_id,
            customer: row.customer_email,
            first_time_transaction: row.first_time_transaction,
            minimum_amount: row.minimum_amount,
            minimum_amount_currency: row.minimum_amount_currency,
            expires_at: time_opt(row.expires_at),
            remaining: row.max_redemptions.map(|m| (m - row.times_redeemed).max(0)),
            max_redemptions: row.max_redemptions,
            times_redeemed: row.times_redeemed,
            active: row.active,
            state,
            share_url,
            created_at: time(row.created_at),
            code: row.code,
        }
    }
}

#[derive(Serialize, ToSchema)]
#[schema(as = CouponSet)]
pub struct CouponSetObject {
    pub object: &'static str,
    pub id: i64,
    pub coupon_id: i64,
    pub name: String,
    pub prefix: String,
    pub code_length: i64,
    /// `generating`, `ready` or `failed`.
    pub status: &'static str,
    /// Codes generated of those requested by the running generation.
    pub progress: Progress,
    pub total_codes: i64,
    pub used_codes: i64,
    pub unused_codes: i64,
    pub archived_codes: i64,
    pub error: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
}

#[derive(Serialize, ToSchema)]
#[schema(as = Progress)]
pub struct Progress {
    pub generated: i64,
    pub requested: i64,
}

impl CouponSetObject {
    pub fn new(s: SetRow) -> CouponSetObject {
        CouponSetObject {
            object: "coupon_set",
            id: s.id,
            coupon_id: s.coupon_id,
            unused_codes: s.unused_codes(),
            progress: Progress {
                generated: s.generated,
                requested: s.requested,
            },
            status: s.status.as_str(),
            name: s.name,
            prefix: s.prefix,
            code_length: s.code_length,
            total_codes: s.total_codes,
            used_codes: s.used_codes,
            archived_codes: s.archived_codes,
            error: s.error,
            created_at: time(s.created_at),
        }
    }
}

#[derive(Serialize, ToSchema)]
#[schema(as = Customer)]
pub struct CustomerObject {
    pub object: &'static str,
    pub id: i64,
    pub email: String,
    pub orders_count: i64,
    #[schema(format = DateTime)]
    pub first_order_at: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
}

impl CustomerObject {
    pub fn new(c: Customer) -> CustomerObject {
        CustomerObject {
            object: "customer",
            id: c.id,
            email: c.email,
            orders_count: c.orders_count,
            first_order_at: time_opt(c.first_order_at),
            created_at: time(c.created_at),
        }
    }
}

#[derive(Serialize, ToSchema)]
#[schema(as = OrderLine)]
pub struct LineObject {
    pub product_id: i64,
    pub name: String,
    pub unit_price: i64,
    pub quantity: i64,
    pub amount: i64,
}

#[derive(Serialize, ToSchema)]
#[schema(as = Order)]
pub struct OrderObject {
    pub object: &'static str,
    pub id: i64,
    pub email: String,
    /// `paid` or `refunded`.
    pub status: &'static str,
    pub currency: String,
    pub subtotal: i64,
    pub discount: i64,
    pub total: i64,
    pub code: Option<String>,
    pub coupon_id: Option<i64>,
    pub promotion_code_id: Option<i64>,
    /// On `GET /orders/{id}`; lists leave them out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lines: Option<Vec<LineObject>>,
    pub external_id: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub refunded_at: Option<String>,
}

impl OrderObject {
    pub fn new(o: Order) -> OrderObject {
        let lines = o
            .lines
            .into_iter()
            .map(|l| LineObject {
                product_id: l.product_id,
                name: l.name,
                unit_price: l.unit_price,
                quantity: l.quantity,
                amount: l.amount,
            })
            .collect();
        OrderObject {
            lines: Some(lines),
            ..OrderObject::listed(o.row, o.email)
        }
    }

    /// An order as lists show it: without its lines.
    pub fn listed(row: OrderRow, email: String) -> OrderObject {
        OrderObject {
            object: "order",
            id: row.id,
            email,
            status: row.status.as_str(),
            currency: row.currency,
            subtotal: row.subtotal,
            discount: row.discount,
            total: row.total,
            code: row.code,
            coupon_id: row.coupon_id,
            promotion_code_id: row.promotion_code_id,
            lines: None,
            external_id: row.external_id,
            created_at: time(row.created_at),
            refunded_at: time_opt(row.refunded_at),
        }
    }
}

fn schedule(row: &OrderRow) -> Vec<String> {
    row.schedule
        .lines()
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect()
}

#[derive(Serialize, ToSchema)]
#[schema(as = Redemption)]
pub struct RedemptionObject {
    pub object: &'static str,
    pub id: i64,
    pub order_id: i64,
    /// `succeeded`, or `rolled_back` once given back.
    pub status: &'static str,
    pub code: Option<String>,
    pub coupon_id: Option<i64>,
    pub subtotal: i64,
    pub discount: i64,
    pub total: i64,
    pub currency: String,
    pub schedule: Vec<String>,
    pub external_id: Option<String>,
    #[schema(value_type = std::collections::BTreeMap<String, String>)]
    pub metadata: serde_json::Value,
    #[schema(format = DateTime)]
    pub created_at: String,
}

impl RedemptionObject {
    pub fn new(row: &OrderRow) -> RedemptionObject {
        RedemptionObject {
            object: "redemption",
            id: row.id,
            order_id: row.id,
            status: if row.refunded() {
                "rolled_back"
            } else {
                "succeeded"
            },
            code: row.code.clone(),
            coupon_id: row.coupon_id,
            subtotal: row.subtotal,
            discount: row.discount,
            total: row.total,
            currency: row.currency.clone(),
            schedule: schedule(row),
            external_id: row.external_id.clone(),
            metadata: row
                .metadata
                .as_deref()
                .and_then(|m| serde_json::from_str(m).ok())
                .unwrap_or_else(|| serde_json::json!({})),
            created_at: time(row.created_at),
        }
    }
}

#[derive(Serialize, ToSchema)]
#[schema(as = SetCode)]
pub struct SetCodeObject {
    pub object: &'static str,
    pub id: i64,
    pub code: String,
    /// `unused`, `used` or `archived`.
    pub state: &'static str,
    #[schema(format = DateTime)]
    pub used_at: Option<String>,
    pub order_id: Option<i64>,
}

impl SetCodeObject {
    pub fn new(c: CodeRow) -> SetCodeObject {
        SetCodeObject {
            object: "set_code",
            id: c.id,
            code: c.code,
            state: c.state.as_str(),
            used_at: time_opt(c.used_at),
            order_id: c.order_id,
        }
    }
}

/// What an import of codes did: how many were added, and each refused one
/// with its place in the request and the reason.
#[derive(Serialize, ToSchema)]
#[schema(as = CodeImport)]
pub struct CodeImportObject {
    pub object: &'static str,
    pub added: usize,
    pub refused: Vec<RefusedCode>,
}

#[derive(Serialize, ToSchema)]
#[schema(as = RefusedCode)]
pub struct RefusedCode {
    /// The code's place in `codes`, from 0.
    pub index: usize,
    pub code: String,
    pub reason: String,
}

impl CodeImportObject {
    pub fn new(report: ImportReport) -> CodeImportObject {
        CodeImportObject {
            object: "code_import",
            added: report.added,
            refused: report
                .refused
                .into_iter()
                .map(|(index, code, reason)| RefusedCode {
                    index,
                    code,
                    reason,
                })
                .collect(),
        }
    }
}

/// An object that is gone: the answer to a delete, and a webhook's subject
/// when it no longer exists.
#[derive(Serialize, ToSchema)]
#[schema(as = Deleted)]
pub struct DeletedObject {
    pub object: &'static str,
    pub id: i64,
    pub deleted: bool,
}

impl DeletedObject {
    pub fn new(object: &'static str, id: i64) -> DeletedObject {
        DeletedObject {
            object,
            id,
            deleted: true,
        }
    }
}
