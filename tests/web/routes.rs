//! Every POST route of the router, from one table: without a valid CSRF
//! token it is 403 and writes nothing; viewers get 403 on every change;
//! managers get 403 on owners' routes and can do everything else; a member
//! of another store gets 404. A route added to the router without a row here
//! fails `the_table_lists_every_post_route_of_the_router`.

use crate::checkout::{buy, shop};
use crate::db_tests;
use crate::helpers::*;

/// The least a client must be to use a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    /// Anyone, logged in or not (the public checkout, login, setup).
    Public,
    /// Any logged-in user.
    Staff,
    Manager,
    Owner,
}

/// The ids the rows' paths point at; the `doomed_` ones are for deletes.
#[derive(Debug, Default)]
struct Fixture {
    coupon: i64,
    doomed_coupon: i64,
    product: i64,
    promo: i64,
    doomed_promo: i64,
    set: i64,
    doomed_set: i64,
    order: i64,
    spare_member: i64,
    invitation: i64,
    invite_token: String,
    api_key: i64,
    webhook: i64,
}

struct Row {
    /// The router's pattern, exactly as `route_table` names it.
    route: &'static str,
    who: Who,
    path: String,
    fields: Vec<(String, String)>,
    /// A CSV upload (multipart) instead of a form.
    upload: bool,
    /// The status a user with the right role gets.
    ok: u16,
}

fn row(route: &'static str, who: Who, path: String, fields: &[(&str, &str)]) -> Row {
    Row {
        route,
        who,
        path,
        fields: fields
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        upload: false,
        ok: 303,
    }
}

