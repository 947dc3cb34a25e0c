//! The JSON API (SPEC 10) through real HTTP: keys, auth, errors, lists,
//! resources, validations, redemptions with idempotency keys, rollbacks,
//! rate limits and the OpenAPI document.

use serde_json::{Value, json};

use crate::db_tests;
use crate::helpers::{Client, Db, TestApp, spawn_app_with};

/// An API client with one key.
#[derive(Clone)]
pub struct Api {
    base: String,
    key: String,
    http: reqwest::Client,
}

/// An API answer: status, headers and the JSON body.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Answer {
    #[track_caller]
    pub fn ok(self, status: u16) -> Value {
        assert_eq!(self.status, status, "body: {}", self.text);
        self.body
    }

    /// The error's (type, code).
    #[track_caller]
    pub fn error(&self, status: u16) -> (String, String) {
        assert_eq!(self.status, status, "body: {}", self.text);
        let e = &self.body["error"];
        (
            e["type"].as_str().unwrap_or_default().to_string(),
            e["code"].as_str().unwrap_or_default().to_string(),
        )
    }

    /// The 422 `errors` message of `param`.
    pub fn message_of(&self, param: &str) -> Option<String> {
        self.body["error"]["errors"]
            .as_array()?
            .iter()
            .find(|e| e["param"] == param)
            .and_then(|e| e["message"].as_str())
            .map(String::from)
    }
}

impl Api {
    pub fn new(address: &str, key: &str) -> Api {
        Api {
            base: format!("{address}/api/v1"),
            key: key.to_string(),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
        }
    }

    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> Answer {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.key);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.expect("request");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.expect("body");
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Answer {
            status,
            headers,
            body,
            text,
        }
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.send(reqwest::Method::GET, path, None, &[]).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Answer {
        self.send(reqwest::Method::POST, path, Some(body), &[])
            .await
    }

    pub async fn patch(&self, path: &str, body: &Value) -> Answer {
        self.send(reqwest::Method::PATCH, path, Some(body), &[])
            .await
    }

    pub async fn delete(&self, path: &str) -> Answer {
        self.send(reqwest::Method::DELETE, path, None, &[]).await
    }

    pub async fn redeem(&self, key: &str, body: &Value) -> Answer {
        self.send(
            reqwest::Method::POST,
            "/redemptions",
            Some(body),
            &[("Idempotency-Key", key)],
        )
        .await
    }
}

/// Creates a key on the keys page (as the logged-in owner); returns it.
pub async fn create_key(client: &Client, store: &str, name: &str, scope: &str) -> String {
    let page = client
        .post(
            &format!("/admin/s/{store}/api-keys"),
            &[("name", name), ("scope", scope)],
        )
        .await;
    page.assert_status(200);
    page.data_field("api_key").expect("the new key is shown")
}

/// The owner, store `acme`, a $20.00 tee, and a write key.
/// `GET /api/v1/openapi.json`, parsed.
pub async fn openapi_document(app: &TestApp) -> Value {
    reqwest::get(format!("{}/api/v1/openapi.json", app.address))
        .await
        .expect("get")
        .json()
        .await
        .expect("json")
}

pub async fn api_store(app: &TestApp) -> (Api, i64) {
    app.setup_owner().await;
    let tee = app
        .create_product("acme", "Tee", "20.00", "USD", "one_time")
        .await;
    let key = create_key(app, "acme", "Shop server", "write").await;
    (Api::new(&app.address, &key), tee)
}

/// A bad coupon: the JSON body, the same input as form fields, the
/// parameter whose message must match.
type BadCase<'a> = (Value, Vec<(&'a str, &'a str)>, &'a str);

fn cart(code: &str, email: &str, product: i64, quantity: i64) -> Value {
    json!({"code": code, "email": email, "lines": [{"product_id": product, "quantity": quantity}]})
}

