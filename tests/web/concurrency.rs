//! Limits hold under concurrency: many checkouts at once against one coupon,
//! promotion code, set or customer never redeem more than allowed, refunds
//! racing checkouts keep every count right, and the orders always add up to
//! the counters. Each race runs in rounds whose contenders are released
//! together by a barrier, every one from its own session, so their requests
//! really overlap in the server and the database.

use std::sync::Arc;

use tokio::sync::Barrier;

use crate::checkout::shop;
use crate::db_tests;
use crate::helpers::{Client, TestApp};

/// What a race came to.
#[derive(Debug, Default)]
struct Tally {
    ordered: usize,
    refused: usize,
}

/// One contender's request.
#[derive(Debug, Clone)]
enum Try {
    /// A checkout of one unit of the product as (email, code).
    Checkout(String, String),
    /// A refund of the order, by the owner.
    Refund(i64),
}

/// Sessions with their CSRF tokens, made before the race starts.
async fn sessions(app: &TestApp, n: usize) -> Vec<(Client, String)> {
    let mut all = Vec::new();
    for _ in 0..n {
        let client = app.new_client();
        let token = client.csrf_token().await;
        all.push((client, token));
    }
    all
}

/// Runs `rounds` one after another; the tries of a round start together.
/// A checkout must answer 303 (ordered) or 422 (refused) and a refund 303;
/// anything else (a 500 from a deadlock, say) fails the test.
async fn race(app: &TestApp, product: i64, rounds: Vec<Vec<Try>>) -> Tally {
    let widest = rounds.iter().map(Vec::len).max().unwrap_or(0);
    let customers = sessions(app, widest).await;
    let owner_token = app.csrf_token().await;
    let quantity = format!("quantity_{product}");
    let mut total = Tally::default();
    for round in rounds {
        let barrier = Arc::new(Barrier::new(round.len()));
        let tasks: Vec<_> = round
            .into_iter()
            .zip(customers.iter().cloned())
            .map(|(attempt, (client, token))| {
                let barrier = Arc::clone(&barrier);
                let quantity = quantity.clone();
                let owner = app.client.clone();
                let owner_token = owner_token.clone();
                tokio::spawn(async move {
                    barrier.wait().await;
                    match attempt {
                        Try::Checkout(email, code) => {
                            let page = client
                                .post_raw(
                                    "/acme/checkout",
                                    &[
                                        ("csrf_token", token.as_str()),
                                        ("email", email.as_str()),
                                        ("coupon", code.as_str()),
                                        (quantity.as_str(), "1"),
                                    ],
                                )
                                .await;
                            match page.status.as_u16() {
                                303 => (1, 0),
                                422 => (0, 1),
                                other => panic!("checkout answered {other}: {}", page.body),
                            }
                        }
                        Try::Refund(order) => {
                            let page = owner
                                .post_raw(
                                    &format!("/admin/s/acme/orders/{order}/refund"),
                                    &[("csrf_token", owner_token.as_str())],
                                )
                                .await;
                            assert_eq!(page.status.as_u16(), 303, "refund answered: {}", page.body);
                            (0, 0)
                        }
                    }
                })
            })
            .collect();
        for task in tasks {
            let (ordered, refused) = task.await.expect("a contender");
            total.ordered += ordered;
            total.refused += refused;
        }
    }
    total
}

/// Checkouts in rounds of `width`.
fn rounds(width: usize, attempts: Vec<(String, String)>) -> Vec<Vec<Try>> {
    attempts
        .chunks(width)
        .map(|chunk| {
            chunk
                .iter()
                .map(|(e, c)| Try::Checkout(e.clone(), c.clone()))
                .collect()
        })
        .collect()
}

fn emails(n: usize, code: &str) -> Vec<(String, String)> {
    (0..n)
        .map(|i| (format!("buyer{i}@example.com"), code.to_string()))
        .collect()
}

/// Paid orders matching `filter`.
fn paid(app: &TestApp, filter: &str) -> i64 {
    app.count(&format!(
        "SELECT COUNT(*) AS n FROM orders WHERE status = 'paid' AND {filter}"
    ))
}

