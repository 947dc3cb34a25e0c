//! Limits hold under concurrency: many checkouts at once against one coupon,
//! promotion code, set or customer never redeem more than allowed, and the
//! orders always add up to the counters.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use crate::checkout::shop;
use crate::db_tests;
use crate::helpers::{Client, TestApp};

/// What a batch of checkouts came to.
#[derive(Debug, Default)]
struct Tally {
    ordered: usize,
    refused: usize,
}

/// Runs every (email, code) checkout of one unit of `product` through
/// `clients` concurrent sessions; any answer but an order (303) or a
/// refusal (422) fails the test.
async fn hammer(
    app: &TestApp,
    clients: usize,
    product: i64,
    attempts: Vec<(String, String)>,
) -> Tally {
    let queue = Arc::new(Mutex::new(VecDeque::from(attempts)));
    let quantity = format!("quantity_{product}");
    let mut sessions = Vec::new();
    for _ in 0..clients {
        let client = app.new_client();
        let token = client.csrf_token().await;
        sessions.push((client, token));
    }
    let tasks: Vec<_> = sessions
        .into_iter()
        .map(|(client, token): (Client, String)| {
            let queue = Arc::clone(&queue);
            let quantity = quantity.clone();
            tokio::spawn(async move {
                let mut tally = Tally::default();
                loop {
                    let next = queue.lock().expect("queue").pop_front();
                    let Some((email, code)) = next else { break };
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
                        303 => tally.ordered += 1,
                        422 => tally.refused += 1,
                        other => panic!("checkout answered {other}: {}", page.body),
                    }
                }
                tally
            })
        })
        .collect();
    let mut total = Tally::default();
    for task in tasks {
        let tally = task.await.expect("a checkout task");
        total.ordered += tally.ordered;
        total.refused += tally.refused;
    }
    total
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
    async fn a_coupon_limit_of_100_holds_against_1000_concurrent_checkouts(app) {
        let shop = shop(&app).await;
        let coupon = app
            .create_coupon("acme", &[("code", "RUSH"), ("max_redemptions", "100")])
            .await
            .created_id();
        let tally = hammer(&app, 64, shop.tee, emails(1000, "RUSH")).await;
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
        let tally = hammer(&app, 64, shop.tee, emails(1000, "flash30")).await;
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
        // Each code four times, its tries spread over the batch.
        let attempts: Vec<(String, String)> = (0..200)
            .map(|i| (format!("buyer{i}@example.com"), codes[i % 50].to_lowercase()))
            .collect();
        let tally = hammer(&app, 200, shop.tee, attempts).await;
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
        let tally = hammer(&app, 32, shop.tee, attempts).await;
        assert_eq!((tally.ordered, tally.refused), (1, 99));
        let times = app.count(&format!("SELECT times_redeemed AS n FROM coupons WHERE id = {coupon}"));
        assert_eq!(times, 1);
        assert_eq!(paid(&app, &format!("coupon_id = {coupon}")), times);
        assert_eq!(app.count("SELECT orders_count AS n FROM customers WHERE email = 'same@example.com'"), 1);
    }
}
