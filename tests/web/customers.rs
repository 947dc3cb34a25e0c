//! A customer's page (issue 15): what their paid orders add up to, the
//! codes they used, their orders; emails link to it from the lists. And
//! the orders list's filters (status, code, dates) and its CSV.

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

    async fn the_orders_list_filters_by_status_code_and_days_and_exports_the_same(app) {
        let shop = shop(&app).await;
        app.create_coupon(STORE, &[("code", "TEN"), ("percent_off", "10")]).await.assert_status(303);
        buy(&app, "a@example.com", "TEN", &[(shop.tee, 1)]).await.assert_status(303);
        let b = buy(&app, "b@example.com", "TEN", &[(shop.tee, 2)]).await;
        b.assert_status(303);
        buy(&app, "c@example.com", "", &[(shop.tee, 1)]).await.assert_status(303);
        let receipt = b.location_tail();
        let refunded = app.count(&format!("SELECT id AS n FROM orders WHERE public_id = '{receipt}'"));
        app.refund(refunded).await;
        let rows = |page: &Page| page.body.matches("<tr data-order=").count();
        let today = chrono::Utc::now()
            .with_timezone(&chrono_tz::Europe::Berlin)
            .date_naive();
        let tomorrow = today.succ_opt().expect("a next day");
        let cases: Vec<(String, usize)> = vec![
            (String::new(), 3),
            ("?status=refunded".into(), 1),
            ("?status=paid".into(), 2),
            ("?code=ten".into(), 2),
            ("?code=ten&status=paid".into(), 1),
            (format!("?from={today}&to={today}"), 3),
            (format!("?from={tomorrow}"), 0),
            (format!("?to={}", today.pred_opt().expect("a day before")), 0),
        ];
        for (query, expected) in cases {
            let page = app.get(&format!("/admin/s/acme/orders{query}")).await;
            page.assert_status(200);
            assert_eq!(rows(&page), expected, "orders{query}");
            let csv = app.get(&format!("/admin/s/acme/orders.csv{query}")).await;
            csv.assert_status(200);
            let lines: Vec<&str> = csv.body.lines().collect();
            assert_eq!(lines[0], "order,created_at,email,code,currency,subtotal,discount,total,status,external_id");
            assert_eq!(lines.len() - 1, expected, "orders.csv{query}: {}", csv.body);
        }
        let csv = app.get("/admin/s/acme/orders.csv?status=refunded").await;
        assert!(csv.body.lines().nth(1).is_some_and(|l| l.contains(",b@example.com,TEN,USD,4000,400,3600,refunded,")), "{}", csv.body);
        // A date that does not read is said, and left out of the filter.
        let bad = app.get("/admin/s/acme/orders?from=31/12/2026&status=paid").await;
        bad.assert_status(200);
        assert!(bad.body.contains("Enter a date like 2026-12-31. That date is left out of the filter."), "{}", bad.body);
        assert_eq!(rows(&bad), 2);
        // The filters stay with a customer's orders.
        let a = app.count("SELECT id AS n FROM customers WHERE email = 'a@example.com'");
        let page = app.get(&format!("/admin/s/acme/orders?customer={a}&status=refunded")).await;
        assert_eq!(rows(&page), 0);
        assert!(page.body.contains(&format!("name=\"customer\" value=\"{a}\"")), "{}", page.body);
    }

    async fn the_customers_csv_exports_what_the_list_shows(app) {
        let shop = shop(&app).await;
        buy(&app, "jane@example.com", "", &[(shop.tee, 1)]).await.assert_status(303);
        buy(&app, "jane@example.com", "", &[(shop.tee, 1)]).await.assert_status(303);
        buy(&app, "joe@example.com", "", &[(shop.tee, 1)]).await.assert_status(303);
        app.post("/admin/s/acme/customers", &[("email", "=cmd@example.com")]).await;
        let list = app.get("/admin/s/acme/customers?q=ja").await;
        assert!(list.body.contains("href=\"/admin/s/acme/customers.csv?q=ja\""), "{}", list.body);
        let csv = app.get("/admin/s/acme/customers.csv?q=ja").await;
        csv.assert_status(200);
        let lines: Vec<&str> = csv.body.lines().collect();
        assert_eq!(lines[0], "email,paid_orders,first_order_at,created_at");
        assert_eq!(lines.len(), 2, "{}", csv.body);
        assert!(lines[1].starts_with("jane@example.com,2,"), "{}", lines[1]);
        let every = app.get("/admin/s/acme/customers.csv").await;
        assert_eq!(every.body.lines().count(), 1 + app.count("SELECT COUNT(*) AS n FROM customers") as usize);
        // A cell that a spreadsheet would run as a formula is neutralised.
        assert!(!every.body.lines().any(|l| l.starts_with('=')), "{}", every.body);
    }
}
