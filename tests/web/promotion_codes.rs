//! Promotion codes (SPEC section 4): restrictions, uniqueness in normal
//! form, states and permanence.

use crate::db_tests;
use crate::helpers::*;

async fn coupon(app: &TestApp, changes: &[(&str, &str)]) -> i64 {
    app.create_coupon(STORE, changes).await.created_id()
}

fn promo_page(id: i64) -> String {
    format!("/admin/s/acme/promotion-codes/{id}")
}

db_tests! {
    async fn an_empty_code_is_generated_from_the_unambiguous_alphabet(app) {
        app.setup_owner().await;
        let c = coupon(&app, &[]).await;
        let id = app.create_promo(STORE, c, &[]).await.created_id();
        let page = app.get(&promo_page(id)).await;
        let code = page.data_field("code").unwrap_or_default();
        assert_eq!(code.len(), 8, "{code}");
        assert!(code.chars().all(|ch| "ABCDEFGHJKLMNPQRSTUVWXYZ23456789".contains(ch)), "{code}");
        assert_eq!(page.data_field("state").as_deref(), Some("Active"));
        assert_eq!(page.data_field("share_url"), Some(format!("{}/acme?coupon={code}", app.address)));
        assert!(page.body.contains("generated code"));
        app.get(&format!("{}/qr.svg", promo_page(id))).await.assert_status(200);
        // The coupon's page lists it.
        let coupon_page = app.get(&format!("/admin/s/acme/coupons/{c}")).await;
        assert!(coupon_page.body.contains(&format!("data-promotion-code=\"{code}\"")));
    }

    async fn codes_collide_in_normal_form(app) {
        app.setup_owner().await;
        let c = coupon(&app, &[]).await;
        app.create_promo(STORE, c, &[("code", "FALL25OFF")]).await.created_id();
        for clash in ["fall-25 off", "Fall25Off", "F-A-L-L-2-5-O-F-F"] {
            let page = app.create_promo(STORE, c, &[("code", clash)]).await;
            page.assert_status(422);
            assert!(page.field_error("code").unwrap_or_default().contains("already an active promotion code"), "{clash}");
        }
        // A code equal to a coupon's code, ignoring case, is refused both ways.
        let page = app.create_promo(STORE, c, &[("code", "summer10")]).await;
        page.assert_status(422);
        assert!(page.field_error("code").unwrap_or_default().contains("coupon SUMMER10"));
        let page = app.create_coupon(STORE, &[("code", "fall25off")]).await;
        page.assert_status(422);
        assert!(page.field_error("code").unwrap_or_default().contains("FALL25OFF"));
        // Search finds it by normal form.
        let list = app.get("/admin/s/acme/promotion-codes?q=fall+25").await;
        assert!(list.body.contains("data-promotion-code=\"FALL25OFF\""));
        assert_eq!(app.count("SELECT COUNT(*) AS n FROM promotion_codes"), 1);
    }

    async fn customer_restricted_codes_may_share_a_text_but_not_with_an_open_one(app) {
        app.setup_owner().await;
        let c = coupon(&app, &[]).await;
        app.create_promo(STORE, c, &[("code", "VIP"), ("customer", "a@example.com")]).await.created_id();
        app.create_promo(STORE, c, &[("code", "vip"), ("customer", "b@example.com")]).await.created_id();
        let open = app.create_promo(STORE, c, &[("code", "VIP")]).await;
        open.assert_status(422);
        assert!(open.field_error("code").is_some());
        app.create_promo(STORE, c, &[("code", "OPEN1")]).await.created_id();
        let restricted = app.create_promo(STORE, c, &[("code", "open-1"), ("customer", "c@example.com")]).await;
        restricted.assert_status(422);
        let list = app.get("/admin/s/acme/promotion-codes").await;
        assert!(list.body.contains("only a@example.com"));
        assert!(list.body.contains("only b@example.com"));
    }

    async fn deactivating_frees_the_text_and_reactivation_checks_it_again(app) {
        app.setup_owner().await;
        let c = coupon(&app, &[]).await;
        let first = app.create_promo(STORE, c, &[("code", "FALL25OFF")]).await.created_id();
        app.post(&format!("{}/deactivate", promo_page(first)), &[]).await.assert_redirect(&promo_page(first));
        let page = app.get(&promo_page(first)).await;
        assert_eq!(page.data_field("state").as_deref(), Some("Inactive"));
        assert!(page.body.contains("/reactivate"));
        let second = app.create_promo(STORE, c, &[("code", "fall-25-off")]).await.created_id();
        app.post(&format!("{}/reactivate", promo_page(first)), &[]).await.assert_status(303);
        let page = app.get(&promo_page(first)).await;
        assert!(page.body.contains("already an active promotion code"));
        assert_eq!(page.data_field("state").as_deref(), Some("Inactive"));
        app.post(&format!("{}/deactivate", promo_page(second)), &[]).await.assert_status(303);
        app.post(&format!("{}/reactivate", promo_page(first)), &[]).await.assert_status(303);
        assert_eq!(app.get(&promo_page(first)).await.data_field("state").as_deref(), Some("Active"));
    }

    async fn expiry_and_limits_follow_the_coupon(app) {
        app.setup_owner().await;
        let redeem_by = local_time(10);
        let c = coupon(&app, &[("redeem_by", redeem_by.as_str()), ("max_redemptions", "50")]).await;
        let late = app.create_promo(STORE, c, &[("expires_at", local_time(20).as_str())]).await;
        late.assert_status(422);
        assert!(late.field_error("expires_at").unwrap_or_default().contains("cannot outlive"));
        let past = app.create_promo(STORE, c, &[("expires_at", local_time(-1).as_str())]).await;
        past.assert_status(422);
        let many = app.create_promo(STORE, c, &[("max_redemptions", "51")]).await;
        many.assert_status(422);
        assert!(many.field_error("max_redemptions").unwrap_or_default().contains("50"));
        let half = app.create_promo(STORE, c, &[("minimum_amount", "50")]).await;
        half.assert_status(422);
        assert!(half.field_error("minimum_amount_currency").is_some());
        assert_eq!(app.count("SELECT COUNT(*) AS n FROM promotion_codes"), 0);
        // Empty expiry takes the coupon's redeem-by.
        let id = app
            .create_promo(STORE, c, &[("code", "MINI"), ("minimum_amount", "50"), ("minimum_amount_currency", "USD"), ("first_time_transaction", "on")])
            .await
            .created_id();
        let coupon_page = app.get(&format!("/admin/s/acme/coupons/{c}")).await;
        let promo = app.get(&promo_page(id)).await;
        let shown = |page: &Page, label: &str| {
            page.body
                .split(&format!("<dt>{label}</dt><dd>"))
                .nth(1)
                .and_then(|s| s.split("</dd>").next())
                .unwrap_or_default()
                .to_string()
        };
        assert_eq!(shown(&promo, "Expires"), shown(&coupon_page, "Redeem by"));
        assert_ne!(shown(&promo, "Expires"), "never");
        assert_eq!(promo.data_field("restrictions").as_deref(), Some("first order only · min $50.00"));
    }

    async fn permanently_inactive_codes_cannot_be_reactivated(app) {
        app.setup_owner().await;
        let c = coupon(&app, &[]).await;
        let exhausted = app.create_promo(STORE, c, &[("code", "USEDUP"), ("max_redemptions", "2")]).await.created_id();
        app.redeem("USEDUP", 2).await;
        let page = app.get(&promo_page(exhausted)).await;
        assert_eq!(page.data_field("state").as_deref(), Some("Exhausted"));
        assert!(page.body.contains("Permanently inactive"));
        assert!(!page.body.contains("/reactivate"), "no reactivate button");
        app.post(&format!("{}/deactivate", promo_page(exhausted)), &[]).await.assert_status(303);
        app.post(&format!("{}/reactivate", promo_page(exhausted)), &[]).await.assert_status(303);
        let page = app.get(&promo_page(exhausted)).await;
        assert!(page.body.contains("permanently inactive"));
        assert_eq!(page.data_field("state").as_deref(), Some("Exhausted"));
        // Deleting the coupon makes its codes permanently invalid.
        let other = app.create_promo(STORE, c, &[("code", "ORPHAN")]).await.created_id();
        app.post(&format!("{}/deactivate", promo_page(other)), &[]).await.assert_status(303);
        app.post(&format!("/admin/s/acme/coupons/{c}/delete"), &[]).await.assert_status(303);
        let page = app.get(&promo_page(other)).await;
        assert_eq!(page.data_field("state").as_deref(), Some("Coupon invalid"));
        app.post(&format!("{}/reactivate", promo_page(other)), &[]).await.assert_status(303);
        assert_eq!(app.count(&format!("SELECT COUNT(*) AS n FROM promotion_codes WHERE id = {other} AND active")), 0);
        // An archived coupon's codes show coupon_invalid, but that is not permanent.
        let c2 = coupon(&app, &[("code", "ARCH")]).await;
        let p2 = app.create_promo(STORE, c2, &[("code", "ARCHPROMO")]).await.created_id();
        app.post(&format!("/admin/s/acme/coupons/{c2}/archive"), &[]).await.assert_status(303);
        let page = app.get(&promo_page(p2)).await;
        assert_eq!(page.data_field("state").as_deref(), Some("Coupon invalid"));
        assert!(!page.body.contains("Permanently inactive"));
        let c3 = coupon(&app, &[("code", "LIVE")]).await;
        app.create_promo(STORE, c3, &[("code", "LIVEPROMO")]).await.created_id();
        let list = app.get("/admin/s/acme/promotion-codes?state=coupon_invalid").await;
        assert!(list.body.contains("data-promotion-code=\"ARCHPROMO\""));
        assert!(list.body.contains("data-promotion-code=\"ORPHAN\""));
        // A deleted coupon outranks exhaustion.
        assert!(list.body.contains("data-promotion-code=\"USEDUP\""));
        assert!(!list.body.contains("data-promotion-code=\"LIVEPROMO\""));
        let active = app.get("/admin/s/acme/promotion-codes?state=active").await;
        assert!(active.body.contains("data-promotion-code=\"LIVEPROMO\""));
        assert!(!active.body.contains("data-promotion-code=\"ARCHPROMO\""));
    }

    async fn delete_removes_unused_codes_and_hides_redeemed_ones(app) {
        app.setup_owner().await;
        let c = coupon(&app, &[]).await;
        let unused = app.create_promo(STORE, c, &[("code", "UNUSED")]).await.created_id();
        let used = app.create_promo(STORE, c, &[("code", "USED")]).await.created_id();
        app.redeem("USED", 1).await;
        app.post(&format!("{}/delete", promo_page(unused)), &[]).await.assert_redirect("/admin/s/acme/promotion-codes");
        app.post(&format!("{}/delete", promo_page(used)), &[]).await.assert_status(303);
        app.get(&promo_page(unused)).await.assert_status(404);
        app.get(&promo_page(used)).await.assert_status(404);
        assert!(!app.get("/admin/s/acme/promotion-codes").await.body.contains("data-promotion-code="));
        assert_eq!(app.count(&format!("SELECT COUNT(*) AS n FROM promotion_codes WHERE id = {unused}")), 0);
        assert_eq!(app.count(&format!("SELECT COUNT(*) AS n FROM promotion_codes WHERE id = {used} AND deleted_at IS NOT NULL")), 1);
        // The hidden one's text is free again.
        app.create_promo(STORE, c, &[("code", "USED")]).await.created_id();
    }

    async fn another_stores_code_is_404_and_viewers_cannot_create(app) {
        app.setup_owner().await;
        app.create_store("Beta", "beta").await.assert_status(303);
        let beta_coupon = app.create_coupon("beta", &[]).await.created_id();
        let beta_promo = app.create_promo("beta", beta_coupon, &[("code", "BETA1")]).await.created_id();
        for path in ["", "/edit", "/qr.svg"] {
            app.get(&format!("{}{path}", promo_page(beta_promo))).await.assert_status(404);
        }
        for action in ["deactivate", "reactivate", "delete", "edit"] {
            app.post(&format!("{}/{action}", promo_page(beta_promo)), &[]).await.assert_status(404);
        }
        // Another store's coupon cannot be the target either.
        let page = app.create_promo(STORE, beta_coupon, &[("code", "CROSS")]).await;
        page.assert_status(422);
        assert!(page.field_error("coupon_id").is_some());

        let c = coupon(&app, &[]).await;
        app.add_member(STORE, "viewer@example.com", "viewer").await.assert_status(303);
        let viewer = app.new_client();
        viewer.login("viewer@example.com", PASSWORD).await.assert_status(303);
        viewer.get("/admin/s/acme/promotion-codes").await.assert_status(200);
        viewer.get("/admin/s/acme/promotion-codes/new").await.assert_status(403);
        viewer.create_promo(STORE, c, &[("code", "VIEWER")]).await.assert_status(403);
        assert_eq!(app.count("SELECT COUNT(*) AS n FROM promotion_codes WHERE store_id = (SELECT id FROM stores WHERE slug = 'acme')"), 0);
    }

    async fn restrictions_and_limits_are_editable(app) {
        app.setup_owner().await;
        let c = coupon(&app, &[("max_redemptions", "10")]).await;
        let id = app.create_promo(STORE, c, &[("code", "EDITME")]).await.created_id();
        app.redeem("EDITME", 3).await;
        let low = app
            .post(&format!("{}/edit", promo_page(id)), &[("customer", ""), ("max_redemptions", "2"), ("expires_at", ""), ("minimum_amount", ""), ("minimum_amount_currency", "")])
            .await;
        low.assert_status(422);
        assert!(low.field_error("max_redemptions").unwrap_or_default().contains("below 3"));
        app.post(&format!("{}/edit", promo_page(id)), &[("customer", "vip@example.com"), ("max_redemptions", "5"), ("expires_at", ""), ("minimum_amount", ""), ("minimum_amount_currency", ""), ("code", "HACKED")])
            .await
            .assert_redirect(&promo_page(id));
        let page = app.get(&promo_page(id)).await;
        assert_eq!(page.data_field("code").as_deref(), Some("EDITME"));
        assert_eq!(page.data_field("restrictions").as_deref(), Some("only vip@example.com"));
        assert_eq!(page.data_field("usage").as_deref(), Some("3 of 5 used · 2 remaining"));
    }

    async fn the_promotion_code_csv_exports_what_the_list_shows(app) {
        app.setup_owner().await;
        let coupon = app.create_coupon(STORE, &[("code", "BASE")]).await.created_id();
        let other = app.create_coupon(STORE, &[("code", "OTHER")]).await.created_id();
        app.create_promo(STORE, coupon, &[("code", "FALL-25"), ("max_redemptions", "5")]).await.assert_status(303);
        app.create_promo(STORE, coupon, &[("code", "FALL-50"), ("customer", "vip@example.com")]).await.assert_status(303);
        app.create_promo(STORE, other, &[("code", "WINTER")]).await.assert_status(303);
        let list = app.get(&format!("/admin/s/acme/promotion-codes?coupon={coupon}")).await;
        assert!(list.body.contains(&format!("href=\"/admin/s/acme/promotion-codes.csv?coupon={coupon}\"")), "{}", list.body);
        let csv = app.get(&format!("/admin/s/acme/promotion-codes.csv?coupon={coupon}")).await;
        csv.assert_status(200);
        let lines: Vec<&str> = csv.body.lines().collect();
        assert_eq!(lines[0], "code,coupon,state,times_redeemed,max_redemptions,remaining,restrictions,expires_at,created_at,share_url");
        assert_eq!(lines.len(), 3, "{}", csv.body);
        let fall25 = lines.iter().find(|l| l.starts_with("FALL-25,")).expect("FALL-25");
        assert!(fall25.starts_with("FALL-25,BASE,active,0,5,5,"), "{fall25}");
        let fall50 = lines.iter().find(|l| l.starts_with("FALL-50,")).expect("FALL-50");
        assert!(fall50.contains("vip@example.com"), "{fall50}");
        let searched = app.get("/admin/s/acme/promotion-codes.csv?q=winter").await;
        assert_eq!(searched.body.lines().count(), 2, "{}", searched.body);
    }

    async fn the_promotion_code_list_sorts_counts_and_deactivates_the_selected_after_one_confirmation(app) {
        let shop = crate::checkout::shop(&app).await;
        let c = coupon(&app, &[("code", "BASE")]).await;
        let bravo = app.create_promo(STORE, c, &[("code", "BRAVO"), ("max_redemptions", "10")]).await.created_id();
        let alpha = app.create_promo(STORE, c, &[("code", "ALPHA"), ("max_redemptions", "3")]).await.created_id();
        let charlie = app.create_promo(STORE, c, &[("code", "CHARLIE")]).await.created_id();
        for email in ["a@example.com", "b@example.com"] {
            crate::checkout::buy(&app, email, "ALPHA", &[(shop.tee, 1)]).await.assert_status(303);
        }
        let codes = |page: &Page| -> Vec<String> {
            page.body
                .split("data-promotion-code=\"")
                .skip(1)
                .filter_map(|rest| rest.split('"').next().map(str::to_string))
                .collect()
        };
        let shown = &app;
        let order = |sort: &'static str| async move {
            let page = shown.get(&format!("/admin/s/acme/promotion-codes?sort={sort}")).await;
            page.assert_status(200);
            codes(&page)
        };
        assert_eq!(order("").await, ["CHARLIE", "ALPHA", "BRAVO"], "newest first");
        assert_eq!(order("code").await, ["ALPHA", "BRAVO", "CHARLIE"]);
        assert_eq!(order("-used").await, ["ALPHA", "CHARLIE", "BRAVO"], "2, then newest first");
        assert_eq!(order("remaining").await, ["ALPHA", "BRAVO", "CHARLIE"], "1 and 10 left, then unlimited");
        assert_eq!(order("created").await, ["BRAVO", "ALPHA", "CHARLIE"]);
        let page = app.get(&format!("/admin/s/acme/promotion-codes?coupon={c}&sort=used")).await;
        assert!(page.body.contains(&format!("href=\"/admin/s/acme/promotion-codes?coupon={c}&#38;sort=-used\" data-sort=\"used\">Used ▲<")), "{}", page.body);
        assert!(page.body.contains("data-list-total=\"3\">3 promotion codes<"), "{}", page.body);
        let searched = app.get("/admin/s/acme/promotion-codes?q=br").await;
        assert!(searched.body.contains("data-list-total=\"1\">1 promotion code<"), "{}", searched.body);

        // Deactivate two of them (and an already inactive one, which is
        // left out): one confirmation names them, nothing changes before it.
        app.post(&format!("{}/deactivate", promo_page(charlie)), &[]).await.assert_status(303);
        let (a, b, ch) = (alpha.to_string(), bravo.to_string(), charlie.to_string());
        let ask = app
            .post("/admin/s/acme/promotion-codes/deactivate-selected", &[("ids", &a), ("ids", &b), ("ids", &ch)])
            .await;
        ask.assert_status(200);
        assert!(ask.body.contains("<h1>Deactivate 2 promotion codes?</h1>"), "{}", ask.body);
        assert!(ask.body.contains("<li><code>ALPHA</code></li><li><code>BRAVO</code></li>\n"), "{}", ask.body);
        assert_eq!(app.count("SELECT COUNT(*) AS n FROM promotion_codes WHERE active"), 2, "nothing before the confirmation");
        app.post("/admin/s/acme/promotion-codes/deactivate-selected", &[("ids", &a), ("ids", &b), ("confirmed", "1")])
            .await
            .assert_redirect("/admin/s/acme/promotion-codes");
        let list = app.get("/admin/s/acme/promotion-codes").await;
        assert!(list.body.contains("Deactivated 2 promotion codes: ALPHA, BRAVO."), "{}", list.body);
        assert_eq!(app.count("SELECT COUNT(*) AS n FROM promotion_codes WHERE active"), 0);
        // Each is logged as its own Deactivate would be.
        let page = app.get(&promo_page(alpha)).await;
        assert_eq!(page.data_field("state").as_deref(), Some("Inactive"));
        // Nothing chosen, or nothing left to deactivate: back to the list, told why.
        app.post("/admin/s/acme/promotion-codes/deactivate-selected", &[("ids", &a)])
            .await
            .assert_redirect("/admin/s/acme/promotion-codes");
        let list = app.get("/admin/s/acme/promotion-codes").await;
        assert!(list.body.contains("none of the chosen ones is active"), "{}", list.body);
        app.post("/admin/s/acme/promotion-codes/deactivate-selected", &[("ids", "x")]).await.assert_status(400);
        // Confirmed after someone else deactivated them: told so, no "0 codes".
        app.post("/admin/s/acme/promotion-codes/deactivate-selected", &[("ids", &a), ("confirmed", "1")])
            .await
            .assert_redirect("/admin/s/acme/promotion-codes");
        let list = app.get("/admin/s/acme/promotion-codes").await;
        assert!(list.body.contains("Nothing was deactivated: none of the chosen promotion codes is active any more."), "{}", list.body);
    }

    async fn the_minimum_amount_currency_starts_as_the_stores_and_means_nothing_without_an_amount(app) {
        app.setup_owner().await;
        let c = coupon(&app, &[]).await;
        let form = app.get("/admin/s/acme/promotion-codes/new").await;
        form.assert_status(200);
        assert!(form.body.contains("<option value=\"USD\" selected>USD — "), "{}", form.body);
        // Sent as the form starts (the store's currency, no amount): no minimum.
        let id = app
            .create_promo(STORE, c, &[("code", "NOMIN"), ("minimum_amount_currency", "USD")])
            .await
            .created_id();
        let page = app.get(&promo_page(id)).await;
        assert!(!page.data_field("restrictions").unwrap_or_default().contains("minimum"), "{}", page.body);
        // With an amount, the minimum holds in that currency.
        let id = app
            .create_promo(STORE, c, &[("code", "WITHMIN"), ("minimum_amount", "50"), ("minimum_amount_currency", "USD")])
            .await
            .created_id();
        let page = app.get(&promo_page(id)).await;
        assert!(page.data_field("restrictions").unwrap_or_default().contains("$50.00"), "{}", page.body);
    }
}
