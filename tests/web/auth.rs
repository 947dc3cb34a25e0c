//! First-run setup, login, throttling and logout.

use crate::db_tests;
use crate::helpers::*;

db_tests! {
    async fn before_setup_login_sends_you_to_setup(app) {
        app.get("/admin/login").await.assert_redirect("/admin/setup");
        app.get("/admin").await.assert_redirect("/admin/login");
        let setup = app.get("/admin/setup").await;
        setup.assert_status(200);
        assert!(setup.body.contains("name=\"store_slug\""));
    }

    async fn setup_runs_only_once(app) {
        app.setup_owner().await;
        let home = app.get("/admin/s/acme").await;
        home.assert_status(200);
        assert!(home.body.contains("Acme Outfitters"));

        // Afterwards the page and the form are gone, for everyone.
        let stranger = app.new_client();
        stranger.get("/admin/setup").await.assert_status(404);
        app.get("/admin/setup").await.assert_status(404);
        let token = stranger.get("/admin/login").await.csrf_token().unwrap_or_default();
        stranger
            .post_raw(
                "/admin/setup",
                &[
                    ("csrf_token", token.as_str()),
                    ("email", "second@example.com"),
                    ("password", PASSWORD),
                    ("store_name", "Second"),
                    ("store_slug", "second"),
                    ("currency", "USD"),
                    ("timezone", "UTC"),
                ],
            )
            .await
            .assert_status(404);
        // Nothing was written: the second account does not exist.
        stranger.login("second@example.com", PASSWORD).await.assert_status(401);
    }

    async fn setup_with_bad_input_shows_every_message_and_writes_nothing(app) {
        let page = app
            .post(
                "/admin/setup",
                &[
                    ("email", "not-an-email"),
                    ("password", "short"),
                    ("store_name", ""),
                    ("store_slug", "Admin"),
                    ("currency", "EURO"),
                    ("timezone", "Mars/Base"),
                ],
            )
            .await;
        page.assert_status(422);
        for field in ["email", "password", "store_name", "store_slug", "currency", "timezone"] {
            assert!(page.field_error(field).is_some(), "no message beside {field}");
        }
        // The typed values come back (but never the password).
        assert!(page.body.contains("value=\"not-an-email\""));
        assert!(!page.body.contains("value=\"short\""));
        app.get("/admin/setup").await.assert_status(200);
    }

    async fn good_login_opens_the_store_picker(app) {
        app.setup_owner().await;
        app.logout().await.assert_redirect("/admin/login?logged_out=1");
        app.get("/admin").await.assert_redirect("/admin/login");

        app.login(" Owner@Example.com ", PASSWORD).await.assert_redirect("/admin/s/acme");
        let picker = app.get("/admin").await;
        picker.assert_status(200);
        assert!(picker.body.contains("data-store=\"acme\""));
        assert!(picker.body.contains(OWNER_EMAIL));
    }

    async fn bad_login_is_refused_with_one_message(app) {
        app.setup_owner().await;
        let client = app.new_client();
        let wrong_password = client.login(OWNER_EMAIL, "wrong password").await;
        wrong_password.assert_status(401);
        assert!(wrong_password.body.contains("The email or password is wrong."));
        let unknown = client.login("nobody@example.com", PASSWORD).await;
        unknown.assert_status(401);
        assert!(unknown.body.contains("The email or password is wrong."));
        let empty = client.login("", "").await;
        empty.assert_status(422);
        assert!(empty.field_error("email").is_some());
        assert!(empty.field_error("password").is_some());
        client.get("/admin").await.assert_redirect("/admin/login");
    }

    async fn five_failed_logins_pause_that_email(app) {
        app.setup_owner().await;
        let client = app.new_client();
        for _ in 0..5 {
            client.login(OWNER_EMAIL, "wrong password").await.assert_status(401);
        }
        // Even the right password is refused now, with a clear message.
        let throttled = client.login(OWNER_EMAIL, PASSWORD).await;
        throttled.assert_status(429);
        assert!(throttled.body.contains("Too many failed logins for this email"));
        assert!(throttled.body.contains("try again in 15 minutes"));
        client.get("/admin").await.assert_redirect("/admin/login");
        // Other emails are not affected.
        app.add_member(STORE, "other@example.com", "viewer").await.assert_status(303);
        client.login("other@example.com", PASSWORD).await.assert_redirect("/admin/s/acme");
    }

    async fn pages_need_a_login(app) {
        app.setup_owner().await;
        let stranger = app.new_client();
        for page in ["/admin", "/admin/stores/new", "/admin/s/acme", "/admin/s/acme/settings"] {
            stranger.get(page).await.assert_redirect("/admin/login");
        }
    }

    async fn health_check_and_static_files_answer(app) {
        let health = app.get("/healthz").await;
        health.assert_status(200);
        assert_eq!(health.body, "ok");
        let ready = app.get("/readyz").await;
        ready.assert_status(200);
        assert_eq!(ready.body, "ready");
        let css = app.get("/static/css/app.css").await;
        css.assert_status(200);
        assert!(css.body.contains(".topbar"));
        app.get("/static/nope.css").await.assert_status(404);
        app.get("/").await.assert_redirect("/admin");
    }
}
