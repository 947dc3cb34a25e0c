//! A customer's page (issue 15): what their paid orders add up to, the
//! codes they used, their orders; emails link to it from the lists.

use crate::checkout::{buy, shop};
use crate::db_tests;
use crate::helpers::*;

db_tests! {
    async fn a_customers_page_adds_up_their_paid_orders_and_codes(app) {
        let shop = shop(&app).await;
        app.create_coupon(STORE, &[("code", "TEN"), ("percent_off", "10")]).await.assert_status(303);
        app.create_coupon(STORE, &[("code", "HALF"), ("percent_off", "50")]).await.assert_status(303);
        // Jane: two tees with TEN ($40 - $4), one plan with HALF ($10 - $5),
        // one tee with no code ($20), and a refunded order that counts for
        // nothing.
        buy(&app, "jane@example.com", "TEN", &[(shop.tee, 2)]).await.assert_status(303);
        buy(&app, "jane@example.com", "HALF", &[(shop.plan, 1)]).await.assert_status(303);
        buy(&app, "jane@example.com", "", &[(shop.tee, 1)]).await.assert_status(303);
        let refunded = buy(&app, "jane@example.com", "TEN", &[(shop.tee, 1)]).await;
        refunded.assert_status(303);
        let receipt = refunded.location_tail();
        let order = app.count(&format!("SELECT id AS n FROM orders WHERE public_id = '{receipt}'"));
        app.refund(order).await;
        buy(&app, "joe@example.com", "TEN", &[(shop.tee, 1)]).await.assert_status(303);
        let jane = app.count("SELECT id AS n FROM customers WHERE email = 'jane@example.com'");

        // The orders list and the order's page link to her.
        let link = format!("href=\"/admin/s/acme/customers/{jane}\"");
        assert!(app.get("/admin/s/acme/orders").await.body.contains(&link));
        assert!(app.get(&format!("/admin/s/acme/orders/{order}")).await.body.contains(&link));
        assert!(app.get("/admin/s/acme/customers").await.body.contains(&link));

        let page = app.get(&format!("/admin/s/acme/customers/{jane}")).await;
        page.assert_status(200);
        assert_eq!(page.data_field("email").as_deref(), Some("jane@example.com"));
        assert_eq!(page.data_field("orders_count").as_deref(), Some("3"));
        assert_eq!(page.data_field("lifetime_spend").as_deref(), Some("$61.00"), "36 + 5 + 20");
        assert_eq!(page.data_field("discount_received").as_deref(), Some("$9.00"), "4 + 5");
        assert!(page.body.contains("data-code-used=\"TEN\">1 order<"), "{}", page.body);
        assert!(page.body.contains("data-code-used=\"HALF\">1 order<"), "{}", page.body);
        assert_eq!(page.body.matches("data-order=").count(), 4, "her orders, the refunded one too");
        assert!(!page.body.contains("joe@example.com"));

        // Unknown ids and other stores' customers: 404.
        app.get("/admin/s/acme/customers/999999").await.assert_status(404);
        app.create_store("Beta", "beta").await.assert_status(303);
        app.get(&format!("/admin/s/beta/customers/{jane}")).await.assert_status(404);
    }
}
