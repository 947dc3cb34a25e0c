//! Members: invitations by one-time link (SPEC section 8), roles, removal,
//! and the user's own password.

use crate::db_tests;
use crate::helpers::*;

/// The user id in a member row's role form.
fn member_id(page: &Page, email: &str) -> i64 {
    let row = page
        .body
        .find(&format!("data-member=\"{email}\""))
        .expect("the member's row");
    let action =
        page.body[row..].find("/members/").expect("a member form") + row + "/members/".len();
    page.body[action..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .expect("a user id")
}

/// The page without the parts that differ between two invitations anyway.
fn neutral(body: &str, email: &str) -> String {
    let mut out = body.replace(email, "EMAIL");
    while let Some(at) = out.find("/admin/invite/") {
        let start = at + "/admin/invite/".len();
        let end = out[start..]
            .find(|c: char| !c.is_ascii_hexdigit())
            .map_or(out.len(), |n| start + n);
        out.replace_range(at..end, "LINK");
    }
    out
}

db_tests! {
    async fn an_invitation_says_the_same_whether_or_not_the_email_has_an_account(app) {
        app.setup_owner().await;
        app.add_member(STORE, "known@example.com", "viewer").await.assert_status(303);
        app.create_store("Beta Goods", "beta").await.assert_status(303);
        let known = app.invite("beta", "known@example.com", "manager").await;
        let unknown = app.invite("beta", "unknown@example.com", "manager").await;
        known.assert_status(200);
        unknown.assert_status(200);
        assert!(known.body.contains("Invitation ready"));
        // The two answers differ only in the email and the link (and the
        // list of open invitations, which holds both by now).
        let cut = |body: &str| body[body.find("Invitation ready").unwrap_or(0)..body.find("Open invitations").unwrap_or(body.len())].to_string();
        assert_eq!(
            neutral(&cut(&known.body), "known@example.com"),
            neutral(&cut(&unknown.body), "unknown@example.com")
        );
        // Nobody joined without accepting: beta has its owner only, and
        // beta is not in the known account's store picker.
        let members = app.get("/admin/s/beta/members").await;
        assert_eq!(members.body.matches("data-member=").count(), 1);
        assert_eq!(members.body.matches("data-invitation=").count(), 2);
        let known_user = app.new_client();
        known_user.login("known@example.com", PASSWORD).await.assert_redirect("/admin/s/acme");
        let picker = known_user.get("/admin").await;
        assert!(!picker.body.contains("Beta Goods"), "{}", picker.body);
        known_user.get("/admin/s/beta").await.assert_status(404);
    }

    async fn a_new_invitee_chooses_a_password_and_lands_in_the_store(app) {
        app.setup_owner().await;
        let link = app.invite_path(STORE, "Jane@Example.com", "manager").await;
        let jane = app.new_client();
        let page = jane.get(&link).await;
        page.assert_status(200);
        assert!(page.body.contains("Join Acme Outfitters"));
        assert!(page.body.contains("Choose a password"));
        assert_eq!(page.data_field("email").as_deref(), Some("jane@example.com"));
        let short = jane.post(&link, &[("password", "short")]).await;
        short.assert_status(422);
        assert!(short.field_error("password").unwrap_or_default().contains("at least 8"));
        assert_eq!(app.count("SELECT COUNT(*) AS n FROM users"), 1);
        jane.post(&link, &[("password", PASSWORD)]).await.assert_redirect("/admin/s/acme");
        let home = jane.get("/admin/s/acme").await;
        home.assert_status(200);
        assert!(home.body.contains("Welcome to Acme Outfitters: you joined as Manager."));
        // A manager can work: create a product.
        jane.create_product(STORE, "Pro plan", "9.99", "USD", "one_time").await;
        // She can log in again later with that password.
        let again = app.new_client();
        again.login("jane@example.com", PASSWORD).await.assert_redirect("/admin/s/acme");
        // The link worked once.
        let used = app.new_client().get(&link).await;
        used.assert_status(404);
        assert!(used.body.contains("This invitation link does not work"));
        let reused = app.new_client().post(&link, &[("password", "another password")]).await;
        reused.assert_status(404);
        let members = app.get("/admin/s/acme/members").await;
        assert!(!members.body.contains("data-invitation="));
        assert_eq!(members.body.matches("data-member=").count(), 2);
    }

    async fn an_invitee_with_an_account_logs_in_to_accept(app) {
        app.setup_owner().await;
        app.add_member(STORE, "sam@example.com", "viewer").await.assert_status(303);
        app.create_store("Beta Goods", "beta").await.assert_status(303);
        let link = app.invite_path("beta", "sam@example.com", "viewer").await;
        let sam = app.new_client();
        let page = sam.get(&link).await;
        assert!(page.body.contains("already has a Promodesk account"));
        let wrong = sam.post(&link, &[("password", "not my password")]).await;
        wrong.assert_status(401);
        assert!(wrong.field_error("password").unwrap_or_default().contains("wrong"));
        sam.get("/admin").await.assert_redirect("/admin/login");
        // Her password is not overwritten by a new one either.
        sam.post(&link, &[("password", PASSWORD)]).await.assert_redirect("/admin/s/beta");
        sam.get("/admin/s/beta").await.assert_status(200);
        sam.get("/admin/s/acme").await.assert_status(200);
    }

    async fn a_logged_in_invitee_accepts_with_one_click_and_nobody_else_can(app) {
        app.setup_owner().await;
        app.add_member(STORE, "sam@example.com", "viewer").await.assert_status(303);
        app.add_member(STORE, "eve@example.com", "viewer").await.assert_status(303);
        app.create_store("Beta Goods", "beta").await.assert_status(303);
        let link = app.invite_path("beta", "sam@example.com", "manager").await;
        // Logged in as another account: told to log out, and refused.
        let eve = app.new_client();
        eve.login("eve@example.com", PASSWORD).await.assert_redirect("/admin/s/acme");
        let page = eve.get(&link).await;
        assert!(page.body.contains("but you are logged in as"));
        eve.post(&link, &[]).await.assert_status(403);
        eve.get("/admin/s/beta").await.assert_status(404);
        // Sam, logged in, accepts without typing anything.
        let sam = app.new_client();
        sam.login("sam@example.com", PASSWORD).await.assert_redirect("/admin/s/acme");
        assert!(sam.get(&link).await.body.contains("Accept and open Beta Goods"));
        sam.post(&link, &[]).await.assert_redirect("/admin/s/beta");
        let members = app.get("/admin/s/beta/members").await;
        assert_eq!(members.data_field("role").as_deref(), Some("owner"));
        assert!(members.body.contains("data-member=\"sam@example.com\""));
    }

    async fn invitations_run_out_after_7_days_and_can_be_withdrawn_or_replaced(app) {
        app.setup_owner().await;
        let old = app.invite_path(STORE, "a@example.com", "viewer").await;
        let new = app.invite_path(STORE, "a@example.com", "manager").await;
        // Inviting the email again replaces the link.
        app.new_client().get(&old).await.assert_status(404);
        app.new_client().get(&new).await.assert_status(200);
        let members = app.get("/admin/s/acme/members").await;
        assert_eq!(members.body.matches("data-invitation=").count(), 1);
        // 7 days later (SQL moves the clock; no page can) it does not work.
        app.execute_sql(&format!(
            "UPDATE invitations SET expires_at = '{}'",
            (chrono::Utc::now().naive_utc() - chrono::TimeDelta::minutes(1)).format("%Y-%m-%d %H:%M:%S")
        ));
        app.new_client().get(&new).await.assert_status(404);
        app.new_client().post(&new, &[("password", PASSWORD)]).await.assert_status(404);
        assert_eq!(app.count("SELECT COUNT(*) AS n FROM users"), 1);
        // Withdrawn: the link stops working at once.
        let link = app.invite_path(STORE, "b@example.com", "viewer").await;
        let id = app.count("SELECT MAX(id) AS n FROM invitations");
        app.post(&format!("/admin/s/acme/members/invitations/{id}/revoke"), &[])
            .await
            .assert_redirect("/admin/s/acme/members");
        assert!(app.get("/admin/s/acme/members").await.body.contains("Invitation withdrawn"));
        app.new_client().get(&link).await.assert_status(404);
        app.post(&format!("/admin/s/acme/members/invitations/{id}/revoke"), &[]).await.assert_status(404);
    }

    async fn the_member_form_refuses_bad_input_and_current_members(app) {
        app.setup_owner().await;
        let bad = app.invite(STORE, "nope", "god").await;
        bad.assert_status(422);
        assert!(bad.field_error("email").is_some());
        assert!(bad.field_error("role").is_some());
        let member = app.invite(STORE, OWNER_EMAIL, "viewer").await;
        member.assert_status(422);
        assert!(member.field_error("email").unwrap_or_default().contains("member already"));
        let nul = app.invite(STORE, "a\u{0}b@example.com", "viewer").await;
        nul.assert_status(422);
        assert_eq!(app.count("SELECT COUNT(*) AS n FROM invitations"), 0);
    }

    async fn owners_change_roles_and_a_store_keeps_an_owner(app) {
        app.setup_owner().await;
        app.add_member(STORE, "jane@example.com", "viewer").await.assert_status(303);
        let members = app.get("/admin/s/acme/members").await;
        let jane = member_id(&members, "jane@example.com");
        app.post(&format!("/admin/s/acme/members/{jane}/role"), &[("role", "owner")])
            .await
            .assert_redirect("/admin/s/acme/members");
        assert!(app.get("/admin/s/acme/members").await.body.contains("Role changed to Owner."));
        // With two owners, Jane can demote the first one.
        let jane_client = app.new_client();
        jane_client.login("jane@example.com", PASSWORD).await.assert_redirect("/admin/s/acme");
        let first = app.count(&format!("SELECT id AS n FROM users WHERE email = '{OWNER_EMAIL}'"));
        jane_client
            .post(&format!("/admin/s/acme/members/{first}/role"), &[("role", "viewer")])
            .await
            .assert_redirect("/admin/s/acme/members");
        // Now Jane is the only owner, and the first user cannot demote her.
        app.post(&format!("/admin/s/acme/members/{jane}/role"), &[("role", "viewer")])
            .await
            .assert_status(403);
        assert_eq!(
            app.count("SELECT COUNT(*) AS n FROM memberships WHERE role = 'owner'"),
            1
        );
        jane_client
            .post(&format!("/admin/s/acme/members/{jane}/role"), &[("role", "viewer")])
            .await
            .assert_redirect("/admin/s/acme/members");
        assert!(jane_client.get("/admin/s/acme/members").await.body.contains("only owner"));
        assert_eq!(
            app.count("SELECT COUNT(*) AS n FROM memberships WHERE role = 'owner'"),
            1
        );
        jane_client.post(&format!("/admin/s/acme/members/{jane}/role"), &[("role", "bogus")])
            .await
            .assert_status(400);
        jane_client.post("/admin/s/acme/members/999999/role", &[("role", "viewer")])
            .await
            .assert_status(404);
    }

    async fn a_password_change_ends_every_other_session(app) {
        app.setup_owner().await;
        let laptop = app.new_client();
        laptop.login(OWNER_EMAIL, PASSWORD).await.assert_redirect("/admin/s/acme");
        let copied = app.cookie_header();
        let page = app.get("/admin/account").await;
        page.assert_status(200);
        assert_eq!(page.data_field("email").as_deref(), Some(OWNER_EMAIL));
        let wrong = app
            .post("/admin/account", &[("current_password", "wrong password"), ("password", "a new password")])
            .await;
        wrong.assert_status(422);
        assert!(wrong.field_error("current_password").unwrap_or_default().contains("wrong"));
        let short = app
            .post("/admin/account", &[("current_password", PASSWORD), ("password", "short")])
            .await;
        short.assert_status(422);
        assert!(short.field_error("password").is_some());
        // Nothing changed so far.
        laptop.get("/admin").await.assert_status(200);
        app.post("/admin/account", &[("current_password", PASSWORD), ("password", "a new password")])
            .await
            .assert_redirect("/admin/account");
        assert!(app.get("/admin/account").await.body.contains("Password changed."));
        // This browser goes on; the laptop and the copied old cookie do not.
        app.get("/admin/s/acme").await.assert_status(200);
        laptop.get("/admin/s/acme").await.assert_redirect("/admin/login");
        Client::get_with_cookie(&app.address, "/admin/s/acme", &copied).await.assert_redirect("/admin/login");
        // Only the new password logs in.
        let other = app.new_client();
        other.login(OWNER_EMAIL, PASSWORD).await.assert_status(401);
        other.login(OWNER_EMAIL, "a new password").await.assert_redirect("/admin/s/acme");
    }

    async fn the_account_page_needs_a_login(app) {
        app.setup_owner().await;
        let stranger = app.new_client();
        stranger.get("/admin/account").await.assert_redirect("/admin/login");
    }
}
