//! The per-day analytics tables (SPEC 12): `add` sums a process's counts
//! into them (one short transaction, `crate::analytics`), the reads give
//! a code's or the store's funnel, amounts, chart and top codes.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use diesel::upsert::excluded;

use super::schema::{code_daily, refusal_daily, store_daily, store_refusal_daily};
use super::{Conn, DbError};
use crate::analytics::Pending;
use crate::domain::analytics::{CodeKey, Funnel};
use crate::domain::ids::StoreId;

/// Adds `pending` to the tables.
pub fn add(conn: &mut Conn, pending: &Pending) -> QueryResult<()> {
    super::write_transaction(conn, |conn| {
        for (slot, c) in &pending.codes {
            let row = (
                code_daily::store_id.eq(slot.store),
                code_daily::coupon_id.eq(slot.code.coupon),
                code_daily::promotion_code_id.eq(slot.code.promotion),
                code_daily::set_id.eq(slot.code.set),
                code_daily::day.eq(slot.day),
                code_daily::currency.eq(&slot.currency),
                code_daily::opens.eq(c.opens),
                code_daily::applied.eq(c.applied),
                code_daily::redeemed.eq(c.redeemed),
                code_daily::rolled_back.eq(c.rolled_back),
                code_daily::discount.eq(c.discount),
                code_daily::revenue.eq(c.revenue),
            );
            let sums = (
                code_daily::opens.eq(code_daily::opens + excluded(code_daily::opens)),
                code_daily::applied.eq(code_daily::applied + excluded(code_daily::applied)),
                code_daily::redeemed.eq(code_daily::redeemed + excluded(code_daily::redeemed)),
                code_daily::rolled_back
                    .eq(code_daily::rolled_back + excluded(code_daily::rolled_back)),
                code_daily::discount.eq(code_daily::discount + excluded(code_daily::discount)),
                code_daily::revenue.eq(code_daily::revenue + excluded(code_daily::revenue)),
            );
            crate::on_backend!(conn, c => diesel::insert_into(code_daily::table)
                .values(row)
                .on_conflict((
                    code_daily::store_id,
                    code_daily::coupon_id,
                    code_daily::promotion_code_id,
                    code_daily::set_id,
                    code_daily::day,
                    code_daily::currency,
                ))
                .do_update()
                .set(sums)
                .execute(c))?;
        }
        for (slot, n) in &pending.refusals {
            let row = (
                refusal_daily::store_id.eq(slot.store),
                refusal_daily::coupon_id.eq(slot.code.coupon),
                refusal_daily::promotion_code_id.eq(slot.code.promotion),
                refusal_daily::set_id.eq(slot.code.set),
                refusal_daily::day.eq(slot.day),
                refusal_daily::reason.eq(slot.reason),
                refusal_daily::n.eq(*n),
            );
            crate::on_backend!(conn, c => diesel::insert_into(refusal_daily::table)
                .values(row)
                .on_conflict((
                    refusal_daily::store_id,
                    refusal_daily::coupon_id,
                    refusal_daily::promotion_code_id,
                    refusal_daily::set_id,
                    refusal_daily::day,
                    refusal_daily::reason,
                ))
                .do_update()
                .set(refusal_daily::n.eq(refusal_daily::n + excluded(refusal_daily::n)))
                .execute(c))?;
        }
        add_store_sums(conn, pending)?;
        Ok::<_, DbError>(())
    })
}