/// Every POST route, in an order a manager can run them one after another.
fn rows(fx: &Fixture) -> Vec<Row> {
    use Who::*;
    let s = "/admin/s/acme";
    let coupon = fx.coupon.to_string();
    let quantity = format!("quantity_{}", fx.product);
    let product_form = [
        ("name", "Mug"),
        ("price", "9.00"),
        ("currency", "USD"),
        ("billing", "one_time"),
        ("interval", "month"),
    ];
    let new_coupon = coupon_form(&[("code", "BYMANAGER")]);
    let edit_coupon: Vec<(String, String)> =
        coupon_form(&[("code", "ROUTES"), ("name", "Renamed")]);
    let promo_edit = [
        ("customer", ""),
        ("max_redemptions", "5"),
        ("expires_at", ""),
        ("minimum_amount", ""),
        ("minimum_amount_currency", ""),
    ];
    let mut all = vec![
        row(
            "/admin/setup",
            Public,
            "/admin/setup".into(),
            &[
                ("email", "x@example.com"),
                ("password", PASSWORD),
                ("store_name", "X"),
                ("store_slug", "x"),
                ("currency", "USD"),
                ("timezone", "UTC"),
            ],
        ),
        row(
            "/admin/login",
            Public,
            "/admin/login".into(),
            &[("email", OWNER_EMAIL), ("password", PASSWORD)],
        ),
        row("/admin/logout", Staff, "/admin/logout".into(), &[]),
        row(
            "/admin/account",
            Staff,
            "/admin/account".into(),
            &[
                ("current_password", PASSWORD),
                ("password", "a brand new password"),
            ],
        ),
        row(
            "/admin/invite/{token}",
            Public,
            format!("/admin/invite/{}", fx.invite_token),
            &[("password", PASSWORD)],
        ),
        row(
            "/admin/stores/new",
            Staff,
            "/admin/stores/new".into(),
            &[
                ("name", "Gamma"),
                ("slug", "gamma"),
                ("currency", "USD"),
                ("timezone", "UTC"),
                ("public_base_url", ""),
            ],
        ),
        row(
            "/{store}/checkout",
            Public,
            "/acme/checkout".into(),
            &[
                ("email", "buyer@example.com"),
                ("coupon", "ROUTES"),
                (quantity.as_str(), "1"),
            ],
        ),
        Row {
            fields: new_coupon,
            ..row(
                "/admin/s/{store}/coupons/new",
                Manager,
                format!("{s}/coupons/new"),
                &[],
            )
        },
        Row {
            fields: edit_coupon,
            ..row(
                "/admin/s/{store}/coupons/{id}/edit",
                Manager,
                format!("{s}/coupons/{}/edit", fx.coupon),
                &[],
            )
        },
        row(
            "/admin/s/{store}/coupons/archive-selected",
            Manager,
            format!("{s}/coupons/archive-selected"),
            &[("ids", &fx.doomed_coupon.to_string()), ("confirmed", "1")],
        ),
        row(
            "/admin/s/{store}/coupons/{id}/archive",
            Manager,
            format!("{s}/coupons/{}/archive", fx.coupon),
            &[],
        ),
        row(
            "/admin/s/{store}/coupons/{id}/unarchive",
            Manager,
            format!("{s}/coupons/{}/unarchive", fx.coupon),
            &[],
        ),
        row(
            "/admin/s/{store}/coupons/{id}/resume",
            Manager,
            format!("{s}/coupons/{}/resume", fx.coupon),
            &[],
        ),
        row(
            "/admin/s/{store}/coupons/{id}/delete",
            Manager,
            format!("{s}/coupons/{}/delete", fx.doomed_coupon),
            &[],
        ),
        row(
            "/admin/s/{store}/products/new",
            Manager,
            format!("{s}/products/new"),
            &product_form,
        ),
        row(
            "/admin/s/{store}/products/{id}",
            Manager,
            format!("{s}/products/{}", fx.product),
            &[
                ("name", "Tee (renamed)"),
                ("price", "20.00"),
                ("currency", "USD"),
                ("billing", "one_time"),
                ("interval", "month"),
            ],
        ),
        row(
            "/admin/s/{store}/products/{id}/archive",
            Manager,
            format!("{s}/products/{}/archive", fx.product),
            &[],
        ),
        row(
            "/admin/s/{store}/products/{id}/unarchive",
            Manager,
            format!("{s}/products/{}/unarchive", fx.product),
            &[],
        ),
        Row {
            fields: promo_form(fx.coupon, &[("code", "MANAGER-PROMO")]),
            ..row(
                "/admin/s/{store}/promotion-codes/new",
                Manager,
                format!("{s}/promotion-codes/new"),
                &[],
            )
        },
        row(
            "/admin/s/{store}/promotion-codes/{id}/edit",
            Manager,
            format!("{s}/promotion-codes/{}/edit", fx.promo),
            &promo_edit,
        ),
        row(
            "/admin/s/{store}/promotion-codes/deactivate-selected",
            Manager,
            format!("{s}/promotion-codes/deactivate-selected"),
            &[("ids", &fx.doomed_promo.to_string()), ("confirmed", "1")],
        ),
        row(
            "/admin/s/{store}/promotion-codes/{id}/deactivate",
            Manager,
            format!("{s}/promotion-codes/{}/deactivate", fx.promo),
            &[],
        ),
        row(
            "/admin/s/{store}/promotion-codes/{id}/reactivate",
            Manager,
            format!("{s}/promotion-codes/{}/reactivate", fx.promo),
            &[],
        ),
        row(
            "/admin/s/{store}/promotion-codes/{id}/resume",
            Manager,
            format!("{s}/promotion-codes/{}/resume", fx.promo),
            &[],
        ),
        row(
            "/admin/s/{store}/promotion-codes/{id}/rotate",
            Manager,
            format!("{s}/promotion-codes/{}/rotate", fx.promo),
            &[],
        ),
        row(
            "/admin/s/{store}/promotion-codes/{id}/delete",
            Manager,
            format!("{s}/promotion-codes/{}/delete", fx.doomed_promo),
            &[],
        ),
        row(
            "/admin/s/{store}/coupon-sets/new",
            Manager,
            format!("{s}/coupon-sets/new"),
            &[
                ("name", "By manager"),
                ("coupon_id", coupon.as_str()),
                ("count", "3"),
                ("prefix", ""),
                ("code_length", "10"),
            ],
        ),
        row(
            "/admin/s/{store}/coupon-sets/{id}/generate",
            Manager,
            format!("{s}/coupon-sets/{}/generate", fx.set),
            &[("count", "2")],
        ),
        Row {
            upload: true,
            ok: 200,
            ..row(
                "/admin/s/{store}/coupon-sets/{id}/import",
                Manager,
                format!("{s}/coupon-sets/{}/import", fx.set),
                &[],
            )
        },
        row(
            "/admin/s/{store}/coupon-sets/{id}/delete",
            Manager,
            format!("{s}/coupon-sets/{}/delete", fx.doomed_set),
            &[],
        ),
        row(
            "/admin/s/{store}/customers",
            Manager,
            format!("{s}/customers"),
            &[("email", "walkin@example.com")],
        ),
        row(
            "/admin/s/{store}/orders/{id}/refund",
            Manager,
            format!("{s}/orders/{}/refund", fx.order),
            &[],
        ),
        row(
            "/admin/s/{store}/settings",
            Owner,
            format!("{s}/settings"),
            &[
                ("name", "Hijacked"),
                ("slug", "hijacked"),
                ("currency", "USD"),
                ("timezone", "UTC"),
                ("public_base_url", ""),
            ],
        ),
        row(
            "/admin/s/{store}/members",
            Owner,
            format!("{s}/members"),
            &[("email", "intruder@example.com"), ("role", "owner")],
        ),
        row(
            "/admin/s/{store}/members/{user_id}/role",
            Owner,
            format!("{s}/members/{}/role", fx.spare_member),
            &[("role", "owner")],
        ),
        row(
            "/admin/s/{store}/members/invitations/{id}/revoke",
            Owner,
            format!("{s}/members/invitations/{}/revoke", fx.invitation),
            &[],
        ),
        row(
            "/admin/s/{store}/members/{user_id}/remove",
            Owner,
            format!("{s}/members/{}/remove", fx.spare_member),
            &[],
        ),
        row(
            "/admin/s/{store}/api-keys",
            Owner,
            format!("{s}/api-keys"),
            &[("name", "Intruder"), ("scope", "write")],
        ),
        row(
            "/admin/s/{store}/api-keys/{id}/revoke",
            Owner,
            format!("{s}/api-keys/{}/revoke", fx.api_key),
            &[],
        ),
        row(
            "/admin/s/{store}/webhooks",
            Owner,
            format!("{s}/webhooks"),
            &[("url", "https://intruder.example/hooks")],
        ),
        row(
            "/admin/s/{store}/webhooks/{id}/disable",
            Owner,
            format!("{s}/webhooks/{}/disable", fx.webhook),
            &[],
        ),
        row(
            "/admin/s/{store}/webhooks/{id}/enable",
            Owner,
            format!("{s}/webhooks/{}/enable", fx.webhook),
            &[],
        ),
        row(
            "/admin/s/{store}/webhooks/{id}/resend/{delivery}",
            Owner,
            format!("{s}/webhooks/{}/resend/1", fx.webhook),
            &[],
        ),
        row(
            "/admin/s/{store}/webhooks/{id}/delete",
            Owner,
            format!("{s}/webhooks/{}/delete", fx.webhook),
            &[],
        ),
    ];
    // The owner's invite and key forms answer with the link or the key on
    // the page.
    for row in all.iter_mut().filter(|r| {
        [
            "/admin/s/{store}/members",
            "/admin/s/{store}/api-keys",
            "/admin/s/{store}/webhooks",
        ]
        .contains(&r.route)
    }) {
        row.ok = 200;
    }
    all
}

