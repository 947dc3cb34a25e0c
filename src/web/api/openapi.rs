//! `GET /api/v1/openapi.json`: the OpenAPI 3.1 document, built from the
//! route table the router serves (`super::ROUTES`), so every route is in it.

use actix_web::HttpResponse;
use serde_json::{Map, Value, json};
use utoipa::openapi::{RefOr, schema::Schema};
use utoipa::{PartialSchema, ToSchema};

use super::ROUTES;

/// The schemas a document collects: (name, schema).
pub type Schemas = Vec<(String, RefOr<Schema>)>;

/// Adds a type's schema (and those it refers to) and gives its name: how
/// the route table names a request body or an answer by its Rust type.
pub type SchemaOf = fn(&mut Schemas) -> String;

/// `SchemaOf` for `T`: the schema utoipa derives from the type a handler
/// parses or answers with, so the document cannot drift from the code.
pub fn schema_of<T: ToSchema>(schemas: &mut Schemas) -> String {
    T::schemas(schemas);
    let name = T::name().into_owned();
    schemas.push((name.clone(), T::schema()));
    name
}

/// The answer of `GET /openapi.json`: this document.
pub struct Document;

impl ToSchema for Document {
    fn name() -> std::borrow::Cow<'static, str> {
        "OpenApi".into()
    }
}

impl PartialSchema for Document {
    fn schema() -> RefOr<Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .description(Some("An OpenAPI 3.1 document."))
            .into()
    }
}

fn parameters(route: &super::Route) -> Vec<Value> {
    let mut params = Vec::new();
    if route.path.contains("{id}") {
        params.push(
            json!({"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}),
        );
    }
    let filters = route
        .query
        .map(|filters| super::listing::PAGING.iter().chain(filters));
    for filter in filters.into_iter().flatten() {
        params.push(
            json!({"name": filter.name, "in": "query", "required": false,
            "description": filter.description, "schema": {"type": filter.kind}}),
        );
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
    let mut schemas = Schemas::new();
    schema_of::<super::error::Body>(&mut schemas);
    let mut paths = Map::new();
    for route in ROUTES {
        let mut responses = Map::new();
        for (status, schema) in route.answers {
            let answer = schema(&mut schemas);
            responses.insert(
                status.to_string(),
                json!({"description": "Success", "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{answer}")}}}}),
            );
        }
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
            let body = body(&mut schemas);
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
            "schemas": schemas
                .into_iter()
                .map(|(name, schema)| (name, serde_json::to_value(schema).unwrap_or(Value::Null)))
                .collect::<Map<String, Value>>()
        },
        "paths": paths,
    })
}

/// `GET /api/v1/openapi.json` (public).
pub async fn document() -> HttpResponse {
    HttpResponse::Ok().json(build())
}
