//! The per-day analytics tables (SPEC 12): `add` sums a process's counts
//! into them (one short transaction, `crate::analytics`), the reads give
//! a code's or the store's funnel, amounts, chart and top codes.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use diesel::upsert::excluded;

use super::schema::{
    code_daily, code_running, code_totals, refusal_daily, store_daily, store_refusal_daily,
};
use super::{Conn, DbError};
use crate::analytics::{Counts, Pending};
use crate::db::FirstRow;
use crate::domain::analytics::{CodeKey, Funnel};
use crate::domain::ids::StoreId;

/// The six counts of `$c` (a `Counts`) as values of table `$t`'s columns.
macro_rules! counts_of {
    ($t:ident, $c:expr) => {
        (
            $t::opens.eq($c.opens),
            $t::applied.eq($c.applied),
            $t::redeemed.eq($c.redeemed),
            $t::rolled_back.eq($c.rolled_back),
            $t::discount.eq($c.discount),
            $t::revenue.eq($c.revenue),
        )
    };
}

/// An upsert's update: each count column plus the conflicting row's.
macro_rules! plus_excluded {
    ($t:ident) => {
        (
            $t::opens.eq($t::opens + excluded($t::opens)),
            $t::applied.eq($t::applied + excluded($t::applied)),
            $t::redeemed.eq($t::redeemed + excluded($t::redeemed)),
            $t::rolled_back.eq($t::rolled_back + excluded($t::rolled_back)),
            $t::discount.eq($t::discount + excluded($t::discount)),
            $t::revenue.eq($t::revenue + excluded($t::revenue)),
        )
    };
}

/// Each count column plus `$c`'s counts.
macro_rules! plus {
    ($t:ident, $c:expr) => {
        (
            $t::opens.eq($t::opens + $c.opens),
            $t::applied.eq($t::applied + $c.applied),
            $t::redeemed.eq($t::redeemed + $c.redeemed),
            $t::rolled_back.eq($t::rolled_back + $c.rolled_back),
            $t::discount.eq($t::discount + $c.discount),
            $t::revenue.eq($t::revenue + $c.revenue),
        )
    };
}

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
                counts_of!(code_daily, c),
            );
            let sums = plus_excluded!(code_daily);
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
        add_running(conn, pending)?;
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
            counts_of!(store_daily, c),
        );
        let sums = plus_excluded!(store_daily);
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