db_tests! {
    async fn the_keys_page_shows_a_key_once_and_keeps_only_its_hash(app) {
        app.setup_owner().await;
        let key = create_key(&app, "acme", "Shop server", "read").await;
        assert!(key.starts_with("pdk_") && key.len() == 44, "{key}");
        assert!(key[4..].chars().all(|c| c.is_ascii_alphanumeric()));
        let page = app.get("/admin/s/acme/api-keys").await;
        page.assert_status(200);
        assert!(!page.body.contains(&key), "the key is shown once only");
        assert!(page.body.contains(&key[..8]), "its first 8 characters are listed");
        assert_eq!(page.data_field("last_used").as_deref(), Some("never"));
        assert_eq!(
            app.count(&format!("SELECT COUNT(*) AS n FROM api_keys WHERE key_hash = '{key}' OR name = '{key}'")),
            0
        );
        let api = Api::new(&app.address, &key);
        api.get("/coupons").await.ok(200);
        let page = app.get("/admin/s/acme/api-keys").await;
        assert_ne!(page.data_field("last_used").as_deref(), Some("never"));
        // A bad form writes nothing and says why.
        let bad = app
            .post("/admin/s/acme/api-keys", &[("name", ""), ("scope", "admin")])
            .await;
        bad.assert_status(422);
        assert!(bad.field_error("name").is_some() && bad.field_error("scope").is_some());
        assert_eq!(app.count("SELECT COUNT(*) AS n FROM api_keys"), 1);
        // Revoked: 401 at once.
        let id = app.count("SELECT MAX(id) AS n FROM api_keys");
        app.post(&format!("/admin/s/acme/api-keys/{id}/revoke"), &[])
            .await
            .assert_redirect("/admin/s/acme/api-keys");
        assert_eq!(api.get("/coupons").await.error(401).0, "authentication");
    }

    async fn only_owners_reach_the_keys_page(app) {
        app.setup_owner().await;
        for role in ["manager", "viewer"] {
            app.add_member("acme", &format!("{role}@example.com"), role).await;
            let other = app.new_client();
            other.login(&format!("{role}@example.com"), crate::helpers::PASSWORD).await;
            other.get("/admin/s/acme/api-keys").await.assert_status(403);
            let page = other.get("/admin/s/acme/coupons").await;
            assert!(!page.body.contains("/api-keys\""), "no API keys link for a {role}");
            other
                .post("/admin/s/acme/api-keys", &[("name", "x"), ("scope", "write")])
                .await
                .assert_status(403);
        }
        assert_eq!(app.count("SELECT COUNT(*) AS n FROM api_keys"), 0);
    }

    async fn keys_are_checked_and_never_reach_another_store(app) {
        let (api, tee) = api_store(&app).await;
        let coupon = api
            .post("/coupons", &json!({"code": "ACME10", "discount_type": "percent", "percent_off": 10, "duration": "once"}))
            .await
            .ok(201);
        let id = coupon["id"].as_i64().expect("id");
        // Missing, unknown, malformed.
        let anonymous = Api::new(&app.address, "");
        let missing = anonymous.get("/coupons").await;
        assert_eq!(missing.error(401), ("authentication".into(), "api_key_invalid".into()));
        assert_eq!(missing.headers.get("www-authenticate").map(|v| v.to_str().unwrap_or("")), Some("Bearer"));
        let unknown = Api::new(&app.address, "pdk_0000000000000000000000000000000000000000");
        assert_eq!(unknown.get("/coupons").await.error(401).0, "authentication");
        // A read key cannot write.
        let read = Api::new(&app.address, &create_key(&app, "acme", "Reader", "read").await);
        read.get(&format!("/coupons/{id}")).await.ok(200);
        let denied = read.post("/coupons", &json!({"code": "X1", "discount_type": "percent", "percent_off": 5, "duration": "once"})).await;
        assert_eq!(denied.error(403).0, "permission");
        assert_eq!(read.redeem("k1", &cart("ACME10", "a@example.com", tee, 1)).await.error(403).0, "permission");
        assert_eq!(app.count("SELECT COUNT(*) AS n FROM coupons"), 1);
        // Another store's key: 404 for this store's ids, and its own lists are empty.
        app.create_store("Beta", "beta").await;
        let beta = Api::new(&app.address, &create_key(&app, "beta", "Beta server", "write").await);
        assert_eq!(beta.get(&format!("/coupons/{id}")).await.error(404).0, "not_found");
        assert_eq!(beta.patch(&format!("/coupons/{id}"), &json!({"name": "x"})).await.error(404).0, "not_found");
        assert_eq!(beta.delete(&format!("/coupons/{id}")).await.error(404).0, "not_found");
        assert_eq!(beta.get(&format!("/products/{tee}")).await.error(404).0, "not_found");
        assert_eq!(beta.get("/coupons").await.ok(200)["data"], json!([]));
        // Acme's product is not Beta's: the cart is refused, not priced.
        let foreign = beta.post("/validations", &cart("ACME10", "", tee, 1)).await;
        foreign.error(422);
        assert!(foreign.message_of("lines").is_some());
        // JSON only; bad JSON is a 400; unknown paths a JSON 404.
        let text = reqwest::Client::new()
            .post(format!("{}/api/v1/coupons", app.address))
            .bearer_auth(&api.key)
            .body("code=X")
            .send()
            .await
            .expect("post");
        assert_eq!(text.status().as_u16(), 415);
        let broken = reqwest::Client::new()
            .post(format!("{}/api/v1/coupons", app.address))
            .bearer_auth(&api.key)
            .header("content-type", "application/json")
            .body("{\"code\": ")
            .send()
            .await
            .expect("post");
        assert_eq!(broken.status().as_u16(), 400);
        let body: Value = broken.json().await.expect("json");
        assert_eq!(body["error"]["type"], "invalid_request");
        assert_eq!(api.get("/nothing-here").await.error(404).0, "not_found");
        assert_eq!(api.get("/coupons/abc").await.error(404).0, "not_found");
    }

    async fn coupons_are_created_read_listed_changed_and_deleted(app) {
        let (api, tee) = api_store(&app).await;
        let created = api
            .post("/coupons", &json!({
                "code": "SPRING5", "name": "Spring", "discount_type": "value",
                "amount_off": 500, "currency": "USD", "duration": "once",
                "max_redemptions": 3, "applies_to": [tee],
                "redeem_by": "2099-12-31T23:00:00Z", "once_per_customer": true
            }))
            .await
            .ok(201);
        assert_eq!(created["object"], "coupon");
        assert_eq!(created["amount_off"], 500);
        assert_eq!(created["currency"], "USD");
        assert_eq!(created["remaining"], 3);
        assert_eq!(created["applies_to"], json!([tee]));
        assert_eq!(created["redeem_by"], "2099-12-31T23:00:00Z");
        assert_eq!(created["state"], "active");
        assert_eq!(created["once_per_customer"], true);
        assert!(created["share_url"].as_str().unwrap_or("").ends_with("/acme?coupon=SPRING5"));
        let id = created["id"].as_i64().expect("id");
        // The dashboard shows what the API made.
        let page = app.get(&format!("/admin/s/acme/coupons/{id}")).await;
        page.assert_status(200);
        assert!(page.body.contains("SPRING5"));
        // Read, change, lifecycle.
        assert_eq!(api.get(&format!("/coupons/{id}")).await.ok(200)["code"], "SPRING5");
        let changed = api.patch(&format!("/coupons/{id}"), &json!({"name": null, "max_redemptions": 10})).await.ok(200);
        assert_eq!(changed["name"], Value::Null);
        assert_eq!(changed["max_redemptions"], 10);
        assert_eq!(changed["amount_off"], 500, "fields not sent stay");
        assert_eq!(api.post(&format!("/coupons/{id}/archive"), &json!({})).await.ok(200)["state"], "archived");
        assert_eq!(api.get("/coupons?state=archived").await.ok(200)["data"][0]["id"], id);
        assert_eq!(api.post(&format!("/coupons/{id}/unarchive"), &json!({})).await.ok(200)["state"], "active");
        let log = app.get(&format!("/admin/s/acme/coupons/{id}")).await;
        assert!(log.body.contains("API key “Shop server”"), "the activity log names the key");
        // Pagination: newest first, limit, starting_after, has_more.
        for n in 0..4 {
            api.post("/coupons", &json!({"code": format!("PAGE{n}"), "discount_type": "percent", "percent_off": 5, "duration": "once"}))
                .await
                .ok(201);
        }
        let first = api.get("/coupons?limit=2").await.ok(200);
        assert_eq!(first["object"], "list");
        assert_eq!(first["has_more"], true);
        let codes = |v: &Value| -> Vec<String> {
            v["data"].as_array().map(|a| a.iter().map(|c| c["code"].as_str().unwrap_or("").to_string()).collect()).unwrap_or_default()
        };
        assert_eq!(codes(&first), ["PAGE3", "PAGE2"]);
        let last_id = first["data"][1]["id"].as_i64().expect("id");
        let second = api.get(&format!("/coupons?limit=2&starting_after={last_id}")).await.ok(200);
        assert_eq!(codes(&second), ["PAGE1", "PAGE0"]);
        assert_eq!(second["has_more"], true);
        let third = api.get(&format!("/coupons?limit=2&starting_after={}", second["data"][1]["id"])).await.ok(200);
        assert_eq!(codes(&third), ["SPRING5"]);
        assert_eq!(third["has_more"], false);
        assert_eq!(codes(&api.get("/coupons?q=spr").await.ok(200)), ["SPRING5"]);
        assert_eq!(api.get("/coupons?limit=0").await.error(422).0, "invalid_request");
        assert_eq!(api.get("/coupons?state=sleeping").await.error(422).0, "invalid_request");
        assert_eq!(api.get("/coupons?colour=red").await.error(400).0, "invalid_request");
        // Delete: gone from reads and lists.
        assert_eq!(api.delete(&format!("/coupons/{id}")).await.ok(200)["state"], "deleted");
        assert_eq!(api.get(&format!("/coupons/{id}")).await.error(404).0, "not_found");
        assert_eq!(codes(&api.get("/coupons?q=spr").await.ok(200)), Vec::<String>::new());
    }

    async fn bad_coupons_get_the_forms_messages_and_write_nothing(app) {
        let (api, tee) = api_store(&app).await;
        app.create_coupon("acme", &[("code", "TAKEN")]).await.created_id();
        // (JSON body, the same input as form fields, the parameter)
        let unknown = (tee + 1000).to_string();
        let cases: Vec<BadCase> = vec![
            (json!({"code": "", "discount_type": "percent", "percent_off": 10, "duration": "once"}), vec![("code", "")], "code"),
            (json!({"code": "BAD CODE", "discount_type": "percent", "percent_off": 10, "duration": "once"}), vec![("code", "BAD CODE")], "code"),
            (json!({"code": "TAKEN", "discount_type": "percent", "percent_off": 10, "duration": "once"}), vec![("code", "TAKEN")], "code"),
            (json!({"code": "P150", "discount_type": "percent", "percent_off": 150, "duration": "once"}), vec![("code", "P150"), ("percent_off", "150")], "percent_off"),
            (json!({"code": "V1", "discount_type": "value", "amount_off": 500, "duration": "once"}), vec![("code", "V1"), ("discount_type", "value"), ("percent_off", ""), ("amount_off", "5.00")], "currency"),
            (json!({"code": "R1", "discount_type": "percent", "percent_off": 10, "duration": "repeating"}), vec![("code", "R1"), ("percent_off", "10"), ("duration", "repeating")], "duration_in_months"),
            (json!({"code": "M0", "discount_type": "percent", "percent_off": 10, "duration": "once", "max_redemptions": 0}), vec![("code", "M0"), ("percent_off", "10"), ("max_redemptions", "0")], "max_redemptions"),
            (json!({"code": "A1", "discount_type": "percent", "percent_off": 10, "duration": "once", "applies_to": [tee + 1000]}), vec![("code", "A1"), ("percent_off", "10"), ("applies_to", unknown.as_str())], "applies_to"),
            (json!({"code": "K1", "discount_type": "kind", "duration": "once"}), vec![("code", "K1"), ("discount_type", "kind"), ("percent_off", "")], "discount_type"),
        ];
        for (body, form, param) in cases {
            let answer = api.post("/coupons", &body).await;
            assert_eq!(answer.error(422), ("invalid_request".into(), "parameter_invalid".into()), "{body}");
            let message = answer.message_of(param).unwrap_or_else(|| panic!("no message for {param}: {}", answer.text));
            let page = app.create_coupon("acme", &form).await;
            page.assert_status(422);
            assert_eq!(page.field_error(param).as_deref(), Some(message.as_str()), "{body}");
        }
        let bad_time = api.post("/coupons", &json!({"code": "T1", "discount_type": "percent", "percent_off": 10, "duration": "once", "redeem_by": "next friday"})).await;
        bad_time.error(422);
        assert!(bad_time.message_of("redeem_by").is_some_and(|m| m.contains("RFC 3339")));
        assert_eq!(app.count("SELECT COUNT(*) AS n FROM coupons"), 1, "nothing written");
    }

    async fn bad_products_promotion_codes_sets_and_customers_get_the_forms_messages(app) {
        let (api, _tee) = api_store(&app).await;
        let base = api.post("/coupons", &json!({"code": "BASE", "discount_type": "percent", "percent_off": 10, "duration": "once", "max_redemptions": 5})).await.ok(201);
        let coupon = base["id"].as_i64().expect("id");
        let before = app.fingerprint();
        // Products: (JSON, the same form fields, the parameter)
        let products: Vec<BadCase> = vec![
            (json!({"name": "", "price": 100, "currency": "USD", "billing": "one_time"}), vec![("name", ""), ("price", "1.00"), ("currency", "USD"), ("billing", "one_time"), ("interval", "month")], "name"),
            (json!({"name": "Mug", "price": 100, "currency": "XYZ", "billing": "one_time"}), vec![("name", "Mug"), ("price", "100"), ("currency", "XYZ"), ("billing", "one_time"), ("interval", "month")], "currency"),
            (json!({"name": "Mug", "price": -5, "currency": "USD", "billing": "one_time"}), vec![("name", "Mug"), ("price", "-5"), ("currency", "USD"), ("billing", "one_time"), ("interval", "month")], "price"),
            (json!({"name": "Mug", "price": 100, "currency": "USD", "billing": "weekly"}), vec![("name", "Mug"), ("price", "1.00"), ("currency", "USD"), ("billing", "weekly"), ("interval", "month")], "billing"),
            (json!({"name": "Mug", "price": 100, "currency": "USD", "billing": "recurring", "interval": "day"}), vec![("name", "Mug"), ("price", "1.00"), ("currency", "USD"), ("billing", "recurring"), ("interval", "day")], "interval"),
        ];
        for (body, form, param) in products {
            let answer = api.post("/products", &body).await;
            answer.error(422);
            let page = app.post("/admin/s/acme/products/new", &form).await;
            page.assert_status(422);
            assert_eq!(answer.message_of(param), page.field_error(param), "{body}");
            assert!(answer.message_of(param).is_some(), "{body}: {}", answer.text);
        }
        // Promotion codes.
        let c = coupon.to_string();
        let promos: Vec<BadCase> = vec![
            (json!({"coupon_id": coupon + 999}), vec![("coupon_id", "999999")], "coupon_id"),
            (json!({"coupon_id": coupon, "code": "bad!code"}), vec![("coupon_id", c.as_str()), ("code", "bad!code")], "code"),
            (json!({"coupon_id": coupon, "customer": "not-an-email"}), vec![("coupon_id", c.as_str()), ("customer", "not-an-email")], "customer"),
            (json!({"coupon_id": coupon, "max_redemptions": 50}), vec![("coupon_id", c.as_str()), ("max_redemptions", "50")], "max_redemptions"),
            (json!({"coupon_id": coupon, "minimum_amount": 1000}), vec![("coupon_id", c.as_str()), ("minimum_amount", "10.00")], "minimum_amount_currency"),
            (json!({"coupon_id": coupon, "expires_at": "2001-01-01T00:00:00Z"}), vec![("coupon_id", c.as_str()), ("expires_at", "2001-01-01T01:00")], "expires_at"),
        ];
        for (body, form, param) in promos {
            let answer = api.post("/promotion_codes", &body).await;
            answer.error(422);
            let page = app.create_promo("acme", coupon, &form).await;
            page.assert_status(422);
            assert!(answer.message_of(param).is_some(), "{body}: {}", answer.text);
            assert_eq!(answer.message_of(param), page.field_error(param), "{body}");
        }
        // Coupon sets.
        let sets = vec![
            (json!({"name": "", "coupon_id": coupon, "count": 10}), ("", "10", ""), "name"),
            (json!({"name": "S", "coupon_id": coupon, "count": 0}), ("S", "0", ""), "count"),
            (json!({"name": "S", "coupon_id": coupon, "count": 10, "prefix": "BAD PREFIX"}), ("S", "10", "BAD PREFIX"), "prefix"),
        ];
        for (body, (name, count, prefix), param) in sets {
            let answer = api.post("/coupon_sets", &body).await;
            answer.error(422);
            let page = app.create_set("acme", coupon, name, count, prefix, "10").await;
            page.assert_status(422);
            assert!(answer.message_of(param).is_some(), "{body}: {}", answer.text);
            assert_eq!(answer.message_of(param), page.field_error(param), "{body}");
        }
        // Customers.
        let answer = api.post("/customers", &json!({"email": "nope"})).await;
        answer.error(422);
        let page = app.post("/admin/s/acme/customers", &[("email", "nope")]).await;
        assert!(answer.message_of("email").is_some());
        assert_eq!(answer.message_of("email"), page.field_error("email"), "the customers page says the same");
        // Nothing was written by any of them.
        let after = app.fingerprint();
        assert_eq!(before, after, "a refused request writes nothing");
    }

    async fn every_list_pages_with_limit_and_starting_after(app) {
        let (api, tee) = api_store(&app).await;
        let coupon = api.post("/coupons", &json!({"code": "BASE", "discount_type": "percent", "percent_off": 10, "duration": "once"})).await.ok(201);
        let coupon_id = coupon["id"].as_i64().expect("id");
        for n in 0..4 {
            api.post("/products", &json!({"name": format!("P{n}"), "price": 100, "currency": "USD", "billing": "one_time"})).await.ok(201);
            api.post("/promotion_codes", &json!({"coupon_id": coupon_id, "code": format!("PROMO{n}")})).await.ok(201);
            api.post("/customers", &json!({"email": format!("c{n}@example.com")})).await.ok(201);
            api.post("/coupon_sets", &json!({"name": format!("S{n}"), "coupon_id": coupon_id, "count": 2, "prefix": format!("S{n}")})).await.ok(201);
            api.redeem(&format!("p{n}"), &cart("BASE", &format!("o{n}@example.com"), tee, 1)).await.ok(201);
        }
        let set = api.get("/coupon_sets?limit=1").await.ok(200)["data"][0]["id"].as_i64().expect("set");
        // (list, how many it holds)
        let lists = [
            ("/products".to_string(), 5),
            ("/coupons".to_string(), 1),
            (format!("/promotion_codes?coupon={coupon_id}"), 4),
            ("/customers".to_string(), 8),
            ("/coupon_sets".to_string(), 4),
            (format!("/coupon_sets/{set}/codes"), 2),
            (format!("/orders?coupon={coupon_id}"), 4),
        ];
        for (list, total) in lists {
            let mut seen: Vec<i64> = Vec::new();
            let mut after: Option<i64> = None;
            loop {
                let sep = if list.contains('?') { '&' } else { '?' };
                let url = match after {
                    Some(id) => format!("{list}{sep}limit=2&starting_after={id}"),
                    None => format!("{list}{sep}limit=2"),
                };
                let page = api.get(&url).await.ok(200);
                assert_eq!(page["object"], "list", "{url}");
                let ids: Vec<i64> = page["data"].as_array().expect("data").iter().map(|o| o["id"].as_i64().expect("id")).collect();
                assert!(ids.len() <= 2, "{url}");
                seen.extend(&ids);
                if page["has_more"] != true {
                    break;
                }
                after = ids.last().copied();
            }
            let mut unique = seen.clone();
            unique.sort_unstable();
            unique.dedup();
            assert_eq!((seen.len(), unique.len()), (total, total), "{list} pages through every object once");
        }
    }

    async fn products_promotion_codes_customers_sets_and_orders(app) {
        let (api, tee) = api_store(&app).await;
        // Products.
        let mug = api.post("/products", &json!({"name": "Mug", "price": 1250, "currency": "USD", "billing": "one_time"})).await.ok(201);
        assert_eq!(mug["price"], 1250);
        let mug_id = mug["id"].as_i64().expect("id");
        assert_eq!(api.patch(&format!("/products/{mug_id}"), &json!({"price": 1500})).await.ok(200)["price"], 1500);
        assert_eq!(api.patch(&format!("/products/{mug_id}"), &json!({"archived": true})).await.ok(200)["archived"], true);
        let active = api.get("/products?state=active").await.ok(200);
        assert_eq!(active["data"].as_array().map(Vec::len), Some(1));
        assert_eq!(active["data"][0]["id"], tee);
        let bad = api.post("/products", &json!({"name": "", "price": 100, "currency": "USD", "billing": "one_time"})).await;
        bad.error(422);
        let form = app.post("/admin/s/acme/products/new", &[("name", ""), ("price", "1.00"), ("currency", "USD"), ("billing", "one_time"), ("interval", "month")]).await;
        assert_eq!(bad.message_of("name"), form.field_error("name"));
        // Promotion codes.
        let coupon = api.post("/coupons", &json!({"code": "BASE", "discount_type": "percent", "percent_off": 20, "duration": "once", "max_redemptions": 5})).await.ok(201);
        let coupon_id = coupon["id"].as_i64().expect("id");
        let promo = api.post("/promotion_codes", &json!({"coupon_id": coupon_id, "code": "friends20", "max_redemptions": 2, "minimum_amount": 1000, "minimum_amount_currency": "USD"})).await.ok(201);
        assert_eq!(promo["object"], "promotion_code");
        assert_eq!(promo["minimum_amount"], 1000);
        assert_eq!(promo["state"], "active");
        let promo_id = promo["id"].as_i64().expect("id");
        let clash = api.post("/promotion_codes", &json!({"coupon_id": coupon_id, "code": "FRIENDS20"})).await;
        clash.error(422);
        assert!(clash.message_of("code").is_some());
        assert_eq!(api.patch(&format!("/promotion_codes/{promo_id}"), &json!({"max_redemptions": 4})).await.ok(200)["max_redemptions"], 4);
        assert_eq!(api.patch(&format!("/promotion_codes/{promo_id}"), &json!({"active": false})).await.ok(200)["state"], "inactive");
        assert_eq!(api.get(&format!("/promotion_codes?coupon={coupon_id}&state=inactive")).await.ok(200)["data"][0]["id"], promo_id);
        assert_eq!(api.patch(&format!("/promotion_codes/{promo_id}"), &json!({"code": "OTHER"})).await.error(422).0, "invalid_request");
        assert_eq!(api.delete(&format!("/promotion_codes/{promo_id}")).await.ok(200)["deleted"], true);
        assert_eq!(api.get(&format!("/promotion_codes/{promo_id}")).await.error(404).0, "not_found");
        // Customers.
        let customer = api.post("/customers", &json!({"email": "Ann@Example.com"})).await.ok(201);
        assert_eq!(customer["object"], "customer");
        let twice = api.post("/customers", &json!({"email": "ann@example.com"})).await;
        twice.error(422);
        assert!(twice.message_of("email").is_some_and(|m| m.contains("already a customer")));
        assert_eq!(api.get("/customers?q=ann").await.ok(200)["data"].as_array().map(Vec::len), Some(1));
        // Coupon sets: generate, import, list codes.
        let set = api.post("/coupon_sets", &json!({"name": "Flyers", "coupon_id": coupon_id, "count": 5, "prefix": "FLY"})).await.ok(201);
        assert_eq!(set["status"], "ready");
        assert_eq!(set["total_codes"], 5);
        let set_id = set["id"].as_i64().expect("id");
        let more = api.post(&format!("/coupon_sets/{set_id}/codes"), &json!({"count": 3})).await.ok(201);
        assert_eq!(more["total_codes"], 8);
        let import = api.post(&format!("/coupon_sets/{set_id}/codes"), &json!({"codes": ["HAND-001", "BASE", "HAND-001", "bad code!"]})).await.ok(200);
        assert_eq!(import["added"], 1);
        assert_eq!(import["refused"].as_array().map(Vec::len), Some(3), "{import}");
        let codes = api.get(&format!("/coupon_sets/{set_id}/codes?state=unused&limit=100")).await.ok(200);
        assert_eq!(codes["data"].as_array().map(Vec::len), Some(9));
        let set_code = codes["data"][0]["code"].as_str().expect("code").to_string();
        // An order through the API shows in /orders.
        let redeemed = api.redeem("order-1", &cart(&set_code, "bob@example.com", tee, 2)).await.ok(201);
        assert_eq!(redeemed["discount"], 800);
        let orders = api.get(&format!("/orders?coupon={coupon_id}")).await.ok(200);
        assert_eq!(orders["data"][0]["id"], redeemed["order_id"]);
        let order = api.get(&format!("/orders/{}", redeemed["order_id"])).await.ok(200);
        assert_eq!(order["lines"][0]["quantity"], 2);
        assert_eq!(order["email"], "bob@example.com");
        assert_eq!(api.get(&format!("/coupon_sets/{set_id}/codes?state=used")).await.ok(200)["data"][0]["code"], set_code.as_str());
        assert_eq!(api.delete(&format!("/coupon_sets/{set_id}")).await.ok(200)["deleted"], true);
        assert_eq!(api.get(&format!("/coupon_sets/{set_id}")).await.error(404).0, "not_found");
    }

    async fn validations_and_redemptions_share_the_checkouts_refusal_keys(app) {
        let (api, tee) = api_store(&app).await;
        let eur = app.create_product("acme", "Euro tee", "20.00", "EUR", "one_time").await;
        let coupon = |code: &str, extra: Value| {
            let mut body = json!({"code": code, "discount_type": "percent", "percent_off": 10, "duration": "once"});
            if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
                for (k, v) in e {
                    b.insert(k.clone(), v.clone());
                }
            }
            body
        };
        let ok = api.post("/coupons", &coupon("GOOD10", json!({}))).await.ok(201);
        let valid = api.post("/validations", &cart("GOOD10", "", tee, 2)).await.ok(200);
        assert_eq!(valid["object"], "validation");
        assert_eq!(valid["valid"], true);
        assert_eq!(valid["resolved_as"], "coupon");
        assert_eq!(valid["coupon_id"], ok["id"]);
        assert_eq!((valid["subtotal"].as_i64(), valid["discount"].as_i64(), valid["total"].as_i64()), (Some(4000), Some(400), Some(3600)));
        assert_eq!(app.count("SELECT COUNT(*) AS n FROM orders"), 0, "a validation redeems nothing");
        // Coupons in each state.
        api.post("/coupons", &coupon("ONE", json!({"max_redemptions": 1}))).await.ok(201);
        api.redeem("use-one", &cart("ONE", "first@example.com", tee, 1)).await.ok(201);
        let archived = api.post("/coupons", &coupon("ARCH", json!({}))).await.ok(201);
        api.post(&format!("/coupons/{}/archive", archived["id"]), &json!({})).await.ok(200);
        let deleted = api.post("/coupons", &coupon("GONE", json!({}))).await.ok(201);
        api.delete(&format!("/coupons/{}", deleted["id"])).await.ok(200);
        api.post("/coupons", &coupon("LATER", json!({"starts_at": "2099-01-01T00:00:00Z"}))).await.ok(201);
        let expired = api.post("/coupons", &coupon("OLD", json!({}))).await.ok(201);
        // Time travel: the product cannot set a past expiry.
        app.execute_sql(&format!("UPDATE coupons SET redeem_by = created_at WHERE id = {}", expired["id"]));
        api.post("/coupons", &coupon("USD5", json!({"discount_type": "value", "percent_off": null, "amount_off": 500, "currency": "USD"}))).await.ok(201);
        api.post("/coupons", &coupon("TEEONLY", json!({"applies_to": [tee]}))).await.ok(201);
        api.post("/coupons", &coupon("ONCE", json!({"once_per_customer": true}))).await.ok(201);
        api.redeem("use-once", &cart("ONCE", "repeat@example.com", tee, 1)).await.ok(201);
        let base = api.post("/coupons", &coupon("BASE", json!({}))).await.ok(201);
        let promo = |code: &str, extra: Value| {
            let mut body = json!({"coupon_id": base["id"], "code": code});
            if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
                for (k, v) in e {
                    b.insert(k.clone(), v.clone());
                }
            }
            body
        };
        api.post("/promotion_codes", &promo("OFFCODE", json!({"active": false}))).await.ok(201);
        api.post("/promotion_codes", &promo("SPENDMORE", json!({"minimum_amount": 10000, "minimum_amount_currency": "USD"}))).await.ok(201);
        api.post("/promotion_codes", &promo("VIPONLY", json!({"customer": "vip@example.com"}))).await.ok(201);
        api.post("/promotion_codes", &promo("NEWBIE", json!({"first_time_transaction": true}))).await.ok(201);
        api.post("/promotion_codes", &promo("TWICE", json!({"max_redemptions": 1}))).await.ok(201);
        api.redeem("use-twice", &cart("TWICE", "t@example.com", tee, 1)).await.ok(201);
        let expiring = api.post("/promotion_codes", &promo("PASTCODE", json!({}))).await.ok(201);
        app.execute_sql(&format!("UPDATE promotion_codes SET expires_at = created_at WHERE id = {}", expiring["id"]));
        let set = api.post("/coupon_sets", &json!({"name": "S", "coupon_id": base["id"], "count": 1, "prefix": "SET"})).await.ok(201);
        let set_code = api.get(&format!("/coupon_sets/{}/codes", set["id"])).await.ok(200)["data"][0]["code"].as_str().expect("code").to_string();
        api.redeem("use-set", &cart(&set_code, "s@example.com", tee, 1)).await.ok(201);
        let cases: Vec<(&str, &str, i64, &str)> = vec![
            ("NOPE", "x@example.com", tee, "unknown_code"),
            ("good10", "x@example.com", tee, "case_sensitive"),
            ("GONE", "x@example.com", tee, "coupon_deleted"),
            ("ARCH", "x@example.com", tee, "coupon_archived"),
            ("LATER", "x@example.com", tee, "coupon_scheduled"),
            ("OLD", "x@example.com", tee, "coupon_expired"),
            ("ONE", "x@example.com", tee, "coupon_exhausted"),
            ("OFFCODE", "x@example.com", tee, "promotion_code_inactive"),
            ("PASTCODE", "x@example.com", tee, "promotion_code_expired"),
            ("TWICE", "x@example.com", tee, "promotion_code_exhausted"),
            (set_code.as_str(), "x@example.com", tee, "set_code_used"),
            ("VIPONLY", "x@example.com", tee, "customer_restricted"),
            ("NEWBIE", "repeat@example.com", tee, "first_time_only"),
            ("ONCE", "repeat@example.com", tee, "once_per_customer"),
            ("SPENDMORE", "x@example.com", tee, "minimum_amount"),
            ("USD5", "x@example.com", eur, "currency_mismatch"),
            ("TEEONLY", "x@example.com", eur, "no_eligible_product"),
        ];
        let orders = app.count("SELECT COUNT(*) AS n FROM orders");
        for (n, (code, email, product, key)) in cases.iter().enumerate() {
            let v = api.post("/validations", &cart(code, email, *product, 1)).await.ok(200);
            assert_eq!((v["valid"].as_bool(), v["reason"].as_str()), (Some(false), Some(*key)), "{code}: {v}");
            assert!(v["message"].as_str().is_some_and(|m| !m.is_empty()));
            let r = api.redeem(&format!("refused-{n}"), &cart(code, email, *product, 1)).await;
            assert_eq!(r.error(422), ("redemption_refused".into(), key.to_string()), "{code}");
            assert_eq!(r.body["error"]["message"], v["message"]);
            // The public checkout shows the same key.
            let page = app
                .checkout("acme", &[("email", email), ("coupon", code), (&format!("quantity_{product}"), "1")])
                .await;
            assert_eq!(page.data_field("error_code").as_deref(), Some(*key), "{code} on the checkout");
        }
        assert_eq!(app.count("SELECT COUNT(*) AS n FROM orders"), orders, "no refused code made an order");
        let promo_v = api.post("/validations", &cart("viponly", "vip@example.com", tee, 1)).await.ok(200);
        assert_eq!(promo_v["resolved_as"], "promotion_code");
    }

    async fn idempotency_keys_replay_conflict_and_never_order_twice(app) {
        let (api, tee) = api_store(&app).await;
        api.post("/coupons", &json!({"code": "IDEM", "discount_type": "percent", "percent_off": 10, "duration": "once"})).await.ok(201);
        let body = json!({"code": "IDEM", "email": "a@example.com", "lines": [{"product_id": tee, "quantity": 1}], "external_id": "shop-1", "metadata": {"cart": "42"}});
        assert_eq!(
            api.send(reqwest::Method::POST, "/redemptions", Some(&body), &[]).await.error(400),
            ("invalid_request".into(), "invalid_request".into())
        );
        let first = api.redeem("key-1", &body).await;
        assert_eq!(first.status, 201, "{}", first.text);
        assert!(first.headers.get("idempotent-replayed").is_none());
        assert_eq!(first.body["object"], "redemption");
        assert_eq!(first.body["status"], "succeeded");
        assert_eq!(first.body["external_id"], "shop-1");
        assert_eq!(first.body["metadata"], json!({"cart": "42"}));
        // The same body, keys in another order: the same answer, replayed.
        let same = json!({"lines": [{"quantity": 1, "product_id": tee}], "metadata": {"cart": "42"}, "external_id": "shop-1", "email": "a@example.com", "code": "IDEM"});
        let replay = api.redeem("key-1", &same).await;
        assert_eq!(replay.status, 201);
        assert_eq!(replay.text, first.text);
        assert_eq!(replay.headers.get("idempotent-replayed").and_then(|v| v.to_str().ok()), Some("true"));
        // Another body: 409.
        let other = api.redeem("key-1", &cart("IDEM", "b@example.com", tee, 1)).await;
        assert_eq!(other.error(409).0, "idempotency");
        assert_eq!(app.count("SELECT COUNT(*) AS n FROM orders"), 1);
        // A refusal is replayed too; an invalid body is not kept.
        let refused = api.redeem("key-2", &cart("NOPE", "a@example.com", tee, 1)).await;
        assert_eq!(refused.error(422).1, "unknown_code");
        assert_eq!(api.redeem("key-2", &cart("NOPE", "a@example.com", tee, 1)).await.text, refused.text);
        let invalid = api.redeem("key-3", &cart("IDEM", "not-an-email", tee, 1)).await;
        assert_eq!(invalid.error(422).1, "parameter_invalid");
        assert!(invalid.message_of("email").is_some());
        api.redeem("key-3", &cart("IDEM", "fixed@example.com", tee, 1)).await.ok(201);
        // 50 concurrent requests with one key: one order.
        let racing = cart("IDEM", "race@example.com", tee, 1);
        let mut tasks = Vec::new();
        for _ in 0..50 {
            let (api, racing) = (api.clone(), racing.clone());
            tasks.push(tokio::spawn(async move { api.redeem("race-key", &racing).await.status }));
        }
        let mut statuses = Vec::new();
        for task in tasks {
            statuses.push(task.await.expect("task"));
        }
        assert!(statuses.iter().all(|s| *s == 201 || *s == 409), "{statuses:?}");
        assert!(statuses.contains(&201));
        assert_eq!(app.count("SELECT COUNT(*) AS n FROM orders o JOIN customers c ON c.id = o.customer_id WHERE c.email = 'race@example.com'"), 1);
        // A request still running holds its key: 409. One whose process died
        // (no answer for over a minute; its order never committed, since
        // the answer commits with it) is taken over by the retry. Both
        // states made by hand: the product cannot stop mid-request.
        let nope = cart("NOPE", "a@example.com", tee, 1);
        api.redeem("key-4", &nope).await.error(422);
        app.execute_sql("UPDATE api_idempotency SET status = NULL, body = NULL WHERE idempotency_key = 'key-4'");
        assert_eq!(api.redeem("key-4", &nope).await.error(409).0, "idempotency");
        app.execute_sql(&format!(
            "UPDATE api_idempotency SET created_at = {} WHERE idempotency_key = 'key-4'",
            if app.db == Db::Sqlite { "datetime(created_at, '-2 minutes')" } else { "created_at - INTERVAL '2 minutes'" }
        ));
        let retried = api.redeem("key-4", &nope).await;
        assert_eq!(retried.error(422).1, "unknown_code");
        assert!(retried.headers.get("idempotent-replayed").is_none(), "it ran again");
        assert_eq!(api.redeem("key-4", &nope).await.headers.get("idempotent-replayed").and_then(|v| v.to_str().ok()), Some("true"));
        // A bad header.
        let long = "k".repeat(256);
        assert_eq!(api.redeem(&long, &racing).await.error(400).0, "invalid_request");
        // Answers older than 24 hours no longer count (time travel).
        app.execute_sql("UPDATE api_idempotency SET created_at = created_at - INTERVAL '25 hours'".replace("created_at - INTERVAL '25 hours'", if app.db == Db::Sqlite { "datetime(created_at, '-25 hours')" } else { "created_at - INTERVAL '25 hours'" }).as_str());
        let again = api.redeem("key-1", &cart("IDEM", "late@example.com", tee, 1)).await;
        assert_eq!(again.status, 201, "an expired key is a new one: {}", again.text);
    }

    async fn rollback_gives_the_redemption_back_once(app) {
        let (api, tee) = api_store(&app).await;
        let coupon = api.post("/coupons", &json!({"code": "LAST1", "discount_type": "percent", "percent_off": 10, "duration": "once", "max_redemptions": 1, "once_per_customer": true})).await.ok(201);
        let redeemed = api.redeem("r-1", &cart("LAST1", "a@example.com", tee, 1)).await.ok(201);
        let id = redeemed["id"].as_i64().expect("id");
        assert_eq!(api.get(&format!("/coupons/{}", coupon["id"])).await.ok(200)["state"], "exhausted");
        let rolled = api.post(&format!("/redemptions/{id}/rollback"), &json!({"reason": "cart abandoned"})).await.ok(200);
        assert_eq!(rolled["status"], "rolled_back");
        assert_eq!(rolled["id"], id);
        let after = api.get(&format!("/coupons/{}", coupon["id"])).await.ok(200);
        assert_eq!((after["times_redeemed"].as_i64(), after["state"].as_str()), (Some(0), Some("active")));
        let again = api.post(&format!("/redemptions/{id}/rollback"), &json!({})).await.ok(200);
        assert_eq!(again, rolled, "a second rollback answers the same");
        assert_eq!(api.get(&format!("/coupons/{}", coupon["id"])).await.ok(200)["times_redeemed"], 0);
        // The same customer may use the once-per-customer coupon again.
        api.redeem("r-2", &cart("LAST1", "a@example.com", tee, 1)).await.ok(201);
        assert_eq!(api.post("/redemptions/999999/rollback", &json!({})).await.error(404).0, "not_found");
        let page = app.get(&format!("/admin/s/acme/orders/{id}")).await;
        page.assert_status(200);
        assert!(page.body.contains("Refunded") || page.body.contains("refunded"));
        let log = app.get(&format!("/admin/s/acme/coupons/{}", coupon["id"])).await;
        assert!(log.body.contains("reason: cart abandoned"), "the rollback's reason is in the coupon's log");
        assert!(log.body.contains("API key “Shop server”"));
    }

    async fn a_customer_is_counted_once_per_order_and_a_first_time_code_races_to_one_order(app) {
        let (api, tee) = api_store(&app).await;
        let base = api.post("/coupons", &json!({"code": "BASE", "discount_type": "percent", "percent_off": 10, "duration": "once"})).await.ok(201);
        api.post("/promotion_codes", &json!({"coupon_id": base["id"], "code": "FIRSTONLY", "first_time_transaction": true})).await.ok(201);
        // A customer added by hand has no order yet: a first-time code is
        // theirs, and their first order dates them.
        api.post("/customers", &json!({"email": "hand@example.com"})).await.ok(201);
        let first_order = |email: &str| {
            app.text(&format!("SELECT COALESCE(CAST(first_order_at AS TEXT), 'none') AS t FROM customers WHERE email = '{email}'"))
                .filter(|t| t != "none")
        };
        assert_eq!(first_order("hand@example.com"), None);
        let body = cart("FIRSTONLY", "hand@example.com", tee, 1);
        let keys: Vec<String> = (0..12).map(|n| format!("race-{n}")).collect();
        let racers: Vec<_> = keys.iter().map(|key| api.redeem(key, &body)).collect();
        let answers = futures_util::future::join_all(racers).await;
        let placed = answers.iter().filter(|a| a.status == 201).count();
        assert_eq!(placed, 1, "one first order: {:?}", answers.iter().map(|a| a.status).collect::<Vec<_>>());
        for a in answers.iter().filter(|a| a.status != 201) {
            assert_eq!(a.error(422).1, "first_time_only");
        }
        let counted = || app.count("SELECT orders_count AS n FROM customers WHERE email = 'hand@example.com'");
        assert_eq!(counted(), 1);
        let dated = first_order("hand@example.com");
        assert!(dated.is_some(), "the first order dates the customer");
        // A later order counts, and leaves the first order's date alone.
        api.redeem("later", &cart("BASE", "hand@example.com", tee, 1)).await.ok(201);
        assert_eq!(counted(), 2);
        assert_eq!(first_order("hand@example.com"), dated);
        // A new email: created by its first order, counted once.
        api.redeem("new-1", &cart("FIRSTONLY", "new@example.com", tee, 1)).await.ok(201);
        assert_eq!(app.count("SELECT orders_count AS n FROM customers WHERE email = 'new@example.com'"), 1);
        assert!(first_order("new@example.com").is_some());
        assert_eq!(app.count("SELECT COUNT(*) AS n FROM customers"), 2);
    }

    async fn the_openapi_document_lists_every_route(app) {
        let doc = openapi_document(&app).await;
        assert_eq!(doc["openapi"], "3.1.0");
        let paths = doc["paths"].as_object().expect("paths");
        for route in promodesk::web::api::ROUTES {
            let item = &paths[&format!("/api/v1{}", route.path)];
            assert!(item[route.method].is_object(), "{} {} is documented", route.method, route.path);
        }
        let count: usize = paths.values().map(|p| p.as_object().map_or(0, |o| o.len())).sum();
        assert_eq!(count, promodesk::web::api::ROUTES.len());
        // The schemas say what the answers hold: each object the API returns
        // has exactly its schema's properties.
        let (api, tee) = api_store(&app).await;
        let coupon = api.post("/coupons", &json!({"code": "DOC10", "discount_type": "percent", "percent_off": 10, "duration": "once"})).await.ok(201);
        let promo = api.post("/promotion_codes", &json!({"coupon_id": coupon["id"], "code": "DOCPROMO"})).await.ok(201);
        let set = api.post("/coupon_sets", &json!({"name": "Doc", "coupon_id": coupon["id"], "count": 1})).await.ok(201);
        let code = api.get(&format!("/coupon_sets/{}/codes", set["id"])).await.ok(200)["data"][0].clone();
        let customer = api.post("/customers", &json!({"email": "doc@example.com"})).await.ok(201);
        let product = api.get(&format!("/products/{tee}")).await.ok(200);
        let valid = api.post("/validations", &cart("DOC10", "", tee, 1)).await.ok(200);
        let redemption = api.redeem("doc-1", &cart("DOC10", "doc@example.com", tee, 1)).await.ok(201);
        let order = api.get(&format!("/orders/{}", redemption["order_id"])).await.ok(200);
        let schemas = doc["components"]["schemas"].clone();
        for (name, object) in [
            ("Coupon", &coupon),
            ("PromotionCode", &promo),
            ("CouponSet", &set),
            ("SetCode", &code),
            ("Customer", &customer),
            ("Product", &product),
            ("Redemption", &redemption),
            ("Order", &order),
        ] {
            let mut declared: Vec<&String> = schemas[name]["properties"].as_object().expect(name).keys().collect();
            let mut sent: Vec<&String> = object.as_object().expect(name).keys().collect();
            declared.sort();
            sent.sort();
            assert_eq!(declared, sent, "the {name} schema lists what the API sends");
        }
        let declared = schemas["Validation"]["properties"].as_object().expect("Validation");
        assert!(valid.as_object().expect("validation").keys().all(|k| declared.contains_key(k)));
        // The envelopes and the small answers too: a list, an import, a
        // delete, and the error object (with `errors` on a 422).
        let list = api.get("/coupons?limit=1").await.ok(200);
        let import = api
            .post(&format!("/coupon_sets/{}/codes", set["id"]), &json!({"codes": ["DOCIMPORT1", "no spaces!"]}))
            .await
            .ok(200);
        assert_eq!(import["refused"].as_array().map(Vec::len), Some(1), "{import}");
        let deleted = api.delete(&format!("/promotion_codes/{}", promo["id"])).await.ok(200);
        let missing = api.get("/coupons/999999").await;
        missing.error(404);
        let invalid = api.post("/coupons", &json!({"code": "", "discount_type": "percent", "duration": "once"})).await;
        invalid.error(422);
        let properties = |name: &str| -> Vec<String> {
            let mut keys: Vec<String> = schemas[name]["properties"].as_object().expect(name).keys().cloned().collect();
            keys.sort();
            keys
        };
        let keys = |object: &Value| -> Vec<String> {
            let mut keys: Vec<String> = object.as_object().expect("an object").keys().cloned().collect();
            keys.sort();
            keys
        };
        for (name, object) in [
            ("CouponList", &list),
            ("Coupon", &list["data"][0]),
            ("CodeImport", &import),
            ("RefusedCode", &import["refused"][0]),
            ("Deleted", &deleted),
            ("Error", &missing.body),
            ("ErrorDetail", &invalid.body["error"]),
            ("FieldError", &invalid.body["error"]["errors"][0]),
        ] {
            assert_eq!(properties(name), keys(object), "the {name} schema lists what the API sends: {object}");
        }
        let detail = properties("ErrorDetail");
        assert!(keys(&missing.body["error"]).iter().all(|k| detail.contains(k)));
        let types = schemas["ErrorType"]["enum"].as_array().expect("the error types");
        for e in [&missing.body, &invalid.body] {
            assert!(types.contains(&e["error"]["type"]), "{e} has a documented type");
        }
        assert_eq!(
            schemas["CouponList"]["properties"]["data"]["items"]["$ref"],
            "#/components/schemas/Coupon"
        );
        // Every reference resolves.
        let text = doc.to_string();
        let schemas = doc["components"]["schemas"].as_object().expect("schemas");
        for part in text.split("#/components/schemas/").skip(1) {
            let name: String = part.chars().take_while(|c| c.is_ascii_alphanumeric()).collect();
            assert!(schemas.contains_key(&name), "schema {name} is defined");
        }
    }

    async fn each_list_reads_the_parameters_its_document_lists_and_refuses_the_others(app) {
        let doc = openapi_document(&app).await;
        let (api, _) = api_store(&app).await;
        let coupon = api.post("/coupons", &json!({"code": "LIST10", "discount_type": "percent", "percent_off": 10, "duration": "once"})).await.ok(201);
        let set = api.post("/coupon_sets", &json!({"name": "Lists", "coupon_id": coupon["id"], "count": 1})).await.ok(201);
        let mut lists = 0;
        for (path, item) in doc["paths"].as_object().expect("paths") {
            let Some(list) = item.get("get").filter(|get| {
                let answer = get["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].as_str();
                answer.is_some_and(|a| a.ends_with("List"))
            }) else {
                continue;
            };
            lists += 1;
            let documented: Vec<&str> = list["parameters"]
                .as_array()
                .expect("parameters")
                .iter()
                .filter(|p| p["in"] == "query")
                .filter_map(|p| p["name"].as_str())
                .collect();
            assert!(documented.starts_with(&["limit", "starting_after"]), "{path}: {documented:?}");
            let path = path.trim_start_matches("/api/v1").replace("{id}", &set["id"].to_string());
            for name in ["limit", "starting_after", "state", "coupon", "q", "sort"] {
                // An empty value is "no filter": a parameter the list reads
                // answers the whole list, any other is named in a 400.
                let answer = api.get(&format!("{path}?{name}=")).await;
                if documented.contains(&name) {
                    answer.ok(200);
                } else {
                    assert_eq!(answer.error(400).1, "invalid_request", "{path}?{name}=");
                    assert_eq!(answer.body["error"]["param"], name, "{path}?{name}=");
                }
            }
        }
        assert_eq!(lists, 7, "every list route is checked");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_guessing_codes_is_paused_with_too_many_attempts() {
    let app = spawn_app_with(Db::Sqlite, |c| c.guess_limit = 3)
        .await
        .expect("app");
    let (api, tee) = api_store(&app).await;
    api.post("/coupons", &json!({"code": "REAL10", "discount_type": "percent", "percent_off": 10, "duration": "once"}))
        .await
        .ok(201);
    for n in 0..3 {
        let v = api
            .post("/validations", &cart(&format!("GUESS{n}"), "", tee, 1))
            .await
            .ok(200);
        assert_eq!(v["reason"], "unknown_code");
    }
    // Past the limit, even a real code is not looked up, for this key only.
    let paused = api.post("/validations", &cart("REAL10", "", tee, 1)).await;
    assert_eq!(
        paused.error(429),
        ("rate_limited".into(), "too_many_attempts".into())
    );
    assert!(paused.headers.get("retry-after").is_some());
    let redeem = api
        .redeem("g-1", &cart("REAL10", "a@example.com", tee, 1))
        .await;
    assert_eq!(redeem.error(429).1, "too_many_attempts");
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM orders"), 0);
    let other = Api::new(
        &app.address,
        &create_key(&app, "acme", "Other", "write").await,
    );
    assert_eq!(
        other
            .post("/validations", &cart("REAL10", "", tee, 1))
            .await
            .ok(200)["valid"],
        true
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_the_rate_limit_a_key_gets_429_with_retry_after() {
    let app = spawn_app_with(Db::Sqlite, |c| c.api_rate_limit = 5)
        .await
        .expect("app");
    let (api, _) = api_store(&app).await;
    let first = api.get("/coupons").await;
    assert_eq!(first.status, 200);
    assert_eq!(
        first
            .headers
            .get("ratelimit-limit")
            .and_then(|v| v.to_str().ok()),
        Some("5")
    );
    assert!(first.headers.get("ratelimit-remaining").is_some());
    let mut limited = None;
    for _ in 0..20 {
        let answer = api.get("/coupons").await;
        if answer.status == 429 {
            limited = Some(answer);
            break;
        }
    }
    let limited = limited.expect("a 429 within 20 quick requests at 5/s with a burst of 10");
    assert_eq!(limited.body["error"]["type"], "rate_limited");
    let retry: u64 = limited
        .headers
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After");
    assert!(retry >= 1);
    // Another key is not slowed by this one.
    let other = Api::new(
        &app.address,
        &create_key(&app, "acme", "Other", "read").await,
    );
    assert_eq!(other.get("/coupons").await.status, 200);
}

/// API redemptions racing each other and the form checkout.
/// `n` write keys of store `acme`: one per concurrent client, so the
/// per-key rate limit measures nothing here.
async fn keys(app: &TestApp, n: usize) -> Vec<Api> {
    let mut all = Vec::new();
    for i in 0..n {
        let key = create_key(app, "acme", &format!("Client {i}"), "write").await;
        all.push(Api::new(&app.address, &key));
    }
    all
}

/// Every client sends its redemptions one after another, all clients at
/// once; each answer must be 201 or 422. Returns how many were 201.
async fn hammer(
    clients: Vec<Api>,
    bodies: impl Fn(usize, usize) -> Value + Send + Sync + 'static,
    per_client: usize,
) -> usize {
    let bodies = std::sync::Arc::new(bodies);
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(clients.len()));
    let tasks: Vec<_> = clients
        .into_iter()
        .enumerate()
        .map(|(c, api)| {
            let (bodies, barrier) = (bodies.clone(), barrier.clone());
            let jobs: Vec<Value> = (0..per_client).map(|i| bodies(c, i)).collect();
            tokio::spawn(async move {
                barrier.wait().await;
                let mut ordered = 0;
                for (i, body) in jobs.iter().enumerate() {
                    let answer = api.redeem(&format!("c{c}-r{i}"), body).await;
                    assert!(
                        answer.status == 201 || answer.status == 422,
                        "unexpected answer: {} {}",
                        answer.status,
                        answer.text
                    );
                    ordered += usize::from(answer.status == 201);
                }
                ordered
            })
        })
        .collect();
    let mut total = 0;
    for task in tasks {
        total += task.await.expect("client task");
    }
    total
}

mod concurrency {
    use super::*;

    db_tests! {
        async fn sixty_four_api_clients_never_pass_a_coupon_limit_of_100(app) {
            let (api, tee) = api_store(&app).await;
            let coupon = api.post("/coupons", &json!({"code": "HUNDRED", "discount_type": "percent", "percent_off": 10, "duration": "once", "max_redemptions": 100})).await.ok(201);
            let clients = keys(&app, 64).await;
            // 64 clients × 25 = 1,600 redemptions (the full 64 × 1,000 runs in
            // `cargo bench --bench api`).
            let ordered = hammer(clients, move |c, i| cart("HUNDRED", &format!("c{c}-{i}@example.com"), tee, 1), 25).await;
            assert_eq!(ordered, 100);
            assert_eq!(app.count("SELECT COUNT(*) AS n FROM orders WHERE code = 'HUNDRED' AND status = 'paid'"), 100);
            let after = api.get(&format!("/coupons/{}", coupon["id"])).await.ok(200);
            assert_eq!((after["times_redeemed"].as_i64(), after["state"].as_str()), (Some(100), Some("exhausted")));
        }

        async fn two_hundred_api_redemptions_over_fifty_set_codes_make_fifty_orders(app) {
            let (api, tee) = api_store(&app).await;
            let coupon = api.post("/coupons", &json!({"code": "SETBASE", "discount_type": "percent", "percent_off": 10, "duration": "once"})).await.ok(201);
            let set = api.post("/coupon_sets", &json!({"name": "Fifty", "coupon_id": coupon["id"], "count": 50, "prefix": "RACE"})).await.ok(201);
            let page = api.get(&format!("/coupon_sets/{}/codes?limit=100", set["id"])).await.ok(200);
            let codes: Vec<String> = page["data"].as_array().expect("codes").iter().map(|c| c["code"].as_str().unwrap_or("").to_string()).collect();
            assert_eq!(codes.len(), 50);
            // Four clients per code, at once.
            let clients = keys(&app, 200).await;
            let ordered = hammer(clients, move |c, _| cart(&codes[c % 50], &format!("s{c}@example.com"), tee, 1), 1).await;
            assert_eq!(ordered, 50);
            assert_eq!(api.get(&format!("/coupon_sets/{}", set["id"])).await.ok(200)["used_codes"], 50);
            assert_eq!(app.count("SELECT COUNT(*) AS n FROM orders WHERE set_code_id IS NOT NULL"), 50);
        }

        async fn api_and_form_checkouts_on_one_coupon_stay_exact(app) {
            let (api, tee) = api_store(&app).await;
            api.post("/coupons", &json!({"code": "MIXED", "discount_type": "percent", "percent_off": 10, "duration": "once", "max_redemptions": 30})).await.ok(201);
            let clients = keys(&app, 16).await;
            let quantity = format!("quantity_{tee}");
            let mut forms = Vec::new();
            for n in 0..16 {
                let client = app.new_client();
                let token = client.csrf_token().await;
                forms.push((client, token, n));
            }
            let api_side = tokio::spawn(hammer(clients, move |c, i| cart("MIXED", &format!("api{c}-{i}@example.com"), tee, 1), 4));
            let form_side: Vec<_> = forms
                .into_iter()
                .map(|(client, token, n)| {
                    let quantity = quantity.clone();
                    tokio::spawn(async move {
                        let mut ordered = 0;
                        for i in 0..4 {
                            let email = format!("form{n}-{i}@example.com");
                            let page = client
                                .post_raw("/acme/checkout", &[("csrf_token", token.as_str()), ("email", email.as_str()), ("coupon", "MIXED"), (quantity.as_str(), "1")])
                                .await;
                            assert!(page.status == 303 || page.status == 422, "{}", page.status);
                            ordered += usize::from(page.status == 303);
                        }
                        ordered
                    })
                })
                .collect();
            let mut ordered = api_side.await.expect("api side");
            for task in form_side {
                ordered += task.await.expect("form side");
            }
            assert_eq!(ordered, 30, "128 tries, 30 uses");
            assert_eq!(app.count("SELECT COUNT(*) AS n FROM orders WHERE code = 'MIXED'"), 30);
            assert_eq!(app.count("SELECT times_redeemed AS n FROM coupons WHERE code = 'MIXED'"), 30);
        }
    }
}
