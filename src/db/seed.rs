//! Demo and benchmark data: many coupons in a store, inserted in batches.

use chrono::TimeDelta;
use diesel::prelude::*;

use super::schema::{coupons, stores};
use super::{Conn, now};
use crate::db::FirstRow;
use crate::domain::ids::StoreId;

/// Rows per multi-row INSERT.
const BATCH: usize = 500;

pub fn store_id(conn: &mut Conn, slug: &str) -> QueryResult<StoreId> {
    stores::table
        .filter(stores::slug.eq(slug))
        .select(stores::id)
        .first_row(conn)
        .map(StoreId)
}

/// Adds a bare store `slug` (USD, UTC, no members): tests of the data layer.
pub fn bare_store(conn: &mut Conn, slug: &str) -> QueryResult<StoreId> {
    diesel::insert_into(stores::table)
        .values((
            stores::slug.eq(slug),
            stores::name.eq(slug),
            stores::currency.eq("USD"),
            stores::timezone.eq("UTC"),
            stores::created_at.eq(now()),
        ))
        .execute(conn)?;
    store_id(conn, slug)
}

/// The id of the store's newest coupon.
pub fn newest_coupon(conn: &mut Conn, store: StoreId) -> QueryResult<i64> {
    coupons::table
        .filter(coupons::store_id.eq(store))
        .select(coupons::id)
        .order(coupons::id.desc())
        .first_row(conn)
}

/// Adds `count` coupons `SEED0000001`, `SEED0000002`... with a realistic mix:
/// percent and value discounts, all durations, some limited, some exhausted,
/// some archived, some scheduled, some expired. Returns how many were added.
pub fn coupons(conn: &mut Conn, store: StoreId, count: usize) -> QueryResult<usize> {
    let start: i64 = coupons::table
        .filter(coupons::store_id.eq(store))
        .filter(coupons::code.like("SEED%"))
        .count()
        .get_result(conn)?;
    let at = now();
    let added = super::write_transaction(conn, |conn| {
        let mut added = 0;
        while added < count {
            let rows: Vec<_> = (added..count.min(added + BATCH))
                .map(|i| {
                    let n = start + i as i64 + 1;
                    let value = n % 3 == 0;
                    let limited = n % 4 == 0;
                    let (duration, months) = match n % 3 {
                        0 => ("once", None),
                        1 => ("forever", None),
                        _ => ("repeating", Some(n % 12 + 1)),
                    };
                    (
                        coupons::store_id.eq(store),
                        coupons::code.eq(format!("SEED{n:07}")),
                        coupons::name.eq(Some(format!("Seeded coupon {n}"))),
                        coupons::discount_type.eq(if value { "value" } else { "percent" }),
                        coupons::percent_off_bp.eq((!value).then_some(500 + (n % 20) * 250)),
                        coupons::amount_off.eq(value.then_some(100 * (n % 50 + 1))),
                        coupons::currency.eq(value.then_some("USD")),
                        coupons::duration.eq(duration),
                        coupons::duration_in_months.eq(months),
                        coupons::max_redemptions.eq(limited.then_some(100)),
                        coupons::times_redeemed.eq(if limited && n % 8 == 0 {
                            100
                        } else {
                            n % 50
                        }),
                        coupons::once_per_customer.eq(n % 5 == 0),
                        coupons::archived_at.eq((n % 10 == 7).then_some(at)),
                        // Every state is there: scheduled and expired too.
                        coupons::starts_at.eq((n % 10 == 3).then_some(at + TimeDelta::days(30))),
                        coupons::redeem_by.eq((n % 10 == 5).then_some(at - TimeDelta::days(1))),
                        coupons::created_at.eq(at),
                        coupons::updated_at.eq(at),
                    )
                })
                .collect();
            added += rows.len();
            crate::on_backend!(conn, c => diesel::insert_into(coupons::table).values(&rows).execute(c))?;
        }
        Ok::<_, diesel::result::Error>(added)
    })?;
    // Fresh statistics after a bulk load, so the planner picks the indexes.
    diesel::sql_query("ANALYZE coupons").execute(conn)?;
    Ok(added)
}

/// Adds `count` promotion codes with random 10-character texts to `coupon`,
/// a mix of restrictions and limits. Returns the texts of the first 1,000
/// (for benchmarks to search for).
pub fn promotion_codes(
    conn: &mut Conn,
    store: StoreId,
    coupon: i64,
    count: usize,
) -> QueryResult<Vec<String>> {
    use super::schema::promotion_codes as pc;
    let at = now();
    let mut sample = Vec::new();
    super::write_transaction(conn, |conn| {
        let mut added = 0;
        while added < count {
            let n = count.min(added + BATCH) - added;
            let mut rows = Vec::with_capacity(n);
            for i in added..added + n {
                let text = crate::domain::codegen::random_code(10)
                    .map_err(|e| diesel::result::Error::QueryBuilderError(e.to_string().into()))?;
                if sample.len() < 1000 {
                    sample.push(text.clone());
                }
                rows.push((
                    pc::store_id.eq(store),
                    pc::coupon_id.eq(coupon),
                    pc::normal.eq(text.clone()),
                    pc::code.eq(text),
                    pc::customer_email
                        .eq((i % 10 == 0).then(|| format!("customer{i}@example.com"))),
                    pc::first_time_transaction.eq(i % 7 == 0),
                    pc::max_redemptions.eq((i % 3 == 0).then_some(1i64)),
                    pc::times_redeemed.eq(0i64),
                    pc::active.eq(i % 11 != 0),
                    pc::created_at.eq(at),
                    pc::updated_at.eq(at),
                ));
            }
            added += n;
            crate::on_backend!(conn, c => diesel::insert_into(pc::table).values(&rows).execute(c))?;
        }
        Ok::<_, diesel::result::Error>(())
    })?;
    diesel::sql_query("ANALYZE promotion_codes").execute(conn)?;
    Ok(sample)
}