const UPLOAD: &str = "code\nROUTE-IMPORT-1\n";

impl Row {
    /// Posts the row's form (or upload) with a valid token.
    async fn post(&self, client: &Client) -> Page {
        if self.upload {
            return client.post_file(&self.path, UPLOAD, true).await;
        }
        let fields: Vec<(&str, &str)> = self
            .fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        client.post(&self.path, &fields).await
    }

    fn in_store(&self) -> bool {
        matches!(self.who, Who::Manager | Who::Owner)
    }
}

/// The store `acme` with one of everything a POST route can point at.
async fn fixture(app: &TestApp) -> Fixture {
    let shop = shop(app).await;
    let coupon = app
        .create_coupon(STORE, &[("code", "ROUTES")])
        .await
        .created_id();
    let doomed_coupon = app
        .create_coupon(STORE, &[("code", "DOOMED")])
        .await
        .created_id();
    let promo = app
        .create_promo(STORE, coupon, &[("code", "ROUTE-PROMO")])
        .await
        .created_id();
    let doomed_promo = app
        .create_promo(STORE, coupon, &[("code", "DOOMED-PROMO")])
        .await
        .created_id();
    let set = app
        .create_set(STORE, coupon, "Routes", "3", "", "10")
        .await
        .created_id();
    let doomed_set = app
        .create_set(STORE, coupon, "Doomed", "2", "", "10")
        .await
        .created_id();
    let receipt = buy(app, "jane@example.com", "ROUTES", &[(shop.tee, 1)])
        .await
        .location_tail();
    let order = app.count(&format!(
        "SELECT id AS n FROM orders WHERE public_id = '{receipt}'"
    ));
    // Paused by a velocity limit, so that resuming them writes.
    app.execute_sql(&format!(
        "UPDATE coupons SET paused_at = created_at WHERE id = {coupon}"
    ));
    app.execute_sql(&format!(
        "UPDATE promotion_codes SET paused_at = created_at WHERE id = {promo}"
    ));
    app.add_member(STORE, "spare@example.com", "viewer")
        .await
        .assert_status(303);
    let spare_member = app.count("SELECT id AS n FROM users WHERE email = 'spare@example.com'");
    let link = app
        .invite_path(STORE, "invitee@example.com", "viewer")
        .await;
    let invite_token = link.rsplit('/').next().unwrap_or_default().to_string();
    app.invite(STORE, "pending@example.com", "viewer")
        .await
        .assert_status(200);
    let invitation = app.count("SELECT MAX(id) AS n FROM invitations");
    crate::api::create_key(app, STORE, "Route key", "write").await;
    let api_key = app.count("SELECT MAX(id) AS n FROM api_keys");
    // An endpoint for an event nothing here makes: no delivery runs in the
    // background while the tests compare fingerprints.
    let (webhook, _) =
        crate::webhooks::add_endpoint(app, "http://127.0.0.1:9/hooks", &["code.paused"]).await;
    Fixture {
        coupon,
        doomed_coupon,
        product: shop.tee,
        promo,
        doomed_promo,
        set,
        doomed_set,
        order,
        spare_member,
        invitation,
        invite_token,
        api_key,
        webhook,
    }
}

