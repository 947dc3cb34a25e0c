//! Rules that cross features (SPEC sections 3, 4 and 5), reached only
//! through real checkouts and refunds: what a merchant sees on every page.

use crate::checkout::{buy, shop};
use crate::db_tests;
use crate::helpers::*;

const EXHAUSTED: &str = "This coupon has been fully redeemed: no uses are left.";
const ONCE: &str = "You have already used this coupon: it works once per customer.";

/// The codes of set `set`, in creation order.
fn set_codes(app: &TestApp, set: i64) -> Vec<String> {
    app.texts(&format!(
        "SELECT code AS t FROM set_codes WHERE set_id = {set} ORDER BY id"
    ))
}

/// The checkout's refusal message, after asserting the 422.
fn refusal(page: &Page) -> String {
    page.assert_status(422);
    page.data_field("error").unwrap_or_default()
}

db_tests! {
    async fn set_codes_stop_at_the_main_coupons_limit_10_of_100(app) {
        let shop = shop(&app).await;
        let tee = [(shop.tee, 1)];
        let coupon = app
            .create_coupon(STORE, &[("code", "TEN"), ("max_redemptions", "10")])
            .await
            .created_id();
        let set = app.create_set(STORE, coupon, "Hundred", "100", "", "10").await.created_id();
        let codes = set_codes(&app, set);
        assert_eq!(codes.len(), 100);
        for (i, code) in codes[..10].iter().enumerate() {
            buy(&app, &format!("buyer{i}@example.com"), code, &tee).await.location_tail();
        }
        let eleventh = buy(&app, "late@example.com", &codes[10], &tee).await;
        assert!(refusal(&eleventh).starts_with(EXHAUSTED), "{:?}", eleventh.data_field("error"));
        let set_page = app.get(&format!("/admin/s/acme/coupon-sets/{set}")).await;
        assert_eq!(
            (set_page.data_field("used").as_deref(), set_page.data_field("unused").as_deref()),
            (Some("10"), Some("90"))
        );
        let coupon_page = app.get(&format!("/admin/s/acme/coupons/{coupon}")).await;
        assert_eq!(coupon_page.data_field("state").as_deref(), Some("Exhausted"));
        assert_eq!(coupon_page.data_field("times_redeemed").as_deref(), Some("10"));
        assert_eq!(app.count("SELECT COUNT(*) AS n FROM orders WHERE status = 'paid'"), 10);
    }

    async fn once_per_customer_holds_across_the_coupons_code_promotion_codes_and_set_codes(app) {
        let shop = shop(&app).await;
        let tee = [(shop.tee, 1)];
        let coupon = app
            .create_coupon(STORE, &[("code", "ONCE"), ("once_per_customer", "on")])
            .await
            .created_id();
        app.create_promo(STORE, coupon, &[("code", "ONCE-PROMO")]).await.created_id();
        let set = app.create_set(STORE, coupon, "Once", "3", "", "10").await.created_id();
        let codes = set_codes(&app, set);
        // Each customer starts with a different kind of code; every other
        // kind is then refused for them.
        let starts = [
            ("coupon@example.com", "ONCE".to_string(), vec!["ONCE-PROMO".to_string(), codes[0].clone()]),
            ("set@example.com", codes[1].clone(), vec!["ONCE".to_string(), "ONCE-PROMO".to_string(), codes[2].clone()]),
            ("promo@example.com", "once-promo".to_string(), vec!["ONCE".to_string(), codes[0].clone()]),
        ];
        for (email, first, others) in &starts {
            buy(&app, email, first, &tee).await.location_tail();
            for other in others {
                let page = buy(&app, email, other, &tee).await;
                assert!(refusal(&page).starts_with(ONCE), "{email} with {other}: {:?}", page.data_field("error"));
            }
        }
        let page = app.get(&format!("/admin/s/acme/coupons/{coupon}")).await;
        assert_eq!(page.data_field("times_redeemed").as_deref(), Some("3"));
        let set_page = app.get(&format!("/admin/s/acme/coupon-sets/{set}")).await;
        assert_eq!(set_page.data_field("used").as_deref(), Some("1"));
        // A new customer still gets through with an unused set code.
        buy(&app, "new@example.com", &codes[0], &tee).await.location_tail();
    }

    async fn deleting_a_coupon_keeps_it_on_its_orders_and_receipts(app) {
        let shop = shop(&app).await;
        let coupon = app
            .create_coupon(STORE, &[("code", "KEEP"), ("name", "Keep me"), ("percent_off", "25")])
            .await
            .created_id();
        let receipt = buy(&app, "jane@example.com", "KEEP", &[(shop.tee, 1)]).await.location_tail();
        let order = app.count(&format!("SELECT id AS n FROM orders WHERE public_id = '{receipt}'"));
        app.post(&format!("/admin/s/acme/coupons/{coupon}/delete"), &[]).await.assert_status(303);

        let page = app.get(&format!("/admin/s/acme/orders/{order}")).await;
        page.assert_status(200);
        assert_eq!(page.data_field("code").as_deref(), Some("KEEP"));
        assert_eq!(page.data_field("discount").as_deref(), Some("500"));
        assert!(page.body.contains(&format!("href=\"/admin/s/acme/coupons/{coupon}\"")), "the order links its coupon");
        let coupon_page = app.get(&format!("/admin/s/acme/coupons/{coupon}")).await;
        assert_eq!(coupon_page.data_field("state").as_deref(), Some("Deleted"));
        assert!(coupon_page.body.contains(&receipt[..8].to_uppercase()), "the deleted coupon still lists its order");
        let public = app.new_client().get(&format!("/acme/orders/{receipt}")).await;
        public.assert_status(200);
        assert_eq!(public.data_field("code").as_deref(), Some("KEEP"));
        assert_eq!(
            (public.data_field("discount").as_deref(), public.data_field("total").as_deref()),
            (Some("500"), Some("1500"))
        );
        let orders = app.get(&format!("/admin/s/acme/orders?coupon={coupon}")).await;
        assert_eq!(orders.body.matches("data-order=").count(), 1);
    }

    async fn an_expired_promotion_code_stays_expired_when_its_coupons_expiry_moves(app) {
        let shop = shop(&app).await;
        let soon = local_time(3);
        let coupon = app
            .create_coupon(STORE, &[("code", "MOVING"), ("redeem_by", soon.as_str())])
            .await
            .created_id();
        // No expiry of its own: it takes the coupon's.
        let promo = app.create_promo(STORE, coupon, &[("code", "FOLLOWS")]).await.created_id();
        // Time travel: no page sets an expiry in the past.
        app.execute_sql(&format!("UPDATE coupons SET redeem_by = '2020-01-01 00:00:00' WHERE id = {coupon}"));
        app.execute_sql(&format!("UPDATE promotion_codes SET expires_at = '2020-01-01 00:00:00' WHERE id = {promo}"));
        let promo_page = format!("/admin/s/acme/promotion-codes/{promo}");
        assert_eq!(app.get(&promo_page).await.data_field("state").as_deref(), Some("Expired"));

        // The merchant gives the coupon another month.
        let later = local_time(30);
        app.edit_coupon(STORE, coupon, &[("code", "MOVING"), ("redeem_by", later.as_str())]).await.assert_status(303);
        let coupon_page = app.get(&format!("/admin/s/acme/coupons/{coupon}")).await;
        assert_eq!(coupon_page.data_field("state").as_deref(), Some("Active"));
        buy(&app, "jane@example.com", "MOVING", &[(shop.tee, 1)]).await.location_tail();

        // The promotion code does not come back: not by itself, not by
        // reactivation, not by editing its expiry.
        let page = app.get(&promo_page).await;
        assert_eq!(page.data_field("state").as_deref(), Some("Expired"));
        assert!(page.body.contains("Permanently inactive"));
        assert!(!page.body.contains(&format!("href=\"{promo_page}/edit\"")), "no Edit button");
        app.post(&format!("{promo_page}/reactivate"), &[]).await.assert_status(303);
        let edit = format!("{promo_page}/edit");
        for expires in [String::new(), local_time(10)] {
            let refused = app
                .post(&edit, &[("customer", ""), ("max_redemptions", ""), ("expires_at", expires.as_str()), ("minimum_amount", ""), ("minimum_amount_currency", "")])
                .await;
            refused.assert_status(422);
            assert!(
                refused.field_error("expires_at").unwrap_or_default().contains("expired for good"),
                "expires_at {expires:?}: {:?}",
                refused.field_error("expires_at")
            );
        }
        assert_eq!(app.get(&promo_page).await.data_field("state").as_deref(), Some("Expired"));
        let page = buy(&app, "joe@example.com", "FOLLOWS", &[(shop.tee, 1)]).await;
        assert!(refusal(&page).starts_with("This promotion code has expired."));
        let list = app.get("/admin/s/acme/promotion-codes?state=expired").await;
        assert!(list.body.contains("data-promotion-code=\"FOLLOWS\""));
    }

    async fn an_exhausted_coupon_is_active_again_everywhere_after_a_refund(app) {
        let shop = shop(&app).await;
        let coupon = app
            .create_coupon(STORE, &[("code", "TWICE"), ("max_redemptions", "2")])
            .await
            .created_id();
        let promo = app.create_promo(STORE, coupon, &[("code", "TWICE-PROMO")]).await.created_id();
        let orders = app.redeem("TWICE", 2).await;
        let coupon_page = format!("/admin/s/acme/coupons/{coupon}");
        let promo_page = format!("/admin/s/acme/promotion-codes/{promo}");
        let preview = format!("/acme?coupon=TWICE&quantity_{}=1", shop.tee);
        let listed = |body: &str| body.contains("data-coupon=\"TWICE\"");

        let page = app.get(&coupon_page).await;
        assert_eq!((page.data_field("state").as_deref(), page.data_field("remaining").as_deref()), (Some("Exhausted"), Some("0")));
        assert!(listed(&app.get("/admin/s/acme/coupons?state=exhausted").await.body));
        assert!(!listed(&app.get("/admin/s/acme/coupons?state=active").await.body));
        assert_eq!(app.get(&promo_page).await.data_field("state").as_deref(), Some("Coupon invalid"));
        assert!(app.new_client().get(&preview).await.data_field("error").unwrap_or_default().starts_with(EXHAUSTED));

        app.refund(orders[1]).await;
        let page = app.get(&coupon_page).await;
        assert_eq!((page.data_field("state").as_deref(), page.data_field("remaining").as_deref()), (Some("Active"), Some("1")));
        assert!(listed(&app.get("/admin/s/acme/coupons?state=active").await.body));
        assert!(!listed(&app.get("/admin/s/acme/coupons?state=exhausted").await.body));
        assert_eq!(app.get(&promo_page).await.data_field("state").as_deref(), Some("Active"));
        let open = app.new_client().get(&preview).await;
        assert_eq!(open.data_field("error"), None);
        assert_eq!(open.data_field("discount").as_deref(), Some("500"));
        // The freed use goes to the next customer, through the promotion code.
        buy(&app, "next@example.com", "TWICE-PROMO", &[(shop.tee, 1)]).await.location_tail();
        assert_eq!(app.get(&coupon_page).await.data_field("state").as_deref(), Some("Exhausted"));
    }
}
