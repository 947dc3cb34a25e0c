//! Creating stores and their settings (members: `members.rs`).

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
}
