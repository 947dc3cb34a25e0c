//! Settings from command-line flags and environment variables.

use clap::{Parser, Subcommand};

/// Promodesk: a self-hosted dashboard for discount coupons, promotion codes
/// and coupon sets.
#[derive(Debug, Clone, Parser)]
#[command(version, about)]
pub struct Config {
    /// Address and port to listen on.
    #[arg(long, env = "BIND", default_value = "127.0.0.1:8080")]
    pub bind: String,

    /// Database: `sqlite://FILE` (default) or `postgres://USER@HOST/DB`.
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite://promodesk.db")]
    pub database_url: String,

    /// Key that signs and encrypts session cookies: at least 64 bytes. When
    /// unset, one is generated once and kept in the database.
    #[arg(long, env = "SESSION_KEY", hide_env_values = true)]
    pub session_key: Option<String>,

    /// Base of shareable coupon URLs for stores that set none, e.g.
    /// `https://shop.example`. Default: the server's own address.
    #[arg(long, env = "PUBLIC_BASE_URL")]
    pub public_base_url: Option<String>,

    /// Mark the session cookie `Secure` (serve over HTTPS).
    #[arg(long, env = "SECURE_COOKIES", default_value_t = false)]
    pub secure_cookies: bool,

    /// The reverse proxy in front of the server: only requests from this
    /// address have their client read from `X-Forwarded-For`.
    #[arg(long, env = "TRUSTED_PROXY")]
    pub trusted_proxy: Option<std::net::IpAddr>,

    /// Unknown codes one client may try at one store in 10 minutes before
    /// further codes answer 429.
    #[arg(long, env = "GUESS_LIMIT", default_value_t = 20)]
    pub guess_limit: usize,

    /// API requests a second per key (bursts up to twice that); past it,
    /// 429 with `Retry-After`.
    #[arg(long, env = "API_RATE_LIMIT", default_value_t = 200)]
    pub api_rate_limit: u32,

    /// Largest number of pooled database connections.
    #[arg(long, env = "DB_POOL_SIZE", default_value_t = 8)]
    pub db_pool_size: u32,

    /// What to do instead of serving.
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Fill a store with demo coupons (for trying out and benchmarking).
    Seed {
        /// The store's slug.
        #[arg(long)]
        store: String,
        /// How many coupons to add.
        #[arg(long, default_value_t = 1000)]
        coupons: usize,
        /// How many promotion codes to add (to the store's newest coupon).
        #[arg(long, default_value_t = 0)]
        promotion_codes: usize,
    },
}

impl Config {
    /// Settings for a test server: a random port on loopback.
    pub fn for_tests(database_url: String) -> Config {
        Config {
            bind: "127.0.0.1:0".into(),
            database_url,
            session_key: None,
            public_base_url: None,
            secure_cookies: false,
            trusted_proxy: None,
            guess_limit: 20,
            api_rate_limit: 200,
            db_pool_size: 4,
            command: None,
        }
    }
}
