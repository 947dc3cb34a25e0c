//! `GET /api/v1/openapi.json`: the OpenAPI 3.1 document, built from the
//! route table the router serves (`super::ROUTES`), so every route is in it.

use actix_web::HttpResponse;
use serde_json::{Map, Value, json};

use super::ROUTES;
use crate::app::objects;

/// A JSON Schema object with these (name, type) properties; a type that
/// starts with an upper-case letter names another schema.
fn object(props: &[(&str, &str)]) -> Value {
    let mut properties = Map::new();
    for (name, kind) in props {
        let schema = match *kind {
            k if k.starts_with(|c: char| c.is_ascii_uppercase()) => {
                json!({"$ref": format!("#/components/schemas/{k}")})
            }
            "integer?" => json!({"type": ["integer", "null"]}),
            "string?" => json!({"type": ["string", "null"]}),
            "number?" => json!({"type": ["number", "null"]}),
            "time?" => json!({"type": ["string", "null"], "format": "date-time"}),
            "time" => json!({"type": "string", "format": "date-time"}),
            "[integer]" => json!({"type": "array", "items": {"type": "integer"}}),
            "[string]" => json!({"type": "array", "items": {"type": "string"}}),
            "[Line]" => json!({"type": "array", "items": {"$ref": "#/components/schemas/Line"}}),
            "map" => json!({"type": "object", "additionalProperties": {"type": "string"}}),
            k => json!({"type": k}),
        };
        properties.insert((*name).to_string(), schema);
    }
    json!({"type": "object", "properties": properties})
}

fn list_of(item: &str) -> Value {
    json!({"type": "object", "properties": {
        "object": {"const": "list"},
        "data": {"type": "array", "items": {"$ref": format!("#/components/schemas/{item}")}},
        "has_more": {"type": "boolean"}
    }})
}

/// Adds the schema utoipa derives for `T`, and those it refers to.
fn derived<T: utoipa::ToSchema>(add: &mut impl FnMut(&str, Value)) {
    let mut all = Vec::new();
    T::schemas(&mut all);
    all.push((T::name().into_owned(), T::schema()));
    for (name, schema) in all {
        add(&name, serde_json::to_value(schema).unwrap_or(Value::Null));
    }
}

fn schemas() -> Value {
    let mut s = Map::new();
    let mut add = |name: &str, schema: Value| {
        s.insert(name.to_string(), schema);
    };
    add(
        "CodeImport",
        object(&[
            ("object", "string"),
            ("added", "integer"),
            ("refused", "array"),
        ]),
    );
    add(
        "SetCode",
        object(&[
            ("object", "string"),
            ("id", "integer"),
            ("code", "string"),
            ("state", "string"),
            ("used_at", "time?"),
            ("order_id", "integer?"),
        ]),
    );
    add(
        "Deleted",
        object(&[
            ("object", "string"),
            ("id", "integer"),
            ("deleted", "boolean"),
        ]),
    );
    // The request bodies: derived from the types the handlers parse
    // (`#[serde(deny_unknown_fields)]`), so a field the API takes is a
    // field the document lists.
    derived::<super::redemptions::ValidateBody>(&mut add);
    derived::<super::redemptions::ValidationObject>(&mut add);
    derived::<super::redemptions::RedeemBody>(&mut add);
    derived::<super::redemptions::RollbackBody>(&mut add);
    derived::<super::coupons::CouponBody>(&mut add);
    derived::<super::promotion_codes::PromoBody>(&mut add);
    derived::<super::catalog::ProductBody>(&mut add);
    derived::<super::catalog::CustomerBody>(&mut add);
    derived::<super::coupon_sets::SetBody>(&mut add);
    derived::<super::coupon_sets::CodesBody>(&mut add);
    // The objects the API answers with: derived from their Rust types
    // (`app::objects`, utoipa's `ToSchema`), so they cannot drift apart.
    derived::<objects::ProductObject>(&mut add);
    derived::<objects::CouponObject>(&mut add);
    derived::<objects::PromotionCodeObject>(&mut add);
    derived::<objects::CouponSetObject>(&mut add);
    derived::<objects::CustomerObject>(&mut add);
    derived::<objects::OrderObject>(&mut add);
    derived::<objects::RedemptionObject>(&mut add);
    add("OpenApi", json!({"type": "object"}));
    for (list, item) in [
        ("ProductList", "Product"),
        ("CouponList", "Coupon"),
        ("PromotionCodeList", "PromotionCode"),
        ("CouponSetList", "CouponSet"),
        ("SetCodeList", "SetCode"),
        ("CustomerList", "Customer"),
        ("OrderList", "Order"),
    ] {
        add(list, list_of(item));
    }
    add(
        "Error",
        json!({"type": "object", "properties": {"error": {"type": "object", "properties": {
            "type": {"enum": ["invalid_request", "authentication", "permission", "not_found", "idempotency", "redemption_refused", "rate_limited", "api_error"]},
            "code": {"type": "string"},
            "message": {"type": "string"},
            "param": {"type": ["string", "null"]},
            "errors": {"type": "array", "items": {"type": "object", "properties": {"param": {"type": "string"}, "message": {"type": "string"}}}}
        }}}}),
    );
    Value::Object(s)
}

fn parameters(route: &super::Route) -> Vec<Value> {
    let mut params = Vec::new();
    if route.path.contains("{id}") {
        params.push(
            json!({"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}),
        );
    }
    if route.method == "get" && route.answer.1.ends_with("List") {
        for (name, kind) in [
            ("limit", "integer"),
            ("starting_after", "integer"),
            ("state", "string"),
            ("coupon", "integer"),
            ("q", "string"),
        ] {
            params.push(
                json!({"name": name, "in": "query", "required": false, "schema": {"type": kind}}),
            );
        }
    }
    if route.path == "/redemptions" {
        params.push(
            json!({"name": "Idempotency-Key", "in": "header", "required": true,
            "schema": {"type": "string", "minLength": 1, "maxLength": 255}}),
        );
    }
    params
}

/// The document, built from the route table.
pub fn build() -> Value {
    let error = json!({"description": "An error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}});
    let mut paths = Map::new();
    for route in ROUTES {
        let mut responses = Map::new();
        responses.insert(
            route.answer.0.to_string(),
            json!({"description": "Success", "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{}", route.answer.1)}}}}),
        );
        responses.insert("default".into(), error.clone());
        let mut operation = json!({
            "summary": route.summary,
            "operationId": format!("{}{}", route.method, route.path.replace(['/', '{', '}'], "_")),
            "parameters": parameters(route),
            "responses": responses,
        });
        if route.scope == "none" {
            operation["security"] = json!([]);
        } else {
            operation["description"] = json!(format!("Needs a {} key.", route.scope));
        }
        if let Some(body) = route.body {
            operation["requestBody"] = json!({"required": true, "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{body}")}}}});
        }
        let item = paths
            .entry(format!("/api/v1{}", route.path))
            .or_insert_with(|| json!({}));
        item[route.method] = operation;
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Promodesk API",
            "version": "1",
            "description": "Validate and redeem coupon codes, and manage coupons, promotion codes and coupon sets. Money is in minor units; times are RFC 3339 in UTC."
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "description": "An API key (pdk_...) from the store's API keys page."}},
            "schemas": schemas()
        },
        "paths": paths,
    })
}

/// `GET /api/v1/openapi.json` (public).
pub async fn document() -> HttpResponse {
    HttpResponse::Ok().json(build())
}
