//! Every POST needs the session's CSRF token: without it or with a wrong
//! one, 403 and nothing written.

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

    async fn store_posts_without_a_valid_token_write_nothing(app) {
        app.setup_owner().await;
        let new_store = [
            ("name", "Beta"),
            ("slug", "beta"),
            ("currency", "EUR"),
            ("timezone", "UTC"),
            ("public_base_url", ""),
        ];
        let mut posts: Vec<(String, Vec<(&str, &str)>)> = vec![("/admin/stores/new".into(), new_store.to_vec())];
        for (path, fields) in store_posts() {
            posts.push((format!("/admin/s/acme{path}"), fields));
        }
        for (path, fields) in &posts {
            let refused = app.post_raw(path, fields).await;
            refused.assert_status(403);
            assert!(refused.body.contains("security token"), "{path}");
            let mut wrong = vec![("csrf_token", "not-the-token")];
            wrong.extend_from_slice(fields);
            app.post_raw(path, &wrong).await.assert_status(403);
        }
        // Nothing changed: one store, its old name, one member.
        let picker = app.get("/admin").await;
        assert!(picker.body.contains("data-store=\"acme\""));
        assert!(!picker.body.contains("data-store=\"beta\""));
        assert!(!picker.body.contains("data-store=\"hijacked\""));
        let members = app.get("/admin/s/acme/members").await;
        assert!(members.body.contains(OWNER_EMAIL));
        assert!(!members.body.contains("intruder@example.com"));
        // Logout and login are guarded too.
        app.post_raw("/admin/logout", &[]).await.assert_status(403);
        app.get("/admin").await.assert_status(200);
        app.new_client()
            .post_raw("/admin/login", &[("email", OWNER_EMAIL), ("password", PASSWORD)])
            .await
            .assert_status(403);
    }
}
