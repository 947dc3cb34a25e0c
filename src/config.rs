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
    #[arg(long, env = "SECURE_COOKIES", default_value_t = false, value_parser = clap::builder::BoolishValueParser::new())]
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

    /// Serve only: run no job worker in this process (leave set generation
    /// and webhook delivery to `promodesk worker` processes).
    #[arg(long, env = "NO_WORKER", default_value_t = false, value_parser = clap::builder::BoolishValueParser::new())]
    pub no_worker: bool,

    /// Seconds a job stays claimed without a sign of life (each batch
    /// extends it) before another process takes it over.
    #[arg(long, env = "JOB_LEASE_SECONDS", default_value_t = 30)]
    pub job_lease_seconds: u64,

    /// Let webhooks reach loopback and private addresses (tests, or an
    /// endpoint on your own network).
    #[arg(long, env = "WEBHOOK_ALLOW_PRIVATE", default_value_t = false, value_parser = clap::builder::BoolishValueParser::new())]
    pub webhook_allow_private: bool,

    /// Milliseconds before a failed webhook delivery's first retry; each
    /// next wait is three times longer (at most 4 hours), for 24 hours.
    #[arg(
        long,
        env = "WEBHOOK_RETRY_BASE_MS",
        default_value_t = 10_000,
        hide = true
    )]
    pub webhook_retry_base_ms: u64,

    /// A bearer token `/metrics` asks for (unset: `/metrics` is open; keep
    /// it off the public network then).
    #[arg(long, env = "METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,

    /// Count opens, previews, refusals and redemptions for analytics
    /// (SPEC 12). Off only to measure what counting costs
    /// (`cargo bench --bench redemption`).
    #[arg(
        long,
        env = "ANALYTICS",
        default_value_t = true,
        action = clap::ArgAction::Set,
        value_parser = clap::builder::BoolishValueParser::new(),
        hide = true
    )]
    pub analytics: bool,

    /// Shifts this process's clock by this many seconds. For tests only:
    /// two processes started on either side of a store's midnight show
    /// that days are cut in its time zone.
    #[arg(
        long,
        env = "CLOCK_OFFSET_SECONDS",
        default_value_t = 0,
        allow_negative_numbers = true,
        hide = true
    )]
    pub clock_offset_seconds: i64,

    /// What to do instead of serving.
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Run background jobs only (set generation, webhook delivery), without
    /// serving HTTP; any number may run beside the servers.
    Worker,
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
    /// How this process delivers webhooks; `server_base` is the base of
    /// share URLs for stores that set none.
    pub fn webhook_settings(&self, server_base: String) -> crate::app::webhooks::Settings {
        crate::app::webhooks::Settings {
            allow_private: self.webhook_allow_private,
            retry_base: std::time::Duration::from_millis(self.webhook_retry_base_ms),
            timeout: std::time::Duration::from_secs(10),
            server_base,
        }
    }

    /// This process as a job runner.
    pub fn jobs(&self, server_base: String) -> crate::app::jobs::Jobs {
        crate::app::jobs::Jobs::new(
            std::time::Duration::from_secs(self.job_lease_seconds),
            self.webhook_settings(server_base),
        )
    }

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
            no_worker: false,
            job_lease_seconds: 30,
            webhook_allow_private: true,
            webhook_retry_base_ms: 10_000,
            metrics_token: None,
            analytics: true,
            clock_offset_seconds: 0,
            command: None,
        }
    }
}
