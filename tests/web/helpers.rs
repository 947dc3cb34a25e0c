//! `spawn_app`, a cookie-keeping client that does not follow redirects, and
//! one method per route.

use std::sync::atomic::{AtomicU64, Ordering};

use diesel::{Connection, RunQueryDsl};
use promodesk::config::Config;
use promodesk::startup::Application;
use reqwest::StatusCode;
use reqwest::redirect::Policy;

pub const OWNER_EMAIL: &str = "owner@example.com";
pub const PASSWORD: &str = "correct horse battery";
pub const STORE: &str = "acme";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

/// The PostgreSQL server the tests create their databases on.
fn postgres_server() -> String {
    std::env::var("TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".to_string())
}

/// A database that exists for one test and is dropped after it.
enum TestDb {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres { name: String },
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let TestDb::Postgres { name } = self {
            let url = format!("{}/postgres", postgres_server());
            if let Ok(mut conn) = diesel::PgConnection::establish(&url) {
                let _ =
                    diesel::sql_query(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                        .execute(&mut conn);
            }
        }
    }
}

/// A fresh database on the test server. The PostgreSQL tests are marked
/// ignored when the server was unreachable at build time (`build.rs`); one
/// that runs and cannot connect fails.
fn create_postgres_db() -> Option<(String, TestDb)> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let url = format!("{}/postgres", postgres_server());
    let mut conn = diesel::PgConnection::establish(&url).unwrap_or_else(|e| {
        panic!(
            "PostgreSQL at {url} is unreachable: {e}. Start it (or `touch build.rs` to rebuild with the PostgreSQL tests ignored)."
        )
    });
    let name = format!(
        "promodesk_test_{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0)
    );
    diesel::sql_query(format!("CREATE DATABASE \"{name}\""))
        .execute(&mut conn)
        .expect("create the test database");
    let db_url = format!("{}/{name}", postgres_server());
    Some((db_url, TestDb::Postgres { name }))
}

/// A running app with its own fresh database, and a logged-out client.
pub struct TestApp {
    pub address: String,
    pub client: Client,
    /// The backend this app runs on.
    pub db: Db,
    pub database: Database,
}

/// A fresh database for one test (dropped after it), with direct SQL
/// access for what the pages cannot show.
pub struct Database {
    pub url: String,
    _db: TestDb,
}

impl Database {
    /// A fresh database on `db`, or `None` when PostgreSQL is asked for but
    /// unreachable outside CI.
    pub fn fresh(db: Db) -> Option<Database> {
        let (url, test_db) = match db {
            Db::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}", dir.path().join("test.db").display());
                (url, TestDb::Sqlite(dir))
            }
            Db::Postgres => create_postgres_db()?,
        };
        Some(Database { url, _db: test_db })
    }

    /// A direct connection (see `TestApp::sql`).
    pub fn sql(&self) -> Sql {
        if let Some(path) = self.url.strip_prefix("sqlite://") {
            let mut conn = diesel::SqliteConnection::establish(path).expect("sqlite");
            // The app writes in the background too (the analytics flush,
            // the job worker): wait for its lock instead of failing with
            // "database is locked".
            diesel::sql_query("PRAGMA busy_timeout = 10000")
                .execute(&mut conn)
                .expect("busy timeout");
            Sql::Sqlite(conn)
        } else {
            Sql::Postgres(diesel::PgConnection::establish(&self.url).expect("postgres"))
        }
    }

    /// The number a `SELECT COUNT(*) AS n ...` query returns.
    pub fn count(&self, sql: &str) -> i64 {
        self.sql().count(sql)
    }

    /// The text a `SELECT ... AS t` query returns first, if any.
    pub fn text(&self, sql: &str) -> Option<String> {
        self.sql().texts(sql).into_iter().next()
    }
}

impl std::ops::Deref for TestApp {
    type Target = Client;
    fn deref(&self) -> &Client {
        &self.client
    }
}

impl TestApp {
    /// Another browser: its own cookies, logged out.
    pub fn new_client(&self) -> Client {
        Client::new(&self.address)
    }

    /// A direct connection to the app's database, for reading what the
    /// pages cannot show and, with a comment saying why, for states the
    /// product cannot reach (time travel).
    pub fn sql(&self) -> Sql {
        self.database.sql()
    }

    /// Runs one SQL statement on the app's database (see `sql`).
    pub fn execute_sql(&self, sql: &str) {
        self.sql().execute(sql);
    }

