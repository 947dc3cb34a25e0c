//! `/healthz`: 200 while the process serves (for a supervisor's liveness
//! check). `/readyz`: 200 while the database answers and its migrations
//! are those this binary has; 503 otherwise (for a load balancer).
//! `/metrics`: Prometheus text, behind `METRICS_TOKEN` when it is set.

use actix_web::{HttpResponse, web};

use super::AppState;

pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain").body("ok")
}

pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let ready = super::db(&state, crate::app::accounts::database_ready).await;
    match ready {
        Ok(true) => HttpResponse::Ok().content_type("text/plain").body("ready"),
        Ok(false) => HttpResponse::ServiceUnavailable()
            .content_type("text/plain")
            .body("database migrations pending"),
        Err(e) => {
            tracing::error!(error = %e, "readiness check failed");
            HttpResponse::ServiceUnavailable()
                .content_type("text/plain")
                .body("database unavailable")
        }
    }
}

/// `GET /metrics`
pub async fn metrics(req: actix_web::HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    if let Some(token) = &state.metrics_token {
        let given = req
            .headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or_default();
        let same: bool = subtle::ConstantTimeEq::ct_eq(given.as_bytes(), token.as_bytes()).into();
        if !same {
            return HttpResponse::Unauthorized()
                .insert_header(("WWW-Authenticate", "Bearer"))
                .content_type("text/plain")
                .body("a bearer token is needed (METRICS_TOKEN)");
        }
    }
    let queue = super::db(&state, crate::app::jobs::queue).await;
    let (jobs, deliveries) = match queue {
        Ok(q) => q,
        Err(e) => {
            tracing::error!(error = %e, "metrics: the database did not answer");
            return HttpResponse::ServiceUnavailable()
                .content_type("text/plain")
                .body("database unavailable");
        }
    };
    let pool = state.pool.state();
    let snapshot = crate::metrics::Snapshot {
        jobs,
        deliveries,
        pool_size: pool.connections,
        pool_idle: pool.idle_connections,
        pool_max: state.pool.max_size(),
    };
    match crate::metrics::render(&snapshot) {
        Ok(text) => HttpResponse::Ok()
            .content_type("text/plain; version=0.0.4")
            .body(text),
        Err(e) => {
            tracing::error!(error = %e, "metrics could not be rendered");
            HttpResponse::InternalServerError().finish()
        }
    }
}