/// Adds `pending`'s per-code counts to the running totals: the code's
/// `code_totals` row, and its `code_running` rows from the counts' day on
/// (a new row of the day starts from the last one before it). Two flushes
/// of different processes that both make a code's row of the day meet on
/// its key: the second adds only its own counts.
fn add_running(conn: &mut Conn, pending: &Pending) -> QueryResult<()> {
    use code_running as r;
    use code_totals as t;
    for (slot, c) in &pending.codes {
        let totals = (
            t::store_id.eq(slot.store),
            t::coupon_id.eq(slot.code.coupon),
            t::promotion_code_id.eq(slot.code.promotion),
            t::set_id.eq(slot.code.set),
            t::currency.eq(&slot.currency),
            t::last_day.eq(slot.day),
            counts_of!(t, c),
        );
        let add = plus_excluded!(t);
        crate::on_backend!(conn, cc => diesel::insert_into(t::table)
            .values(totals)
            .on_conflict((t::store_id, t::coupon_id, t::promotion_code_id, t::set_id, t::currency))
            .do_update()
            .set(add)
            .execute(cc))?;
        let running = || {
            r::table
                .filter(r::store_id.eq(slot.store))
                .filter(r::coupon_id.eq(slot.code.coupon))
                .filter(r::promotion_code_id.eq(slot.code.promotion))
                .filter(r::set_id.eq(slot.code.set))
                .filter(r::currency.eq(&slot.currency))
        };
        let before: Option<(i64, Counts)> = running()
            .filter(r::day.le(slot.day))
            .order(r::day.desc())
            .select((
                r::day,
                (
                    r::opens,
                    r::applied,
                    r::redeemed,
                    r::rolled_back,
                    r::discount,
                    r::revenue,
                ),
            ))
            .first_row::<(i64, (i64, i64, i64, i64, i64, i64))>(conn)
            .optional()?
            .map(
                |(day, (opens, applied, redeemed, rolled_back, discount, revenue))| {
                    (
                        day,
                        Counts {
                            opens,
                            applied,
                            redeemed,
                            rolled_back,
                            discount,
                            revenue,
                        },
                    )
                },
            );
        // The day's row and every later one include these counts.
        diesel::update(running().filter(r::day.ge(slot.day)))
            .set(plus!(r, c))
            .execute(conn)?;
        if before.as_ref().is_some_and(|(day, _)| *day == slot.day) {
            // The code had a row of the day, so its last day is at least it.
            continue;
        }
        let code = || {
            t::table
                .filter(t::store_id.eq(slot.store))
                .filter(t::coupon_id.eq(slot.code.coupon))
                .filter(t::promotion_code_id.eq(slot.code.promotion))
                .filter(t::set_id.eq(slot.code.set))
                .filter(t::currency.eq(&slot.currency))
        };
        diesel::update(code().filter(t::last_day.lt(slot.day)))
            .set(t::last_day.eq(slot.day))
            .execute(conn)?;
        let mut start = before.map(|(_, totals)| totals).unwrap_or_default();
        start.add(c);
        let row = (
            r::store_id.eq(slot.store),
            r::coupon_id.eq(slot.code.coupon),
            r::promotion_code_id.eq(slot.code.promotion),
            r::set_id.eq(slot.code.set),
            r::currency.eq(&slot.currency),
            r::day.eq(slot.day),
            counts_of!(r, start),
        );
        let own = plus!(r, c);
        crate::on_backend!(conn, cc => diesel::insert_into(r::table)
            .values(row)
            .on_conflict((
                r::store_id,
                r::coupon_id,
                r::promotion_code_id,
                r::set_id,
                r::currency,
                r::day,
            ))
            .do_update()
            .set(own)
            .execute(cc))?;
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

const COLUMNS: [&str; 6] = [
    "opens",
    "applied",
    "redeemed",
    "rolled_back",
    "discount",
    "revenue",
];

/// Every code's sums over `days` (per currency), from the running totals:
/// at the last active day up to the period's end, minus at the last active
/// day before its start; two index seeks a code however long the period,
/// where summing the daily rows reads every code's every day.
fn running_sums(conn: &mut Conn, store: StoreId, days: Days) -> QueryResult<Vec<SumRow>> {
    let key = |a: &str| {
        format!(
            "{a}.store_id = t.store_id AND {a}.coupon_id = t.coupon_id AND \
             {a}.promotion_code_id = t.promotion_code_id AND {a}.set_id = t.set_id AND \
             {a}.currency = t.currency"
        )
    };
    // The code's row of its last active day `upto`: on PostgreSQL one
    // backward index probe (LATERAL ... LIMIT 1); SQLite, which has no
    // LATERAL, finds the day and then the row, both on the primary key.
    let lateral = matches!(conn, Conn::Postgres(_));
    let last = |a: &str, upto: String| {
        if lateral {
            format!(
                " LEFT JOIN LATERAL (SELECT {} FROM code_running x WHERE {} AND x.day {upto} \
                 ORDER BY x.day DESC LIMIT 1) {a} ON TRUE",
                COLUMNS.join(", "),
                key("x")
            )
        } else {
            format!(
                " LEFT JOIN code_running {a} ON {} AND {a}.day = \
                 (SELECT MAX(x.day) FROM code_running x WHERE {} AND x.day {upto})",
                key(a),
                key("x")
            )
        }
    };
    // A period that reaches every code's last active day (the usual "the
    // last 30 days") ends on the codes' totals.
    let ends_now = days.to == Days::ALL.to
        || code_totals::table
            .filter(code_totals::store_id.eq(store))
            .filter(code_totals::last_day.gt(days.to))
            .count()
            .get_result::<i64>(conn)?
            == 0;
    let mut joins = String::new();
    if !ends_now {
        joins.push_str(&last("e", format!("<= {}", days.to)));
    }
    let starts = days.from != Days::ALL.from;
    if starts {
        joins.push_str(&last("s", format!("< {}", days.from)));
    }
    let columns: Vec<String> = COLUMNS
        .iter()
        .map(|c| {
            let end = if ends_now {
                format!("t.{c}")
            } else {
                format!(
                    "CASE WHEN t.last_day <= {} THEN t.{c} ELSE COALESCE(e.{c}, 0) END",
                    days.to
                )
            };
            let start = if starts {
                format!("COALESCE(s.{c}, 0)")
            } else {
                "0".to_string()
            };
            format!("CAST({end} - {start} AS BIGINT) AS {c}")
        })
        .collect();
    let mut sql = format!(
        "SELECT t.coupon_id, t.promotion_code_id, t.set_id, t.currency, {} FROM code_totals t{joins} \
         WHERE t.store_id = {}",
        columns.join(", "),
        store.0
    );
    if starts {
        sql.push_str(&format!(" AND t.last_day >= {}", days.from));
    }
    let rows: Vec<SumRow> = crate::on_backend!(conn, c => diesel::sql_query(sql).load(c))?;
    // A code active only outside the period sums to nothing in it.
    Ok(rows
        .into_iter()
        .filter(|r| {
            [
                r.opens,
                r.applied,
                r.redeemed,
                r.rolled_back,
                r.discount,
                r.revenue,
            ]
            .iter()
            .any(|n| *n != 0)
        })
        .collect())
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
/// code with activity in them, most redemptions first (from the codes'
/// running totals).
pub fn report(
    conn: &mut Conn,
    store: StoreId,
    days: Days,
) -> QueryResult<(Figures, Vec<CodeFigures>)> {
    let figures = figures(conn, store, Scope::Store, days)?;
    let rows = running_sums(conn, store, days)?;
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
