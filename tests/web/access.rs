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
}
