use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use promodesk::config::{Command, Config};
use promodesk::db;
use promodesk::startup::Application;
use tracing_subscriber::EnvFilter;

#[actix_web::main]
async fn main() -> ExitCode {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // LOG_FORMAT=json: one JSON object a line, with the request's span
    // (its request_id) on every line logged while serving it.
    if std::env::var("LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json")) {
        logs.json()
            .with_current_span(true)
            .with_span_list(false)
            .init();
    } else {
        logs.with_ansi(std::io::stderr().is_terminal()).init();
    }
    let config = Config::parse();
    if let Some(Command::Seed {
        store,
        coupons,
        promotion_codes,
    }) = &config.command
    {
        return seed(&config.database_url, store, *coupons, *promotion_codes);
    }
    if let Some(Command::Worker) = &config.command {
        return worker(&config).await;
    }
    let app = match Application::build(config).await {
        Ok(app) => app,
        Err(e) => {
            eprintln!("promodesk: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    let open = app.open_url().await;
    let what = if open.ends_with("/setup") {
        " to create the owner account and the first store"
    } else {
        " to log in"
    };
    tracing::info!("Promodesk is serving on http://{}", app.address());
    tracing::info!("Open {open}{what}");
    match app.run_until_stopped().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("promodesk: server stopped: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `promodesk worker`: runs jobs until SIGINT or SIGTERM, then gives its
/// lease back.
async fn worker(config: &Config) -> ExitCode {
    let url = config.database_url.clone();
    let size = config.db_pool_size;
    let pool = match actix_web::web::block(move || db::open(&url, size)).await {
        Ok(Ok(pool)) => pool,
        Ok(Err(e)) => {
            eprintln!("promodesk worker: cannot start: {e}");
            return ExitCode::FAILURE;
        }
        Err(e) => {
            eprintln!("promodesk worker: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    let base = config
        .public_base_url
        .clone()
        .map(|u| u.trim_end_matches('/').to_string())
        .unwrap_or_else(|| format!("http://{}", config.bind));
    let jobs = config.jobs(base);
    let handle = match promodesk::worker::spawn(jobs.clone(), pool) {
        Ok(handle) => handle,
        Err(e) => {
            eprintln!("promodesk worker: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut terminate = match actix_web::rt::signal::unix::signal(
        actix_web::rt::signal::unix::SignalKind::terminate(),
    ) {
        Ok(signal) => signal,
        Err(e) => {
            eprintln!("promodesk worker: cannot watch for SIGTERM: {e}");
            return ExitCode::FAILURE;
        }
    };
    tokio_select(actix_web::rt::signal::ctrl_c(), terminate.recv()).await;
    let _ = actix_web::rt::task::spawn_blocking(move || {
        promodesk::worker::stop(&jobs, handle, std::time::Duration::from_secs(10))
    })
    .await;
    ExitCode::SUCCESS
}

/// Waits for whichever of two futures ends first.
async fn tokio_select<A: std::future::Future, B: std::future::Future>(a: A, b: B) {
    let a = std::pin::pin!(a);
    let b = std::pin::pin!(b);
    futures_util::future::select(a, b).await;
}

fn seed(database_url: &str, store: &str, coupons: usize, promotion_codes: usize) -> ExitCode {
    let started = std::time::Instant::now();
    let result = db::open(database_url, 1)
        .map_err(|e| e.to_string())
        .and_then(|pool| pool.get().map_err(|e| e.to_string()))
        .and_then(|mut conn| {
            let id = db::seed::store_id(&mut conn, store)
                .map_err(|e| format!("no store with slug {store:?} ({e})"))?;
            // Promotion codes need a coupon to point at.
            let coupons = coupons.max(usize::from(promotion_codes > 0));
            let added = db::seed::coupons(&mut conn, id, coupons).map_err(|e| e.to_string())?;
            if promotion_codes > 0 {
                let newest = db::seed::newest_coupon(&mut conn, id).map_err(|e| e.to_string())?;
                db::seed::promotion_codes(&mut conn, id, newest, promotion_codes)
                    .map_err(|e| e.to_string())?;
            }
            Ok::<_, String>(added)
        });
    match result {
        Ok(added) => {
            println!(
                "added {added} coupons and {promotion_codes} promotion codes to {store} in {:.1?}",
                started.elapsed()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("promodesk seed: {e}");
            ExitCode::FAILURE
        }
    }
}
