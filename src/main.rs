use clap::Parser;
use promodesk::config::Config;
use promodesk::startup::Application;
use tracing_subscriber::EnvFilter;

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    let config = Config::parse();
    let app = Application::build(config)
        .await
        .map_err(std::io::Error::other)?;
    tracing::info!("Promodesk is serving on http://{}", app.address());
    app.run_until_stopped().await
}