    /// The number a `SELECT COUNT(*) AS n ...` query returns.
    pub fn count(&self, sql: &str) -> i64 {
        self.sql().count(sql)
    }

    /// The text a `SELECT ... AS t` query returns first, if any.
    pub fn text(&self, sql: &str) -> Option<String> {
        self.sql().texts(sql).into_iter().next()
    }

    /// Every text a `SELECT ... AS t` query returns.
    pub fn texts(&self, sql: &str) -> Vec<String> {
        self.sql().texts(sql)
    }

    /// `n` real checkouts of store `acme` with `code`, one $20.00 tee each
    /// (the product is created on first use), each by a new customer.
    /// Returns the orders' ids.
    pub async fn redeem(&self, code: &str, n: usize) -> Vec<i64> {
        let mut tee =
            self.count("SELECT COALESCE(MAX(id), 0) AS n FROM products WHERE name = 'Redeem tee'");
        if tee == 0 {
            tee = self
                .create_product(STORE, "Redeem tee", "20.00", "USD", "one_time")
                .await;
        }
        let quantity = format!("quantity_{tee}");
        let buyer = self.new_client();
        let mut orders = Vec::new();
        for _ in 0..n {
            let email = format!(
                "redeemer{}@example.com",
                self.count("SELECT COUNT(*) AS n FROM orders")
            );
            let page = buyer
                .checkout(
                    STORE,
                    &[
                        ("email", email.as_str()),
                        ("coupon", code),
                        (quantity.as_str(), "1"),
                    ],
                )
                .await;
            assert_eq!(
                page.status, 303,
                "checkout with {code} refused: {}",
                page.body
            );
            let public_id = page.location_tail();
            orders.push(self.count(&format!(
                "SELECT id AS n FROM orders WHERE public_id = '{public_id}'"
            )));
        }
        orders
    }

    /// Refunds order `id` of store `acme` as the logged-in user.
    pub async fn refund(&self, id: i64) {
        self.post(&format!("/admin/s/acme/orders/{id}/refund"), &[])
            .await
            .assert_status(303);
    }

    /// Everything the database holds, one text per table: two equal
    /// fingerprints mean nothing was written in between. Staff sessions are
    /// left out (every request touches `last_seen_at`), and so are the
    /// analytics counters (every visit and refusal is counted).
    pub fn fingerprint(&self) -> Vec<(String, String)> {
        let mut sql = self.sql();
        let postgres = matches!(sql, Sql::Postgres(_));
        let tables = if postgres {
            sql.texts(
                "SELECT tablename::text AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY 1",
            )
        } else {
            sql.texts("SELECT name AS t FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY 1")
        };
        tables
            .into_iter()
            .filter(|t| {
                ![
                    "staff_sessions",
                    "__diesel_schema_migrations",
                    "code_daily",
                    "refusal_daily",
                    "store_daily",
                    "store_refusal_daily",
                    "code_running",
                    "code_totals",
                ]
                    .contains(&t.as_str())
            })
            .map(|table| {
                let rows = if postgres {
                    format!("SELECT COALESCE(string_agg(x::text, '|' ORDER BY x::text), '') AS t FROM \"{table}\" x")
                } else {
                    let row = sql
                        .texts(&format!("SELECT name AS t FROM pragma_table_info('{table}')"))
                        .iter()
                        .map(|c| format!("quote(\"{c}\")"))
                        .collect::<Vec<_>>()
                        .join(" || ',' || ");
                    format!("SELECT COALESCE(group_concat(r, '|'), '') AS t FROM (SELECT {row} AS r FROM \"{table}\" ORDER BY 1)")
                };
                let text = sql.texts(&rows).concat();
                (table, text)
            })
            .collect()
    }
}

/// A direct connection to a test app's database, on either backend.
pub enum Sql {
    Sqlite(diesel::SqliteConnection),
    Postgres(diesel::PgConnection),
}

