//! Setup needs the session's CSRF token like every other POST (each one is
//! checked from the route table in tests/web/routes.rs).

use crate::db_tests;
use crate::helpers::*;

db_tests! {
    async fn setup_without_a_token_is_refused(app) {
        let fields = [
            ("email", OWNER_EMAIL),
            ("password", PASSWORD),
            ("store_name", "Acme"),
            ("store_slug", "acme"),
            ("currency", "USD"),
            ("timezone", "UTC"),
        ];
        app.post_raw("/admin/setup", &fields).await.assert_status(403);
        let mut wrong = vec![("csrf_token", "0000")];
        wrong.extend_from_slice(&fields);
        app.post_raw("/admin/setup", &wrong).await.assert_status(403);
        // A fresh client with no session cookie at all.
        let token = app.csrf_token().await;
        let mut foreign = vec![("csrf_token", token.as_str())];
        foreign.extend_from_slice(&fields);
        app.new_client().post_raw("/admin/setup", &foreign).await.assert_status(403);
        // Nothing was written: setup is still open.
        app.get("/admin/setup").await.assert_status(200);
    }
}
