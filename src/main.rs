use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use promodesk::config::{Command, Config};
use promodesk::db;
use promodesk::startup::Application;
use tracing_subscriber::EnvFilter;

#[actix_web::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    let config = Config::parse();
    if let Some(Command::Seed {
        store,
        coupons,
        promotion_codes,
    }) = &config.command
    {
        return seed(&config.database_url, store, *coupons, *promotion_codes);
    }
    let app = match Application::build(config).await {
        Ok(app) => app,
        Err(e) => {
            eprintln!("promodesk: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    tracing::info!("Promodesk is serving on http://{}", app.address());
    match app.run_until_stopped().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("promodesk: server stopped: {e}");
            ExitCode::FAILURE
        }
    }
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