/// The store-wide sums of `pending` (per day and currency, per day and
/// reason), added to `store_daily` and `store_refusal_daily`.
fn add_store_sums(conn: &mut Conn, pending: &Pending) -> QueryResult<()> {
    use std::collections::HashMap;
    let mut days: HashMap<(StoreId, i64, &str), crate::analytics::Counts> = HashMap::new();
    for (slot, c) in &pending.codes {
        days.entry((slot.store, slot.day, slot.currency.as_str()))
            .or_default()
            .add(c);
    }
    for ((store, day, currency), c) in days {
        let row = (
            store_daily::store_id.eq(store),
            store_daily::day.eq(day),
            store_daily::currency.eq(currency),
            store_daily::opens.eq(c.opens),
            store_daily::applied.eq(c.applied),
            store_daily::redeemed.eq(c.redeemed),
            store_daily::rolled_back.eq(c.rolled_back),
            store_daily::discount.eq(c.discount),
            store_daily::revenue.eq(c.revenue),
        );
        let sums = (
            store_daily::opens.eq(store_daily::opens + excluded(store_daily::opens)),
            store_daily::applied.eq(store_daily::applied + excluded(store_daily::applied)),
            store_daily::redeemed.eq(store_daily::redeemed + excluded(store_daily::redeemed)),
            store_daily::rolled_back
                .eq(store_daily::rolled_back + excluded(store_daily::rolled_back)),
            store_daily::discount.eq(store_daily::discount + excluded(store_daily::discount)),
            store_daily::revenue.eq(store_daily::revenue + excluded(store_daily::revenue)),
        );
        crate::on_backend!(conn, c => diesel::insert_into(store_daily::table)
            .values(row)
            .on_conflict((store_daily::store_id, store_daily::day, store_daily::currency))
            .do_update()
            .set(sums)
            .execute(c))?;
    }
    let mut reasons: HashMap<(StoreId, i64, &str), i64> = HashMap::new();
    for (slot, n) in &pending.refusals {
        *reasons
            .entry((slot.store, slot.day, slot.reason))
            .or_default() += n;
    }
    for ((store, day, reason), n) in reasons {
        let row = (
            store_refusal_daily::store_id.eq(store),
            store_refusal_daily::day.eq(day),
            store_refusal_daily::reason.eq(reason),
            store_refusal_daily::n.eq(n),
        );
        crate::on_backend!(conn, c => diesel::insert_into(store_refusal_daily::table)
            .values(row)
            .on_conflict((
                store_refusal_daily::store_id,
                store_refusal_daily::day,
                store_refusal_daily::reason,
            ))
            .do_update()
            .set(store_refusal_daily::n.eq(store_refusal_daily::n + excluded(store_refusal_daily::n)))
            .execute(c))?;
    }
    Ok(())
}

/// Whose figures: one code (through any of its codes for a coupon), or
/// the whole store.
#[derive(Debug, Clone, Copy)]
pub enum Scope {
    Store,
    Coupon(i64),
    Promotion(i64),
    Set(i64),
}

/// Days `from..=to` of the store's calendar, or every day.
#[derive(Debug, Clone, Copy)]
pub struct Days {
    pub from: i64,
    pub to: i64,
}

impl Days {
    pub const ALL: Days = Days {
        from: i64::MIN,
        to: i64::MAX,
    };
}

/// A code's figures over some days.
#[derive(Debug, Clone, Default)]
pub struct Figures {
    pub funnel: Funnel,
    /// `(currency, discount, revenue)`, net of rollbacks.
    pub money: Vec<(String, i64, i64)>,
    /// `(day, redemptions)`.
    pub per_day: Vec<(i64, i64)>,
    /// `(reason, count)`, most first.
    pub refusals: Vec<(String, i64)>,
}

/// The SQL condition of a scope and a period on `code_daily` or
/// `refusal_daily` (every value an integer of ours, written into the text).
fn condition(store: StoreId, scope: Scope, days: Days) -> String {
    let mut sql = format!("store_id = {}", store.0);
    // Every day: no condition on the day, so that a code's figures use the
    // primary key (store, coupon, …) rather than the (store, day) index.
    if days.from != Days::ALL.from {
        sql.push_str(&format!(" AND day >= {}", days.from));
    }
    if days.to != Days::ALL.to {
        sql.push_str(&format!(" AND day <= {}", days.to));
    }
    match scope {
        Scope::Store => {}
        Scope::Coupon(id) => sql.push_str(&format!(" AND coupon_id = {id}")),
        Scope::Promotion(id) => sql.push_str(&format!(" AND promotion_code_id = {id}")),
        Scope::Set(id) => sql.push_str(&format!(" AND set_id = {id}")),
    }
    sql
}

