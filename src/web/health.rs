//! `/healthz`: 200 "ok" while the database answers, 503 otherwise.

use actix_web::{HttpResponse, web};
use diesel::RunQueryDsl;

use super::AppState;

pub async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    let ping = super::db(&state, |conn| {
        diesel::select(diesel::dsl::sql::<diesel::sql_types::Integer>("1")).get_result::<i32>(conn)
    })
    .await;
    match ping {
        Ok(_) => HttpResponse::Ok().content_type("text/plain").body("ok"),
        Err(e) => {
            tracing::error!(error = %e, "health check failed");
            HttpResponse::ServiceUnavailable()
                .content_type("text/plain")
                .body("database unavailable")
        }
    }
}