#[derive(diesel::QueryableByName)]
struct Text {
    #[diesel(sql_type = diesel::sql_types::Text)]
    t: String,
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

impl Sql {
    pub fn execute(&mut self, sql: &str) {
        match self {
            Sql::Sqlite(conn) => diesel::sql_query(sql).execute(conn),
            Sql::Postgres(conn) => diesel::sql_query(sql).execute(conn),
        }
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    /// `execute` for a statement that may be refused: the database's error.
    pub fn try_execute(&mut self, sql: &str) -> Result<usize, String> {
        match self {
            Sql::Sqlite(conn) => diesel::sql_query(sql).execute(conn),
            Sql::Postgres(conn) => diesel::sql_query(sql).execute(conn),
        }
        .map_err(|e| e.to_string())
    }

    pub fn texts(&mut self, sql: &str) -> Vec<String> {
        match self {
            Sql::Sqlite(conn) => diesel::sql_query(sql).load::<Text>(conn),
            Sql::Postgres(conn) => diesel::sql_query(sql).load::<Text>(conn),
        }
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .into_iter()
        .map(|r| r.t)
        .collect()
    }

    pub fn count(&mut self, sql: &str) -> i64 {
        match self {
            Sql::Sqlite(conn) => diesel::sql_query(sql).load::<Count>(conn),
            Sql::Postgres(conn) => diesel::sql_query(sql).load::<Count>(conn),
        }
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .first()
        .map_or(0, |r| r.n)
    }
}

/// Spawns the app on 127.0.0.1 with a random port and a fresh database, or
/// `None` when PostgreSQL is asked for but unreachable outside CI.
pub async fn spawn_app(db: Db) -> Option<TestApp> {
    spawn_app_with(db, |_| {}).await
}

/// `spawn_app` with settings changed by `configure` (e.g. a trusted proxy).
pub async fn spawn_app_with(db: Db, configure: impl FnOnce(&mut Config)) -> Option<TestApp> {
    let database = Database::fresh(db)?;
    let mut config = Config::for_tests(database.url.clone());
    configure(&mut config);
    let app = Application::build(config).await.expect("build the app");
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    Some(TestApp {
        client: Client::new(&address),
        db,
        address,
        database,
    })
}

/// Runs each test body once on SQLite and once on PostgreSQL:
/// `db_tests! { async fn name(app) { ... } }` makes `sqlite::name` and
/// `postgres::name`.
#[macro_export]
macro_rules! db_tests {
    ($(async fn $name:ident($app:ident) $body:block)*) => {
        mod sqlite {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let $app = $crate::helpers::spawn_app($crate::helpers::Db::Sqlite)
                        .await
                        .expect("SQLite is always available");
                    $body
                }
            )*
        }
        mod postgres {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                #[cfg_attr(
                    promodesk_no_postgres,
                    ignore = "PostgreSQL was unreachable when the tests were built (see build.rs)"
                )]
                async fn $name() {
                    let Some($app) = $crate::helpers::spawn_app($crate::helpers::Db::Postgres).await
                    else {
                        return;
                    };
                    $body
                }
            )*
        }
    };
}

/// Runs each `name => function(args)` on SQLite and on PostgreSQL, as
/// `sqlite::name` and `postgres::name`: `function` is an `async fn` of the
/// calling module that takes the `Db` first and spawns what it needs (the
/// real binary, or an app with its own settings).
#[macro_export]
macro_rules! db_fn_tests {
    ($($name:ident => $function:ident($($arg:expr),*);)*) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$function($crate::helpers::Db::Sqlite $(, $arg)*).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                #[cfg_attr(
                    promodesk_no_postgres,
                    ignore = "PostgreSQL was unreachable when the tests were built (see build.rs)"
                )]
                async fn $name() {
                    super::$function($crate::helpers::Db::Postgres $(, $arg)*).await
                }
            )*
        }
    };
}

/// A response read to the end.
pub struct Page {
    pub status: StatusCode,
    pub location: Option<String>,
    pub body: String,
}

impl Page {
    #[track_caller]
    pub fn assert_status(&self, expected: u16) -> &Page {
        assert_eq!(
            self.status.as_u16(),
            expected,
            "unexpected status; body:\n{}",
            self.body
        );
        self
    }

    /// Asserts a 303 See Other to `location`.
    #[track_caller]
    pub fn assert_redirect(&self, location: &str) {
        assert_eq!(
            self.status.as_u16(),
            303,
            "expected 303; body:\n{}",
            self.body
        );
        assert_eq!(self.location.as_deref(), Some(location));
    }

    /// The message shown beside form field `name`, if any.
    pub fn field_error(&self, name: &str) -> Option<String> {
        let marker = format!("class=\"field-error\" id=\"err-{name}\">");
        let start = self.body.find(&marker)? + marker.len();
        let end = self.body[start..].find("</p>")? + start;
        Some(html_unescape(&self.body[start..end]))
    }