db_tests! {
    async fn sixty_four_racing_checkouts_against_a_velocity_limit_of_10_make_exactly_10_orders(app) {
        let shop = shop(&app).await;
        let coupon = app
            .create_coupon("acme", &[("code", "SPIKE"), ("velocity_limit", "10"), ("velocity_window", "hour")])
            .await
            .created_id();
        let promo_coupon = app.create_coupon("acme", &[("code", "SPIKEBASE")]).await.created_id();
        app.create_promo("acme", promo_coupon, &[("code", "SPIKE-P"), ("velocity_limit", "10"), ("velocity_window", "day")])
            .await
            .assert_status(303);
        for code in ["SPIKE", "SPIKE-P"] {
            let tally = race(&app, shop.tee, rounds(64, emails(64, code))).await;
            assert_eq!((tally.ordered, tally.refused), (10, 54), "{code}");
            assert_eq!(paid(&app, &format!("code = '{code}'")), 10);
        }
        let page = app.get(&format!("/admin/s/acme/coupons/{coupon}")).await;
        assert!(page.body.contains("data-state=\"paused\""), "{}", page.body);
        assert_eq!(page.data_field("times_redeemed").as_deref(), Some("10"));
        // Paused once, however many refusals raced to pause it.
        assert_eq!(app.count("SELECT COUNT(*) AS n FROM coupon_events WHERE action = 'paused'"), 1);
        assert_eq!(app.count("SELECT COUNT(*) AS n FROM promotion_code_events WHERE action = 'paused'"), 1);
        assert_eq!(app.count("SELECT COUNT(*) AS n FROM promotion_codes WHERE code = 'SPIKE-P' AND paused_at IS NOT NULL AND times_redeemed = 10"), 1);
        let refused = app.count("SELECT COUNT(*) AS n FROM checkout_attempts WHERE reason = 'code_paused'");
        assert!(refused > 0, "the refusals say code_paused");
    }

    async fn a_coupon_limit_of_100_holds_against_1000_concurrent_checkouts(app) {
        let shop = shop(&app).await;
        let coupon = app
            .create_coupon("acme", &[("code", "RUSH"), ("max_redemptions", "100")])
            .await
            .created_id();
        let tally = race(&app, shop.tee, rounds(64, emails(1000, "RUSH"))).await;
        assert_eq!((tally.ordered, tally.refused), (100, 900));
        let times = app.count(&format!("SELECT times_redeemed AS n FROM coupons WHERE id = {coupon}"));
        assert_eq!(times, 100);
        assert_eq!(paid(&app, &format!("coupon_id = {coupon}")), times);
        assert_eq!(app.count("SELECT COUNT(*) AS n FROM orders"), 100);
        let page = app.get(&format!("/admin/s/acme/coupons/{coupon}")).await;
        assert_eq!(page.data_field("state").as_deref(), Some("Exhausted"));
        assert_eq!(page.data_field("remaining").as_deref(), Some("0"));
        // The coupon's orders, 50 a page, the filter kept across pages.
        let first = app.get(&format!("/admin/s/acme/orders?coupon={coupon}")).await;
        assert_eq!(first.body.matches("data-order=").count(), 50);
        let body = crate::helpers::html_unescape(&first.body);
        let marker = format!("/admin/s/acme/orders?coupon={coupon}&next=");
        let at = body.find(&marker).expect("a next link that keeps the filter");
        let end = body[at..].find('"').map(|e| at + e).expect("link end");
        let second = app.get(&body[at..end]).await;
        assert_eq!(second.body.matches("data-order=").count(), 50);
    }

    async fn a_promotion_code_limit_below_its_coupons_holds_under_concurrency(app) {
        let shop = shop(&app).await;
        let coupon = app
            .create_coupon("acme", &[("code", "BASE"), ("max_redemptions", "100")])
            .await
            .created_id();
        let promo = app
            .create_promo("acme", coupon, &[("code", "FLASH-30"), ("max_redemptions", "30")])
            .await
            .created_id();
        let tally = race(&app, shop.tee, rounds(64, emails(1000, "flash30"))).await;
        assert_eq!((tally.ordered, tally.refused), (30, 970));
        let promo_times = app.count(&format!("SELECT times_redeemed AS n FROM promotion_codes WHERE id = {promo}"));
        let coupon_times = app.count(&format!("SELECT times_redeemed AS n FROM coupons WHERE id = {coupon}"));
        assert_eq!((promo_times, coupon_times), (30, 30));
        assert_eq!(paid(&app, &format!("promotion_code_id = {promo}")), promo_times);
        assert_eq!(paid(&app, &format!("coupon_id = {coupon}")), coupon_times);
        let page = app.get(&format!("/admin/s/acme/promotion-codes/{promo}")).await;
        assert_eq!(page.data_field("state").as_deref(), Some("Exhausted"));
    }

    async fn each_set_code_redeems_once_when_200_checkouts_race_for_50_codes(app) {
        let shop = shop(&app).await;
        let coupon = app.create_coupon("acme", &[("code", "MAIN")]).await.created_id();
        let set = app.create_set("acme", coupon, "Race", "50", "", "10").await.created_id();
        let codes: Vec<String> = (0..50)
            .map(|i| {
                app.text(&format!(
                    "SELECT code AS t FROM set_codes WHERE set_id = {set} ORDER BY id LIMIT 1 OFFSET {i}"
                ))
                .expect("a set code")
            })
            .collect();
        // Each code four times at once, one round per code.
        let attempts: Vec<(String, String)> = (0..200)
            .map(|i| (format!("buyer{i}@example.com"), codes[i / 4].to_lowercase()))
            .collect();
        let tally = race(&app, shop.tee, rounds(4, attempts)).await;
        assert_eq!((tally.ordered, tally.refused), (50, 150));
        assert_eq!(app.count(&format!("SELECT COUNT(*) AS n FROM set_codes WHERE set_id = {set} AND state = 'used'")), 50);
        assert_eq!(
            app.count(
                "SELECT COUNT(DISTINCT set_code_id) AS n FROM orders WHERE status = 'paid' AND set_code_id IS NOT NULL"
            ),
            50,
            "every code used exactly once"
        );
        let used = app.count(&format!("SELECT used_codes AS n FROM coupon_sets WHERE id = {set}"));
        let times = app.count(&format!("SELECT times_redeemed AS n FROM coupons WHERE id = {coupon}"));
        assert_eq!((used, times), (50, 50));
        assert_eq!(paid(&app, "set_code_id IS NOT NULL"), used);
        assert_eq!(paid(&app, &format!("coupon_id = {coupon}")), times);
    }

    async fn a_once_per_customer_coupon_hammered_by_one_email_gives_one_order(app) {
        let shop = shop(&app).await;
        let coupon = app
            .create_coupon("acme", &[("code", "ONCE"), ("once_per_customer", "on")])
            .await
            .created_id();
        let attempts = (0..100)
            .map(|_| ("same@example.com".to_string(), "ONCE".to_string()))
            .collect();
        let tally = race(&app, shop.tee, rounds(32, attempts)).await;
        assert_eq!((tally.ordered, tally.refused), (1, 99));
        let times = app.count(&format!("SELECT times_redeemed AS n FROM coupons WHERE id = {coupon}"));
        assert_eq!(times, 1);
        assert_eq!(paid(&app, &format!("coupon_id = {coupon}")), times);
        assert_eq!(app.count("SELECT orders_count AS n FROM customers WHERE email = 'same@example.com'"), 1);
    }

    async fn refunds_racing_checkouts_on_one_coupon_keep_every_count_exact(app) {
        let shop = shop(&app).await;
        let coupon = app
            .create_coupon("acme", &[("code", "SWAP"), ("max_redemptions", "40")])
            .await
            .created_id();
        let promo = app.create_promo("acme", coupon, &[("code", "SWAP-PROMO")]).await.created_id();
        let by_coupon = app.redeem("SWAP", 10).await;
        let by_promo = app.redeem("SWAP-PROMO", 10).await;
        // 20 of 40 uses taken. Two rounds; in each, 10 refunds (5 of either
        // code) and 30 checkouts (20 with the promotion code) start together.
        // A checkout locks customer, coupon, promotion code; a refund must
        // take them in the same order or PostgreSQL finds deadlocks.
        let mut refunds = by_coupon.iter().zip(&by_promo).flat_map(|(a, b)| [*a, *b]);
        let round = |r: usize, refunds: &mut dyn Iterator<Item = i64>| -> Vec<Try> {
            let mut tries: Vec<Try> = refunds.take(10).map(Try::Refund).collect();
            for i in 0..30 {
                let code = if i % 3 == 0 { "SWAP" } else { "swap-promo" };
                tries.push(Try::Checkout(format!("racer{r}-{i}@example.com"), code.to_string()));
            }
            tries
        };
        let plan = vec![round(0, &mut refunds), round(1, &mut refunds)];
        let tally = race(&app, shop.tee, plan).await;
        assert_eq!(tally.ordered + tally.refused, 60);
        assert!(tally.ordered <= 40, "20 free and 20 refunded uses: {tally:?}");
        assert!(tally.ordered >= 20, "the 20 free uses were there all along: {tally:?}");
        assert_eq!(app.count("SELECT COUNT(*) AS n FROM orders WHERE status = 'refunded'"), 20);

        let times = app.count(&format!("SELECT times_redeemed AS n FROM coupons WHERE id = {coupon}"));
        let promo_times = app.count(&format!("SELECT times_redeemed AS n FROM promotion_codes WHERE id = {promo}"));
        assert_eq!(times, tally.ordered as i64, "the 20 first orders were all refunded");
        assert_eq!(paid(&app, &format!("coupon_id = {coupon}")), times);
        assert_eq!(paid(&app, &format!("promotion_code_id = {promo}")), promo_times);
        assert_eq!(
            app.count("SELECT CAST(COALESCE(SUM(orders_count), 0) AS BIGINT) AS n FROM customers"),
            app.count("SELECT COUNT(*) AS n FROM orders WHERE status = 'paid'"),
            "each customer's order count matches their paid orders"
        );
        // What is left can be used, exactly, and then the coupon is exhausted.
        let left = 40 - times;
        let page = app.get(&format!("/admin/s/acme/coupons/{coupon}")).await;
        assert_eq!(page.data_field("remaining"), Some(left.to_string()));
        app.redeem("SWAP", left as usize).await;
        let page = app.get(&format!("/admin/s/acme/coupons/{coupon}")).await;
        assert_eq!(page.data_field("state").as_deref(), Some("Exhausted"));
    }
}
