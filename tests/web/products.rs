//! Products: prices in major units stored with the currency's exponent.

use crate::db_tests;
use crate::helpers::*;

db_tests! {
    async fn products_are_created_edited_and_archived(app) {
        app.setup_owner().await;
        let id = app.create_product(STORE, "Pro plan", "9.99", "USD", "recurring").await;
        let page = app.get(&format!("/admin/s/acme/products/{id}")).await;
        assert!(page.body.contains("value=\"9.99\""));
        let yen = app.create_product(STORE, "Sticker", "500", "JPY", "one_time").await;
        let dinar = app.create_product(STORE, "Tea", "1.250", "KWD", "one_time").await;
        let list = app.get("/admin/s/acme/products").await;
        assert!(list.body.contains("$9.99"));
        assert!(list.body.contains("¥500"));
        assert!(list.body.contains("1.250"));
        assert!(list.body.contains("per month"));
        app.post(&format!("/admin/s/acme/products/{yen}"), &[("name", "Big sticker"), ("price", "800"), ("currency", "JPY"), ("billing", "one_time"), ("interval", "month")])
            .await
            .assert_redirect(&format!("/admin/s/acme/products/{yen}"));
        assert!(app.get(&format!("/admin/s/acme/products/{yen}")).await.body.contains("value=\"800\""));
        app.post(&format!("/admin/s/acme/products/{dinar}/archive"), &[]).await.assert_status(303);
        assert!(app.get(&format!("/admin/s/acme/products/{dinar}")).await.body.contains("Archived"));
    }

    async fn bad_product_input_is_refused(app) {
        app.setup_owner().await;
        let cases = [
            (vec![("name", ""), ("price", "5"), ("currency", "USD"), ("billing", "one_time")], "name"),
            (vec![("name", "X"), ("price", "5.999"), ("currency", "USD"), ("billing", "one_time")], "price"),
            (vec![("name", "X"), ("price", "5.5"), ("currency", "JPY"), ("billing", "one_time")], "price"),
            (vec![("name", "X"), ("price", "5"), ("currency", "ZZZ"), ("billing", "one_time")], "currency"),
            (vec![("name", "X"), ("price", "5"), ("currency", "USD"), ("billing", "weekly")], "billing"),
            (vec![("name", "X"), ("price", "5"), ("currency", "USD"), ("billing", "recurring"), ("interval", "day")], "interval"),
        ];
        for (fields, field) in &cases {
            let page = app.post("/admin/s/acme/products/new", fields).await;
            page.assert_status(422);
            assert!(page.field_error(field).is_some(), "{fields:?}");
        }
        assert!(!app.get("/admin/s/acme/products").await.body.contains("data-product="));
    }
}
