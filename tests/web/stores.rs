//! Creating stores, their settings and their members.

use crate::db_tests;
use crate::helpers::*;

db_tests! {
    async fn bad_store_slugs_are_refused_beside_the_field(app) {
        app.setup_owner().await;
        let cases = [
            ("admin", "reserved"),
            ("setup", "reserved"),
            ("MyStore", "lowercase"),
            ("my store", "lowercase letters"),
            ("ab", "3 to 40 characters"),
            ("", "Enter a slug"),
            (STORE, "taken"),
        ];
        for (slug, message) in cases {
            let page = app.create_store("Second store", slug).await;
            page.assert_status(422);
            let error = page.field_error("slug").unwrap_or_default();
            assert!(error.contains(message), "slug {slug:?}: {error:?} lacks {message:?}");
            assert!(page.body.contains("value=\"Second store\""), "typed values come back");
        }
        // The setup form applies the same rules (and so does the settings form).
        let settings = app
            .update_settings(STORE, &[("name", "Acme"), ("slug", "API"), ("currency", "USD"), ("timezone", "UTC")])
            .await;
        settings.assert_status(422);
        assert!(settings.field_error("slug").unwrap_or_default().contains("lowercase"));
        // Nothing was written.
        let picker = app.get("/admin").await;
        assert_eq!(picker.body.matches("data-store=").count(), 1);
        let settings = app.get("/admin/s/acme/settings").await;
        assert!(settings.body.contains("value=\"Acme Outfitters\""));
    }

    async fn a_duplicate_slug_is_refused_on_the_settings_form(app) {
        app.setup_owner().await;
        app.create_store("Beta", "beta").await.assert_redirect("/admin/s/beta");
        let page = app
            .update_settings("beta", &[("name", "Beta"), ("slug", STORE), ("currency", "EUR"), ("timezone", "UTC")])
            .await;
        page.assert_status(422);
        assert!(page.field_error("slug").unwrap_or_default().contains("taken"));
        app.get("/admin/s/beta").await.assert_status(200);
    }

    async fn a_new_store_makes_its_creator_the_owner(app) {
        app.setup_owner().await;
        app.create_store("Beta Goods", "beta-goods").await.assert_redirect("/admin/s/beta-goods");
        let home = app.get("/admin/s/beta-goods").await;
        home.assert_status(200);
        assert!(home.body.contains("Store created. You are its owner."));
        assert!(home.body.contains("Beta Goods"));
        let picker = app.get("/admin").await;
        assert!(picker.body.contains("data-store=\"acme\""));
        assert!(picker.body.contains("data-store=\"beta-goods\""));
        let members = app.get("/admin/s/beta-goods/members").await;
        assert!(members.body.contains(OWNER_EMAIL));
        assert!(members.body.contains("Owner"));
    }

    async fn owners_change_settings_and_a_new_slug_moves_the_store(app) {
        app.setup_owner().await;
        let saved = app
            .update_settings(
                STORE,
                &[
                    ("name", "Acme Two"),
                    ("slug", "acme-two"),
                    ("currency", "JPY"),
                    ("timezone", "Asia/Tokyo"),
                    ("public_base_url", "https://shop.example/"),
                ],
            )
            .await;
        saved.assert_redirect("/admin/s/acme-two/settings");
        let page = app.get("/admin/s/acme-two/settings").await;
        assert!(page.body.contains("Settings saved."));
        assert!(page.body.contains("value=\"Acme Two\""));
        assert!(page.body.contains("<option value=\"JPY\" selected>"));
        assert!(page.body.contains("<option value=\"Asia/Tokyo\" selected>"));
        assert!(page.body.contains("value=\"https://shop.example\""));
        app.get("/admin/s/acme").await.assert_status(404);
        let home = app.get("/admin/s/acme-two").await;
        assert!(home.body.contains("https://shop.example/acme-two?coupon="));
    }

    async fn owners_add_members_who_can_then_log_in(app) {
        app.setup_owner().await;
        let added = app.add_member(STORE, "Jane@Example.com", "manager").await;
        added.assert_redirect("/admin/s/acme/members");
        let members = app.get("/admin/s/acme/members").await;
        assert!(members.body.contains("Account jane@example.com created and added as manager."));
        assert!(members.body.contains("data-member=\"jane@example.com\""));

        let jane = app.new_client();
        jane.login("jane@example.com", PASSWORD).await.assert_redirect("/admin");
        jane.get("/admin/s/acme").await.assert_status(200);

        // Changing her role needs no password.
        let demoted = app
            .post("/admin/s/acme/members", &[("email", "jane@example.com"), ("password", ""), ("role", "viewer")])
            .await;
        demoted.assert_redirect("/admin/s/acme/members");
        let members = app.get("/admin/s/acme/members").await;
        assert!(members.body.contains("jane@example.com is now viewer."));
    }

    async fn member_form_errors_are_shown_and_write_nothing(app) {
        app.setup_owner().await;
        let no_password = app
            .post("/admin/s/acme/members", &[("email", "new@example.com"), ("password", ""), ("role", "viewer")])
            .await;
        no_password.assert_status(422);
        assert!(no_password.field_error("password").unwrap_or_default().contains("set a password"));
        let bad = app
            .post("/admin/s/acme/members", &[("email", "nope"), ("password", "x"), ("role", "god")])
            .await;
        bad.assert_status(422);
        assert!(bad.field_error("email").is_some());
        assert!(bad.field_error("role").is_some());
        let last_owner = app
            .post("/admin/s/acme/members", &[("email", OWNER_EMAIL), ("password", ""), ("role", "viewer")])
            .await;
        last_owner.assert_status(422);
        assert!(last_owner.field_error("role").unwrap_or_default().contains("only owner"));
        let members = app.get("/admin/s/acme/members").await;
        assert!(!members.body.contains("new@example.com"));
        assert_eq!(members.body.matches("data-member=").count(), 1);
        assert!(members.body.contains("Owner"));
    }
}
