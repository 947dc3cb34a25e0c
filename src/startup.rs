//! Builds the application: database, session key, middleware and every route.

use std::net::TcpListener;

use actix_session::SessionMiddleware;
use actix_session::config::CookieContentSecurity;
use actix_session::storage::CookieSessionStore;
use actix_web::cookie::{Key, SameSite};
use actix_web::dev::Server;
use actix_web::middleware::DefaultHeaders;
use actix_web::{App, HttpServer, web};

use crate::app::jobs::Jobs;
use crate::config::Config;
use crate::db;
use crate::error::AppError;
use crate::web::{
    AppState, api, assets, auth, checkout, coupon_sets, coupons, customers, health, orders, picker,
    products, promotion_codes, stores,
};

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Database(#[from] db::SetupError),
    #[error("cannot listen on {0}: {1}")]
    Bind(String, std::io::Error),
    #[error("SESSION_KEY must be at least 64 bytes long (it has {0})")]
    ShortSessionKey(usize),
    #[error("a start-up task on the blocking thread pool failed")]
    Blocking,
    #[error("cannot read or store the session key: {0}")]
    SessionKey(String),
    #[error("cannot start the job worker: {0}")]
    Worker(String),
}

/// Scripts, styles and images from this server only; no inline script or
/// style, no plugins, no framing, forms post back here.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; \
     object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Browser features no page of Promodesk uses.
pub const PERMISSIONS_POLICY: &str = "camera=(), microphone=(), geolocation=(), payment=(), \
     usb=(), serial=(), bluetooth=(), midi=(), magnetometer=(), gyroscope=(), accelerometer=()";

pub struct Application {
    port: u16,
    host: String,
    server: Server,
    worker: WorkerStop,
    /// This process's analytics counts, written once more at the stop.
    flush: (std::sync::Arc<crate::analytics::Tally>, db::Pool),
}

/// Stops this process's job worker when the server stops, or when the
/// server's future is dropped (a test's runtime ending).
struct WorkerStop {
    jobs: Jobs,
    handle: Option<std::thread::JoinHandle<()>>,
}

impl WorkerStop {
    /// Stops the worker and waits for it to give its lease back.
    fn finish(mut self) {
        if let Some(handle) = self.handle.take() {
            crate::worker::stop(&self.jobs, handle, std::time::Duration::from_secs(10));
        }
    }
}

impl Drop for WorkerStop {
    fn drop(&mut self) {
        self.jobs.stop();
    }
}