/// A client logged in as a new member of `store` with `role`.
async fn member(app: &TestApp, store: &str, email: &str, role: &str) -> Client {
    app.add_member(store, email, role).await.assert_status(303);
    let client = app.new_client();
    // A member of one store lands in it.
    client
        .login(email, PASSWORD)
        .await
        .assert_redirect(&format!("/admin/s/{store}"));
    client
}

/// Asserts nothing was written since `before`, naming the tables that changed.
fn assert_unchanged(app: &TestApp, before: &[(String, String)], what: &str) {
    let after = app.fingerprint();
    let changed: Vec<&str> = before
        .iter()
        .zip(&after)
        .filter(|(b, a)| b != a)
        .map(|(b, _)| b.0.as_str())
        .collect();
    assert!(
        changed.is_empty() && before.len() == after.len(),
        "{what} wrote to {changed:?}"
    );
}

#[test]
fn the_table_lists_every_post_route_of_the_router() {
    let mut router: Vec<String> = promodesk::startup::route_table()
        .into_iter()
        .filter(|(method, _)| *method == "post")
        .map(|(_, path)| path)
        .collect();
    let mut table: Vec<String> = rows(&Fixture::default())
        .into_iter()
        .map(|r| r.route.to_string())
        .collect();
    router.sort();
    table.sort();
    let missing: Vec<&String> = router.iter().filter(|r| !table.contains(r)).collect();
    let extra: Vec<&String> = table.iter().filter(|r| !router.contains(r)).collect();
    assert!(
        missing.is_empty(),
        "POST routes with no row in tests/web/routes.rs: {missing:?}"
    );
    assert!(
        extra.is_empty(),
        "rows for routes the router does not serve: {extra:?}"
    );
    let mut unique = table.clone();
    unique.dedup();
    assert_eq!(unique, table, "one row per route");
    assert!(
        router.len() >= 30,
        "the router serves {} POST routes",
        router.len()
    );
}

