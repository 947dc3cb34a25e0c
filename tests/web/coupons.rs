//! The coupon form and lifecycle (SPEC section 3), through real form posts.

use crate::db_tests;
use crate::helpers::*;

/// Form changes, the field whose message is expected, and a part of it.
type BadInput<'a> = (Vec<(&'a str, &'a str)>, &'a str, &'a str);

/// How many coupons the list shows (all states but deleted).
async fn coupon_count(app: &TestApp) -> usize {
    app.get("/admin/s/acme/coupons")
        .await
        .body
        .matches("data-coupon=")
        .count()
}

db_tests! {
    async fn every_bad_input_is_refused_beside_its_field_and_writes_nothing(app) {
        app.setup_owner().await;
        let one_time = app.create_product(STORE, "Ebook", "15.00", "USD", "one_time").await.to_string();
        let past = local_time(-1);
        let soon = local_time(10);
        let later = local_time(20);
        let cases: Vec<BadInput> = vec![
            (vec![("code", "")], "code", "Enter a code"),
            (vec![("code", "SUMMER-10")], "code", "letters"),
            (vec![("code", "SUMMER 10")], "code", "letters"),
            (vec![("code", "ÉTÉ10")], "code", "letters"),
            (vec![("code", "A12345678901234567890123456789012345678901")], "code", "at most 40"),
            (vec![("name", "An extremely long name that goes past forty characters")], "name", "at most 40"),
            (vec![("discount_type", "")], "discount_type", "Choose percent or value"),
            (vec![("percent_off", "")], "percent_off", "Enter the percentage"),
            (vec![("percent_off", "0")], "percent_off", "greater than 0"),
            (vec![("percent_off", "100.01")], "percent_off", "at most 100"),
            (vec![("percent_off", "101")], "percent_off", "at most 100"),
            (vec![("percent_off", "12.345")], "percent_off", "2 decimal"),
            (vec![("percent_off", "abc")], "percent_off", "number"),
            (vec![("currency", "USD")], "currency", "Leave the currency empty"),
            (vec![("discount_type", "value"), ("percent_off", ""), ("amount_off", "5")], "currency", "Choose the currency"),
            (vec![("discount_type", "value"), ("percent_off", ""), ("amount_off", "5.001"), ("currency", "USD")], "amount_off", "2 decimal places"),
            (vec![("discount_type", "value"), ("percent_off", ""), ("amount_off", "500.5"), ("currency", "JPY")], "amount_off", "no decimals"),
            (vec![("discount_type", "value"), ("percent_off", ""), ("amount_off", "1.2345"), ("currency", "KWD")], "amount_off", "3 decimal places"),
            (vec![("discount_type", "value"), ("percent_off", ""), ("amount_off", "0"), ("currency", "USD")], "amount_off", "greater than 0"),
            (vec![("duration", "")], "duration", "Choose how long"),
            (vec![("duration_in_months", "3")], "duration_in_months", "empty unless"),
            (vec![("duration", "repeating")], "duration_in_months", "how many months"),
            (vec![("duration", "repeating"), ("duration_in_months", "0")], "duration_in_months", "1 to 240"),
            (vec![("duration", "repeating"), ("duration_in_months", "241")], "duration_in_months", "1 to 240"),
            (vec![("max_redemptions", "0")], "max_redemptions", "at least 1"),
            (vec![("max_redemptions", "ten")], "max_redemptions", "at least 1"),
            (vec![("redeem_by", past.as_str())], "redeem_by", "future"),
            (vec![("redeem_by", "31/12/2030")], "redeem_by", "like 2026-12-31T23:59"),
            (vec![("starts_at", later.as_str()), ("redeem_by", soon.as_str())], "redeem_by", "after the start"),
            (vec![("percent_off", "100")], "confirm_full_discount", "free trial"),
            (vec![("discount_type", "value"), ("percent_off", ""), ("amount_off", "15"), ("currency", "USD")], "confirm_full_discount", "Ebook"),
            (vec![("duration", "forever"), ("applies_to", one_time.as_str())], "applies_to", "only discounts recurring products"),
            (vec![("applies_to", "999999")], "applies_to", "products of this store"),
        ];
        for (changes, field, message) in &cases {
            let page = app.create_coupon(STORE, changes).await;
            page.assert_status(422);
            let shown = page.field_error(field).unwrap_or_default();
            assert!(shown.contains(message), "{changes:?}: message beside {field} was {shown:?}, wanted {message:?}");
        }
        // The typed values come back.
        let page = app.create_coupon(STORE, &[("code", "BAD CODE"), ("name", "Typed name")]).await;
        assert!(page.body.contains("value=\"BAD CODE\""));
        assert!(page.body.contains("value=\"Typed name\""));
        assert_eq!(coupon_count(&app).await, 0, "a refused form wrote a coupon");
    }

    async fn the_tab_holding_the_first_error_opens_and_every_tab_with_an_error_is_marked(app) {
        app.setup_owner().await;
        let page = app.create_coupon(STORE, &[("percent_off", "300"), ("max_redemptions", "0")]).await;
        page.assert_status(422);
        assert!(page.body.contains("data-active-tab=\"amount\""));
        assert!(page.body.contains("class=\"tab has-error\" id=\"tab-amount\""));
        assert!(page.body.contains("class=\"tab has-error\" id=\"tab-redemptions\""));
        assert!(page.body.contains("class=\"tab\" id=\"tab-code\""));
        assert!(page.body.contains("href=\"#f-percent_off\""));
    }

    async fn full_discounts_save_once_confirmed(app) {
        app.setup_owner().await;
        let page = app.create_coupon(STORE, &[("percent_off", "100"), ("confirm_full_discount", "on")]).await;
        let id = page.created_id();
        let show = app.get(&format!("/admin/s/acme/coupons/{id}")).await;
        assert!(show.body.contains("100% off"));
    }

    async fn create_shows_terms_usage_and_share_url(app) {
        app.setup_owner().await;
        let pro = app.create_product(STORE, "Pro plan", "10.00", "USD", "recurring").await;
        let pro_id = pro.to_string();
        let page = app
            .create_coupon(STORE, &[
                ("code", "Spring5"),
                ("discount_type", "value"),
                ("percent_off", ""),
                ("amount_off", "5"),
                ("currency", "USD"),
                ("duration", "repeating"),
                ("duration_in_months", "3"),
                ("max_redemptions", "100"),
                ("applies_to", pro_id.as_str()),
                ("once_per_customer", "on"),
            ])
            .await;
        let id = page.created_id();
        assert_eq!(page.location.as_deref(), Some(format!("/admin/s/acme/coupons/{id}").as_str()));
        let show = app.get(&format!("/admin/s/acme/coupons/{id}")).await;
        show.assert_status(200);
        assert!(show.body.contains("Coupon Spring5 created."));
        assert!(show.body.contains("$5.00 off"));
        assert!(show.body.contains("3 months"));
        assert!(show.body.contains("Pro plan"));
        assert_eq!(show.data_field("state").as_deref(), Some("Active"));
        assert!(show.body.contains("data-state=\"active\""));
        assert_eq!(show.data_field("times_redeemed").as_deref(), Some("0"));
        assert_eq!(show.data_field("max_redemptions").as_deref(), Some("100"));
        assert_eq!(show.data_field("remaining").as_deref(), Some("100"));
        assert_eq!(show.data_field("usage").as_deref(), Some("0 of 100 used · 100 remaining"));
        let share = show.data_field("share_url").unwrap_or_default();
        assert_eq!(share, format!("{}/acme?coupon=Spring5", app.address));
        assert!(show.body.contains("Created</strong> by owner@example.com"));
        let qr = app.get(&format!("/admin/s/acme/coupons/{id}/qr.svg")).await;
        qr.assert_status(200);
        assert!(qr.body.contains("<svg"));

        let list = app.get("/admin/s/acme/coupons").await;
        assert!(list.body.contains("data-coupon=\"Spring5\""));
        assert!(list.body.contains("$5.00 off"));
        assert!(list.body.contains("3 months"));
        assert_eq!(list.data_field("remaining").as_deref(), Some("100"));
    }

    async fn codes_are_case_sensitive_and_unique_among_live_coupons(app) {
        app.setup_owner().await;
        app.create_coupon(STORE, &[("code", "Summer10")]).await.created_id();
        app.create_coupon(STORE, &[("code", "SUMMER10")]).await.created_id();
        let duplicate = app.create_coupon(STORE, &[("code", "SUMMER10")]).await;
        duplicate.assert_status(422);
        assert!(duplicate.field_error("code").unwrap_or_default().contains("already uses the code"));
        assert_eq!(coupon_count(&app).await, 2);
    }

    async fn edit_archive_unarchive_delete_and_reuse_the_code(app) {
        app.setup_owner().await;
        let id = app.create_coupon(STORE, &[]).await.created_id();
        let edit_form = app.get(&format!("/admin/s/acme/coupons/{id}/edit")).await;
        edit_form.assert_status(200);
        assert!(edit_form.body.contains("value=\"SUMMER10\""));
        app.edit_coupon(STORE, id, &[("name", "Renamed"), ("percent_off", "30"), ("max_redemptions", "5")])
            .await
            .assert_redirect(&format!("/admin/s/acme/coupons/{id}"));
        let show = app.get(&format!("/admin/s/acme/coupons/{id}")).await;
        assert!(show.body.contains("Renamed"));
        assert!(show.body.contains("30% off"));
        assert!(show.body.contains("changed name, discount, redemption limit"));

        let base = format!("/admin/s/acme/coupons/{id}");
        app.post(&format!("{base}/archive"), &[]).await.assert_redirect(&base);
        let archived = app.get(&base).await;
        assert_eq!(archived.data_field("state").as_deref(), Some("Archived"));
        assert!(archived.body.contains("Archived: no new redemptions"));
        // An archived coupon keeps its code.
        app.create_coupon(STORE, &[]).await.assert_status(422);
        app.post(&format!("{base}/unarchive"), &[]).await.assert_redirect(&base);
        assert_eq!(app.get(&base).await.data_field("state").as_deref(), Some("Active"));

        app.post(&format!("{base}/delete"), &[]).await.assert_redirect("/admin/s/acme/coupons");
        assert_eq!(coupon_count(&app).await, 0);
        // The deleted coupon keeps its history and page, and no longer edits.
        let deleted = app.get(&base).await;
        assert_eq!(deleted.data_field("state").as_deref(), Some("Deleted"));
        assert!(deleted.body.contains("Deleted</strong> by owner@example.com"));
        app.get(&format!("{base}/edit")).await.assert_status(404);
        let listed = app.get("/admin/s/acme/coupons?state=deleted").await;
        assert!(listed.body.contains("data-coupon=\"SUMMER10\""));
        // Its code is free again.
        let reused = app.create_coupon(STORE, &[]).await.created_id();
        assert_ne!(reused, id);
    }

    async fn an_exhausted_code_is_freed_only_by_delete(app) {
        app.setup_owner().await;
        let id = app.create_coupon(STORE, &[("max_redemptions", "2")]).await.created_id();
        app.redeem("SUMMER10", 2).await;
        let show = app.get(&format!("/admin/s/acme/coupons/{id}")).await;
        assert_eq!(show.data_field("state").as_deref(), Some("Exhausted"));
        assert_eq!(show.data_field("remaining").as_deref(), Some("0"));
        assert!(show.body.contains("Exhausted: all 2 redemptions are used"));
        let list = app.get("/admin/s/acme/coupons?state=exhausted").await;
        assert!(list.body.contains("data-coupon=\"SUMMER10\""));
        assert!(!app.get("/admin/s/acme/coupons?state=active").await.body.contains("data-coupon=\"SUMMER10\""));
        app.create_coupon(STORE, &[]).await.assert_status(422);
        app.post(&format!("/admin/s/acme/coupons/{id}/delete"), &[]).await.assert_status(303);
        app.create_coupon(STORE, &[]).await.created_id();
    }

    async fn terms_lock_after_the_first_redemption(app) {
        app.setup_owner().await;
        let id = app.create_coupon(STORE, &[("max_redemptions", "10")]).await.created_id();
        let form = app.get(&format!("/admin/s/acme/coupons/{id}/edit")).await;
        assert!(!form.body.contains("Discount terms are locked"));
        let orders = app.redeem("SUMMER10", 4).await;
        // Refunding gives a redemption back, but the terms stay locked: the
        // refunded order was made on them.
        app.refund(orders[0]).await;
        let form = app.get(&format!("/admin/s/acme/coupons/{id}/edit")).await;
        assert!(form.body.contains("Discount terms are locked after the first redemption"));
        let locked = [
            (vec![("percent_off", "30")], "percent_off"),
            (vec![("discount_type", "value"), ("percent_off", ""), ("amount_off", "5"), ("currency", "USD")], "discount_type"),
            (vec![("duration", "forever")], "duration"),
            (vec![("code", "OTHER10")], "code"),
            (vec![("max_redemptions", "2")], "max_redemptions"),
        ];
        for (changes, field) in &locked {
            let page = app.edit_coupon(STORE, id, changes).await;
            page.assert_status(422);
            assert!(page.field_error(field).is_some(), "{changes:?} not refused on {field}");
        }
        let show = app.get(&format!("/admin/s/acme/coupons/{id}")).await;
        assert!(show.body.contains("25% off"));
        assert_eq!(show.data_field("max_redemptions").as_deref(), Some("10"));
        // What stays editable, does (3 redemptions count after the refund).
        app.edit_coupon(STORE, id, &[("name", "Still editable"), ("max_redemptions", "3"), ("once_per_customer", "on")])
            .await
            .assert_status(303);
        let show = app.get(&format!("/admin/s/acme/coupons/{id}")).await;
        assert!(show.body.contains("Still editable"));
        assert_eq!(show.data_field("state").as_deref(), Some("Exhausted"));
    }

    async fn clone_opens_the_form_with_the_terms_and_a_new_code(app) {
        app.setup_owner().await;
        let id = app.create_coupon(STORE, &[("percent_off", "15"), ("duration", "repeating"), ("duration_in_months", "6")]).await.created_id();
        let clone = app.get(&format!("/admin/s/acme/coupons/{id}/clone")).await;
        clone.assert_status(200);
        assert!(clone.body.contains("value=\"15\""));
        assert!(clone.body.contains("value=\"6\""));
        assert!(clone.body.contains("action=\"/admin/s/acme/coupons/new\""));
        assert!(clone.body.contains("value=\"SUMMER10"));
        assert!(!clone.body.contains("value=\"SUMMER10\""), "the clone suggests a new code");
    }

    async fn scheduled_and_expired_states_show(app) {
        app.setup_owner().await;
        let id = app.create_coupon(STORE, &[("starts_at", local_time(5).as_str())]).await.created_id();
        assert_eq!(app.get(&format!("/admin/s/acme/coupons/{id}")).await.data_field("state").as_deref(), Some("Scheduled"));
        let expired = app.create_coupon(STORE, &[("code", "OLD"), ("redeem_by", local_time(3).as_str())]).await.created_id();
        // Time travel: no page can make a coupon expire sooner than a minute from now.
        app.execute_sql(&format!("UPDATE coupons SET redeem_by = created_at WHERE id = {expired}"));
        let page = app.get(&format!("/admin/s/acme/coupons/{expired}")).await;
        assert_eq!(page.data_field("state").as_deref(), Some("Expired"));
        let list = app.get("/admin/s/acme/coupons?state=expired").await;
        assert!(list.body.contains("data-coupon=\"OLD\""));
        assert!(!list.body.contains("data-coupon=\"SUMMER10\""));
    }

    async fn the_list_searches_by_code_prefix_and_pages(app) {
        app.setup_owner().await;
        for i in 0..55 {
            let code = format!("BULK{i:02}");
            app.create_coupon(STORE, &[("code", code.as_str())]).await.created_id();
        }
        app.create_coupon(STORE, &[("code", "Other")]).await.created_id();
        let first = app.get("/admin/s/acme/coupons?q=bulk").await;
        assert_eq!(first.body.matches("data-coupon=\"BULK").count(), 50);
        assert!(!first.body.contains("data-coupon=\"Other\""));
        assert!(first.body.contains("data-coupon=\"BULK00\""), "by code when searching");
        assert!(!first.body.contains("data-coupon=\"BULK54\""));
        let older = first
            .body
            .split("rel=\"next\"")
            .next()
            .and_then(|s| s.rsplit("href=\"").next())
            .and_then(|s| s.split('"').next())
            .unwrap_or_default()
            .to_string();
        let older = html_unescape(&older);
        let second = app.get(&older).await;
        assert_eq!(second.body.matches("data-coupon=\"BULK").count(), 5);
        assert!(second.body.contains("data-coupon=\"BULK54\""));
        assert!(second.body.contains("rel=\"prev\""));
        // Without a search: newest first, and the second page holds the oldest.
        let all = app.get("/admin/s/acme/coupons").await;
        assert!(all.body.contains("data-coupon=\"Other\""));
        assert!(!all.body.contains("data-coupon=\"BULK00\""));
    }

    async fn another_stores_coupon_is_404(app) {
        app.setup_owner().await;
        app.create_store("Beta", "beta").await.assert_status(303);
        let id = app.create_coupon("beta", &[]).await.created_id();
        for path in ["", "/edit", "/clone", "/qr.svg"] {
            app.get(&format!("/admin/s/acme/coupons/{id}{path}")).await.assert_status(404);
        }
        for action in ["archive", "unarchive", "delete", "edit"] {
            app.post(&format!("/admin/s/acme/coupons/{id}/{action}"), &[]).await.assert_status(404);
        }
        assert_eq!(app.get(&format!("/admin/s/beta/coupons/{id}")).await.data_field("state").as_deref(), Some("Active"));
    }

    async fn viewers_read_coupons_but_cannot_write(app) {
        app.setup_owner().await;
        let id = app.create_coupon(STORE, &[]).await.created_id();
        app.add_member(STORE, "viewer@example.com", "viewer").await.assert_status(303);
        let viewer = app.new_client();
        viewer.login("viewer@example.com", PASSWORD).await.assert_status(303);
        let page = viewer.get(&format!("/admin/s/acme/coupons/{id}")).await;
        page.assert_status(200);
        assert!(!page.body.contains("/edit\""));
        viewer.get("/admin/s/acme/coupons/new").await.assert_status(403);
        viewer.create_coupon(STORE, &[("code", "VIEWER")]).await.assert_status(403);
        for action in ["archive", "delete", "edit"] {
            viewer.post(&format!("/admin/s/acme/coupons/{id}/{action}"), &[]).await.assert_status(403);
        }
        assert_eq!(coupon_count(&app).await, 1);
    }

    async fn the_coupon_list_counts_searches_names_and_exports_what_it_shows(app) {
        app.setup_owner().await;
        for (code, name) in [("SPRING10", "Spring sale"), ("SPRING20", "Big spring"), ("AUTUMN5", "Leaves"), ("WINTER", "")] {
            app.create_coupon(STORE, &[("code", code), ("name", name), ("max_redemptions", "7")]).await.assert_status(303);
        }
        let archived = app.create_coupon(STORE, &[("code", "SPRINGOLD"), ("name", "Old spring")]).await.created_id();
        app.post(&format!("/admin/s/acme/coupons/{archived}/archive"), &[]).await.assert_status(303);
        let total = |page: &Page| -> (Option<i64>, String) {
            let at = page.body.find("data-list-total=\"").map(|i| i + "data-list-total=\"".len());
            let n = at.and_then(|i| page.body[i..].split('"').next()?.parse().ok());
            let text = at
                .and_then(|i| page.body[i..].split('>').nth(1)?.split('<').next())
                .unwrap_or_default()
                .to_string();
            (n, text)
        };
        let all = app.get("/admin/s/acme/coupons").await;
        assert_eq!(total(&all), (Some(5), "5 coupons".to_string()));
        // "spring" matches two codes by their start and one more by its
        // name ("Big spring" is SPRING20 anyway); archived only with its
        // state.
        let spring = app.get("/admin/s/acme/coupons?q=spring&state=active").await;
        assert_eq!(total(&spring).0, Some(2));
        let by_name = app.get("/admin/s/acme/coupons?q=leaves").await;
        assert_eq!(total(&by_name), (Some(1), "1 coupon".to_string()));
        assert!(by_name.body.contains("data-coupon=\"AUTUMN5\""), "{}", by_name.body);
        assert!(by_name.body.contains("href=\"/admin/s/acme/coupons.csv?q=leaves\""), "{}", by_name.body);

        // The CSV has the same rows as the list, header first.
        let csv = app.get("/admin/s/acme/coupons.csv?q=spring").await;
        csv.assert_status(200);
        let lines: Vec<&str> = csv.body.lines().collect();
        assert_eq!(lines[0], "code,name,discount,duration,state,times_redeemed,max_redemptions,remaining,starts_at,redeem_by,created_at,share_url");
        let codes: Vec<&str> = lines[1..].iter().map(|l| l.split(',').next().unwrap_or_default()).collect();
        assert_eq!(codes, ["SPRING10", "SPRING20", "SPRINGOLD"], "by code, every state but deleted");
        assert!(lines[1].starts_with("SPRING10,Spring sale,"), "{}", lines[1]);
        assert!(lines[1].contains(",active,0,7,7,,,"), "{}", lines[1]);
        assert!(lines[1].ends_with(&format!(",{}/acme?coupon=SPRING10", app.address)), "{}", lines[1]);
        assert!(lines[3].contains(",archived,"), "{}", lines[3]);
        let every = app.get("/admin/s/acme/coupons.csv").await;
        assert_eq!(every.body.lines().count(), 1 + 5);
        let none = app.get("/admin/s/acme/coupons.csv?q=nothing").await;
        assert_eq!(none.body.lines().count(), 1, "the header alone");
    }

    async fn the_coupon_list_sorts_by_code_use_remaining_and_end_and_pages_through(app) {
        let shop = crate::checkout::shop(&app).await;
        app.create_coupon(STORE, &[("code", "BRAVO"), ("max_redemptions", "10")]).await.assert_status(303);
        app.create_coupon(STORE, &[("code", "ALPHA"), ("max_redemptions", "3")]).await.assert_status(303);
        app.create_coupon(STORE, &[("code", "CHARLIE")]).await.assert_status(303);
        app.create_coupon(STORE, &[("code", "DELTA"), ("redeem_by", &local_time(5))]).await.assert_status(303);
        for email in ["a@example.com", "b@example.com"] {
            crate::checkout::buy(&app, email, "ALPHA", &[(shop.tee, 1)]).await.assert_status(303);
        }
        crate::checkout::buy(&app, "c@example.com", "DELTA", &[(shop.tee, 1)]).await.assert_status(303);
        let codes = |page: &Page| -> Vec<String> {
            page.body
                .split("data-coupon=\"")
                .skip(1)
                .filter_map(|rest| rest.split('"').next().map(str::to_string))
                .collect()
        };
        let shown = &app;
        let order = |sort: &'static str| async move {
            let page = shown.get(&format!("/admin/s/acme/coupons?sort={sort}")).await;
            page.assert_status(200);
            codes(&page)
        };
        assert_eq!(order("code").await, ["ALPHA", "BRAVO", "CHARLIE", "DELTA"]);
        assert_eq!(order("-code").await, ["DELTA", "CHARLIE", "BRAVO", "ALPHA"]);
        assert_eq!(order("-used").await, ["ALPHA", "DELTA", "CHARLIE", "BRAVO"], "2, 1, then newest first");
        assert_eq!(order("remaining").await, ["ALPHA", "BRAVO", "CHARLIE", "DELTA"], "1 and 10 left, then unlimited");
        assert_eq!(order("-remaining").await, ["DELTA", "CHARLIE", "BRAVO", "ALPHA"]);
        assert_eq!(order("expiry").await, ["DELTA", "BRAVO", "ALPHA", "CHARLIE"], "the one that ends, then by creation");
        assert_eq!(order("created").await, ["BRAVO", "ALPHA", "CHARLIE", "DELTA"]);
        assert_eq!(order("nonsense").await, ["DELTA", "CHARLIE", "ALPHA", "BRAVO"], "newest first");
        // The headings sort, and the sorted one turns the other way.
        let page = app.get("/admin/s/acme/coupons?sort=used").await;
        assert!(page.body.contains("href=\"/admin/s/acme/coupons?sort=-used\" data-sort=\"used\">Used ▲<"), "{}", page.body);
        assert!(page.body.contains("href=\"/admin/s/acme/coupons?sort=code\" data-sort=\"code\">Code<"), "{}", page.body);
        // A sorted list pages by number, keeping its filters.
        let store = app.count("SELECT id AS n FROM stores WHERE slug = 'acme'");
        app.execute_sql(&format!(
            "INSERT INTO coupons (store_id, code, discount_type, percent_off_bp, duration, created_at, updated_at) \
             SELECT {store}, 'S' || (100 + n), 'percent', 1000, 'once', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP \
             FROM (WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 60) SELECT n FROM c) AS seq"
        ));
        let first = app.get("/admin/s/acme/coupons?q=s1&sort=-code").await;
        assert_eq!(codes(&first).len(), 50);
        assert_eq!(codes(&first)[0], "S160");
        assert!(first.body.contains("href=\"/admin/s/acme/coupons?q=s1&#38;sort=-code&#38;page=1\""), "{}", first.body);
        let second = app.get("/admin/s/acme/coupons?q=s1&sort=-code&page=1").await;
        assert_eq!(codes(&second), (101..=110).rev().map(|n| format!("S{n}")).collect::<Vec<_>>());
        assert!(second.body.contains("href=\"/admin/s/acme/coupons?q=s1&#38;sort=-code&#38;page=0\""), "{}", second.body);
    }

    async fn the_share_card_builds_a_link_that_fills_the_cart_and_its_qr_code_comes_as_svg_and_png(app) {
        let shop = crate::checkout::shop(&app).await;
        let limited = app.create_product("acme", "Mug", "9.00", "USD", "one_time").await;
        let id = app
            .create_coupon(STORE, &[("code", "CART10"), ("applies_to", &shop.tee.to_string()), ("applies_to", &limited.to_string())])
            .await
            .created_id();
        let page = app.get(&format!("/admin/s/acme/coupons/{id}")).await;
        let plain = format!("{}/acme?coupon=CART10", app.address);
        assert_eq!(page.data_field("share_url"), Some(plain.clone()));
        // The builder offers the products the coupon covers, not the plan.
        assert!(page.body.contains(&format!("name=\"quantity_{}\"", shop.tee)), "{}", page.body);
        assert!(page.body.contains(&format!("name=\"quantity_{limited}\"")), "{}", page.body);
        assert!(!page.body.contains(&format!("name=\"quantity_{}\"", shop.plan)), "{}", page.body);
        // Chosen quantities go into the URL and the QR code; others are left out.
        let page = app
            .get(&format!(
                "/admin/s/acme/coupons/{id}?quantity_{}=3&quantity_{}=2&quantity_{limited}=0",
                shop.tee, shop.plan
            ))
            .await;
        let url = format!("{plain}&quantity_{}=3", shop.tee);
        assert_eq!(page.data_field("share_url"), Some(url.clone()));
        let qr = format!("/admin/s/acme/coupons/{id}/qr.svg?quantity_{}=3", shop.tee);
        assert!(page.body.contains(&format!("src=\"{qr}\"")), "{}", page.body);
        assert!(page.body.contains(&format!("href=\"/admin/s/acme/coupons/{id}/qr.png?quantity_{}=3\"", shop.tee)), "{}", page.body);
        let svg = app.get(&qr).await;
        svg.assert_status(200);
        assert!(svg.body.contains("<svg"), "{}", svg.body);
        let png = app.get(&format!("/admin/s/acme/coupons/{id}/qr.png")).await;
        png.assert_status(200);
        assert!(png.body.starts_with("\u{fffd}PNG\r\n\u{1a}\n"), "a PNG signature: {:?}", &png.body[..16]);
        assert_ne!(app.get(&qr.replace("quantity", "q")).await.body, svg.body, "the cart changes the code");
        app.get(&format!("/admin/s/acme/coupons/{id}/qr.gif")).await.assert_status(404);
        // The URL opens the checkout with that cart and the code applied.
        let checkout = app.get(url.trim_start_matches(&app.address)).await;
        checkout.assert_status(200);
        assert!(checkout.body.contains(&format!("name=\"quantity_{}\" type=\"number\" min=\"0\" max=\"999\" inputmode=\"numeric\" value=\"3\"", shop.tee)), "{}", checkout.body);
        assert!(checkout.body.contains(&format!("name=\"quantity_{limited}\" type=\"number\" min=\"0\" max=\"999\" inputmode=\"numeric\" value=\"\"")), "{}", checkout.body);
        // A promotion code's card builds the same link.
        let promo = app.create_promo(STORE, id, &[("code", "CARTPROMO")]).await.created_id();
        let page = app.get(&format!("/admin/s/acme/promotion-codes/{promo}?quantity_{limited}=2")).await;
        assert_eq!(page.data_field("share_url"), Some(format!("{}/acme?coupon=CARTPROMO&quantity_{limited}=2", app.address)));
        app.get(&format!("/admin/s/acme/promotion-codes/{promo}/qr.png?quantity_{limited}=2")).await.assert_status(200);
    }

    async fn a_code_that_differs_from_another_only_in_case_is_created_with_a_warning(app) {
        app.setup_owner().await;
        let first = app.create_coupon(STORE, &[("code", "SUMMER10")]).await.created_id();
        let page = app.get(&format!("/admin/s/acme/coupons/{first}")).await;
        assert!(!page.body.contains("flash-warning"), "no twin, no warning: {}", page.body);
        let twin = app.create_coupon(STORE, &[("code", "Summer10")]).await;
        twin.assert_status(303);
        let page = app.get(&format!("/admin/s/acme/coupons/{}", twin.location_tail())).await;
        assert!(page.body.contains("Coupon Summer10 created."), "{}", page.body);
        assert!(
            page.body.contains("<div class=\"flash flash-warning\" role=\"status\">Note: SUMMER10 also exists, differing from Summer10 only in upper and lower case."),
            "{}",
            page.body
        );
        // The picker's JSON names each code, for the form's live check.
        let choices = app.get("/admin/s/acme/coupons/choices?q=summer").await;
        assert!(choices.body.contains("\"code\":\"SUMMER10\""), "{}", choices.body);
        assert!(choices.body.contains("\"code\":\"Summer10\""), "{}", choices.body);
        // The form carries what the check needs.
        let form = app.get("/admin/s/acme/coupons/new").await;
        assert!(form.body.contains("data-case-warning data-choices=\"/admin/s/acme/coupons/choices\" data-self=\"\""), "{}", form.body);
    }
}
