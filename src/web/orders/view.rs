//! How an order reads on the receipt and on staff pages.

use chrono_tz::Tz;

use crate::db::orders::{ListedOrder, Order, OrderRow};
use crate::domain::money::CurrencyCode;
use crate::domain::time;

/// Money for people in the order's currency (the stored code as a fallback).
pub fn money(currency: &str, minor: i64) -> String {
    CurrencyCode::parse(currency)
        .map(|c| c.display(minor))
        .unwrap_or_else(|_| format!("{minor} {currency}"))
}

/// Subtotal, discount and total: bare minor units (the `data-field`
/// values) and in words, for the checkout preview, receipts and orders.
pub struct Totals {
    pub currency: String,
    pub subtotal: i64,
    pub discount: i64,
    pub total: i64,
    pub subtotal_text: String,
    pub discount_text: String,
    pub total_text: String,
}

impl Totals {
    pub fn new(currency: &str, subtotal: i64, discount: i64, total: i64) -> Totals {
        Totals {
            currency: currency.to_string(),
            subtotal,
            discount,
            total,
            subtotal_text: money(currency, subtotal),
            discount_text: money(currency, discount),
            total_text: money(currency, total),
        }
    }
}

pub struct LineView {
    pub name: String,
    pub quantity: i64,
    pub unit_price: String,
    pub amount: String,
    pub billing: &'static str,
}

/// An order ready for a template.
pub struct OrderView {
    pub id: i64,
    pub public_id: String,
    pub short_id: String,
    pub created_at: String,
    pub email: String,
    pub customer_id: i64,
    pub totals: Totals,
    pub code: String,
    pub coupon_id: Option<i64>,
    pub promotion_code_id: Option<i64>,
    pub set_code_id: Option<i64>,
    pub label: String,
    pub schedule: Vec<String>,
    pub status: &'static str,
    pub refunded: Option<String>,
    pub lines: Vec<LineView>,
}

impl OrderView {
    fn from_row(row: &OrderRow, email: &str, tz: Tz) -> OrderView {
        let refunded = row.refunded().then(|| {
            row.refunded_at
                .map(|t| time::display(t, tz))
                .unwrap_or_default()
        });
        OrderView {
            customer_id: row.customer_id,
            id: row.id,
            public_id: row.public_id.clone(),
            short_id: row
                .public_id
                .chars()
                .take(8)
                .collect::<String>()
                .to_uppercase(),
            created_at: time::display(row.created_at, tz),
            email: email.to_string(),
            totals: Totals::new(&row.currency, row.subtotal, row.discount, row.total),
            code: row.code.clone().unwrap_or_default(),
            coupon_id: row.coupon_id,
            promotion_code_id: row.promotion_code_id,
            set_code_id: row.set_code_id,
            label: row.discount_text.clone(),
            schedule: row
                .schedule
                .lines()
                .filter(|l| !l.is_empty())
                .map(str::to_string)
                .collect(),
            status: if row.refunded() { "refunded" } else { "paid" },
            refunded,
            lines: Vec::new(),
        }
    }

    pub fn new(order: &Order, tz: Tz) -> OrderView {
        let mut view = OrderView::from_row(&order.row, &order.email, tz);
        view.lines = order
            .lines
            .iter()
            .map(|l| LineView {
                name: l.name.clone(),
                quantity: l.quantity,
                unit_price: money(&order.row.currency, l.unit_price),
                amount: money(&order.row.currency, l.amount),
                billing: if l.billing == "recurring" {
                    "recurring"
                } else {
                    "one-time"
                },
            })
            .collect();
        view
    }

    pub fn listed(rows: &[ListedOrder], tz: Tz) -> Vec<OrderView> {
        rows.iter()
            .map(|(row, email)| OrderView::from_row(row, email, tz))
            .collect()
    }

    pub fn status_label(&self) -> &'static str {
        if self.refunded.is_some() {
            "Refunded"
        } else {
            "Paid"
        }
    }
}
