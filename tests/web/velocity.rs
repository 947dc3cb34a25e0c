//! The leak tripwire (SPEC section 12): a velocity limit trips at exactly
//! N redemptions in a window and pauses the code in the same transaction;
//! it stays paused until staff resume it; a promotion code can be rotated
//! to a fresh text that keeps its coupon, restrictions and remaining uses.

use serde_json::json;

use crate::api::{Api, api_store};
use crate::checkout::{buy, shop};
use crate::db_tests;
use crate::helpers::{Page, TestApp};

/// A checkout of one tee with `code` by a new customer.
async fn try_code(app: &TestApp, tee: i64, code: &str) -> Page {
    let n = app.count("SELECT COUNT(*) AS n FROM checkout_attempts")
        + app.count("SELECT COUNT(*) AS n FROM orders");
    buy(app, &format!("buyer{n}@example.com"), code, &[(tee, 1)]).await
}

/// The state badge of the page's subject (the first one on the page).
fn state_of(page: &Page) -> Option<&str> {
    let at = page.body.find("data-state=\"")? + "data-state=\"".len();
    page.body[at..].split('"').next()
}

#[track_caller]
fn assert_paused_refusal(page: &Page) {
    page.assert_status(422);
    assert_eq!(
        page.data_field("error_code").as_deref(),
        Some("code_paused")
    );
    assert!(
        page.data_field("error")
            .is_some_and(|m| m.starts_with("This code is paused")),
        "{:?}",
        page.data_field("error")
    );
}