db_tests! {
    async fn every_post_without_a_valid_token_is_403_and_writes_nothing(app) {
        let fx = fixture(&app).await;
        let before = app.fingerprint();
        for row in rows(&fx) {
            let page = if row.upload {
                app.post_file(&row.path, UPLOAD, false).await
            } else {
                let fields: Vec<(&str, &str)> = row.fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                let missing = app.post_raw(&row.path, &fields).await;
                let mut wrong = vec![("csrf_token", "not-the-token")];
                wrong.extend_from_slice(&fields);
                app.post_raw(&row.path, &wrong).await.assert_status(403);
                missing
            };
            page.assert_status(403);
            assert!(page.body.contains("security token"), "{}: {}", row.route, page.body);
            assert_unchanged(&app, &before, row.route);
        }
        // Still logged in: the refused logout did nothing.
        app.get("/admin").await.assert_status(200);
    }

    async fn viewers_get_403_on_every_change(app) {
        let fx = fixture(&app).await;
        let viewer = member(&app, STORE, "viewer@example.com", "viewer").await;
        let before = app.fingerprint();
        for row in rows(&fx).into_iter().filter(Row::in_store) {
            let page = row.post(&viewer).await;
            page.assert_status(403);
            assert!(page.body.contains("Not allowed"), "{}", row.route);
            assert_unchanged(&app, &before, row.route);
        }
    }

    async fn a_member_of_another_store_gets_404_on_every_store_post(app) {
        let fx = fixture(&app).await;
        app.create_store("Beta Goods", "beta").await.assert_redirect("/admin/s/beta");
        let stranger = member(&app, "beta", "stranger@example.com", "owner").await;
        let missing = stranger.get("/admin/s/no-such-store").await;
        let before = app.fingerprint();
        for row in rows(&fx).into_iter().filter(Row::in_store) {
            let page = row.post(&stranger).await;
            page.assert_status(404);
            assert_eq!(page.body, missing.body, "{}: like a store that does not exist", row.route);
            assert_unchanged(&app, &before, row.route);
        }
    }

    async fn managers_get_403_on_owners_routes_and_can_do_everything_else(app) {
        let fx = fixture(&app).await;
        let manager = member(&app, STORE, "manager@example.com", "manager").await;
        let before = app.fingerprint();
        for row in rows(&fx).into_iter().filter(|r| r.who == Who::Owner) {
            row.post(&manager).await.assert_status(403);
            assert_unchanged(&app, &before, row.route);
        }
        for row in rows(&fx).into_iter().filter(|r| r.who == Who::Manager) {
            let before = app.fingerprint();
            let page = row.post(&manager).await;
            assert_eq!(page.status.as_u16(), row.ok, "{}: {}", row.route, page.body);
            assert_ne!(app.fingerprint(), before, "{} wrote nothing", row.route);
        }
        // A few of the writes, as the owner sees them.
        let coupons = app.get("/admin/s/acme/coupons").await;
        assert!(coupons.body.contains("data-coupon=\"BYMANAGER\""));
        assert_eq!(app.get(&format!("/admin/s/acme/orders/{}", fx.order)).await.data_field("status").as_deref(), Some("Refunded"));
        assert_eq!(app.get(&format!("/admin/s/acme/coupons/{}", fx.doomed_coupon)).await.data_field("state").as_deref(), Some("Deleted"));
    }
}
