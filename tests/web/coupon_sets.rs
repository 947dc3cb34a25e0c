//! Coupon sets (SPEC section 5): generation, uniqueness, export, delete and
//! archive semantics.

use std::collections::HashSet;

use crate::db_tests;
use crate::helpers::*;

/// The rows of a set's CSV export, header first.
async fn export(app: &TestApp, set: i64) -> Vec<Vec<String>> {
    let page = app
        .get(&format!("/admin/s/acme/coupon-sets/{set}/codes.csv"))
        .await;
    page.assert_status(200);
    page.body
        .lines()
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect()
}

fn field(page: &Page, name: &str) -> i64 {
    page.data_field(name)
        .and_then(|v| v.parse().ok())
        .unwrap_or(-1)
}

db_tests! {
    async fn a_set_generates_unique_codes_of_the_asked_shape(app) {
        app.setup_owner().await;
        let coupon = app.create_coupon(STORE, &[]).await.created_id();
        let set = app.create_set(STORE, coupon, "Spring mailing", "500", "spring-", "8").await.created_id();
        let page = app.get(&format!("/admin/s/acme/coupon-sets/{set}")).await;
        page.assert_status(200);
        assert_eq!(field(&page, "total"), 500);
        assert_eq!(field(&page, "unused"), 500);
        assert_eq!(field(&page, "used"), 0);
        assert_eq!(field(&page, "archived"), 0);
        assert!(page.body.contains("still works directly at checkout"));
        let rows = export(&app, set).await;
        assert_eq!(rows[0], ["code", "state", "used_at", "order_id", "url"]);
        assert_eq!(rows.len(), 501);
        let mut seen = HashSet::new();
        for row in &rows[1..] {
            let code = &row[0];
            assert!(code.starts_with("SPRING-"), "{code}");
            assert_eq!(code.len(), 15, "{code}");
            assert!(code[7..].chars().all(|c| "ABCDEFGHJKLMNPQRSTUVWXYZ23456789".contains(c)), "{code}");
            assert_eq!(row[1], "unused");
            assert_eq!(row[4], format!("{}/acme?coupon={code}", app.address));
            assert!(seen.insert(code.clone()), "duplicate {code}");
        }
        // A second set never repeats a code of the first.
        let other = app.create_set(STORE, coupon, "Partners", "500", "spring-", "8").await.created_id();
        for row in &export(&app, other).await[1..] {
            assert!(seen.insert(row[0].clone()), "{} repeats", row[0]);
        }
        // More codes can be added.
        app.post(&format!("/admin/s/acme/coupon-sets/{set}/generate"), &[("count", "25")]).await.assert_status(303);
        assert_eq!(field(&app.get(&format!("/admin/s/acme/coupon-sets/{set}")).await, "total"), 525);
    }

    async fn set_codes_share_the_namespace_of_coupons_and_promotion_codes(app) {
        app.setup_owner().await;
        let coupon = app.create_coupon(STORE, &[]).await.created_id();
        let set = app.create_set(STORE, coupon, "Giveaway", "3", "", "6").await.created_id();
        let code = export(&app, set).await[1][0].clone();
        let promo = app.create_promo(STORE, coupon, &[("code", code.to_lowercase().as_str())]).await;
        promo.assert_status(422);
        assert!(promo.field_error("code").unwrap_or_default().contains("coupon set"));
        let same = app.create_coupon(STORE, &[("code", code.as_str())]).await;
        same.assert_status(422);
        assert!(same.field_error("code").is_some());
        // Search finds it by normal form.
        let found = app.get(&format!("/admin/s/acme/coupon-sets/{set}?q={}", code.to_lowercase())).await;
        assert!(found.body.contains(&format!("data-set-code=\"{code}\"")));
    }

    async fn impossible_or_bad_requests_are_refused_up_front(app) {
        app.setup_owner().await;
        let coupon = app.create_coupon(STORE, &[]).await.created_id();
        let cases = [
            ("", "10", "", "10", "name"),
            ("A", "0", "", "10", "count"),
            ("A", "1000001", "", "10", "count"),
            ("A", "10", "", "5", "code_length"),
            ("A", "10", "", "25", "code_length"),
            ("A", "10", "WAY-TOO-LONG-PREFIX", "10", "prefix"),
        ];
        for (name, count, prefix, length, field) in cases {
            let page = app.create_set(STORE, coupon, name, count, prefix, length).await;
            page.assert_status(422);
            assert!(page.field_error(field).is_some(), "{name} {count} {prefix} {length}: no message beside {field}");
        }
        app.create_set(STORE, coupon, "Taken", "5", "", "10").await.created_id();
        let taken = app.create_set(STORE, coupon, "Taken", "5", "", "10").await;
        taken.assert_status(422);
        assert!(taken.field_error("name").is_some());
        app.post(&format!("/admin/s/acme/coupons/{coupon}/archive"), &[]).await.assert_status(303);
        let archived = app.create_set(STORE, coupon, "Late", "5", "", "10").await;
        archived.assert_status(422);
        assert!(archived.field_error("coupon_id").is_some());
        assert_eq!(app.count("SELECT COUNT(*) AS n FROM coupon_sets"), 1);
    }

    async fn deleting_a_set_deletes_unused_codes_and_archives_used_ones(app) {
        app.setup_owner().await;
        let coupon = app.create_coupon(STORE, &[]).await.created_id();
        let set = app.create_set(STORE, coupon, "Mailing", "10", "", "10").await.created_id();
        let rows = export(&app, set).await;
        let mut orders = Vec::new();
        for row in &rows[1..4] {
            orders.extend(app.redeem(&row[0], 1).await);
        }
        let page = app.get(&format!("/admin/s/acme/coupon-sets/{set}")).await;
        assert_eq!((field(&page, "used"), field(&page, "unused")), (3, 7));
        // The export names each used code's order and when it was used.
        let used: Vec<Vec<String>> = export(&app, set).await.into_iter().filter(|r| r[1] == "used").collect();
        assert_eq!(used.len(), 3);
        for (row, order) in rows[1..4].iter().zip(&orders) {
            let line = used.iter().find(|r| r[0] == row[0]).expect("the used code in the export");
            assert_eq!(line[3], order.to_string(), "{line:?}");
            assert!(line[2].starts_with(&chrono::Utc::now().format("%Y-").to_string()), "used_at {line:?}");
        }
        let unused = export(&app, set).await.into_iter().filter(|r| r[1] == "unused").collect::<Vec<_>>();
        assert!(unused.iter().all(|r| r[2].is_empty() && r[3].is_empty()), "{unused:?}");
        app.post(&format!("/admin/s/acme/coupon-sets/{set}/delete"), &[]).await.assert_redirect("/admin/s/acme/coupon-sets");
        app.get(&format!("/admin/s/acme/coupon-sets/{set}")).await.assert_status(404);
        assert_eq!(app.count(&format!("SELECT COUNT(*) AS n FROM set_codes WHERE set_id = {set} AND state = 'unused'")), 0);
        assert_eq!(app.count(&format!("SELECT COUNT(*) AS n FROM set_codes WHERE set_id = {set} AND state = 'archived'")), 3);
        assert_eq!(app.count(&format!("SELECT COUNT(*) AS n FROM set_codes WHERE set_id = {set}")), 3);
    }

    async fn archiving_or_deleting_the_main_coupon_ends_its_sets_codes(app) {
        app.setup_owner().await;
        let coupon = app.create_coupon(STORE, &[]).await.created_id();
        let set = app.create_set(STORE, coupon, "Mailing", "10", "", "10").await.created_id();
        for row in &export(&app, set).await[1..3] {
            app.redeem(&row[0], 1).await;
        }
        app.post(&format!("/admin/s/acme/coupons/{coupon}/archive"), &[]).await.assert_status(303);
        let page = app.get(&format!("/admin/s/acme/coupon-sets/{set}")).await;
        assert_eq!((field(&page, "total"), field(&page, "used"), field(&page, "unused"), field(&page, "archived")), (2, 0, 0, 2));
        let other = app.create_coupon(STORE, &[("code", "OTHER")]).await.created_id();
        let second = app.create_set(STORE, other, "Second", "4", "", "10").await.created_id();
        app.post(&format!("/admin/s/acme/coupons/{other}/delete"), &[]).await.assert_status(303);
        assert_eq!(app.count(&format!("SELECT COUNT(*) AS n FROM set_codes WHERE set_id = {second}")), 0);
    }

    async fn a_set_code_names_a_set_of_its_store_and_goes_with_it(app) {
        // The database itself keeps set codes inside their sets, whatever
        // writes them: on PostgreSQL by statement-level checks (see the
        // migration set_code_checks), on SQLite by foreign keys.
        app.setup_owner().await;
        app.create_store("Other", "other").await.assert_status(303);
        let coupon = app.create_coupon(STORE, &[]).await.created_id();
        let set = app.create_set(STORE, coupon, "Mailing", "3", "", "10").await.created_id();
        let store = app.count(&format!("SELECT store_id AS n FROM coupon_sets WHERE id = {set}"));
        let other = app.count("SELECT id AS n FROM stores WHERE slug = 'other'");
        let mut sql = app.sql();
        if app.db == Db::Sqlite {
            sql.execute("PRAGMA foreign_keys = ON");
        }
        let insert = |store: i64, set: i64, codes: &[&str]| {
            let rows: Vec<String> =
                codes.iter().map(|c| format!("({store}, {set}, '{c}', '{c}', 'unused')")).collect();
            format!("INSERT INTO set_codes (store_id, set_id, code, normal, state) VALUES {}", rows.join(", "))
        };
        let refused = sql.try_execute(&insert(store, set + 1000, &["NOSET"])).expect_err("no such set");
        assert!(refused.contains("FOREIGN KEY") || refused.contains("coupon set of its store"), "{refused}");
        // One bad row refuses the whole statement.
        let mixed = format!("{}, ({store}, {}, 'BAD9', 'BAD9', 'unused')", insert(store, set, &["GOOD9"]), set + 1000);
        assert!(sql.try_execute(&mixed).is_err());
        assert_eq!(sql.try_execute(&insert(store, set, &["GOOD1", "GOOD2"])), Ok(2));
        if app.db == Db::Postgres {
            // SQLite's two keys (store; set) cannot see a mix of the two.
            let refused = sql.try_execute(&insert(other, set, &["MIXED"])).expect_err("another store's set");
            assert!(refused.contains("coupon set of its store"), "{refused}");
            let moved = sql.try_execute(&format!("UPDATE set_codes SET store_id = {other} WHERE code = 'GOOD1'"));
            assert!(moved.is_err_and(|e| e.contains("do not change")));
            let moved = sql.try_execute(&format!("UPDATE coupon_sets SET store_id = {other} WHERE id = {set}"));
            assert!(moved.is_err_and(|e| e.contains("do not change")));
        }
        assert_eq!(sql.count(&format!("SELECT COUNT(*) AS n FROM set_codes WHERE set_id = {set}")), 5);
        assert_eq!(sql.count("SELECT COUNT(*) AS n FROM set_codes WHERE code IN ('NOSET', 'BAD9', 'GOOD9', 'MIXED')"), 0);
        // A set deleted outright takes its codes with it.
        sql.execute(&format!("DELETE FROM coupon_sets WHERE id = {set}"));
        assert_eq!(sql.count("SELECT COUNT(*) AS n FROM set_codes"), 0);
    }

    async fn import_adds_good_lines_and_reports_each_refused_one(app) {
        app.setup_owner().await;
        let coupon = app.create_coupon(STORE, &[]).await.created_id();
        let set = app.create_set(STORE, coupon, "Imported", "2", "", "10").await.created_id();
        let existing = export(&app, set).await[1][0].clone();
        app.create_promo(STORE, coupon, &[("code", "PROMO-1")]).await.created_id();
        let csv = format!("code\nGOOD-ONE\ngood two\nbad$code\ngood-one\n{existing}\npromo1\n\n{}\nSUMMER10\n", "X".repeat(70));
        // Without the token nothing happens.
        app.post_file(&format!("/admin/s/acme/coupon-sets/{set}/import"), &csv, false).await.assert_status(403);
        let page = app.post_file(&format!("/admin/s/acme/coupon-sets/{set}/import"), &csv, true).await;
        page.assert_status(200);
        assert_eq!(page.data_field("added").as_deref(), Some("2"));
        assert_eq!(page.data_field("refused").as_deref(), Some("6"));
        for (line, reason) in [
            (4, "bad character"),
            (5, "duplicate of an earlier line"),
            (6, "already a code of a coupon set"),
            (7, "already a coupon or promotion code"),
            (9, "too long"),
            (10, "already a coupon or promotion code"),
        ] {
            let row = page.body.split(&format!("data-refused-line=\"{line}\"")).nth(1).unwrap_or_default();
            let row = row.split("</tr>").next().unwrap_or_default();
            assert!(row.contains(reason), "line {line}: {row}");
        }
        let codes: Vec<String> = export(&app, set).await[1..].iter().map(|r| r[0].clone()).collect();
        assert_eq!(codes.len(), 4);
        assert!(codes.contains(&"GOOD-ONE".to_string()));
        assert!(codes.contains(&"goodtwo".to_string()));
        let page = app.get(&format!("/admin/s/acme/coupon-sets/{set}")).await;
        assert_eq!(field(&page, "total"), 4);
        // Imported codes join the namespace too.
        app.create_promo(STORE, coupon, &[("code", "good-two")]).await.assert_status(422);
    }

    async fn large_sets_generate_in_the_background(app) {
        app.setup_owner().await;
        let coupon = app.create_coupon(STORE, &[]).await.created_id();
        let set = app.create_set(STORE, coupon, "Big", "25000", "", "10").await.created_id();
        let mut last = String::new();
        for _ in 0..600 {
            let page = app.get(&format!("/admin/s/acme/coupon-sets/{set}")).await;
            if !page.body.contains("data-status=\"generating\"") {
                last = page.body;
                break;
            }
            assert!(page.body.contains("<progress"));
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert!(last.contains("data-field=\"total\">25,000<"), "the set did not finish");
        assert_eq!(app.count(&format!("SELECT COUNT(*) AS n FROM set_codes WHERE set_id = {set}")), 25000);
    }

    async fn another_stores_set_is_404_and_viewers_cannot_write(app) {
        app.setup_owner().await;
        app.create_store("Beta", "beta").await.assert_status(303);
        let beta_coupon = app.create_coupon("beta", &[]).await.created_id();
        let beta_set = app.create_set("beta", beta_coupon, "Beta set", "5", "", "10").await.created_id();
        for path in ["", "/codes.csv"] {
            app.get(&format!("/admin/s/acme/coupon-sets/{beta_set}{path}")).await.assert_status(404);
        }
        for action in ["generate", "delete"] {
            app.post(&format!("/admin/s/acme/coupon-sets/{beta_set}/{action}"), &[("count", "5")]).await.assert_status(404);
        }
        let cross = app.create_set(STORE, beta_coupon, "Cross", "5", "", "10").await;
        cross.assert_status(422);
        let coupon = app.create_coupon(STORE, &[]).await.created_id();
        let set = app.create_set(STORE, coupon, "Ours", "5", "", "10").await.created_id();
        app.add_member(STORE, "viewer@example.com", "viewer").await.assert_status(303);
        let viewer = app.new_client();
        viewer.login("viewer@example.com", PASSWORD).await.assert_status(303);
        viewer.get(&format!("/admin/s/acme/coupon-sets/{set}")).await.assert_status(200);
        viewer.get(&format!("/admin/s/acme/coupon-sets/{set}/codes.csv")).await.assert_status(200);
        viewer.post(&format!("/admin/s/acme/coupon-sets/{set}/delete"), &[]).await.assert_status(403);
        viewer.post(&format!("/admin/s/acme/coupon-sets/{set}/generate"), &[("count", "5")]).await.assert_status(403);
        assert_eq!(app.count(&format!("SELECT COUNT(*) AS n FROM set_codes WHERE set_id = {set}")), 5);
    }

    async fn archive_and_delete_say_which_set_codes_go_before_and_after(app) {
        let shop = crate::checkout::shop(&app).await;
        let coupon = app
            .create_coupon(STORE, &[("code", "FIRST100"), ("max_redemptions", "100")])
            .await
            .created_id();
        let big = app.create_set(STORE, coupon, "Big", "1000", "", "10").await.created_id();
        let small = app.create_set(STORE, coupon, "Small", "4", "", "10").await.created_id();
        let used = app
            .text(&format!("SELECT code AS t FROM set_codes WHERE set_id = {small} ORDER BY id LIMIT 1"))
            .expect("a set code");
        crate::checkout::buy(&app, "a@example.com", &used, &[(shop.tee, 1)]).await.assert_status(303);
        // The order links its set code, which opens the set searched for it.
        let order = app.count("SELECT MAX(id) AS n FROM orders");
        let page = app.get(&format!("/admin/s/acme/orders/{order}")).await;
        let link = page
            .body
            .split("href=\"")
            .find_map(|rest| rest.split('"').next().filter(|href| href.contains("/set-codes/")))
            .expect("a set code link")
            .to_string();
        app.get(&link).await.assert_redirect(&format!("/admin/s/acme/coupon-sets/{small}?q={used}"));
        let orders = app.get("/admin/s/acme/orders").await;
        assert!(orders.body.contains(&format!("href=\"{link}\"><code>{used}</code>")), "{}", orders.body);
        app.get("/admin/s/acme/set-codes/999999").await.assert_status(404);

        // Each code has its QR code; a text the set does not hold has none.
        let qr = app.get(&format!("/admin/s/acme/coupon-sets/{small}/qr.svg?code={}", used.to_lowercase())).await;
        qr.assert_status(200);
        assert!(qr.body.contains("<svg"), "{}", qr.body);
        app.get(&format!("/admin/s/acme/coupon-sets/{big}/qr.svg?code={used}")).await.assert_status(404);
        app.get(&format!("/admin/s/acme/coupon-sets/{small}/qr.svg?code=NOPE")).await.assert_status(404);
        // The set pages tell the real capacity: 99 uses left on the coupon.
        let page = app.get(&format!("/admin/s/acme/coupon-sets/{big}")).await;
        assert_eq!(
            page.data_field("capacity").as_deref(),
            Some("Only 99 of its 1,000 unused codes can be redeemed: the coupon has 99 uses left.")
        );
        let page = app.get(&format!("/admin/s/acme/coupon-sets/{small}")).await;
        assert_eq!(
            page.data_field("capacity").as_deref(),
            Some("All of its 3 unused codes can be redeemed: the coupon has 99 uses left.")
        );
        // The coupon's page lists both sets and asks before an archive.
        let page = app.get(&format!("/admin/s/acme/coupons/{coupon}")).await;
        for set in [big, small] {
            assert!(page.body.contains(&format!("data-set=\"{set}\"")), "{}", page.body);
        }
        let body = html_unescape(&page.body);
        assert!(
            body.contains("data-confirm=\"Archive FIRST100? 1,003 unused codes of 2 sets will be deleted; used codes are kept.\""),
            "{body}"
        );
        assert!(
            body.contains("data-confirm=\"Delete FIRST100? It stops working for good and its code becomes free; orders keep their history. 1,003 unused codes of 2 sets will be deleted; used codes are kept.\""),
            "{body}"
        );

        // Archive: the flash and the activity log state the counts.
        app.post(&format!("/admin/s/acme/coupons/{coupon}/archive"), &[]).await.assert_status(303);
        let page = app.get(&format!("/admin/s/acme/coupons/{coupon}")).await;
        let said = "1,003 unused codes of 2 sets deleted, 1 used code archived";
        assert!(page.body.contains(&format!("Coupon archived: no new redemptions until you unarchive it. Its sets: {said}.")), "{}", page.body);
        assert!(page.body.contains(&format!("— {said}")), "the activity log: {}", page.body);
        assert_eq!(app.count(&format!("SELECT COUNT(*) AS n FROM set_codes WHERE set_id IN ({big}, {small}) AND state = 'unused'")), 0);
        // Nothing left to lose: no confirmation on Unarchive, and Delete
        // says only what it always says.
        let body = html_unescape(&page.body);
        assert!(!body.contains("will be deleted; used codes are kept."), "{body}");
        app.post(&format!("/admin/s/acme/coupons/{coupon}/unarchive"), &[]).await.assert_status(303);
        let page = app.get(&format!("/admin/s/acme/coupons/{coupon}")).await;
        assert!(!page.body.contains("Its sets:"), "{}", page.body);
        app.post(&format!("/admin/s/acme/coupons/{coupon}/delete"), &[]).await.assert_status(303);
        let list = app.get("/admin/s/acme/coupons").await;
        assert!(
            list.body.contains("Coupon deleted: its code is free for a new coupon; orders keep their history.<"),
            "no set code went with the delete: {}",
            list.body
        );
    }

    async fn the_set_list_labels_each_set_with_its_coupon_whatever_the_number_of_coupons(app) {
        app.setup_owner().await;
        let store = app.count("SELECT id AS n FROM stores WHERE slug = 'acme'");
        // 1,001 coupons before ZZMAIN in code order: the old label lookup
        // read only the first 1,000.
        app.execute_sql(&format!(
            "INSERT INTO coupons (store_id, code, discount_type, percent_off_bp, duration, created_at, updated_at) \
             SELECT {store}, 'A' || (1000 + n), 'percent', 1000, 'once', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP \
             FROM (WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 1001) SELECT n FROM c) AS seq"
        ));
        let coupon = app.create_coupon(STORE, &[("code", "ZZMAIN"), ("max_redemptions", "3")]).await.created_id();
        // The picker offers the first 50 by code, and any coupon by search:
        // without JavaScript (the page's own search), and as JSON for the
        // type-ahead.
        let option = format!("<option value=\"{coupon}\"");
        let form = app.get("/admin/s/acme/coupon-sets/new").await;
        assert!(!form.body.contains(&option), "only the first coupons by code");
        assert!(form.body.contains("The first 50 coupons by code: search to find others."), "{}", form.body);
        let found = app.get("/admin/s/acme/coupon-sets/new?coupon_q=zzm").await;
        found.assert_status(200);
        assert!(found.body.contains(&option), "{}", found.body);
        assert!(found.body.contains("1 found for “zzm”"), "{}", found.body);
        let promo_form = app.get("/admin/s/acme/promotion-codes/new?coupon_q=ZZMAIN").await;
        assert!(promo_form.body.contains(&option), "{}", promo_form.body);
        let chosen = app.get(&format!("/admin/s/acme/promotion-codes/new?coupon_id={coupon}")).await;
        assert!(chosen.body.contains(&format!("{option} data-remaining=\"3\" selected>ZZMAIN — Summer sale (25% off, once)<")), "the chosen coupon is offered: {}", chosen.body);
        let json = app.get("/admin/s/acme/coupons/choices?q=zz").await;
        json.assert_status(200);
        let json: serde_json::Value = serde_json::from_str(&json.body).expect("JSON");
        assert_eq!(json, serde_json::json!([{"id": coupon, "code": "ZZMAIN", "label": "ZZMAIN — Summer sale (25% off, once)", "selected": false, "remaining": "3"}]));
        let by_name = app.get("/admin/s/acme/coupons/choices?q=nobody").await;
        assert_eq!(by_name.body, "[]");
        // Bad input finds nothing and is never a 500: a NUL, a page past
        // any end.
        let nul = app.get("/admin/s/acme/coupons/choices?q=Z%00").await;
        nul.assert_status(200);
        assert_eq!(nul.body, "[]");
        app.get("/admin/s/acme/coupon-sets/new?coupon_q=%00").await.assert_status(200);
        app.get("/admin/s/acme/coupons?sort=code&page=9223372036854775807").await.assert_status(200);
        app.get("/admin/s/acme/orders?code=%00&from=2026-13-45").await.assert_status(200);
        app.get("/admin/s/acme/coupon-sets/1/qr.svg?code=%00").await.assert_status(404);
        let set = app.create_set(STORE, coupon, "Last one", "5", "", "10").await.created_id();
        let list = app.get("/admin/s/acme/coupon-sets").await;
        list.assert_status(200);
        assert!(list.body.contains(">ZZMAIN<"), "the set's coupon label: {}", list.body);
        let page = app.get(&format!("/admin/s/acme/coupon-sets/{set}")).await;
        assert_eq!(
            page.data_field("capacity").as_deref(),
            Some("Only 3 of its 5 unused codes can be redeemed: the coupon has 3 uses left.")
        );
    }

    async fn archiving_selected_coupons_asks_once_with_their_set_codes_then_archives_each(app) {
        app.setup_owner().await;
        let first = app.create_coupon(STORE, &[("code", "FIRST")]).await.created_id();
        let second = app.create_coupon(STORE, &[("code", "SECOND")]).await.created_id();
        let third = app.create_coupon(STORE, &[("code", "THIRD")]).await.created_id();
        app.create_set(STORE, first, "One", "10", "", "10").await.assert_status(303);
        app.create_set(STORE, second, "Two", "5", "", "10").await.assert_status(303);
        let list = app.get("/admin/s/acme/coupons").await;
        assert!(list.body.contains(&format!("name=\"ids\" value=\"{first}\" form=\"bulk\"")), "{}", list.body);
        let (f, s, t) = (first.to_string(), second.to_string(), third.to_string());
        let ask = app.post("/admin/s/acme/coupons/archive-selected", &[("ids", &f), ("ids", &s), ("ids", &f)]).await;
        ask.assert_status(200);
        assert!(ask.body.contains("<h1>Archive 2 coupons?</h1>"), "{}", ask.body);
        assert_eq!(
            ask.data_field("bulk_consequence").as_deref(),
            Some("No new redemptions until you unarchive them. 15 unused codes of 2 sets will be deleted; used codes are kept.")
        );
        assert_eq!(app.count("SELECT COUNT(*) AS n FROM coupons WHERE archived_at IS NOT NULL"), 0, "nothing before the confirmation");
        assert_eq!(app.count("SELECT COUNT(*) AS n FROM set_codes WHERE state = 'unused'"), 15);
        app.post("/admin/s/acme/coupons/archive-selected", &[("ids", &f), ("ids", &s), ("ids", &t), ("confirmed", "1")])
            .await
            .assert_redirect("/admin/s/acme/coupons");
        let list = app.get("/admin/s/acme/coupons").await;
        assert!(
            list.body.contains("Archived 3 coupons: FIRST, SECOND, THIRD. Their sets: 15 unused codes of 2 sets deleted."),
            "{}",
            list.body
        );
        assert_eq!(app.count("SELECT COUNT(*) AS n FROM coupons WHERE archived_at IS NOT NULL"), 3);
        assert_eq!(app.count("SELECT COUNT(*) AS n FROM set_codes WHERE state = 'unused'"), 0);
        // Each coupon's log says what went with it.
        let page = app.get(&format!("/admin/s/acme/coupons/{first}")).await;
        assert!(page.body.contains("— 10 unused codes of 1 set deleted"), "{}", page.body);
        // Archived ones are left out of a second try, asked or confirmed.
        app.post("/admin/s/acme/coupons/archive-selected", &[("ids", &f)]).await.assert_redirect("/admin/s/acme/coupons");
        app.post("/admin/s/acme/coupons/archive-selected", &[("ids", &f), ("confirmed", "1")])
            .await
            .assert_redirect("/admin/s/acme/coupons");
        let list = app.get("/admin/s/acme/coupons").await;
        assert!(list.body.contains("Nothing was archived: none of the chosen coupons is live and unarchived any more."), "{}", list.body);
        // A viewer has no checkboxes and cannot post.
        app.add_member(STORE, "viewer@example.com", "viewer").await.assert_status(303);
        let viewer = app.new_client();
        viewer.login("viewer@example.com", PASSWORD).await.assert_redirect("/admin/s/acme");
        let list = viewer.get("/admin/s/acme/coupons").await;
        assert!(!list.body.contains("archive-selected"), "{}", list.body);
        viewer.post("/admin/s/acme/coupons/archive-selected", &[("ids", &t), ("confirmed", "1")]).await.assert_status(403);
    }
}