    /// The text of the first element with `data-field="{name}"`.
    pub fn data_field(&self, name: &str) -> Option<String> {
        let marker = format!("data-field=\"{name}\"");
        let at = self.body.find(&marker)? + marker.len();
        let start = self.body[at..].find('>')? + at + 1;
        let end = self.body[start..].find('<')? + start;
        Some(html_unescape(self.body[start..end].trim()))
    }

    /// The id at the end of the redirect target (`.../coupons/42` → 42).
    #[track_caller]
    pub fn created_id(&self) -> i64 {
        self.location_tail()
            .parse()
            .expect("a redirect to the new thing's page")
    }

    /// The last segment of the redirect target (an order's public id).
    #[track_caller]
    pub fn location_tail(&self) -> String {
        assert_eq!(
            self.status.as_u16(),
            303,
            "expected 303; body:\n{}",
            self.body
        );
        self.location
            .as_deref()
            .and_then(|l| l.rsplit('/').next())
            .unwrap_or_default()
            .to_string()
    }

    /// The value of the hidden CSRF field.
    pub fn csrf_token(&self) -> Option<String> {
        let marker = "name=\"csrf_token\" value=\"";
        let start = self.body.find(marker)? + marker.len();
        let end = self.body[start..].find('"')? + start;
        Some(self.body[start..end].to_string())
    }
}

pub fn html_unescape(s: &str) -> String {
    s.replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#38;", "&")
        .replace("&amp;", "&")
}

/// One browser session: a cookie jar, no redirect following.
#[derive(Clone)]
pub struct Client {
    pub address: String,
    http: reqwest::Client,
    jar: std::sync::Arc<reqwest::cookie::Jar>,
}

impl Client {
    pub fn new(address: &str) -> Client {
        Client::with_headers(address, reqwest::header::HeaderMap::new())
    }

    /// A client behind the trusted proxy: every request says it comes from
    /// `ip` in `X-Forwarded-For`.
    pub fn forwarded_for(address: &str, ip: &str) -> Client {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(
            "x-forwarded-for",
            reqwest::header::HeaderValue::from_str(ip).expect("an address"),
        );
        Client::with_headers(address, headers)
    }

    fn with_headers(address: &str, headers: reqwest::header::HeaderMap) -> Client {
        let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
        let http = reqwest::Client::builder()
            .redirect(Policy::none())
            .cookie_provider(jar.clone())
            .default_headers(headers)
            .build()
            .expect("http client");
        Client {
            address: address.to_string(),
            http,
            jar,
        }
    }

    /// The `Cookie` header this client sends, to copy it elsewhere.
    pub fn cookie_header(&self) -> String {
        use reqwest::cookie::CookieStore;
        let url = self.address.parse().expect("the app's address");
        self.jar
            .cookies(&url)
            .and_then(|v| v.to_str().ok().map(str::to_string))
            .unwrap_or_default()
    }

    /// GETs `path` sending `cookie` as the only cookie (a copied one).
    pub async fn get_with_cookie(address: &str, path: &str, cookie: &str) -> Page {
        let response = reqwest::Client::builder()
            .redirect(Policy::none())
            .build()
            .expect("http client")
            .get(format!("{address}{path}"))
            .header("cookie", cookie)
            .send()
            .await
            .expect("GET");
        Self::read(response).await
    }

    async fn read(response: reqwest::Response) -> Page {
        Self::try_read(response).await.expect("response body")
    }

    async fn try_read(response: reqwest::Response) -> Result<Page, reqwest::Error> {
        let status = response.status();
        let location = response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let body = response.text().await?;
        Ok(Page {
            status,
            location,
            body,
        })
    }

    /// `post` to a server that may be killed meanwhile: a connection error
    /// is an `Err`, not a panic.
    pub async fn try_post(
        &self,
        path: &str,
        fields: &[(&str, &str)],
    ) -> Result<Page, reqwest::Error> {
        let url = |path: &str| format!("{}{path}", self.address);
        let login = Self::try_read(self.http.get(url("/admin/login")).send().await?).await?;
        let token = login.csrf_token().unwrap_or_default();
        let mut all: Vec<(&str, &str)> = vec![("csrf_token", token.as_str())];
        all.extend_from_slice(fields);
        Self::try_read(self.http.post(url(path)).form(&all).send().await?).await
    }

    pub async fn get(&self, path: &str) -> Page {
        let response = self
            .http
            .get(format!("{}{path}", self.address))
            .send()
            .await
            .expect("GET");
        Self::read(response).await
    }

