//! Analytics (SPEC 12): every share-URL open, applied preview, refusal (by
//! reason), redemption and rollback is counted per code and per day, and
//! the coupon, promotion code, set and store pages and the CSV show what
//! the test did. Counts are written a quarter second after they happen, so
//! each check waits (a few seconds at most) for the figure it expects.

use std::time::{Duration, Instant};

use crate::checkout::{buy, shop};
use crate::db_tests;
use crate::helpers::{Page, TestApp};

/// The page once its `field` reads `expected` (or as it is after 5 s).
async fn settled(app: &TestApp, path: &str, field: &str, expected: &str) -> Page {
    let start = Instant::now();
    loop {
        let page = app.get(path).await;
        if page.data_field(field).as_deref() == Some(expected)
            || start.elapsed() > Duration::from_secs(5)
        {
            return page;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[track_caller]
fn assert_funnel(page: &Page, expected: [&str; 4], what: &str) {
    let got = [
        "funnel_opens",
        "funnel_applied",
        "funnel_redeemed",
        "funnel_rolled_back",
    ]
    .map(|f| page.data_field(f).unwrap_or_default());
    assert_eq!(
        got, expected,
        "{what}: opens, applied, redeemed, rolled back"
    );
}

db_tests! {
    async fn the_funnel_counts_what_customers_did_on_every_page_and_in_the_csv(app) {
        let shop = shop(&app).await;
        let coupon = app
            .create_coupon("acme", &[("code", "FUN"), ("percent_off", "10"), ("once_per_customer", "on")])
            .await
            .created_id();
        let promo = app.create_promo("acme", coupon, &[("code", "FUN-P")]).await.created_id();
        let set = app.create_set("acme", coupon, "Fun set", "2", "FS", "8").await.created_id();
        let set_code = app
            .text(&format!("SELECT code AS t FROM set_codes WHERE set_id = {set} ORDER BY id LIMIT 1"))
            .expect("a set code");
        let customer = app.new_client();
        // Opens: 3 of the coupon's share URL, 2 of the promotion code's;
        // each applies to the preview (one tee is pre-selected).
        for _ in 0..3 {
            customer.get("/acme?coupon=FUN").await.assert_status(200);
        }
        for _ in 0..2 {
            customer.get("/acme?coupon=FUN-P").await.assert_status(200);
        }
        // One "Apply" preview, and one unknown code.
        let quantity = format!("quantity_{}", shop.tee);
        customer
            .checkout("acme", &[("email", ""), ("coupon", "FUN"), (quantity.as_str(), "1"), ("preview", "1")])
            .await
            .assert_status(200);
        customer.get("/acme?coupon=NOSUCHCODE").await.assert_status(200);
        // Orders: FUN twice, FUN-P once, a set code once; FUN again by the
        // same customer is refused (once per customer).
        buy(&app, "a@example.com", "FUN", &[(shop.tee, 1)]).await.assert_status(303);
        let second = buy(&app, "b@example.com", "FUN", &[(shop.tee, 1)]).await;
        second.assert_status(303);
        buy(&app, "c@example.com", "FUN-P", &[(shop.tee, 1)]).await.assert_status(303);
        buy(&app, "d@example.com", &set_code, &[(shop.tee, 1)]).await.assert_status(303);
        buy(&app, "a@example.com", "FUN", &[(shop.tee, 1)]).await.assert_status(422);
        // One rollback: b's order.
        let receipt = second.location_tail();
        let order = app.count(&format!("SELECT id AS n FROM orders WHERE public_id = '{receipt}'"));
        app.refund(order).await;

        let page = settled(&app, &format!("/admin/s/acme/coupons/{coupon}"), "funnel_rolled_back", "1").await;
        assert_funnel(&page, ["5", "6", "4", "1"], "the coupon, through all its codes");
        assert_eq!(page.data_field("discount_given").as_deref(), Some("$6.00"), "4 × $2.00, one given back");
        assert_eq!(page.data_field("revenue").as_deref(), Some("$54.00"));
        assert!(page.body.contains("data-refusal=\"once_per_customer\">1<"), "{}", page.body);
        assert!(page.body.contains("<svg"), "the chart");
        let page = settled(&app, &format!("/admin/s/acme/promotion-codes/{promo}"), "funnel_redeemed", "1").await;
        assert_funnel(&page, ["2", "2", "1", "0"], "the promotion code");
        let page = settled(&app, &format!("/admin/s/acme/coupon-sets/{set}"), "funnel_redeemed", "1").await;
        assert_funnel(&page, ["0", "0", "1", "0"], "the set");
        for days in [7, 30, 90] {
            let page = settled(&app, &format!("/admin/s/acme/analytics?days={days}"), "funnel_rolled_back", "1").await;
            assert_funnel(&page, ["5", "6", "4", "1"], "the store");
            assert!(page.body.contains("data-refusal=\"unknown_code\">1<"), "{}", page.body);
            assert!(page.body.contains("data-refusal=\"once_per_customer\">1<"));
            assert!(page.body.contains("data-analytics-code=\"FUN-P\""));
        }
        let csv = app.get("/admin/s/acme/analytics.csv?days=30").await;
        csv.assert_status(200);
        assert!(
            csv.body.contains(&format!("FUN,coupon,{coupon},0,0,3,4,2,1,USD,200,1800\n")),
            "{}",
            csv.body
        );
        assert!(csv.body.contains(&format!("FUN-P,promotion_code,{coupon},{promo},0,2,2,1,0,USD,200,1800\n")), "{}", csv.body);
        assert!(csv.body.contains(&format!(",coupon_set,{coupon},0,{set},0,0,1,0,USD,200,1800\n")), "{}", csv.body);
    }

    async fn a_new_store_shows_an_empty_report(app) {
        app.setup_owner().await;
        let page = app.get("/admin/s/acme/analytics").await;
        page.assert_status(200);
        assert_funnel(&page, ["0", "0", "0", "0"], "a new store");
        assert!(page.body.contains("No code was opened"));
        assert_eq!(page.data_field("discount_given").as_deref(), Some("$0.00"));
    }

    async fn a_new_stores_overview_checks_off_its_first_steps_until_a_code_is_used(app) {
        app.setup_owner().await;
        let done = |page: &Page, step: &str| {
            let marker = format!("data-step=\"{step}\"");
            let at = page.body.find(&marker).unwrap_or_else(|| panic!("step {step}: {}", page.body));
            page.body[at + marker.len()..].starts_with(" class=\"done\"")
        };
        let page = app.get("/admin/s/acme").await;
        assert!(page.body.contains("data-field=\"getting_started\""), "{}", page.body);
        assert_eq!([done(&page, "product"), done(&page, "coupon"), done(&page, "share")], [false, false, false]);
        app.create_product("acme", "Tee", "20.00", "USD", "one_time").await;
        let page = app.get("/admin/s/acme").await;
        assert_eq!([done(&page, "product"), done(&page, "coupon")], [true, false]);
        app.create_coupon("acme", &[("code", "FIRST")]).await.assert_status(303);
        let page = app.get("/admin/s/acme").await;
        assert_eq!([done(&page, "product"), done(&page, "coupon"), done(&page, "share")], [true, true, false]);
        // A customer opens the share URL: the store has activity, and the
        // overview shows its figures instead of the checklist.
        app.new_client().get("/acme?coupon=FIRST").await.assert_status(200);
        let page = settled(&app, "/admin/s/acme", "funnel_opens", "1").await;
        assert_funnel(&page, ["1", "1", "0", "0"], "the overview");
        assert!(!page.body.contains("data-field=\"getting_started\""), "{}", page.body);
    }

    async fn a_periods_per_code_sums_from_running_totals_equal_the_daily_rows_whatever_the_order_counted(app) {
        use promodesk::analytics::{Counts, Pending, Slot};
        use promodesk::db::analytics::{Days, report};
        use promodesk::domain::analytics::CodeKey;
        use std::collections::BTreeMap;
        /// Per code: its funnel, and (discount, revenue) per currency.
        type PerCode = BTreeMap<(i64, i64, i64), (Vec<i64>, BTreeMap<String, (i64, i64)>)>;
        app.setup_owner().await;
        let pool = promodesk::db::open(&app.database.url, 1).expect("db");
        let mut conn = pool.get().expect("conn");
        let store = promodesk::db::seed::store_id(&mut conn, "acme").expect("store");
        let first = 739_000_i64;
        // Counts of 6 codes in 2 currencies over 40 days, flushed in 80
        // batches: mostly in day order, a fifth of them for an earlier day
        // (late counts), some days twice.
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n) as i64
        };
        let codes = [(1, 0, 0), (1, 7, 0), (1, 0, 3), (2, 0, 0), (2, 9, 0), (5, 0, 0)];
        let mut daily: BTreeMap<(i64, i64, i64, String, i64), Counts> = BTreeMap::new();
        for batch in 0..80_i64 {
            let mut pending = Pending::default();
            for _ in 0..6 {
                let (coupon, promotion, set) = codes[next(6) as usize];
                let today = first + batch / 2;
                let day = if next(5) == 0 { first + next((batch / 2 + 1) as u64) } else { today };
                let currency = ["USD", "EUR", ""][next(3) as usize].to_string();
                let c = Counts {
                    opens: next(4),
                    applied: next(3),
                    redeemed: next(3),
                    rolled_back: next(2),
                    discount: next(900),
                    revenue: next(9000) - 500,
                };
                let slot = Slot { store, code: CodeKey { coupon, promotion, set }, day, currency: currency.clone() };
                pending.codes.entry(slot).or_default().add(&c);
                daily.entry((coupon, promotion, set, currency, day)).or_default().add(&c);
            }
            promodesk::db::analytics::add(&mut conn, &pending).expect("add");
        }
        let periods = [
            Days { from: first, to: first + 39 },
            Days { from: first + 10, to: first + 20 },
            Days { from: first + 33, to: first + 39 },
            Days { from: first, to: first },
            Days { from: first + 39, to: first + 45 },
            Days { from: first + 41, to: first + 50 },
            Days { from: first - 9, to: first + 3 },
            Days::ALL,
        ];
        for days in periods {
            // What summing the daily rows of the period gives.
            let mut want = PerCode::new();
            for ((coupon, promotion, set, currency, day), c) in &daily {
                if *day < days.from || *day > days.to {
                    continue;
                }
                let e = want.entry((*coupon, *promotion, *set)).or_insert_with(|| (vec![0; 4], BTreeMap::new()));
                for (i, n) in [c.opens, c.applied, c.redeemed, c.rolled_back].into_iter().enumerate() {
                    e.0[i] += n;
                }
                if !currency.is_empty() {
                    let m = e.1.entry(currency.clone()).or_default();
                    m.0 += c.discount;
                    m.1 += c.revenue;
                }
            }
            let (_, per_code) = report(&mut conn, store, days).expect("report");
            let mut got = PerCode::new();
            for line in per_code {
                let f = line.funnel;
                let e = got.entry((line.code.coupon, line.code.promotion, line.code.set)).or_insert_with(|| (vec![0; 4], BTreeMap::new()));
                for (i, n) in [f.opens, f.applied, f.redeemed, f.rolled_back].into_iter().enumerate() {
                    e.0[i] += n;
                }
                for (currency, discount, revenue) in line.money {
                    let m = e.1.entry(currency).or_default();
                    m.0 += discount;
                    m.1 += revenue;
                }
            }
            // A code with no counts in the period is not listed (nor is a
            // currency with nothing in it).
            want.retain(|_, (funnel, money)| {
                money.retain(|_, (d, r)| *d != 0 || *r != 0);
                funnel.iter().any(|n| *n != 0) || !money.is_empty()
            });
            for (_, money) in got.values_mut() {
                money.retain(|_, (d, r)| *d != 0 || *r != 0);
            }
            assert_eq!(got, want, "days {}..={}", days.from, days.to);
        }
    }
}
