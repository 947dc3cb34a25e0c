//! The per-day analytics tables (SPEC 12): `add` sums a process's counts
//! into them (one short transaction, `crate::analytics`), the reads give
//! a code's or the store's funnel, amounts, chart and top codes.

use diesel::prelude::*;
use diesel::upsert::excluded;

use super::schema::{code_daily, refusal_daily};
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
        Ok::<_, DbError>(())
    })
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

type CodeRow = (i64, i64, i64, i64, String, i64, i64, i64, i64, i64, i64);

fn rows(conn: &mut Conn, store: StoreId, scope: Scope, days: Days) -> QueryResult<Vec<CodeRow>> {
    let mut q = code_daily::table
        .filter(code_daily::store_id.eq(store))
        .filter(code_daily::day.ge(days.from))
        .filter(code_daily::day.le(days.to))
        .select((
            code_daily::coupon_id,
            code_daily::promotion_code_id,
            code_daily::set_id,
            code_daily::day,
            code_daily::currency,
            code_daily::opens,
            code_daily::applied,
            code_daily::redeemed,
            code_daily::rolled_back,
            code_daily::discount,
            code_daily::revenue,
        ))
        .into_boxed::<<Conn as diesel::Connection>::Backend>();
    q = match scope {
        Scope::Store => q,
        Scope::Coupon(id) => q.filter(code_daily::coupon_id.eq(id)),
        Scope::Promotion(id) => q.filter(code_daily::promotion_code_id.eq(id)),
        Scope::Set(id) => q.filter(code_daily::set_id.eq(id)),
    };
    q.load(conn)
}

/// The figures of `scope` over `days`.
pub fn figures(conn: &mut Conn, store: StoreId, scope: Scope, days: Days) -> QueryResult<Figures> {
    let mut f = Figures::default();
    let mut per_day: std::collections::BTreeMap<i64, i64> = Default::default();
    let mut money: std::collections::BTreeMap<String, (i64, i64)> = Default::default();
    for (_, _, _, day, currency, opens, applied, redeemed, rolled_back, discount, revenue) in
        rows(conn, store, scope, days)?
    {
        f.funnel.opens += opens;
        f.funnel.applied += applied;
        f.funnel.redeemed += redeemed;
        f.funnel.rolled_back += rolled_back;
        *per_day.entry(day).or_default() += redeemed;
        if !currency.is_empty() {
            let m = money.entry(currency).or_default();
            m.0 += discount;
            m.1 += revenue;
        }
    }
    f.per_day = per_day.into_iter().collect();
    f.money = money.into_iter().map(|(c, (d, r))| (c, d, r)).collect();
    f.refusals = refusals(conn, store, scope, days)?;
    Ok(f)
}

fn refusals(
    conn: &mut Conn,
    store: StoreId,
    scope: Scope,
    days: Days,
) -> QueryResult<Vec<(String, i64)>> {
    let mut q = refusal_daily::table
        .filter(refusal_daily::store_id.eq(store))
        .filter(refusal_daily::day.ge(days.from))
        .filter(refusal_daily::day.le(days.to))
        .select((refusal_daily::reason, refusal_daily::n))
        .into_boxed::<<Conn as diesel::Connection>::Backend>();
    q = match scope {
        Scope::Store => q,
        Scope::Coupon(id) => q.filter(refusal_daily::coupon_id.eq(id)),
        Scope::Promotion(id) => q.filter(refusal_daily::promotion_code_id.eq(id)),
        Scope::Set(id) => q.filter(refusal_daily::set_id.eq(id)),
    };
    let mut by: std::collections::HashMap<String, i64> = Default::default();
    for (reason, n) in q.load::<(String, i64)>(conn)? {
        *by.entry(reason).or_default() += n;
    }
    let mut all: Vec<(String, i64)> = by.into_iter().collect();
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

/// Every code with activity over `days`, most redemptions first.
pub fn per_code(conn: &mut Conn, store: StoreId, days: Days) -> QueryResult<Vec<CodeFigures>> {
    let mut by: std::collections::HashMap<CodeKey, CodeFigures> = Default::default();
    for (coupon, promotion, set, _, currency, opens, applied, redeemed, rolled_back, d, r) in
        rows(conn, store, Scope::Store, days)?
    {
        let code = CodeKey {
            coupon,
            promotion,
            set,
        };
        let e = by.entry(code).or_insert_with(|| CodeFigures {
            code,
            ..CodeFigures::default()
        });
        e.funnel.opens += opens;
        e.funnel.applied += applied;
        e.funnel.redeemed += redeemed;
        e.funnel.rolled_back += rolled_back;
        if !currency.is_empty() {
            match e.money.iter_mut().find(|(c, _, _)| *c == currency) {
                Some(m) => {
                    m.1 += d;
                    m.2 += r;
                }
                None => e.money.push((currency, d, r)),
            }
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
    Ok(all)
}