    /// The session's CSRF token, read from a page that shows it.
    pub async fn csrf_token(&self) -> String {
        let page = self.get("/admin/login").await;
        let page = match page.location.as_deref() {
            Some(location) => self.get(location).await,
            None => page,
        };
        page.csrf_token().expect("a page with a CSRF token")
    }

    /// POSTs a form exactly as given (no token added).
    pub async fn post_raw(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        let response = self
            .http
            .post(format!("{}{path}", self.address))
            .form(fields)
            .send()
            .await
            .expect("POST");
        Self::read(response).await
    }

    /// POSTs a multipart form with a file field `file` (and the session's
    /// CSRF token when `with_token`).
    pub async fn post_file(&self, path: &str, file: &str, with_token: bool) -> Page {
        let mut form = reqwest::multipart::Form::new();
        if with_token {
            form = form.text("csrf_token", self.csrf_token().await);
        }
        let part = reqwest::multipart::Part::bytes(file.as_bytes().to_vec()).file_name("codes.csv");
        let response = self
            .http
            .post(format!("{}{path}", self.address))
            .multipart(form.part("file", part))
            .send()
            .await
            .expect("POST");
        Self::read(response).await
    }

    /// POSTs a form with the session's CSRF token.
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        let token = self.csrf_token().await;
        let mut all: Vec<(&str, &str)> = vec![("csrf_token", token.as_str())];
        all.extend_from_slice(fields);
        self.post_raw(path, &all).await
    }

    pub async fn setup(&self, email: &str, store_slug: &str) -> Page {
        self.post(
            "/admin/setup",
            &[
                ("email", email),
                ("password", PASSWORD),
                ("store_name", "Acme Outfitters"),
                ("store_slug", store_slug),
                ("currency", "USD"),
                ("timezone", "Europe/Berlin"),
            ],
        )
        .await
    }

    /// Creates the owner and the store `acme`, logged in.
    pub async fn setup_owner(&self) {
        self.setup(OWNER_EMAIL, STORE)
            .await
            .assert_redirect("/admin/s/acme");
    }

    pub async fn login(&self, email: &str, password: &str) -> Page {
        self.post("/admin/login", &[("email", email), ("password", password)])
            .await
    }

    pub async fn logout(&self) -> Page {
        self.post("/admin/logout", &[]).await
    }

    pub async fn create_store(&self, name: &str, slug: &str) -> Page {
        self.post(
            "/admin/stores/new",
            &[
                ("name", name),
                ("slug", slug),
                ("currency", "EUR"),
                ("timezone", "UTC"),
                ("public_base_url", ""),
            ],
        )
        .await
    }

    /// Invites `email` to `store` as `role` (the owner's members form).
    pub async fn invite(&self, store: &str, email: &str, role: &str) -> Page {
        self.post(
            &format!("/admin/s/{store}/members"),
            &[("email", email), ("role", role)],
        )
        .await
    }

    /// Invites `email` and returns the path of the one-time link shown.
    pub async fn invite_path(&self, store: &str, email: &str, role: &str) -> String {
        let page = self.invite(store, email, role).await;
        page.assert_status(200);
        let url = page.data_field("invite_url").expect("the invite link");
        let path = url
            .strip_prefix("http://")
            .and_then(|rest| rest.find('/').map(|at| rest[at..].to_string()))
            .expect("an absolute invite URL");
        assert!(path.starts_with("/admin/invite/"), "{url}");
        path
    }

    /// Invites `email` as `role`, and the invitee accepts in a browser session
    /// of their own with the test password (choosing it for a new account,
    /// logging in with it otherwise). Returns the acceptance: a 303 to the
    /// store.
    pub async fn add_member(&self, store: &str, email: &str, role: &str) -> Page {
        let path = self.invite_path(store, email, role).await;
        Client::new(&self.address)
            .post(&path, &[("password", PASSWORD)])
            .await
    }

    /// POSTs owned fields with the session's CSRF token.
    pub async fn post_owned(&self, path: &str, fields: &[(String, String)]) -> Page {
        let borrowed: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        self.post(path, &borrowed).await
    }

    pub async fn create_product(
        &self,
        store: &str,
        name: &str,
        price: &str,
        currency: &str,
        billing: &str,
    ) -> i64 {
        self.post(
            &format!("/admin/s/{store}/products/new"),
            &[
                ("name", name),
                ("price", price),
                ("currency", currency),
                ("billing", billing),
                ("interval", "month"),
            ],
        )
        .await
        .created_id()
    }

    /// POSTs the coupon form: `good_coupon()` with `changes` applied (an
    /// empty value removes the field; `applies_to` may repeat).
    pub async fn create_coupon(&self, store: &str, changes: &[(&str, &str)]) -> Page {
        self.post_owned(
            &format!("/admin/s/{store}/coupons/new"),
            &coupon_form(changes),
        )
        .await
    }

    pub async fn edit_coupon(&self, store: &str, id: i64, changes: &[(&str, &str)]) -> Page {
        self.post_owned(
            &format!("/admin/s/{store}/coupons/{id}/edit"),
            &coupon_form(changes),
        )
        .await
    }

    /// POSTs the promotion code form for `coupon` (active, no restrictions)
    /// with `changes` applied.
    pub async fn create_promo(&self, store: &str, coupon: i64, changes: &[(&str, &str)]) -> Page {
        let fields = promo_form(coupon, changes);
        self.post_owned(&format!("/admin/s/{store}/promotion-codes/new"), &fields)
            .await
    }

    /// POSTs the public checkout form of `store` with the session's token.
    pub async fn checkout(&self, store: &str, fields: &[(&str, &str)]) -> Page {
        self.post(&format!("/{store}/checkout"), fields).await
    }

    /// POSTs the new coupon set form.
    pub async fn create_set(
        &self,
        store: &str,
        coupon: i64,
        name: &str,
        count: &str,
        prefix: &str,
        length: &str,
    ) -> Page {
        let coupon = coupon.to_string();
        self.post(
            &format!("/admin/s/{store}/coupon-sets/new"),
            &[
                ("name", name),
                ("coupon_id", coupon.as_str()),
                ("count", count),
                ("prefix", prefix),
                ("code_length", length),
            ],
        )
        .await
    }

    pub async fn update_settings(&self, store: &str, fields: &[(&str, &str)]) -> Page {
        self.post(&format!("/admin/s/{store}/settings"), fields)
            .await
    }
}

