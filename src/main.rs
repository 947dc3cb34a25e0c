use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use promodesk::config::Config;
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