const SUMS: &str = "CAST(SUM(opens) AS BIGINT) AS opens, CAST(SUM(applied) AS BIGINT) AS applied, \
     CAST(SUM(redeemed) AS BIGINT) AS redeemed, CAST(SUM(rolled_back) AS BIGINT) AS rolled_back, \
     CAST(SUM(discount) AS BIGINT) AS discount, CAST(SUM(revenue) AS BIGINT) AS revenue";

/// Sums of one code (or of the scope, with zero ids) in one currency.
#[derive(Debug, QueryableByName)]
struct SumRow {
    #[diesel(sql_type = BigInt)]
    coupon_id: i64,
    #[diesel(sql_type = BigInt)]
    promotion_code_id: i64,
    #[diesel(sql_type = BigInt)]
    set_id: i64,
    #[diesel(sql_type = Text)]
    currency: String,
    #[diesel(sql_type = BigInt)]
    opens: i64,
    #[diesel(sql_type = BigInt)]
    applied: i64,
    #[diesel(sql_type = BigInt)]
    redeemed: i64,
    #[diesel(sql_type = BigInt)]
    rolled_back: i64,
    #[diesel(sql_type = BigInt)]
    discount: i64,
    #[diesel(sql_type = BigInt)]
    revenue: i64,
}

#[derive(Debug, QueryableByName)]
struct DayRow {
    #[diesel(sql_type = BigInt)]
    day: i64,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(Debug, QueryableByName)]
