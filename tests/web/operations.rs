//! Operations (SPEC 11): `/readyz` and `/metrics`.

use crate::helpers::{Db, STORE, spawn_app_with};

/// The value of the first sample of `metrics` whose line starts with
/// `name_and_labels`.
fn sample(metrics: &str, name_and_labels: &str) -> Option<f64> {
    metrics
        .lines()
        .find(|l| l.starts_with(name_and_labels))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

/// `/metrics` counts requests by route pattern and status, redemptions and
/// refusals by key, and shows the job queue and the pool; with
/// `METRICS_TOKEN` it asks for that token.
async fn metrics_count_what_happened(db: Db) {
    let Some(app) = spawn_app_with(db, |c| c.metrics_token = Some("metrics-secret".into())).await
    else {
        return;
    };
    app.setup_owner().await;
    app.create_coupon(STORE, &[]).await.assert_status(303);
    app.redeem("SUMMER10", 1).await;
    let tee = app.count("SELECT MAX(id) AS n FROM products");
    let quantity = format!("quantity_{tee}");
    app.checkout(
        STORE,
        &[
            ("email", "x@example.com"),
            ("coupon", "NOSUCHCODE"),
            (&quantity, "1"),
        ],
    )
    .await
    .assert_status(422);
    let url = format!("{}/metrics", app.address);
    let http = reqwest::Client::new();
    let refused = http.get(&url).send().await.expect("GET /metrics");
    assert_eq!(refused.status(), 401);
    let wrong = http
        .get(&url)
        .bearer_auth("guess")
        .send()
        .await
        .expect("GET /metrics");
    assert_eq!(wrong.status(), 401);
    let page = http
        .get(&url)
        .bearer_auth("metrics-secret")
        .send()
        .await
        .expect("GET /metrics");
    assert_eq!(page.status(), 200);
    let text = page.text().await.expect("the metrics");
    let checkouts = sample(
        &text,
        "promodesk_http_requests_total{method=\"POST\",route=\"/{store}/checkout\",status=\"303\"}",
    );
    assert!(checkouts.is_some_and(|n| n >= 1.0), "{text}");
    assert!(
        sample(&text, "promodesk_redemptions_total{via=\"coupon\"}").is_some_and(|n| n >= 1.0),
        "{text}"
    );
    assert!(
        sample(&text, "promodesk_refusals_total{reason=\"unknown_code\"}")
            .is_some_and(|n| n >= 1.0),
        "{text}"
    );
    assert!(text.contains("promodesk_http_request_duration_seconds_bucket"));
    assert!(
        sample(&text, "promodesk_db_pool_connections{state=\"max\"}") == Some(4.0),
        "{text}"
    );
    assert!(text.contains("promodesk_jobs_pending") || !text.contains("jobs_oldest"));
    // SQLite's group commit: never more commits than write transactions
    // (this process's counts, every test app's included).
    let transactions = sample(&text, "promodesk_sqlite_write_transactions_total");
    let commits = sample(&text, "promodesk_sqlite_commits_total");
    assert!(
        matches!((transactions, commits), (Some(t), Some(c)) if c <= t),
        "{transactions:?} {commits:?}"
    );
}

crate::db_fn_tests! {
    metrics_count_what_happened => metrics_count_what_happened();
}