db_tests! {
    async fn a_coupon_velocity_limit_trips_at_exactly_n_and_stays_paused_until_resumed(app) {
        let shop = shop(&app).await;
        let coupon = app
            .create_coupon("acme", &[("code", "LEAK"), ("velocity_limit", "3"), ("velocity_window", "hour")])
            .await
            .created_id();
        // An endpoint that listens for code.paused only (it is never up).
        crate::webhooks::add_endpoint(&app.client, "http://127.0.0.1:9/hooks", &["code.paused"]).await;
        let page = app.get(&format!("/admin/s/acme/coupons/{coupon}")).await;
        assert_eq!(page.data_field("velocity").as_deref(), Some("3 per hour"));
        assert_eq!(state_of(&page), Some("active"));
        for _ in 0..3 {
            try_code(&app, shop.tee, "LEAK").await.assert_status(303);
        }
        // The fourth in the window is refused and pauses the coupon.
        assert_paused_refusal(&try_code(&app, shop.tee, "LEAK").await);
        let paid = "SELECT COUNT(*) AS n FROM orders WHERE code = 'LEAK'";
        assert_eq!(app.count(paid), 3);
        let page = app.get(&format!("/admin/s/acme/coupons/{coupon}")).await;
        assert_eq!(state_of(&page), Some("paused"));
        assert_eq!(page.data_field("times_redeemed").as_deref(), Some("3"));
        assert!(page.body.contains("data-field=\"paused_banner\""), "{}", page.body);
        assert!(page.body.contains("by Promodesk (velocity limit)"), "{}", page.body);
        assert_eq!(
            app.count(&format!("SELECT COUNT(*) AS n FROM coupon_events WHERE coupon_id = {coupon} AND action = 'paused'")),
            1
        );
        // The code.paused event, once, about the coupon (the only event the
        // endpoint wants).
        assert_eq!(
            app.count(&format!("SELECT COUNT(*) AS n FROM webhook_events WHERE type = 'code.paused' AND object_kind = 'coupon' AND object_id = {coupon}")),
            1
        );
        assert_eq!(app.count("SELECT COUNT(*) AS n FROM webhook_events"), 1);
        // The overview says so, and the list filters it.
        let overview = app.get("/admin/s/acme").await;
        assert!(overview.body.contains("data-paused-code=\"LEAK\""), "{}", overview.body);
        let list = app.get("/admin/s/acme/coupons?state=paused").await;
        assert!(list.body.contains(">LEAK<"), "{}", list.body);
        let active = app.get("/admin/s/acme/coupons?state=active").await;
        assert!(!active.body.contains(">LEAK<"));
        // The share URL's preview says why, before any order.
        let preview = app.get("/acme?coupon=LEAK").await;
        assert_eq!(preview.data_field("error_code").as_deref(), Some("code_paused"));
        // A new window does not resume it by itself.
        app.execute_sql("UPDATE coupons SET velocity_bucket = velocity_bucket - 2 WHERE code = 'LEAK'");
        assert_paused_refusal(&try_code(&app, shop.tee, "LEAK").await);
        assert_eq!(app.count(paid), 3);
        // Staff resume it.
        app.post(&format!("/admin/s/acme/coupons/{coupon}/resume"), &[])
            .await
            .assert_redirect(&format!("/admin/s/acme/coupons/{coupon}"));
        let page = app.get(&format!("/admin/s/acme/coupons/{coupon}")).await;
        assert_eq!(state_of(&page), Some("active"));
        assert!(page.body.contains("Coupon resumed"));
        // Its window counts from 0 again: three more, then paused again.
        for _ in 0..3 {
            try_code(&app, shop.tee, "LEAK").await.assert_status(303);
        }
        assert_paused_refusal(&try_code(&app, shop.tee, "LEAK").await);
        assert_eq!(app.count(paid), 6);
        assert_eq!(
            app.count(&format!("SELECT COUNT(*) AS n FROM coupon_events WHERE coupon_id = {coupon} AND action = 'paused'")),
            2
        );
    }

    async fn a_coupon_limit_counts_the_redemptions_of_all_its_codes_and_pauses_them_all(app) {
        let shop = shop(&app).await;
        let coupon = app
            .create_coupon("acme", &[("code", "MAIN"), ("velocity_limit", "2"), ("velocity_window", "day")])
            .await
            .created_id();
        app.create_promo("acme", coupon, &[("code", "PROMO-A")]).await.assert_status(303);
        try_code(&app, shop.tee, "PROMO-A").await.assert_status(303);
        try_code(&app, shop.tee, "MAIN").await.assert_status(303);
        assert_paused_refusal(&try_code(&app, shop.tee, "PROMOA").await);
        // The promotion code shows its coupon's state, and cannot be used.
        let list = app.get("/admin/s/acme/promotion-codes?state=coupon_invalid").await;
        assert!(list.body.contains("PROMO-A"), "{}", list.body);
        assert_paused_refusal(&try_code(&app, shop.tee, "PROMO-A").await);
        assert_eq!(app.count("SELECT COUNT(*) AS n FROM orders"), 2);
    }

    async fn a_promotion_code_pauses_alone_and_rotates_to_a_code_with_its_restrictions_and_remaining_uses(app) {
        let shop = shop(&app).await;
        let coupon = app
            .create_coupon("acme", &[("code", "BASE"), ("max_redemptions", "50")])
            .await
            .created_id();
        let promo = app
            .create_promo("acme", coupon, &[
                ("code", "FALL-25"),
                ("max_redemptions", "5"),
                ("minimum_amount", "15.00"),
                ("minimum_amount_currency", "USD"),
                ("velocity_limit", "2"),
                ("velocity_window", "day"),
            ])
            .await
            .created_id();
        try_code(&app, shop.tee, "FALL-25").await.assert_status(303);
        try_code(&app, shop.tee, "fall 25").await.assert_status(303);
        assert_paused_refusal(&try_code(&app, shop.tee, "FALL25").await);
        let page = app.get(&format!("/admin/s/acme/promotion-codes/{promo}")).await;
        assert_eq!(state_of(&page), Some("paused"));
        assert!(page.body.contains("data-field=\"paused_banner\""));
        // The coupon itself is not paused: its own code still works.
        try_code(&app, shop.tee, "BASE").await.assert_status(303);

        let rotated = app
            .post(&format!("/admin/s/acme/promotion-codes/{promo}/rotate"), &[])
            .await;
        rotated.assert_status(303);
        let new_path = rotated.location_tail();
        let new: i64 = new_path.parse().expect("the new code's id");
        assert_ne!(new, promo);
        let page = app.get(&format!("/admin/s/acme/promotion-codes/{new}")).await;
        assert_eq!(state_of(&page), Some("active"));
        assert_eq!(page.data_field("rotated_from").as_deref(), Some("FALL-25"));
        assert_eq!(page.data_field("times_redeemed").as_deref(), Some("0"));
        assert_eq!(page.data_field("max_redemptions").as_deref(), Some("3"), "5 less the 2 used");
        assert_eq!(page.data_field("restrictions").as_deref(), Some("min $15.00"));
        assert_eq!(page.data_field("velocity").as_deref(), Some("2 per day"));
        let new_code = page.data_field("code").expect("the new code");
        assert_ne!(new_code, "FALL-25");
        // The old code is off for good and links to the new one.
        let old = app.get(&format!("/admin/s/acme/promotion-codes/{promo}")).await;
        assert_eq!(state_of(&old), Some("inactive"));
        assert_eq!(old.data_field("rotated_to").as_deref(), Some(new_code.as_str()));
        assert_eq!(old.data_field("times_redeemed").as_deref(), Some("2"));
        let again = app.post(&format!("/admin/s/acme/promotion-codes/{promo}/reactivate"), &[]).await;
        again.assert_status(303);
        let old = app.get(&format!("/admin/s/acme/promotion-codes/{promo}")).await;
        assert!(old.body.contains("This code was rotated"), "{}", old.body);
        assert_eq!(state_of(&old), Some("inactive"));
        let refused = try_code(&app, shop.tee, "FALL-25").await;
        assert_eq!(refused.data_field("error_code").as_deref(), Some("promotion_code_inactive"));
        // The coupon kept its count: nothing was given back or freed.
        let base = app.get(&format!("/admin/s/acme/coupons/{coupon}")).await;
        assert_eq!(base.data_field("times_redeemed").as_deref(), Some("3"));
        // The new share URL works, with the minimum still enforced.
        let preview = app.get(&format!("/acme?coupon={new_code}")).await;
        preview.assert_status(200);
        assert_eq!(preview.data_field("error_code").as_deref(), Some("minimum_amount"));
        let two = buy(&app, "new@example.com", &new_code, &[(shop.tee, 1), (shop.plan, 1)]).await;
        two.assert_status(303);
        let page = app.get(&format!("/admin/s/acme/promotion-codes/{new}")).await;
        assert_eq!(page.data_field("times_redeemed").as_deref(), Some("1"));
        assert_eq!(page.data_field("remaining").as_deref(), Some("2"));
    }

    async fn the_form_checks_the_velocity_fields_and_writes_nothing_when_they_are_bad(app) {
        shop(&app).await;
        let before = app.fingerprint();
        let page = app
            .create_coupon("acme", &[("code", "BAD"), ("velocity_limit", "0")])
            .await;
        page.assert_status(422);
        assert!(page.field_error("velocity_limit").is_some(), "{}", page.body);
        let page = app
            .create_coupon("acme", &[("code", "BAD"), ("velocity_limit", "5"), ("velocity_window", "week")])
            .await;
        page.assert_status(422);
        assert!(page.field_error("velocity_window").is_some());
        assert_eq!(app.fingerprint(), before);
    }

    async fn the_api_sets_velocity_limits_resumes_and_rotates(app) {
        let (api, tee) = api_store(&app).await;
        let coupon = api
            .post("/coupons", &json!({
                "code": "APIV", "discount_type": "percent", "percent_off": 10,
                "duration": "once", "velocity_limit": 1, "velocity_window": "hour"
            }))
            .await
            .ok(201);
        assert_eq!(coupon["velocity_limit"], 1);
        assert_eq!(coupon["velocity_window"], "hour");
        let id = coupon["id"].as_i64().expect("id");
        let promo = api
            .post("/promotion_codes", &json!({"coupon_id": id, "code": "APIV-P", "max_redemptions": 4}))
            .await
            .ok(201);
        let promo_id = promo["id"].as_i64().expect("id");
        let redeem = |key: &'static str, code: &'static str| {
            let api: Api = api.clone();
            async move {
                api.redeem(key, &json!({
                    "code": code, "email": format!("{key}@example.com"),
                    "lines": [{"product_id": tee, "quantity": 1}]
                }))
                .await
            }
        };
        redeem("k1", "APIV").await.ok(201);
        let refused = redeem("k2", "APIV-P").await;
        assert_eq!(refused.error(422), ("redemption_refused".into(), "code_paused".into()));
        let paused = api.get(&format!("/coupons/{id}")).await.ok(200);
        assert_eq!(paused["state"], "paused");
        assert!(paused["paused_at"].is_string());
        let resumed = api.post(&format!("/coupons/{id}/resume"), &json!({})).await.ok(200);
        assert_eq!(resumed["state"], "active");
        redeem("k3", "APIV-P").await.ok(201);
        let rotated = api
            .post(&format!("/promotion_codes/{promo_id}/rotate"), &json!({}))
            .await
            .ok(201);
        assert_eq!(rotated["rotated_from"], promo_id);
        assert_eq!(rotated["max_redemptions"], 3);
        assert_ne!(rotated["code"], "APIV-P");
        let old = api.get(&format!("/promotion_codes/{promo_id}")).await.ok(200);
        assert_eq!(old["state"], "inactive");
        let again = api.post(&format!("/promotion_codes/{promo_id}/rotate"), &json!({})).await;
        assert_eq!(again.status, 422, "{}", again.text);
    }
}
