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
        manager.login("manager@example.com", PASSWORD).await.assert_redirect("/admin");
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
        for (path, fields) in store_posts() {
            manager.post(&format!("/admin/s/beta{path}"), &fields).await.assert_status(404);
        }
        // Store beta is untouched.
        let settings = app.get("/admin/s/beta/settings").await;
        assert!(settings.body.contains("value=\"Beta Goods\""));
    }

    async fn a_viewer_gets_403_on_every_post(app) {
        app.setup_owner().await;
        app.add_member(STORE, "viewer@example.com", "viewer").await.assert_status(303);
        let viewer = app.new_client();
        viewer.login("viewer@example.com", PASSWORD).await.assert_redirect("/admin");
        for page in STORE_PAGES {
            viewer.get(&format!("/admin/s/acme{page}")).await.assert_status(200);
        }
        for (path, fields) in store_posts() {
            let refused = viewer.post(&format!("/admin/s/acme{path}"), &fields).await;
            refused.assert_status(403);
            assert!(refused.body.contains("Not allowed"), "{path}");
        }
        // Nothing was written.
        let settings = app.get("/admin/s/acme/settings").await;
        assert!(settings.body.contains("value=\"Acme Outfitters\""));
        let members = app.get("/admin/s/acme/members").await;
        assert!(!members.body.contains("intruder@example.com"));
        assert!(members.body.contains(OWNER_EMAIL));
        // The viewer sees the settings read-only.
        let read_only = viewer.get("/admin/s/acme/settings").await;
        assert!(read_only.body.contains("Only owners can change these settings."));
        assert!(read_only.body.contains("<fieldset disabled>"));
    }

    async fn a_manager_cannot_change_settings_or_members(app) {
        app.setup_owner().await;
        app.add_member(STORE, "manager@example.com", "manager").await.assert_status(303);
        let manager = app.new_client();
        manager.login("manager@example.com", PASSWORD).await.assert_redirect("/admin");
        let owner_only = store_posts()
            .into_iter()
            .filter(|(path, _)| path.starts_with("/settings") || path.starts_with("/members"));
        for (path, fields) in owner_only {
            manager.post(&format!("/admin/s/acme{path}"), &fields).await.assert_status(403);
        }
    }
}
