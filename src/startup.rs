//! Builds the application: database, session key, middleware and every route.

use std::net::TcpListener;

use actix_session::SessionMiddleware;
use actix_session::config::CookieContentSecurity;
use actix_session::storage::CookieSessionStore;
use actix_web::cookie::{Key, SameSite};
use actix_web::dev::Server;
use actix_web::middleware::{DefaultHeaders, Logger};
use actix_web::{App, HttpServer, web};

use crate::config::Config;
use crate::db;
use crate::error::AppError;
use crate::web::{AppState, assets, auth, checkout, health, stores};

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
}

impl Application {
    pub async fn build(config: Config) -> Result<Application, StartError> {
        let url = config.database_url.clone();
        let size = config.db_pool_size;
        let pool = actix_web::web::block(move || {
            let pool = db::open(&url, size)?;
            let mut conn = pool.get()?;
            let failed =
                db::coupon_sets::fail_interrupted(&mut conn).map_err(db::SetupError::Configure)?;
            if failed > 0 {
                tracing::warn!(
                    failed,
                    "coupon sets left generating by a stopped server were undone"
                );
            }
            Ok::<_, db::SetupError>(pool)
        })
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
        let state = AppState {
            pool,
            default_base_url,
            trusted_proxy: config.trusted_proxy,
            guards: std::sync::Arc::new(crate::web::client::Guards::new(config.guess_limit)),
        };
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
                .wrap(Logger::new("%r %s %Dms"))
                .app_data(web::Data::new(state.clone()))
                .configure(routes)
        })
        .listen(listener)
        .map_err(|e| StartError::Bind(config.bind.clone(), e))?
        .run();
        Ok(Application {
            port: addr.port(),
            host: addr.ip().to_string(),
            server,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn address(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
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

/// Every route, in one place. Store pages resolve the store and the user's
/// role through `StoreAccess`; every POST reads its form through `CsrfForm`.
fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(stores::picker::root))
        .route("/healthz", web::get().to(health::healthz))
        .route("/static/{path:.*}", web::get().to(assets::serve))
        .service(
            web::scope("/admin")
                .route("", web::get().to(stores::picker::show))
                .route("/setup", web::get().to(auth::setup::show))
                .route("/setup", web::post().to(auth::setup::submit))
                .route("/login", web::get().to(auth::login::show))
                .route("/login", web::post().to(auth::login::submit))
                .route("/logout", web::get().to(auth::logout::show))
                .route("/logout", web::post().to(auth::logout::submit))
                .route("/account", web::get().to(auth::account::show))
                .route("/account", web::post().to(auth::account::change_password))
                .route("/invite/{token}", web::get().to(auth::invite::show))
                .route("/invite/{token}", web::post().to(auth::invite::accept))
                .route("/stores/new", web::get().to(stores::picker::new))
                .route("/stores/new", web::post().to(stores::picker::create))
                .service(store_scope()),
        )
        // The public checkout; store slugs never take the reserved words
        // routed above.
        .route("/{store}", web::get().to(checkout::show))
        .route("/{store}/checkout", web::post().to(checkout::submit))
        .route(
            "/{store}/orders/{public_id}",
            web::get().to(checkout::receipt::show),
        )
        .default_service(web::to(not_found));
}

fn store_scope() -> actix_web::Scope {
    use crate::web::coupons::{edit, list, show};
    use crate::web::{coupon_sets, customers, orders, products, promotion_codes};
    use stores::{members, overview, settings};
    web::scope("/s/{store}")
        .route("", web::get().to(overview::show))
        .route("/coupons", web::get().to(list::list))
        .route("/coupons/new", web::get().to(edit::new))
        .route("/coupons/new", web::post().to(edit::create))
        .route("/coupons/{id}", web::get().to(show::show))
        .route("/coupons/{id}/qr.svg", web::get().to(show::qr))
        .route("/coupons/{id}/edit", web::get().to(edit::edit))
        .route("/coupons/{id}/edit", web::post().to(edit::update))
        .route("/coupons/{id}/clone", web::get().to(edit::clone))
        .route("/coupons/{id}/archive", web::post().to(show::archive))
        .route("/coupons/{id}/unarchive", web::post().to(show::unarchive))
        .route("/coupons/{id}/delete", web::post().to(show::delete))
        .route("/products", web::get().to(products::list))
        .route("/products/new", web::get().to(products::new))
        .route("/products/new", web::post().to(products::create))
        .route("/products/{id}", web::get().to(products::show))
        .route("/products/{id}", web::post().to(products::update))
        .route("/products/{id}/archive", web::post().to(products::archive))
        .route(
            "/products/{id}/unarchive",
            web::post().to(products::unarchive),
        )
        .route(
            "/promotion-codes",
            web::get().to(promotion_codes::list::list),
        )
        .route(
            "/promotion-codes/new",
            web::get().to(promotion_codes::form::new),
        )
        .route(
            "/promotion-codes/new",
            web::post().to(promotion_codes::form::create),
        )
        .route(
            "/promotion-codes/{id}",
            web::get().to(promotion_codes::show::show),
        )
        .route(
            "/promotion-codes/{id}/qr.svg",
            web::get().to(promotion_codes::show::qr),
        )
        .route(
            "/promotion-codes/{id}/edit",
            web::get().to(promotion_codes::form::edit),
        )
        .route(
            "/promotion-codes/{id}/edit",
            web::post().to(promotion_codes::form::update),
        )
        .route(
            "/promotion-codes/{id}/deactivate",
            web::post().to(promotion_codes::show::deactivate),
        )
        .route(
            "/promotion-codes/{id}/reactivate",
            web::post().to(promotion_codes::show::reactivate),
        )
        .route(
            "/promotion-codes/{id}/delete",
            web::post().to(promotion_codes::show::delete),
        )
        .route("/coupon-sets", web::get().to(coupon_sets::list))
        .route("/coupon-sets/new", web::get().to(coupon_sets::new))
        .route("/coupon-sets/new", web::post().to(coupon_sets::create))
        .route("/coupon-sets/{id}", web::get().to(coupon_sets::show))
        .route(
            "/coupon-sets/{id}/codes.csv",
            web::get().to(coupon_sets::export::codes_csv),
        )
        .route(
            "/coupon-sets/{id}/generate",
            web::post().to(coupon_sets::generate_more),
        )
        .route(
            "/coupon-sets/{id}/delete",
            web::post().to(coupon_sets::delete),
        )
        .route(
            "/coupon-sets/{id}/import",
            web::post().to(coupon_sets::import::import),
        )
        .route("/customers", web::get().to(customers::list))
        .route("/customers", web::post().to(customers::create))
        .route("/orders", web::get().to(orders::list))
        .route("/orders/{id}", web::get().to(orders::show))
        .route("/orders/{id}/refund", web::post().to(orders::refund))
        .route("/settings", web::get().to(settings::show))
        .route("/settings", web::post().to(settings::update))
        .route("/members", web::get().to(members::show))
        .route("/members", web::post().to(members::invite))
        .route("/members/{user_id}/role", web::post().to(members::set_role))
        .route(
            "/members/invitations/{id}/revoke",
            web::post().to(members::revoke),
        )
        .route("/members/{user_id}/remove", web::post().to(members::remove))
}

async fn not_found() -> Result<actix_web::HttpResponse, AppError> {
    Err(AppError::NotFound)
}
