//! SPEC sections 9 and 12 under attack: sessions that end, no 500 on bad
//! bytes, bounded dates, throttled guessing and logins, bounded writes from
//! anonymous clients, CSV formulas, duplicate form keys, flash overflow.

use crate::checkout::{buy, shop};
use crate::db_tests;
use crate::helpers::*;

const LOOPBACK: &str = "127.0.0.1";

/// The same backend as `app`, behind a proxy on loopback that
/// `TRUSTED_PROXY` names, so clients differ by `X-Forwarded-For`.
async fn behind_proxy(app: &TestApp) -> TestApp {
    let proxied = spawn_app_with(app.db, |c| c.trusted_proxy = LOOPBACK.parse().ok())
        .await
        .expect("the same backend as the first app");
    proxied.setup_owner().await;
    proxied
}

async fn checkout_as(client: &Client, code: &str, product: i64) -> Page {
    let product = format!("quantity_{product}");
    client
        .post(
            "/acme/checkout",
            &[
                ("email", "buyer@example.com"),
                ("coupon", code),
                (product.as_str(), "1"),
                ("preview", "1"),
            ],
        )
        .await
}

db_tests! {
    async fn a_copied_cookie_stops_working_after_logout(app) {
        app.setup_owner().await;
        let copied = app.cookie_header();
        Client::get_with_cookie(&app.address, "/admin/s/acme", &copied).await.assert_status(200);
        app.logout().await.assert_redirect("/admin/login?logged_out=1");
        Client::get_with_cookie(&app.address, "/admin/s/acme", &copied).await.assert_redirect("/admin/login");
        Client::get_with_cookie(&app.address, "/admin", &copied).await.assert_redirect("/admin/login");
        // Logging in again works, with a new session.
        app.login(OWNER_EMAIL, PASSWORD).await.assert_redirect("/admin/s/acme");
        app.get("/admin/s/acme").await.assert_status(200);
    }

    async fn removing_a_member_ends_their_sessions_at_once(app) {
        app.setup_owner().await;
        app.add_member(STORE, "viewer@example.com", "viewer").await.assert_status(303);
        app.create_store("Second", "second").await.assert_status(303);
        app.add_member("second", "viewer@example.com", "viewer").await.assert_status(303);
        let member = app.new_client();
        // A member of two stores picks one.
        member.login("viewer@example.com", PASSWORD).await.assert_redirect("/admin");
        member.get("/admin/s/second").await.assert_status(200);
        let id = app.count("SELECT id AS n FROM users WHERE email = 'viewer@example.com'");
        app.post(&format!("/admin/s/acme/members/{id}/remove"), &[]).await.assert_status(303);
        // Logged out everywhere, not only in the store they left.
        member.get("/admin/s/second").await.assert_redirect("/admin/login");
        member.get("/admin/s/acme").await.assert_redirect("/admin/login");
        // The owner's own session is untouched.
        app.get("/admin/s/acme").await.assert_status(200);
    }

    async fn sessions_end_after_12_hours_idle_and_7_days_in_all(app) {
        app.setup_owner().await;
        app.get("/admin").await.assert_status(200);
        // Time travel below: no page can make a session older (SQL only for that).
        let other = app.new_client();
        other.login(OWNER_EMAIL, PASSWORD).await.assert_redirect("/admin/s/acme");
        let hours_ago = |h: i64| (chrono::Utc::now().naive_utc() - chrono::TimeDelta::hours(h)).format("%Y-%m-%d %H:%M:%S").to_string();
        // 11 hours idle is fine; 13 is not.
        app.execute_sql(&format!("UPDATE staff_sessions SET last_seen_at = '{}'", hours_ago(11)));
        app.get("/admin").await.assert_status(200);
        other.get("/admin").await.assert_status(200);
        app.execute_sql(&format!("UPDATE staff_sessions SET last_seen_at = '{}'", hours_ago(13)));
        app.get("/admin").await.assert_redirect("/admin/login");
        // Busy but started 8 days ago: ended too.
        other.login(OWNER_EMAIL, PASSWORD).await.assert_redirect("/admin/s/acme");
        app.execute_sql(&format!("UPDATE staff_sessions SET created_at = '{}'", hours_ago(8 * 24)));
        other.get("/admin").await.assert_redirect("/admin/login");
    }

    async fn nul_bytes_are_refused_beside_the_field_never_a_500(app) {
        let shop = shop(&app).await;
        let coupon = app.create_coupon(STORE, &[]).await.created_id();
        let set = app.create_set(STORE, coupon, "Mailing", "3", "", "10").await.created_id();
        // Public checkout, no login needed.
        let anonymous = app.new_client();
        let page = anonymous.get("/acme?coupon=A%00B").await;
        page.assert_status(200);
        assert_eq!(page.data_field("error").as_deref(), Some("We do not know this code. Check it for typos."));
        let tee = format!("quantity_{}", shop.tee);
        let page = anonymous
            .checkout(STORE, &[("email", "a@example.com"), ("coupon", "A\0B"), (tee.as_str(), "1")])
            .await;
        page.assert_status(422);
        let page = anonymous
            .checkout(STORE, &[("email", "a\0b@example.com"), ("coupon", ""), (tee.as_str(), "1")])
            .await;
        page.assert_status(422);
        assert!(page.field_error("email").is_some());
        // Searches: no results, no error.
        for path in [
            "/admin/s/acme/coupons?q=%00".to_string(),
            "/admin/s/acme/promotion-codes?q=A%00".to_string(),
            "/admin/s/acme/customers?q=%00".to_string(),
            format!("/admin/s/acme/coupon-sets/{set}?q=%00"),
        ] {
            let page = app.get(&path).await;
            page.assert_status(200);
            assert!(page.body.contains("No ") && page.body.contains("match"), "{path}: no empty result");
        }
        // Every name field.
        let nul = "Bad\0name";
        let cases: Vec<(String, Vec<(&str, &str)>)> = vec![
            ("/admin/s/acme/products/new".into(), vec![("name", nul), ("price", "1"), ("currency", "USD"), ("billing", "one_time"), ("interval", "month")]),
            ("/admin/s/acme/coupon-sets/new".into(), vec![("name", nul), ("coupon_id", "1"), ("count", "1"), ("prefix", ""), ("code_length", "10")]),
            ("/admin/s/acme/settings".into(), vec![("name", nul), ("slug", "acme"), ("currency", "USD"), ("timezone", "UTC"), ("public_base_url", "")]),
            ("/admin/stores/new".into(), vec![("name", nul), ("slug", "other"), ("currency", "USD"), ("timezone", "UTC"), ("public_base_url", "")]),
            ("/admin/s/acme/customers".into(), vec![("email", "x\0@example.com")]),
        ];
        for (path, fields) in &cases {
            let page = app.post(path, fields).await;
            page.assert_status(422);
            let field = fields[0].0;
            assert!(page.field_error(field).is_some_and(|m| m.contains("control characters") || m.contains("valid email")), "{path}: {:?}", page.field_error(field));
        }
        let page = app.create_coupon(STORE, &[("code", "NULNAME"), ("name", nul)]).await;
        page.assert_status(422);
        assert_eq!(page.field_error("name").as_deref(), Some("Remove the control characters (such as NUL, tab or a line break) from this field."));
        assert_eq!(app.count("SELECT COUNT(*) AS n FROM coupons WHERE code = 'NULNAME'"), 0);
        let page = app.login("owner\0@example.com", PASSWORD).await;
        page.assert_status(422);
    }

    async fn dates_are_bounded_to_years_2000_to_2999(app) {
        let shop = shop(&app).await;
        app.update_settings(STORE, &[("name", "Acme Outfitters"), ("slug", "acme"), ("currency", "USD"), ("timezone", "America/Los_Angeles"), ("public_base_url", "")])
            .await
            .assert_status(303);
        let page = app.create_coupon(STORE, &[("code", "FOREVER9999"), ("redeem_by", "9999-12-31T23:59")]).await;
        page.assert_status(422);
        assert_eq!(page.field_error("redeem_by").as_deref(), Some("Choose a date in the years 2000 to 2999."));
        assert_eq!(app.count("SELECT COUNT(*) AS n FROM coupons"), 0);
        // The last minute allowed works everywhere: active, listed, redeemable.
        let id = app.create_coupon(STORE, &[("code", "LATE2999"), ("redeem_by", "2999-12-31T23:59")]).await.created_id();
        let page = app.get(&format!("/admin/s/acme/coupons/{id}")).await;
        assert_eq!(page.data_field("state").as_deref(), Some("Active"));
        let listed = app.get("/admin/s/acme/coupons?state=active").await;
        assert!(listed.body.contains("LATE2999"));
        buy(&app, "jane@example.com", "LATE2999", &[(shop.tee, 1)]).await.location_tail();
        let page = app.create_promo(STORE, id, &[("code", "OLDPROMO"), ("expires_at", "1999-12-31T23:59")]).await;
        page.assert_status(422);
        assert!(page.field_error("expires_at").is_some());
    }

    async fn unknown_codes_past_the_limit_answer_429_for_that_client_only(app) {
        let proxied = behind_proxy(&app).await;
        let tee = proxied.create_product("acme", "Tee", "20.00", "USD", "one_time").await;
        proxied.create_coupon(STORE, &[("code", "REAL10")]).await.created_id();
        let guesser = Client::forwarded_for(&proxied.address, "203.0.113.7");
        let mut first_429 = None;
        for i in 0..2000 {
            let page = guesser.get(&format!("/acme?coupon=GUESS{i:05}")).await;
            match page.status.as_u16() {
                200 => assert!(first_429.is_none(), "guess {i} was looked up after a 429"),
                429 => {
                    first_429.get_or_insert(i);
                    assert!(page.body.contains("Too many unknown codes"), "{}", page.body);
                }
                other => panic!("guess {i}: status {other}"),
            }
        }
        assert_eq!(first_429, Some(20), "the 21st unknown code is refused");
        // A real code from the guesser is refused too, without a lookup.
        checkout_as(&guesser, "REAL10", tee).await.assert_status(429);
        // Another client, through the same proxy, is not slowed at all.
        let customer = Client::forwarded_for(&proxied.address, "198.51.100.20");
        let page = checkout_as(&customer, "REAL10", tee).await;
        page.assert_status(200);
        assert_eq!(page.data_field("discount").as_deref(), Some("500"));
        // Without TRUSTED_PROXY the header is ignored: all of loopback is one client.
        let direct = app.new_client();
        direct.setup_owner().await;
        for i in 0..20 {
            Client::forwarded_for(&app.address, &format!("192.0.2.{i}")).get(&format!("/acme?coupon=NOPE{i}")).await.assert_status(200);
        }
        direct.get("/acme?coupon=NOPE99").await.assert_status(429);
    }

    async fn refused_checkouts_store_at_most_64_characters_and_30_a_minute(app) {
        // A guess limit high enough to reach the storage cap.
        let app = spawn_app_with(app.db, |c| c.guess_limit = 1000).await.expect("the same backend");
        let shop = shop(&app).await;
        let huge = "X".repeat(200_000);
        let tee = format!("quantity_{}", shop.tee);
        for _ in 0..40 {
            let page = app.checkout(STORE, &[("email", "a@example.com"), ("coupon", &huge[..70_000]), (tee.as_str(), "1")]).await;
            page.assert_status(422);
            assert_eq!(page.data_field("error").as_deref(), Some("We do not know this code. Check it for typos."));
        }
        let exactly_65 = "A".repeat(65);
        app.checkout(STORE, &[("email", "a@example.com"), ("coupon", &exactly_65), (tee.as_str(), "1")]).await.assert_status(422);
        assert_eq!(app.count("SELECT COUNT(*) AS n FROM checkout_attempts"), 30);
        assert_eq!(app.count("SELECT CAST(MAX(LENGTH(code)) AS BIGINT) AS n FROM checkout_attempts"), 64);
        let orders = app.get("/admin/s/acme/orders").await;
        orders.assert_status(200);
        assert!(orders.body.len() < 200_000, "the orders page stays small: {}", orders.body.len());
    }

    async fn login_failures_throttle_the_failing_client_not_the_account(app) {
        let proxied = behind_proxy(&app).await;
        proxied.logout().await;
        let sprayer = Client::forwarded_for(&proxied.address, "203.0.113.9");
        for i in 0..20 {
            sprayer.login(&format!("user{i}@example.com"), "wrong password").await.assert_status(401);
        }
        let page = sprayer.login("user99@example.com", "wrong password").await;
        page.assert_status(429);
        assert!(page.body.contains("from your network"));
        // Even the right password is not tried from there.
        sprayer.login(OWNER_EMAIL, PASSWORD).await.assert_status(429);
        // An attacker failing on the owner's email locks only itself out.
        let attacker = Client::forwarded_for(&proxied.address, "203.0.113.10");
        for _ in 0..5 {
            attacker.login(OWNER_EMAIL, "wrong password").await.assert_status(401);
        }
        attacker.login(OWNER_EMAIL, "wrong password").await.assert_status(429);
        let page = attacker.login(OWNER_EMAIL, PASSWORD).await;
        page.assert_status(429);
        assert!(page.body.contains("for this email"));
        // The owner, from a client that has not failed, gets in.
        let owner = Client::forwarded_for(&proxied.address, "198.51.100.1");
        owner.login(OWNER_EMAIL, PASSWORD).await.assert_redirect("/admin/s/acme");
        // ...and that does not reset the attacker's count.
        attacker.login(OWNER_EMAIL, PASSWORD).await.assert_status(429);
        // A wrong password and an unknown email read the same.
        let fresh = Client::forwarded_for(&proxied.address, "198.51.100.2");
        let wrong = fresh.login(OWNER_EMAIL, "wrong password").await;
        let unknown = fresh.login("nobody@example.com", "wrong password").await;
        wrong.assert_status(401);
        unknown.assert_status(401);
        assert_eq!(wrong.body.replace(OWNER_EMAIL, "E"), unknown.body.replace("nobody@example.com", "E"));
    }

    async fn csv_imports_refuse_formula_cells_and_short_codes(app) {
        app.setup_owner().await;
        let coupon = app.create_coupon(STORE, &[]).await.created_id();
        let set = app.create_set(STORE, coupon, "Imported", "1", "", "10").await.created_id();
        let csv = "code\n=1+1\n-ABCDEF\n+ABCDEF\n@SUM(A1)\nABCDE\nGOOD-CODE\n";
        let page = app.post_file(&format!("/admin/s/acme/coupon-sets/{set}/import"), csv, true).await;
        page.assert_status(200);
        assert_eq!(page.data_field("added").as_deref(), Some("1"));
        assert_eq!(page.data_field("refused").as_deref(), Some("5"));
        for (line, reason) in [(2, "formula"), (3, "formula"), (4, "formula"), (5, "formula"), (6, "too short")] {
            let row = page.body.split(&format!("data-refused-line=\"{line}\"")).nth(1).unwrap_or_default();
            let row = row.split("</tr>").next().unwrap_or_default();
            assert!(row.contains(reason), "line {line}: {row}");
        }
        let page = app.create_set(STORE, coupon, "Dashing", "1", "-X", "10").await;
        page.assert_status(422);
        assert!(page.field_error("prefix").is_some_and(|m| m.contains("formula")));
    }

    async fn csv_imports_are_capped_and_written_in_batches(app) {
        app.setup_owner().await;
        let coupon = app.create_coupon(STORE, &[]).await.created_id();
        let set = app.create_set(STORE, coupon, "Imported", "1", "", "10").await.created_id();
        let path = format!("/admin/s/acme/coupon-sets/{set}/import");
        let too_many = "A\n".repeat(1_000_001);
        let page = app.post_file(&path, &too_many, true).await;
        page.assert_status(400);
        assert!(page.body.contains("more than 1,000,000 lines"), "{}", page.body);
        let too_big = format!("{}\n", "B".repeat(21 * 1024 * 1024));
        let page = app.post_file(&path, &too_big, true).await;
        page.assert_status(400);
        assert!(page.body.contains("larger than 20 MB"), "{}", page.body);
        assert_eq!(app.count(&format!("SELECT COUNT(*) AS n FROM set_codes WHERE set_id = {set}")), 1);
        // 12,000 codes cross two batch boundaries; a duplicate in a later
        // batch is still named as one.
        let mut csv: String = (0..12_000).map(|i| format!("IMP{i:06}\n")).collect();
        csv.push_str("imp-000001\n");
        let page = app.post_file(&path, &csv, true).await;
        page.assert_status(200);
        assert_eq!(page.data_field("added").as_deref(), Some("12,000"));
        assert_eq!(page.data_field("refused").as_deref(), Some("1"));
        assert!(page.body.contains("duplicate of an earlier line"));
        assert_eq!(app.count(&format!("SELECT COUNT(*) AS n FROM set_codes WHERE set_id = {set}")), 12_001);
        // Every refused line is counted; the first 500 are listed.
        let bad: String = (0..600).map(|i| format!("=BAD{i}\n")).collect();
        let page = app.post_file(&path, &bad, true).await;
        page.assert_status(200);
        assert_eq!(page.data_field("refused").as_deref(), Some("600"));
        assert_eq!(page.body.matches("data-refused-line=").count(), 500);
        assert!(page.body.contains("The first 500 refused lines are shown."));
    }

    async fn a_checkout_field_given_twice_is_refused(app) {
        let shop = shop(&app).await;
        app.create_coupon(STORE, &[]).await.created_id();
        let tee = format!("quantity_{}", shop.tee);
        let page = app.checkout(STORE, &[("email", "a@example.com"), (tee.as_str(), "1"), (tee.as_str(), "5")]).await;
        page.assert_status(400);
        assert!(page.body.contains("twice"), "{}", page.body);
        let page = app.get(&format!("/acme?coupon=SUMMER10&{tee}=1&{tee}=5")).await;
        page.assert_status(400);
        assert_eq!(app.count("SELECT COUNT(*) AS n FROM orders"), 0);
    }

    async fn unread_flash_messages_never_overflow_the_session(app) {
        app.setup_owner().await;
        // A script that posts without following the redirects: no page in
        // between shows (and so clears) the messages.
        let token = app.csrf_token().await;
        for i in 0..120 {
            let name = format!("Product number {i}");
            app.post_raw(
                "/admin/s/acme/products/new",
                &[("csrf_token", token.as_str()), ("name", name.as_str()), ("price", "1.00"), ("currency", "USD"), ("billing", "one_time"), ("interval", "month")],
            )
            .await
            .assert_status(303);
        }
        let page = app.get("/admin/s/acme/products").await;
        page.assert_status(200);
        let shown = page.body.matches("role=\"status\"").count();
        assert!((1..=3).contains(&shown), "{shown} flashes shown");
        assert!(app.cookie_header().len() < 4096);
    }
}