/// Every store-scoped page that answers GET.
pub const STORE_PAGES: [&str; 9] = [
    "",
    "/coupons",
    "/promotion-codes",
    "/coupon-sets",
    "/products",
    "/customers",
    "/orders",
    "/settings",
    "/members",
];

/// A valid new promotion code form for `coupon` (generated code, no
/// restrictions, active) with `changes` applied; an empty `active` unticks
/// the box.
pub fn promo_form(coupon: i64, changes: &[(&str, &str)]) -> Vec<(String, String)> {
    let coupon = coupon.to_string();
    let mut fields: Vec<(String, String)> = [
        ("coupon_id", coupon.as_str()),
        ("code", ""),
        ("customer", ""),
        ("minimum_amount", ""),
        ("minimum_amount_currency", ""),
        ("expires_at", ""),
        ("max_redemptions", ""),
        ("active", "on"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    for (key, value) in changes {
        match fields.iter_mut().find(|(k, _)| k == key) {
            Some(field) => field.1 = value.to_string(),
            None => fields.push((key.to_string(), value.to_string())),
        }
    }
    fields.retain(|(k, v)| !(k == "active" && v.is_empty()));
    fields
}

/// A valid coupon form (25% off once, code SUMMER10) with `changes`:
/// a change replaces the field, an empty value blanks it, and `applies_to`
/// entries are added.
pub fn coupon_form(changes: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut fields: Vec<(String, String)> = [
        ("code", "SUMMER10"),
        ("name", "Summer sale"),
        ("discount_type", "percent"),
        ("percent_off", "25"),
        ("amount_off", ""),
        ("currency", ""),
        ("duration", "once"),
        ("duration_in_months", ""),
        ("max_redemptions", ""),
        ("starts_at", ""),
        ("redeem_by", ""),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    for (key, value) in changes {
        if *key == "applies_to" || *key == "once_per_customer" || *key == "confirm_full_discount" {
            fields.push((key.to_string(), value.to_string()));
        } else if let Some(field) = fields.iter_mut().find(|(k, _)| k == key) {
            field.1 = value.to_string();
        } else {
            fields.push((key.to_string(), value.to_string()));
        }
    }
    fields
}

/// A `datetime-local` value `days` from now (negative: in the past).
pub fn local_time(days: i64) -> String {
    (chrono::Utc::now() + chrono::TimeDelta::days(days))
        .format("%Y-%m-%dT%H:%M")
        .to_string()
}
