//! Analytics reads (SPEC 12): a code's performance for its page, and the
//! store's report for a period (the analytics page, its CSV and the
//! overview). The counting itself is `crate::analytics`.

use chrono::TimeDelta;

use crate::db::analytics::{CodeFigures, Days, Figures, Scope};
use crate::db::schema::{coupon_sets, coupons, promotion_codes};
use crate::db::stores::Store;
use crate::db::{self, Conn, DbError};
use crate::domain::analytics::{Chart, CodeKey, date_of};
use crate::domain::money::CurrencyCode;
use diesel::prelude::*;

/// The periods the analytics page offers, in days.
pub const PERIODS: [i64; 3] = [7, 30, 90];

/// Today in the store's calendar (days from 0001-01-01).
pub fn today(store: &Store) -> i64 {
    crate::domain::velocity::Buckets::at(db::now(), store.timezone.tz()).day
}

/// "$12.50 · €3.00", amounts per currency; "$0.00" in the store's currency
/// when there are none.
pub fn money_text(amounts: &[(String, i64)], store: &Store) -> String {
    let shown: Vec<String> = amounts
        .iter()
        .filter_map(|(c, v)| CurrencyCode::parse(c).ok().map(|c| c.display(*v)))
        .collect();
    if shown.is_empty() {
        store.currency.display(0)
    } else {
        shown.join(" · ")
    }
}

/// The discount and the order totals of `(currency, discount, revenue)`
/// amounts, in words.
fn money_texts(money: &[(String, i64, i64)], store: &Store) -> (String, String) {
    let discount: Vec<(String, i64)> = money.iter().map(|(c, d, _)| (c.clone(), *d)).collect();
    let revenue: Vec<(String, i64)> = money.iter().map(|(c, _, r)| (c.clone(), *r)).collect();
    (money_text(&discount, store), money_text(&revenue, store))
}

/// A code's or the store's figures, ready for a page.
pub struct Performance {
    pub figures: Figures,
    pub chart: Chart,
    pub discount: String,
    pub revenue: String,
}

impl Performance {
    fn new(figures: Figures, store: &Store, first: i64, last: i64) -> Performance {
        let (discount, revenue) = money_texts(&figures.money, store);
        Performance {
            chart: Chart::daily(date_of(first), date_of(last), &figures.per_day),
            discount,
            revenue,
            figures,
        }
    }
}

/// A code's figures since it was made, with a chart of its last 30 days.
pub fn for_code(conn: &mut Conn, store: &Store, scope: Scope) -> Result<Performance, DbError> {
    let figures = db::analytics::figures(conn, store.id(), scope, Days::ALL)?;
    let last = today(store);
    Ok(Performance::new(figures, store, last - 29, last))
}

/// A code in the store's per-code table.
pub struct CodeLine {
    pub figures: CodeFigures,
    /// "SUMMER10", "FALL-25 (promotion code of SUMMER10)"...
    pub code: String,
    /// `coupon`, `promotion_code` or `coupon_set`.
    pub kind: &'static str,
    /// The admin path under the store, e.g. `/coupons/3`.
    pub path: String,
    pub discount: String,
    pub revenue: String,
}

/// The store's report for the last `days` days.
pub struct Report {
    pub days: i64,
    pub performance: Performance,
    pub codes: Vec<CodeLine>,
}

/// A period the page offers (30 for anything else).
pub fn period(raw: Option<i64>) -> i64 {
    raw.filter(|d| PERIODS.contains(d)).unwrap_or(30)
}

pub fn report(conn: &mut Conn, store: &Store, days: i64) -> Result<Report, DbError> {
    let last = today(store);
    let range = Days {
        from: last - (days - 1),
        to: last,
    };
    let (figures, per_code) = db::analytics::report(conn, store.id(), range)?;
    let performance = Performance::new(figures, store, range.from, range.to);
    let codes = lines(conn, store, per_code)?;
    Ok(Report {
        days,
        performance,
        codes,
    })
}

/// Names and links the codes of a report.
fn lines(
    conn: &mut Conn,
    store: &Store,
    per_code: Vec<CodeFigures>,
) -> Result<Vec<CodeLine>, DbError> {
    let ids = |f: fn(&CodeKey) -> i64| -> Vec<i64> {
        let mut v: Vec<i64> = per_code
            .iter()
            .map(|c| f(&c.code))
            .filter(|id| *id > 0)
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    let coupon_codes: std::collections::HashMap<i64, String> = coupons::table
        .filter(coupons::store_id.eq(store.id()))
        .filter(coupons::id.eq_any(ids(|k| k.coupon)))
        .select((coupons::id, coupons::code))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect();
    let promo_codes: std::collections::HashMap<i64, String> = promotion_codes::table
        .filter(promotion_codes::store_id.eq(store.id()))
        .filter(promotion_codes::id.eq_any(ids(|k| k.promotion)))
        .select((promotion_codes::id, promotion_codes::code))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect();
    let set_names: std::collections::HashMap<i64, String> = coupon_sets::table
        .filter(coupon_sets::store_id.eq(store.id()))
        .filter(coupon_sets::id.eq_any(ids(|k| k.set)))
        .select((coupon_sets::id, coupon_sets::name))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect();
    let name = |map: &std::collections::HashMap<i64, String>, id: i64| {
        map.get(&id).cloned().unwrap_or_else(|| format!("#{id}"))
    };
    Ok(per_code
        .into_iter()
        .map(|figures| {
            let k = figures.code;
            let coupon = name(&coupon_codes, k.coupon);
            let (code, kind, path) = if k.promotion > 0 {
                (
                    name(&promo_codes, k.promotion),
                    "promotion_code",
                    format!("/promotion-codes/{}", k.promotion),
                )
            } else if k.set > 0 {
                (
                    format!("{} (set of {coupon})", name(&set_names, k.set)),
                    "coupon_set",
                    format!("/coupon-sets/{}", k.set),
                )
            } else {
                (coupon, "coupon", format!("/coupons/{}", k.coupon))
            };
            let (discount, revenue) = money_texts(&figures.money, store);
            CodeLine {
                discount,
                revenue,
                figures,
                code,
                kind,
                path,
            }
        })
        .collect())
}

/// The first day of the report, for its heading.
pub fn since(store: &Store, days: i64) -> String {
    (date_of(today(store)) - TimeDelta::days(days - 1))
        .format("%b %-d, %Y")
        .to_string()
}
