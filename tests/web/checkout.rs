//! The public checkout: shareable URLs, previews, every redemption check
//! with its message, schedules, receipts and refunds.

use crate::db_tests;
use crate::helpers::{Page, TestApp, local_time};

pub struct Shop {
    pub tee: i64,
    pub plan: i64,
}

/// The owner, the store `acme`, a $20.00 tee and a $10.00/month plan.
pub async fn shop(app: &TestApp) -> Shop {
    app.setup_owner().await;
    let tee = app
        .create_product("acme", "Tee", "20.00", "USD", "one_time")
        .await;
    let plan = app
        .create_product("acme", "Pro plan", "10.00", "USD", "recurring")
        .await;
    Shop { tee, plan }
}

/// Orders `lines` as `email` with `code`.
pub async fn buy(app: &TestApp, email: &str, code: &str, lines: &[(i64, i64)]) -> Page {
    let owned: Vec<(String, String)> = lines
        .iter()
        .map(|(id, q)| (format!("quantity_{id}"), q.to_string()))
        .collect();
    let mut fields: Vec<(&str, &str)> = vec![("email", email), ("coupon", code)];
    fields.extend(owned.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    app.checkout("acme", &fields).await
}

fn money(
    page: &Page,
) -> (
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
) {
    (
        page.data_field("subtotal"),
        page.data_field("discount"),
        page.data_field("total"),
        page.data_field("currency"),
    )
}

fn some(
    a: &str,
    b: &str,
    c: &str,
    d: &str,
) -> (
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
) {
    (
        Some(a.into()),
        Some(b.into()),
        Some(c.into()),
        Some(d.into()),
    )
}

db_tests! {
    async fn a_share_url_round_trips_to_an_order_and_moves_the_counts(app) {
        let shop = shop(&app).await;
        let id = app
            .create_coupon("acme", &[("code", "SUMMER10"), ("max_redemptions", "5")])
            .await
            .created_id();
        let coupon_page = format!("/admin/s/acme/coupons/{id}");
        let url = app.get(&coupon_page).await.data_field("share_url").expect("share url");
        let path = url.strip_prefix(app.address.as_str()).expect("the server's own address");
        assert_eq!(path, "/acme?coupon=SUMMER10");

        // The URL opens the checkout with the code applied to one unit of the
        // first product it covers.
        let customer = app.new_client();
        let opened = customer.get(path).await;
        opened.assert_status(200);
        assert!(opened.body.contains("value=\"SUMMER10\""));
        assert_eq!(money(&opened), some("1000", "250", "750", "USD"));
        assert_eq!(
            opened.data_field("schedule").as_deref(),
            Some("25% off the first month, then $10.00/month")
        );
        assert_eq!(opened.data_field("error"), None);

        // A cart of two tees and the plan: 25% of $50.00.
        let tee = format!("quantity_{}", shop.tee);
        let plan = format!("quantity_{}", shop.plan);
        let placed = customer
            .checkout(
                "acme",
                &[("email", " Jane@Example.com "), ("coupon", "SUMMER10"), (tee.as_str(), "2"), (plan.as_str(), "1")],
            )
            .await;
        let receipt_id = placed.location_tail();
        assert_eq!(placed.location.as_deref(), Some(format!("/acme/orders/{receipt_id}").as_str()));
        assert_eq!(receipt_id.len(), 32, "an unguessable id");
        let receipt = customer.get(&format!("/acme/orders/{receipt_id}")).await;
        receipt.assert_status(200);
        assert_eq!(money(&receipt), some("5000", "1250", "3750", "USD"));
        assert_eq!(receipt.data_field("code").as_deref(), Some("SUMMER10"));
        assert!(receipt.body.contains("jane@example.com"));

        // The counts moved everywhere.
        let coupon = app.get(&coupon_page).await;
        assert_eq!(coupon.data_field("times_redeemed").as_deref(), Some("1"));
        assert_eq!(coupon.data_field("remaining").as_deref(), Some("4"));
        assert!(coupon.body.contains(&receipt_id[..8].to_uppercase()), "the coupon page lists its order");
        let list = app.get("/admin/s/acme/coupons").await;
        assert_eq!(list.data_field("times_redeemed").as_deref(), Some("1"));
        let orders = app.get("/admin/s/acme/orders").await;
        assert!(orders.body.contains("jane@example.com"));
        let customers = app.get("/admin/s/acme/customers").await;
        assert_eq!(customers.data_field("orders_count").as_deref(), Some("1"));
        assert_eq!(
            app.count(&format!("SELECT COUNT(*) AS n FROM orders WHERE coupon_id = {id} AND total = 3750")),
            1
        );
    }

    async fn every_check_refuses_with_its_own_message_and_writes_nothing(app) {
        let shop = shop(&app).await;
        let tee = [(shop.tee, 1)];
        let coupon = |code: &'static str, extra: &'static [(&'static str, &'static str)]| {
            let mut fields = vec![("code", code)];
            fields.extend_from_slice(extra);
            fields
        };
        // Coupons in every state.
        app.create_coupon("acme", &coupon("CaseCode", &[])).await.created_id();
        let gone = app.create_coupon("acme", &coupon("GONE1", &[])).await.created_id();
        app.post(&format!("/admin/s/acme/coupons/{gone}/delete"), &[]).await;
        let paused = app.create_coupon("acme", &coupon("PAUSED1", &[])).await.created_id();
        app.post(&format!("/admin/s/acme/coupons/{paused}/archive"), &[]).await;
        let later = local_time(3);
        app.create_coupon("acme", &[("code", "LATER1"), ("starts_at", later.as_str())]).await.created_id();
        let soon = local_time(3);
        let old = app.create_coupon("acme", &[("code", "OLD1"), ("redeem_by", soon.as_str())]).await.created_id();
        // Time travel: no page sets a redeem-by date in the past.
        app.execute_sql(&format!("UPDATE coupons SET redeem_by = '2020-01-01 00:00:00' WHERE id = {old}"));
        let full = app.create_coupon("acme", &coupon("FULL1", &[("max_redemptions", "1")])).await.created_id();
        buy(&app, "first@example.com", "FULL1", &tee).await.location_tail();
        let once = app.create_coupon("acme", &coupon("ONCE1", &[("once_per_customer", "on")])).await.created_id();
        buy(&app, "again@example.com", "ONCE1", &tee).await.location_tail();
        app.create_coupon("acme", &[("code", "EURO5"), ("discount_type", "value"), ("percent_off", ""), ("amount_off", "5"), ("currency", "EUR")]).await.created_id();
        let plan = shop.plan.to_string();
        app.create_coupon("acme", &[("code", "PLANONLY"), ("applies_to", plan.as_str())]).await.created_id();
        app.create_coupon("acme", &coupon("FOREVER1", &[("duration", "forever")])).await.created_id();
        // Promotion codes.
        let base = app.create_coupon("acme", &coupon("BASE", &[])).await.created_id();
        app.create_promo("acme", base, &[("code", "OFFPROMO"), ("active", "")]).await.created_id();
        let expiring = local_time(3);
        let old_promo = app.create_promo("acme", base, &[("code", "OLDPROMO"), ("expires_at", expiring.as_str())]).await.created_id();
        // Time travel, as above.
        app.execute_sql(&format!("UPDATE promotion_codes SET expires_at = '2020-01-01 00:00:00' WHERE id = {old_promo}"));
        app.create_promo("acme", base, &[("code", "ONEPROMO"), ("max_redemptions", "1")]).await.created_id();
        buy(&app, "first@example.com", "one-promo", &tee).await.location_tail();
        app.create_promo("acme", base, &[("code", "JANEONLY"), ("customer", "jane@example.com")]).await.created_id();
        app.create_promo("acme", base, &[("code", "WELCOME"), ("first_time_transaction", "on")]).await.created_id();
        app.create_promo("acme", base, &[("code", "BIGSPEND"), ("minimum_amount", "100"), ("minimum_amount_currency", "USD")]).await.created_id();
        // Set codes: one used, one used and then archived with its set.
        let set = app.create_set("acme", base, "Mailing", "2", "", "10").await.created_id();
        let codes: Vec<String> = (0..2)
            .map(|i| app.text(&format!("SELECT code AS t FROM set_codes WHERE set_id = {set} ORDER BY id LIMIT 1 OFFSET {i}")).expect("a set code"))
            .collect();
        buy(&app, "first@example.com", &codes[0], &tee).await.location_tail();
        let other_set = app.create_set("acme", base, "Flyers", "1", "", "10").await.created_id();
        let archived = app.text(&format!("SELECT code AS t FROM set_codes WHERE set_id = {other_set}")).expect("a set code");
        buy(&app, "first@example.com", &archived, &tee).await.location_tail();
        app.post(&format!("/admin/s/acme/coupon-sets/{other_set}/delete"), &[]).await;

        let orders_before = app.count("SELECT COUNT(*) AS n FROM orders");
        assert_eq!(orders_before, 5);
        let cases: Vec<(&str, &str, &str, String)> = vec![
            ("NOPE", "jane@example.com", "unknown_code", "We do not know this code. Check it for typos.".into()),
            ("casecode", "jane@example.com", "case_sensitive", "Coupon codes are case-sensitive: check the capital and small letters of this code.".into()),
            ("GONE1", "jane@example.com", "coupon_deleted", "This coupon has been withdrawn and no longer works.".into()),
            ("PAUSED1", "jane@example.com", "coupon_archived", "This coupon has been withdrawn for now: it cannot be used.".into()),
            ("LATER1", "jane@example.com", "coupon_scheduled", "This coupon is not valid yet: it can be used from".into()),
            ("OLD1", "jane@example.com", "coupon_expired", "This coupon has expired.".into()),
            ("FULL1", "jane@example.com", "coupon_exhausted", "This coupon has been fully redeemed: no uses are left.".into()),
            ("off-promo", "jane@example.com", "promotion_code_inactive", "This promotion code is not active.".into()),
            ("oldpromo", "jane@example.com", "promotion_code_expired", "This promotion code has expired.".into()),
            ("ONEPROMO", "jane@example.com", "promotion_code_exhausted", "This promotion code has been fully redeemed: no uses are left.".into()),
            (codes[0].as_str(), "jane@example.com", "set_code_used", "This code has already been used: each code works once.".into()),
            (archived.as_str(), "jane@example.com", "set_code_archived", "This code is no longer valid.".into()),
            ("JANEONLY", "joe@example.com", "customer_restricted", "This code is reserved for another customer's email.".into()),
            ("WELCOME", "first@example.com", "first_time_only", "This code is for first orders only, and this email has ordered before.".into()),
            ("ONCE1", "again@example.com", "once_per_customer", "You have already used this coupon: it works once per customer.".into()),
            ("BIGSPEND", "jane@example.com", "minimum_amount", "This code needs an order of at least $100.00 before discount.".into()),
            ("EURO5", "jane@example.com", "currency_mismatch", "This coupon takes an amount off in EUR, and this order is in USD: it cannot apply.".into()),
            ("PLANONLY", "jane@example.com", "no_eligible_product", "This code does not apply to any product in your order.".into()),
            ("FOREVER1", "jane@example.com", "no_eligible_product", "This coupon discounts subscriptions only: add a recurring product to use it.".into()),
        ];
        for (code, email, reason, message) in &cases {
            let page = buy(&app, email, code, &tee).await;
            page.assert_status(422);
            let shown = page.data_field("error").unwrap_or_default();
            assert!(shown.starts_with(message.as_str()), "{code}: {shown:?}, expected {message:?}");
            // The typed values come back, and the preview shows no discount.
            assert!(page.body.contains(&format!("value=\"{code}\"")), "{code}");
            assert_eq!(page.data_field("discount").as_deref(), Some("0"), "{code}");
            assert_eq!(
                app.count(&format!("SELECT COUNT(*) AS n FROM checkout_attempts WHERE reason = '{reason}' AND code = '{code}'")),
                1,
                "{code}: the attempt is kept for staff"
            );
            // The same reason opens the checkout from a share URL.
            let preview = app.get(&format!("/acme?coupon={code}&email={email}&quantity_{}=1", shop.tee)).await;
            preview.assert_status(200);
            assert!(preview.data_field("error").unwrap_or_default().starts_with(message.as_str()), "{code} preview");
        }
        assert_eq!(app.count("SELECT COUNT(*) AS n FROM orders"), orders_before, "nothing was ordered");
        assert_eq!(app.count(&format!("SELECT times_redeemed AS n FROM coupons WHERE id = {full}")), 1);
        assert_eq!(app.count(&format!("SELECT times_redeemed AS n FROM coupons WHERE id = {once}")), 1);
        assert_eq!(app.count(&format!("SELECT times_redeemed AS n FROM coupons WHERE id = {base}")), 3);
        // Staff see the reasons on the orders page.
        let orders = app.get("/admin/s/acme/orders").await;
        assert!(orders.body.contains("data-reason=\"currency_mismatch\""));
        assert!(orders.body.contains("reserved for another customer"));
        // And the right customers still get through.
        buy(&app, "jane@example.com", "janeonly", &tee).await.location_tail();
        buy(&app, "new@example.com", "WELCOME", &tee).await.location_tail();
        buy(&app, "jane@example.com", "PLANONLY", &[(shop.plan, 1)]).await.location_tail();
    }

    async fn bad_checkout_forms_are_refused_beside_their_fields(app) {
        let shop = shop(&app).await;
        let euro = app.create_product("acme", "Mug", "8.00", "EUR", "one_time").await;
        let tee = format!("quantity_{}", shop.tee);
        let mug = format!("quantity_{euro}");
        let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
            (vec![("email", ""), (tee.as_str(), "1")], "email"),
            (vec![("email", "not-an-email"), (tee.as_str(), "1")], "email"),
            (vec![("email", "jane@example.com")], "products"),
            (vec![("email", "jane@example.com"), (tee.as_str(), "0")], "products"),
            (vec![("email", "jane@example.com"), (tee.as_str(), "1"), (mug.as_str(), "1")], "products"),
            (vec![("email", "jane@example.com"), (tee.as_str(), "-2")], tee.as_str()),
            (vec![("email", "jane@example.com"), (tee.as_str(), "1000")], tee.as_str()),
            (vec![("email", "jane@example.com"), (tee.as_str(), "two")], tee.as_str()),
            (vec![("email", "jane@example.com"), ("quantity_99999", "1")], "products"),
        ];
        for (fields, field) in cases {
            let page = app.checkout("acme", &fields).await;
            page.assert_status(422);
            assert!(page.field_error(field).is_some(), "{fields:?}: no message beside {field}");
        }
        app.post(&format!("/admin/s/acme/products/{}/archive", shop.plan), &[]).await;
        let plan = format!("quantity_{}", shop.plan);
        let page = app.checkout("acme", &[("email", "jane@example.com"), (plan.as_str(), "1")]).await;
        page.assert_status(422);
        assert_eq!(
            page.field_error("products").as_deref(),
            Some("A product of this order is no longer for sale: check your order and try again.")
        );
        assert_eq!(app.count("SELECT COUNT(*) AS n FROM orders"), 0);
        assert_eq!(app.count("SELECT COUNT(*) AS n FROM customers"), 0);
        // Without a token: 403, nothing written.
        let raw = app.post_raw("/acme/checkout", &[("email", "jane@example.com"), (tee.as_str(), "1")]).await;
        raw.assert_status(403);
        // A preview ("Apply") needs no email and writes nothing.
        let preview = app.checkout("acme", &[("preview", "1"), (tee.as_str(), "3"), ("coupon", "")]).await;
        preview.assert_status(200);
        assert_eq!(money(&preview), some("6000", "0", "6000", "USD"));
        assert_eq!(app.count("SELECT COUNT(*) AS n FROM orders"), 0);
        // A store with nothing for sale says so, without an error.
        app.create_store("Beta", "beta").await.assert_status(303);
        let empty = app.get("/beta").await;
        empty.assert_status(200);
        assert!(empty.body.contains("nothing for sale"));
        assert!(!empty.body.contains("field-error"));
        // Unknown stores and receipts are 404.
        let missing = app.get("/nostore").await;
        missing.assert_status(404);
        assert!(!missing.body.contains("/admin"), "no admin link for customers");
        app.get("/acme/orders/00000000000000000000000000000000").await.assert_status(404);
        app.get("/acme/orders/1").await.assert_status(404);
    }

    async fn recurring_discounts_state_their_schedule(app) {
        let shop = shop(&app).await;
        app.create_coupon("acme", &[("code", "THREE"), ("percent_off", "20"), ("duration", "repeating"), ("duration_in_months", "3")]).await.created_id();
        app.create_coupon("acme", &[("code", "ALWAYS"), ("discount_type", "value"), ("percent_off", ""), ("amount_off", "2.50"), ("currency", "USD"), ("duration", "forever")]).await.created_id();
        let preview = app.get("/acme?coupon=THREE").await;
        assert_eq!(money(&preview), some("1000", "200", "800", "USD"));
        assert_eq!(
            preview.data_field("schedule").as_deref(),
            Some("20% off for the first 3 months, then $10.00/month")
        );
        // A forever coupon skips the one-time tee.
        let placed = buy(&app, "jane@example.com", "ALWAYS", &[(shop.tee, 1), (shop.plan, 2)]).await;
        let receipt = app.get(&format!("/acme/orders/{}", placed.location_tail())).await;
        assert_eq!(money(&receipt), some("4000", "250", "3750", "USD"));
        assert_eq!(
            receipt.data_field("schedule").as_deref(),
            Some("$2.50 off every month: $17.50/month instead of $20.00")
        );
    }

    async fn refunds_give_the_redemption_back_and_are_logged(app) {
        let shop = shop(&app).await;
        let tee = [(shop.tee, 1)];
        let coupon = app
            .create_coupon("acme", &[("code", "BACK"), ("max_redemptions", "2"), ("once_per_customer", "on")])
            .await
            .created_id();
        let promo = app.create_promo("acme", coupon, &[("code", "BACK-PROMO"), ("max_redemptions", "1")]).await.created_id();
        let set = app.create_set("acme", coupon, "Once", "1", "", "10").await.created_id();
        let code = app.text(&format!("SELECT code AS t FROM set_codes WHERE set_id = {set}")).expect("a set code");
        let by_promo = buy(&app, "jane@example.com", "backpromo", &tee).await.location_tail();
        let by_set = buy(&app, "joe@example.com", &code, &tee).await.location_tail();
        buy(&app, "ann@example.com", "BACK", &tee).await.assert_status(422);
        let coupon_page = format!("/admin/s/acme/coupons/{coupon}");
        let page = app.get(&coupon_page).await;
        assert_eq!(page.data_field("state").as_deref(), Some("Exhausted"));
        let promo_page = app.get(&format!("/admin/s/acme/promotion-codes/{promo}")).await;
        assert_eq!(promo_page.data_field("times_redeemed").as_deref(), Some("1"));
        assert!(promo_page.body.contains(&by_promo[..8].to_uppercase()), "the promotion code page lists its order");
        let set_page = app.get(&format!("/admin/s/acme/coupon-sets/{set}")).await;
        assert_eq!(set_page.data_field("used").as_deref(), Some("1"));
        assert!(set_page.body.contains(&by_set[..8].to_uppercase()), "the set page lists its order");

        // Viewers cannot refund.
        let order_id = |public: &str| app.count(&format!("SELECT id AS n FROM orders WHERE public_id = '{public}'"));
        let set_order = order_id(&by_set);
        let promo_order = order_id(&by_promo);
        app.add_member("acme", "viewer@example.com", "viewer").await;
        let viewer = app.new_client();
        viewer.login("viewer@example.com", crate::helpers::PASSWORD).await;
        viewer.post(&format!("/admin/s/acme/orders/{set_order}/refund"), &[]).await.assert_status(403);

        let refund = format!("/admin/s/acme/orders/{set_order}/refund");
        app.post(&refund, &[]).await.assert_redirect(&format!("/admin/s/acme/orders/{set_order}"));
        let order = app.get(&format!("/admin/s/acme/orders/{set_order}")).await;
        assert_eq!(order.data_field("status").as_deref(), Some("Refunded"));
        assert!(order.body.contains("Refunded on"));
        // Twice is once.
        app.post(&refund, &[]).await;
        let page = app.get(&coupon_page).await;
        assert_eq!(page.data_field("times_redeemed").as_deref(), Some("1"));
        assert_eq!(page.data_field("state").as_deref(), Some("Active"));
        assert!(page.body.contains("refunded: its redemption is given back"), "the coupon's log records it");
        let set_page = app.get(&format!("/admin/s/acme/coupon-sets/{set}")).await;
        assert_eq!((set_page.data_field("used").as_deref(), set_page.data_field("unused").as_deref()), (Some("0"), Some("1")));
        let receipt = app.get(&format!("/acme/orders/{by_set}")).await;
        assert_eq!(receipt.data_field("status").as_deref(), Some("refunded"));

        app.post(&format!("/admin/s/acme/orders/{promo_order}/refund"), &[]).await;
        let promo_page = app.get(&format!("/admin/s/acme/promotion-codes/{promo}")).await;
        assert_eq!(promo_page.data_field("times_redeemed").as_deref(), Some("0"));
        assert_eq!(app.count("SELECT COUNT(*) AS n FROM customers WHERE orders_count > 0"), 0);
        // Given back: the same set code and, once per customer, the same
        // customer can redeem again.
        buy(&app, "joe@example.com", &code, &tee).await.location_tail();
        buy(&app, "jane@example.com", "BACK-PROMO", &tee).await.location_tail();
        assert_eq!(app.count(&format!("SELECT times_redeemed AS n FROM coupons WHERE id = {coupon}")), 2);
        assert_eq!(
            app.count(&format!("SELECT COUNT(*) AS n FROM orders WHERE coupon_id = {coupon} AND status = 'paid'")),
            2
        );
        // A promotion code whose only order was refunded is kept (hidden)
        // when deleted: the order still names it.
        let open = app.create_coupon("acme", &[("code", "OPEN")]).await.created_id();
        let kept = app.create_promo("acme", open, &[("code", "GIVE-BACK")]).await.created_id();
        let public = buy(&app, "kim@example.com", "giveback", &tee).await.location_tail();
        let order = order_id(&public);
        app.post(&format!("/admin/s/acme/orders/{order}/refund"), &[]).await;
        app.post(&format!("/admin/s/acme/promotion-codes/{kept}/delete"), &[]).await;
        assert_eq!(
            app.count(&format!("SELECT COUNT(*) AS n FROM promotion_codes WHERE id = {kept} AND deleted_at IS NOT NULL")),
            1
        );
    }

    async fn an_exhausted_coupon_shows_as_exhausted_everywhere(app) {
        let shop = shop(&app).await;
        let coupon = app
            .create_coupon("acme", &[("code", "LAST"), ("max_redemptions", "1")])
            .await
            .created_id();
        let used = app.create_promo("acme", coupon, &[("code", "LAST-PROMO"), ("max_redemptions", "1")]).await.created_id();
        let other = app.create_promo("acme", coupon, &[("code", "OTHER-PROMO")]).await.created_id();
        let set = app.create_set("acme", coupon, "Last set", "3", "", "10").await.created_id();
        buy(&app, "jane@example.com", "last promo", &[(shop.tee, 1)]).await.location_tail();

        let list = app.get("/admin/s/acme/coupons").await;
        assert_eq!(list.data_field("state").as_deref(), Some("Exhausted"));
        assert_eq!(list.data_field("remaining").as_deref(), Some("0"));
        let page = app.get(&format!("/admin/s/acme/coupons/{coupon}")).await;
        assert_eq!(page.data_field("state").as_deref(), Some("Exhausted"));
        assert!(page.body.contains("Exhausted: all 1 redemptions are used."));
        // Its own limit reached: exhausted; the other code: its coupon is.
        let promo = app.get(&format!("/admin/s/acme/promotion-codes/{used}")).await;
        assert_eq!(promo.data_field("state").as_deref(), Some("Exhausted"));
        let promo = app.get(&format!("/admin/s/acme/promotion-codes/{other}")).await;
        assert_eq!(promo.data_field("state").as_deref(), Some("Coupon invalid"));
        let set_page = app.get(&format!("/admin/s/acme/coupon-sets/{set}")).await;
        assert!(set_page.body.contains("badge-exhausted"), "the set page shows its coupon exhausted");
        // And customers are told so.
        let refused = buy(&app, "joe@example.com", "OTHER-PROMO", &[(shop.tee, 1)]).await;
        refused.assert_status(422);
        assert_eq!(
            refused.data_field("error").as_deref(),
            Some("This coupon has been fully redeemed: no uses are left.")
        );
    }

    async fn staff_add_customers_by_email_and_checkouts_find_them(app) {
        let shop = shop(&app).await;
        app.post("/admin/s/acme/customers", &[("email", " Ann@Example.com ")])
            .await
            .assert_redirect("/admin/s/acme/customers");
        let again = app.post("/admin/s/acme/customers", &[("email", "ann@example.com")]).await;
        again.assert_status(422);
        assert_eq!(
            again.field_error("email").as_deref(),
            Some("ann@example.com is already a customer of this store.")
        );
        let bad = app.post("/admin/s/acme/customers", &[("email", "not an email")]).await;
        bad.assert_status(422);
        assert!(bad.field_error("email").is_some());
        assert_eq!(app.count("SELECT COUNT(*) AS n FROM customers"), 1);
        let list = app.get("/admin/s/acme/customers").await;
        assert!(list.body.contains("ann@example.com"));
        assert_eq!(list.data_field("orders_count").as_deref(), Some("0"));
        // Her first checkout finds her: still one customer, one paid order.
        buy(&app, "ANN@example.com", "", &[(shop.tee, 1)]).await.location_tail();
        assert_eq!(app.count("SELECT COUNT(*) AS n FROM customers"), 1);
        let list = app.get("/admin/s/acme/customers?q=ann").await;
        assert_eq!(list.data_field("orders_count").as_deref(), Some("1"));
        let none = app.get("/admin/s/acme/customers?q=zed").await;
        assert!(none.body.contains("No customer matches"));
    }

    async fn customer_restricted_codes_sharing_a_text_each_find_their_customer(app) {
        let shop = shop(&app).await;
        let ten = app.create_coupon("acme", &[("code", "TEN"), ("percent_off", "10")]).await.created_id();
        let half = app.create_coupon("acme", &[("code", "HALF"), ("percent_off", "50")]).await.created_id();
        app.create_promo("acme", ten, &[("code", "VIP"), ("customer", "jane@example.com")]).await.created_id();
        app.create_promo("acme", half, &[("code", "VIP"), ("customer", "joe@example.com")]).await.created_id();
        let tee = [(shop.tee, 1)];
        for (email, discount) in [("jane@example.com", "200"), ("joe@example.com", "1000")] {
            let placed = buy(&app, email, "vip", &tee).await;
            let receipt = app.get(&format!("/acme/orders/{}", placed.location_tail())).await;
            assert_eq!(receipt.data_field("discount").as_deref(), Some(discount), "{email}");
        }
        let other = buy(&app, "ann@example.com", "VIP", &tee).await;
        other.assert_status(422);
        assert_eq!(
            other.data_field("error").as_deref(),
            Some("This code is reserved for another customer's email.")
        );
    }
}