impl Application {
    pub async fn build(config: Config) -> Result<Application, StartError> {
        let url = config.database_url.clone();
        let size = config.db_pool_size;
        let pool = actix_web::web::block(move || db::open(&url, size))
            .await
            .map_err(|_| StartError::Blocking)??;

        let key = session_key(&config, &pool).await?;

        let listener = TcpListener::bind(&config.bind)
            .map_err(|e| StartError::Bind(config.bind.clone(), e))?;
        let addr = listener
            .local_addr()
            .map_err(|e| StartError::Bind(config.bind.clone(), e))?;
        let default_base_url = config
            .public_base_url
            .clone()
            .map(|u| u.trim_end_matches('/').to_string())
            .unwrap_or_else(|| format!("http://{addr}"));
        if config.clock_offset_seconds != 0 {
            db::set_clock_offset(config.clock_offset_seconds);
        }
        // Jobs left by a stopped process are resumed by whichever worker
        // claims them when their lease runs out: nothing to undo here.
        let jobs = config.jobs(default_base_url.clone());
        let worker = if config.no_worker {
            None
        } else {
            Some(
                crate::worker::spawn(jobs.clone(), pool.clone())
                    .map_err(|e| StartError::Worker(e.to_string()))?,
            )
        };
        let tally = if config.analytics {
            crate::analytics::Tally::new()
        } else {
            crate::analytics::Tally::off()
        };
        crate::analytics::spawn_flusher(&tally, pool.clone())
            .map_err(|e| StartError::Worker(e.to_string()))?;
        let flush = (tally.clone(), pool.clone());
        let state = AppState {
            pool,
            default_base_url,
            trusted_proxy: config.trusted_proxy,
            guards: std::sync::Arc::new(crate::web::client::Guards::new(config.guess_limit)),
            jobs: jobs.clone(),
            metrics_token: config.metrics_token.clone(),
            tally: tally.clone(),
            redeeming: Default::default(),
        };
        let limits = api::limits::ApiLimits::new(config.api_rate_limit);
        let secure = config.secure_cookies;
        let server = HttpServer::new(move || {
            App::new()
                .wrap(
                    SessionMiddleware::builder(CookieSessionStore::default(), key.clone())
                        .cookie_name("promodesk_session".into())
                        .cookie_http_only(true)
                        .cookie_same_site(SameSite::Lax)
                        .cookie_secure(secure)
                        .cookie_content_security(CookieContentSecurity::Private)
                        .build(),
                )
                .wrap(
                    DefaultHeaders::new()
                        .add(("X-Content-Type-Options", "nosniff"))
                        .add(("X-Frame-Options", "DENY"))
                        .add(("Referrer-Policy", "same-origin"))
                        .add(("Content-Security-Policy", CONTENT_SECURITY_POLICY))
                        .add(("Permissions-Policy", PERMISSIONS_POLICY)),
                )
                .wrap(actix_web::middleware::from_fn(access_log))
                // Outermost: the request's span (request_id) is open while
                // every other middleware and the handler log.
                .wrap(tracing_actix_web::TracingLogger::default())
                .app_data(web::Data::new(state.clone()))
                .app_data(web::Data::new(limits.clone()))
                .configure(routes)
        })
        .listen(listener)
        .map_err(|e| StartError::Bind(config.bind.clone(), e))?
        .run();
        Ok(Application {
            port: addr.port(),
            host: addr.ip().to_string(),
            server,
            worker: WorkerStop {
                jobs,
                handle: worker,
            },
            flush,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Stops the server (and then its job worker) from outside, as a
    /// signal does: for benchmarks and tests that run several servers in
    /// one process.
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    pub fn address(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }

    /// The page a newcomer opens: `/admin/setup` while no owner account
    /// exists, `/admin` after (on 127.0.0.1 when the server listens on
    /// every address).
    pub async fn open_url(&self) -> String {
        let host = match self.host.as_str() {
            "0.0.0.0" => "127.0.0.1".to_string(),
            "::" => "[::1]".to_string(),
            h if h.contains(':') => format!("[{h}]"),
            h => h.to_string(),
        };
        let pool = self.flush.1.clone();
        let setup = web::block(move || {
            let mut conn = pool.get().ok()?;
            crate::app::accounts::setup_open(&mut conn).ok()
        })
        .await
        .ok()
        .flatten()
        .unwrap_or(false);
        let page = if setup { "/admin/setup" } else { "/admin" };
        format!("http://{host}:{}{page}", self.port)
    }

    /// Serves until a stop signal (SIGINT, SIGTERM): in-flight requests
    /// finish, then the job worker gives its lease back.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let worker = self.worker;
        let (tally, pool) = self.flush;
        let served = self.server.await;
        actix_web::rt::task::spawn_blocking(move || {
            worker.finish();
            // What was counted since the last write.
            tally.flush(&pool);
        })
        .await
        .ok();
        served
    }
}

/// The session key: `SESSION_KEY` when set, otherwise one generated once and
/// kept in the database, so that logins survive restarts.
async fn session_key(config: &Config, pool: &db::Pool) -> Result<Key, StartError> {
    if let Some(key) = &config.session_key {
        if key.len() < 64 {
            return Err(StartError::ShortSessionKey(key.len()));
        }
        return Ok(Key::derive_from(key.as_bytes()));
    }
    let pool = pool.clone();
    let mut fresh = [0u8; 64];
    getrandom::fill(&mut fresh).map_err(|e| StartError::SessionKey(e.to_string()))?;
    let stored = actix_web::web::block(move || {
        let mut conn = pool.get().map_err(|e| e.to_string())?;
        db::settings::get_or_insert(&mut conn, db::settings::SESSION_KEY, &hex::encode(fresh))
            .map_err(|e| e.to_string())
    })
    .await
    .map_err(|_| StartError::Blocking)?
    .map_err(StartError::SessionKey)?;
    let bytes = hex::decode(stored).map_err(|e| StartError::SessionKey(e.to_string()))?;
    if bytes.len() < 64 {
        return Err(StartError::ShortSessionKey(bytes.len()));
    }
    Ok(Key::from(&bytes))
}

/// Declares a group of routes once: `$register` adds them to a scope (or
/// the app's config) and `$list` names them, so the route table test walks
/// exactly what the router serves.
macro_rules! route_group {
    (scope $register:ident, $list:ident, [$($method:ident $path:literal => $handler:expr),* $(,)?]) => {
        const $list: &[(&str, &str)] = &[$((stringify!($method), $path)),*];
        fn $register(scope: actix_web::Scope) -> actix_web::Scope {
            scope$(.route($path, web::$method().to($handler)))*
        }
    };
    (config $register:ident, $list:ident, [$($method:ident $path:literal => $handler:expr),* $(,)?]) => {
        const $list: &[(&str, &str)] = &[$((stringify!($method), $path)),*];
        fn $register(cfg: &mut web::ServiceConfig) {
            $(cfg.route($path, web::$method().to($handler));)*
        }
    };
}

route_group!(config top_routes, TOP_ROUTES, [
    get "/" => stores::picker::root,
    get "/healthz" => health::healthz,
    get "/readyz" => health::readyz,
    get "/metrics" => health::metrics,
    get "/static/{path:.*}" => assets::serve,
]);

route_group!(scope admin_routes, ADMIN_ROUTES, [
    get "" => stores::picker::show,
    get "/setup" => auth::setup::show,
    post "/setup" => auth::setup::submit,
    get "/login" => auth::login::show,
    post "/login" => auth::login::submit,
    get "/logout" => auth::logout::show,
    post "/logout" => auth::logout::submit,
    get "/account" => auth::account::show,
    post "/account" => auth::account::change_password,
    get "/invite/{token}" => auth::invite::show,
    post "/invite/{token}" => auth::invite::accept,
    get "/stores/new" => stores::picker::new,
    post "/stores/new" => stores::picker::create,
]);

route_group!(scope store_routes, STORE_ROUTES, [
    get "" => stores::overview::show,
    get "/coupons" => coupons::list::list,
    get "/coupons.csv" => coupons::list::csv,
    post "/coupons/archive-selected" => coupons::list::archive_selected,
    get "/coupons/new" => coupons::edit::new,
    post "/coupons/new" => coupons::edit::create,
    get "/coupons/choices" => picker::choices,
    get "/coupons/{id}" => coupons::show::show,
    get "/coupons/{id}/qr.{format:svg|png}" => coupons::show::qr,
    get "/coupons/{id}/edit" => coupons::edit::edit,
    post "/coupons/{id}/edit" => coupons::edit::update,
    get "/coupons/{id}/clone" => coupons::edit::clone,
    post "/coupons/{id}/archive" => coupons::show::archive,
    post "/coupons/{id}/unarchive" => coupons::show::unarchive,
    post "/coupons/{id}/delete" => coupons::show::delete,
    post "/coupons/{id}/resume" => coupons::show::resume,
    get "/products" => products::list,
    get "/products/new" => products::new,
    post "/products/new" => products::create,
    get "/products/{id}" => products::show,
    post "/products/{id}" => products::update,
    post "/products/{id}/archive" => products::archive,
    post "/products/{id}/unarchive" => products::unarchive,
    get "/promotion-codes" => promotion_codes::list::list,
    post "/promotion-codes/deactivate-selected" => promotion_codes::list::deactivate_selected,
    get "/promotion-codes.csv" => promotion_codes::list::csv,
    get "/promotion-codes/new" => promotion_codes::form::new,
    post "/promotion-codes/new" => promotion_codes::form::create,
    get "/promotion-codes/{id}" => promotion_codes::show::show,
    get "/promotion-codes/{id}/qr.{format:svg|png}" => promotion_codes::show::qr,
    get "/promotion-codes/{id}/edit" => promotion_codes::form::edit,
    post "/promotion-codes/{id}/edit" => promotion_codes::form::update,
    post "/promotion-codes/{id}/deactivate" => promotion_codes::show::deactivate,
    post "/promotion-codes/{id}/reactivate" => promotion_codes::show::reactivate,
    post "/promotion-codes/{id}/delete" => promotion_codes::show::delete,
    post "/promotion-codes/{id}/resume" => promotion_codes::show::resume,
    post "/promotion-codes/{id}/rotate" => promotion_codes::show::rotate,
    get "/coupon-sets" => coupon_sets::list,
    get "/coupon-sets/new" => coupon_sets::new,
    post "/coupon-sets/new" => coupon_sets::create,
    get "/coupon-sets/{id}" => coupon_sets::show,
    get "/coupon-sets/{id}/codes.csv" => coupon_sets::export::codes_csv,
    get "/coupon-sets/{id}/qr.{format:svg|png}" => coupon_sets::code_qr,
    get "/set-codes/{id}" => coupon_sets::code_page,
    post "/coupon-sets/{id}/generate" => coupon_sets::generate_more,
    post "/coupon-sets/{id}/delete" => coupon_sets::delete,
    post "/coupon-sets/{id}/import" => coupon_sets::import::import,
    get "/customers" => customers::list,
    get "/customers.csv" => customers::csv,
    post "/customers" => customers::create,
    get "/customers/{id}" => customers::show,
    get "/analytics" => stores::analytics::show,
    get "/analytics.csv" => stores::analytics::csv,
    get "/orders" => orders::list,
    get "/orders.csv" => orders::csv,
    get "/orders/{id}" => orders::show,
    post "/orders/{id}/refund" => orders::refund,
    get "/settings" => stores::settings::show,
    post "/settings" => stores::settings::update,
    get "/members" => stores::members::show,
    post "/members" => stores::members::invite,
    post "/members/{user_id}/role" => stores::members::set_role,
    post "/members/invitations/{id}/revoke" => stores::members::revoke,
    post "/members/{user_id}/remove" => stores::members::remove,
    get "/api-keys" => stores::api_keys::show,
    post "/api-keys" => stores::api_keys::create,
    post "/api-keys/{id}/revoke" => stores::api_keys::revoke,
    get "/webhooks" => stores::webhooks::list,
    post "/webhooks" => stores::webhooks::create,
    get "/webhooks/{id}" => stores::webhooks::show,
    post "/webhooks/{id}/disable" => stores::webhooks::disable,
    post "/webhooks/{id}/enable" => stores::webhooks::enable,
    post "/webhooks/{id}/delete" => stores::webhooks::delete,
    post "/webhooks/{id}/resend/{delivery}" => stores::webhooks::resend,
]);

// The public checkout; store slugs never take the reserved words routed
// before it.
route_group!(config public_routes, PUBLIC_ROUTES, [
    get "/{store}" => checkout::show,
    post "/{store}/checkout" => checkout::submit,
    get "/{store}/orders/{public_id}" => checkout::receipt::show,
]);

/// Every route the router serves, as (method, full path pattern): `get` or
/// `post`, e.g. `("post", "/admin/s/{store}/coupons/{id}/edit")`.
pub fn route_table() -> Vec<(&'static str, String)> {
    let group = |prefix: &str, list: &[(&'static str, &'static str)]| {
        list.iter()
            .map(|(method, path)| (*method, format!("{prefix}{path}")))
            .collect::<Vec<_>>()
    };
    [
        group("", TOP_ROUTES),
        group("/admin", ADMIN_ROUTES),
        group("/admin/s/{store}", STORE_ROUTES),
        group("", PUBLIC_ROUTES),
    ]
    .concat()
}

/// Every route, in one place (the groups above). Store pages resolve the
/// store and the user's role through `StoreAccess`; every POST reads its
/// form through `CsrfForm`.
fn routes(cfg: &mut web::ServiceConfig) {
    top_routes(cfg);
    cfg.service(api_scope());
    cfg.service(admin_routes(web::scope("/admin")).service(store_routes(web::scope("/s/{store}"))));
    public_routes(cfg);
    cfg.default_service(web::to(not_found));
}

/// `/api/v1`: JSON in and out, per-key rate limits, JSON errors for bad
/// queries and unknown paths.
fn api_scope() -> actix_web::Scope<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = actix_web::dev::ServiceResponse<actix_web::body::BoxBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    api::register(web::scope("/api/v1"))
        .default_service(web::to(api::not_found))
        .app_data(web::PayloadConfig::new(api::json::BODY_LIMIT))
        .app_data(web::QueryConfig::default().error_handler(|e, _| {
            api::ApiError::bad_request(format!("The query string cannot be read: {e}.")).into()
        }))
        .app_data(web::PathConfig::default().error_handler(|_, _| api::ApiError::NotFound.into()))
        .wrap(actix_web::middleware::from_fn(api::limits::limit))
}

/// One log line per request (method, path, status, milliseconds), logged
/// inside the request's span, so it carries the request id.
async fn access_log(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody>,
) -> Result<actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>, actix_web::Error> {
    let started = std::time::Instant::now();
    let method = req.method().clone();
    let path = req.path().to_string();
    let route = req
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_string());
    let res = next.call(req).await?;
    crate::metrics::request(
        method.as_str(),
        &route,
        res.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    tracing::info!(
        %method,
        path,
        status = res.status().as_u16(),
        ms = started.elapsed().as_secs_f64() * 1000.0,
        "request"
    );
    Ok(res)
}

async fn not_found() -> Result<actix_web::HttpResponse, AppError> {
    Err(AppError::NotFound)
}
