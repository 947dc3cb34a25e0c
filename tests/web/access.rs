//! Store membership and roles: non-members get 404 (as for a store that does
//! not exist), too-low roles get 403.

use crate::db_tests;
use crate::helpers::*;

db_tests! {
    async fn a_member_of_store_a_gets_404_for_every_page_of_store_b(app) {
        app.setup_owner().await;
        app.create_store("Beta Goods", "beta").await.assert_redirect("/admin/s/beta");
        app.add_member(STORE, "manager@example.com", "manager").await.assert_status(303);

        let manager = app.new_client();
        manager.login("manager@example.com", PASSWORD).await.assert_redirect("/admin/s/acme");
        let picker = manager.get("/admin").await;
        assert!(picker.body.contains("data-store=\"acme\""));
        assert!(!picker.body.contains("data-store=\"beta\""));

        let missing = manager.get("/admin/s/no-such-store").await;
        missing.assert_status(404);
        for page in STORE_PAGES {
            manager.get(&format!("/admin/s/acme{page}")).await.assert_status(200);
            let hidden = manager.get(&format!("/admin/s/beta{page}")).await;
            hidden.assert_status(404);
            assert_eq!(hidden.body, missing.body, "store beta{page} must look like no store at all");
            assert!(!hidden.body.contains("Beta Goods"));
        }
        // Every POST: tests/web/routes.rs.
        // Store beta is untouched.
        let settings = app.get("/admin/s/beta/settings").await;
        assert!(settings.body.contains("value=\"Beta Goods\""));
    }

    async fn a_viewer_sees_every_page_read_only(app) {
        app.setup_owner().await;
        app.add_member(STORE, "viewer@example.com", "viewer").await.assert_status(303);
        let viewer = app.new_client();
        viewer.login("viewer@example.com", PASSWORD).await.assert_redirect("/admin/s/acme");
        for page in STORE_PAGES {
            viewer.get(&format!("/admin/s/acme{page}")).await.assert_status(200);
        }
        // Every POST answers 403: tests/web/routes.rs. The settings are
        // shown read-only.
        let read_only = viewer.get("/admin/s/acme/settings").await;
        assert!(read_only.body.contains("Only owners can change these settings."));
        assert!(read_only.body.contains("<fieldset disabled>"));
    }

    async fn only_owners_are_offered_and_allowed_a_new_store(app) {
        app.setup_owner().await;
        let picker = app.get("/admin").await;
        assert!(picker.body.contains("href=\"/admin/stores/new\""), "{}", picker.body);
        for role in ["manager", "viewer"] {
            let email = format!("{role}@example.com");
            app.add_member(STORE, &email, role).await.assert_status(303);
            let member = app.new_client();
            member.login(&email, PASSWORD).await.assert_redirect("/admin/s/acme");
            let picker = member.get("/admin").await;
            picker.assert_status(200);
            assert!(!picker.body.contains("/admin/stores/new"), "{role}: {}", picker.body);
            let form = member.get("/admin/stores/new").await;
            form.assert_status(403);
            assert!(form.body.contains("only store owners can create stores"), "{}", form.body);
            let before = app.count("SELECT COUNT(*) AS n FROM stores");
            member
                .post("/admin/stores/new", &[("name", "Side shop"), ("slug", "side-shop"), ("currency", "USD"), ("timezone", "UTC")])
                .await
                .assert_status(403);
            assert_eq!(app.count("SELECT COUNT(*) AS n FROM stores"), before, "{role} created nothing");
        }
        // The owner still can.
        app.create_store("Beta Goods", "beta").await.assert_redirect("/admin/s/beta");
    }
}
