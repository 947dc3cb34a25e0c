//! The analytics pages (SPEC 12) of a busy store: 1,000,000 events
//! (share-URL opens, applied previews, refusals, redemptions, rollbacks)
//! over 1,000 coupons and the last 90 days, recorded through the real
//! counting path (`analytics::Tally`, then its flush into the per-day
//! tables, day after day, as a server writes them), on SQLite and (when
//! reachable) PostgreSQL. Prints the median
//! and p99 latency over HTTP on loopback of the analytics page (7, 30, 90
//! days), its CSV, the store overview and a coupon page. Every answer is
//! checked: status 200 and the store's redemption total for the period,
//! computed here from what was recorded.
//!
//! `cargo bench --bench analytics`

mod common;

use std::time::Instant;

use promodesk::analytics::{RefusalSlot, Slot, Tally};
use promodesk::db;
use promodesk::domain::analytics::CodeKey;

const EVENTS: usize = 1_000_000;
const CODES: usize = 1_000;
const DAYS: i64 = 90;
const REQUESTS: usize = 200;
const REASONS: [&str; 4] = [
    "unknown_code",
    "coupon_expired",
    "once_per_customer",
    "minimum_amount",
];

/// A small deterministic generator (xorshift), so that every run records
/// the same events.
struct Draw(u64);

impl Draw {
    fn next(&mut self, below: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % below
    }
}

/// Records the events; returns the redemptions (net of none: rollbacks are
/// counted apart, as the funnel does) of the last 7, 30 and 90 days.
fn record(database_url: &str) -> [i64; 3] {
    let pool = db::open(database_url, 1).expect("db");
    let mut conn = pool.get().expect("conn");
    let store = db::stores::find_by_slug(&mut conn, "bench").expect("store");
    let seeded = db::seed::coupons(&mut conn, store.id(), CODES).expect("seed");
    assert_eq!(seeded, CODES);
    let first: i64 = common::count(
        database_url,
        "SELECT MIN(id) AS n FROM coupons WHERE code LIKE 'SEED%'",
    );
    let today = promodesk::app::analytics::today(&store);
    // The flush takes the pool's one connection.
    drop(conn);
    let tally = Tally::new();
    let mut draw = Draw(0x9E37_79B9_7F4A_7C15);
    let mut redeemed = [0i64; 3];
    // The events of each day, drawn first: the server counts a day's
    // events on that day, so they are written day after day, oldest
    // first, one flush a day (a real process flushes every quarter second).
    let mut events: Vec<(i64, i64, u64)> = (0..EVENTS)
        .map(|_| {
            // Some codes are far busier than others (the square of a
            // uniform draw), as on a real store.
            let u = draw.next(1 << 16) as f64 / f64::from(1 << 16);
            let coupon = first + (u * u * CODES as f64) as i64;
            let ago = draw.next(DAYS as u64) as i64;
            (ago, coupon, draw.next(100))
        })
        .collect();
    events.sort_by_key(|(ago, _, _)| std::cmp::Reverse(*ago));
    let mut day = None;
    for (ago, coupon, kind) in events {
        if day.is_some_and(|d| d != ago) {
            tally.try_flush(&pool).expect("the counts are written");
        }
        day = Some(ago);
        let code = CodeKey {
            coupon,
            promotion: 0,
            set: 0,
        };
        let slot = |currency: &str| Slot {
            store: store.id(),
            code,
            day: today - ago,
            currency: currency.to_string(),
        };
        match kind {
            0..50 => tally.add(slot(""), |c| c.opens += 1),
            50..75 => tally.add(slot(""), |c| c.applied += 1),
            75..87 => {
                tally.add(slot("USD"), |c| {
                    c.redeemed += 1;
                    c.discount += 200;
                    c.revenue += 1800;
                });
                for (i, period) in [7, 30, 90].into_iter().enumerate() {
                    if ago < period {
                        redeemed[i] += 1;
                    }
                }
            }
            87..89 => tally.add(slot("USD"), |c| {
                c.rolled_back += 1;
                c.discount -= 200;
                c.revenue -= 1800;
            }),
            r => tally.refused(RefusalSlot {
                store: store.id(),
                code,
                day: today - ago,
                reason: REASONS[r as usize % REASONS.len()],
            }),
        }
    }
    tally.try_flush(&pool).expect("the counts are written");
    if database_url.starts_with("postgres") {
        // Autovacuum is off on the machine these figures come from; a
        // production PostgreSQL runs it (by default about once a minute on
        // tables this busy), so the pages are measured as it leaves them.
        common::execute(database_url, "VACUUM ANALYZE");
    }
    redeemed
}

async fn run(label: &str, bench: common::Bench) {
    let url = bench.database_url.clone();
    let started = Instant::now();
    let redeemed = tokio::task::spawn_blocking(move || record(&url))
        .await
        .expect("record");
    let url = bench.database_url.clone();
    let rows = tokio::task::spawn_blocking(move || {
        common::count(&url, "SELECT COUNT(*) AS n FROM code_daily")
            + common::count(&url, "SELECT COUNT(*) AS n FROM refusal_daily")
    })
    .await
    .expect("rows");
    println!(
        "{label}: {EVENTS} events over {CODES} coupons and {DAYS} days recorded in {:.1?} ({rows} daily rows)",
        started.elapsed()
    );
    let admin = format!("{}/admin/s/bench", bench.base);
    let repeat = |url: String| -> Vec<String> { (0..REQUESTS).map(|_| url.clone()).collect() };
    let shows = |n: i64| -> Vec<String> {
        (0..REQUESTS)
            .map(|_| {
                format!(
                    "data-field=\"funnel_redeemed\">{}<",
                    promodesk::domain::text::thousands(n)
                )
            })
            .collect()
    };
    for (i, days) in [7, 30, 90].into_iter().enumerate() {
        let expected = shows(redeemed[i]);
        common::measure(
            &bench.client,
            &format!("{label} analytics page, {days} days"),
            &repeat(format!("{admin}/analytics?days={days}")),
            common::Check::Shows(&expected),
        )
        .await;
    }
    let csv: Vec<String> = (0..REQUESTS).map(|_| "SEED".to_string()).collect();
    common::measure(
        &bench.client,
        &format!("{label} analytics CSV, 90 days"),
        &repeat(format!("{admin}/analytics.csv?days=90")),
        common::Check::Shows(&csv),
    )
    .await;
    let expected = shows(redeemed[1]);
    common::measure(
        &bench.client,
        &format!("{label} store overview (30 days)"),
        &repeat(admin.clone()),
        common::Check::Shows(&expected),
    )
    .await;
    let url = bench.database_url.clone();
    let busiest = tokio::task::spawn_blocking(move || {
        common::count(
            &url,
            "SELECT MIN(id) AS n FROM coupons WHERE code LIKE 'SEED%'",
        )
    })
    .await
    .expect("busiest");
    let funnel: Vec<String> = (0..REQUESTS)
        .map(|_| "data-field=\"funnel_redeemed\"".to_string())
        .collect();
    common::measure(
        &bench.client,
        &format!("{label} busiest coupon's page"),
        &repeat(format!("{admin}/coupons/{busiest}")),
        common::Check::Shows(&funnel),
    )
    .await;
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    run("SQLite", common::start().await).await;
    if let Some(pg) = common::postgres_db("analytics") {
        run("PostgreSQL", common::start_at(pg.url.clone(), None).await).await;
    }
}
