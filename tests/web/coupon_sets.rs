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
        assert!(last.contains("data-field=\"total\">25000<"), "the set did not finish");
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
}