struct ReasonRow {
    #[diesel(sql_type = Text)]
    reason: String,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// The scope's sums per code and currency, summed by the database.
fn sums(conn: &mut Conn, store: StoreId, scope: Scope, days: Days) -> QueryResult<Vec<SumRow>> {
    let sql = format!(
        "SELECT coupon_id, promotion_code_id, set_id, currency, {SUMS} FROM code_daily \
         WHERE {} GROUP BY coupon_id, promotion_code_id, set_id, currency",
        condition(store, scope, days)
    );
    crate::on_backend!(conn, c => diesel::sql_query(sql).load(c))
}

/// The scope's sums per currency: for the store from its own per-day
/// sums, for a code from its rows (zero ids either way).
fn totals(conn: &mut Conn, store: StoreId, scope: Scope, days: Days) -> QueryResult<Vec<SumRow>> {
    let table = match scope {
        Scope::Store => "store_daily",
        _ => "code_daily",
    };
    let sql = format!(
        "SELECT CAST(0 AS BIGINT) AS coupon_id, CAST(0 AS BIGINT) AS promotion_code_id, \
         CAST(0 AS BIGINT) AS set_id, currency, {SUMS} FROM {table} WHERE {} GROUP BY currency",
        condition(store, scope, days)
    );
    crate::on_backend!(conn, c => diesel::sql_query(sql).load(c))
}

/// Redemptions per day, in day order.
fn per_day(
    conn: &mut Conn,
    store: StoreId,
    scope: Scope,
    days: Days,
) -> QueryResult<Vec<(i64, i64)>> {
    let table = match scope {
        Scope::Store => "store_daily",
        _ => "code_daily",
    };
    let sql = format!(
        "SELECT day, CAST(SUM(redeemed) AS BIGINT) AS n FROM {table} \
         WHERE {} GROUP BY day ORDER BY day",
        condition(store, scope, days)
    );
    let rows: Vec<DayRow> = crate::on_backend!(conn, c => diesel::sql_query(sql).load(c))?;
    Ok(rows.into_iter().map(|r| (r.day, r.n)).collect())
}

/// The figures of `scope` over `days`.
pub fn figures(conn: &mut Conn, store: StoreId, scope: Scope, days: Days) -> QueryResult<Figures> {
    let rows = totals(conn, store, scope, days)?;
    figures_of(conn, store, scope, days, &rows)
}

/// The figures of `scope` from its sums `rows` (per currency, or per code
/// and currency), with its chart and refusals.
fn figures_of(
    conn: &mut Conn,
    store: StoreId,
    scope: Scope,
    days: Days,
    rows: &[SumRow],
) -> QueryResult<Figures> {
    let mut f = Figures::default();
    let mut money: std::collections::BTreeMap<&str, (i64, i64)> = Default::default();
    for r in rows {
        f.funnel.opens += r.opens;
        f.funnel.applied += r.applied;
        f.funnel.redeemed += r.redeemed;
        f.funnel.rolled_back += r.rolled_back;
        if !r.currency.is_empty() {
            let m = money.entry(r.currency.as_str()).or_default();
            m.0 += r.discount;
            m.1 += r.revenue;
        }
    }
    f.money = money
        .into_iter()
        .map(|(c, (d, r))| (c.to_string(), d, r))
        .collect();
    f.per_day = per_day(conn, store, scope, days)?;
    f.refusals = refusals(conn, store, scope, days)?;
    Ok(f)
}

fn refusals(
    conn: &mut Conn,
    store: StoreId,
    scope: Scope,
    days: Days,
) -> QueryResult<Vec<(String, i64)>> {
    let table = match scope {
        Scope::Store => "store_refusal_daily",
        _ => "refusal_daily",
    };
    let sql = format!(
        "SELECT reason, CAST(SUM(n) AS BIGINT) AS n FROM {table} WHERE {} GROUP BY reason",
        condition(store, scope, days)
    );
    let rows: Vec<ReasonRow> = crate::on_backend!(conn, c => diesel::sql_query(sql).load(c))?;
    let mut all: Vec<(String, i64)> = rows.into_iter().map(|r| (r.reason, r.n)).collect();
    all.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    Ok(all)
}

/// One code's figures in the store's per-code table.
#[derive(Debug, Clone, Default)]
pub struct CodeFigures {
    pub code: CodeKey,
    pub funnel: Funnel,
    pub money: Vec<(String, i64, i64)>,
}

/// The store's figures over `days` (from its own per-day sums) and every
/// code with activity in them, most redemptions first (one pass over the
/// codes' rows of the period, on their covering index).
pub fn report(
    conn: &mut Conn,
    store: StoreId,
    days: Days,
) -> QueryResult<(Figures, Vec<CodeFigures>)> {
    let figures = figures(conn, store, Scope::Store, days)?;
    let rows = sums(conn, store, Scope::Store, days)?;
    let mut by: std::collections::HashMap<CodeKey, CodeFigures> = Default::default();
    for r in rows {
        let code = CodeKey {
            coupon: r.coupon_id,
            promotion: r.promotion_code_id,
            set: r.set_id,
        };
        let e = by.entry(code).or_insert_with(|| CodeFigures {
            code,
            ..CodeFigures::default()
        });
        e.funnel.opens += r.opens;
        e.funnel.applied += r.applied;
        e.funnel.redeemed += r.redeemed;
        e.funnel.rolled_back += r.rolled_back;
        if !r.currency.is_empty() {
            e.money.push((r.currency, r.discount, r.revenue));
        }
    }
    let mut all: Vec<CodeFigures> = by.into_values().collect();
    all.sort_by(|a, b| {
        b.funnel
            .redeemed
            .cmp(&a.funnel.redeemed)
            .then_with(|| b.funnel.opens.cmp(&a.funnel.opens))
            .then_with(|| {
                (a.code.coupon, a.code.promotion, a.code.set).cmp(&(
                    b.code.coupon,
                    b.code.promotion,
                    b.code.set,
                ))
            })
    });
    Ok((figures, all))
}
