//! Database access: one connection type over SQLite and PostgreSQL, the pool,
//! migrations, and one module per table or aggregate. SQL lives only here.

pub mod analytics;
pub mod api_keys;
pub mod cached;
pub mod checkout;
pub mod codes;
pub mod coupon_sets;
pub mod coupons;
pub mod customers;
pub mod events;
pub mod idempotency;
pub mod ids;
pub mod invitations;
pub mod jobs;
pub mod login_failures;
pub mod once;
pub mod orders;
pub mod paging;
pub mod products;
pub mod promotion_codes;
#[cfg(test)]
pub mod replan;
pub mod schema;
pub mod seed;
pub mod sessions;
pub mod settings;
pub mod setup;
pub mod stores;
pub mod users;
pub mod velocity;
pub mod webhooks;
pub mod writer;

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::prelude::*;
use diesel::r2d2::{self, ConnectionManager, CustomizeConnection, ManageConnection};
use diesel::sql_types::BigInt;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

pub use cached::Cache;
pub use diesel::result::Error as DbError;
pub use once::{FirstRow, Inline};

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

// SQL's UPPER(), for case-insensitive code matching on both backends.
diesel::define_sql_function!(fn upper(x: diesel::sql_types::Text) -> diesel::sql_types::Text);

/// A connection to whichever backend `DATABASE_URL` selects.
#[derive(diesel::MultiConnection)]
pub enum Conn {
    Postgres(diesel::PgConnection),
    Sqlite(diesel::SqliteConnection),
}

pub type Pool = r2d2::Pool<Manager>;

/// A pooled connection, and when it was last given back to the pool.
pub struct Pooled {
    conn: Conn,
    returned: Option<std::time::Instant>,
}

impl std::ops::Deref for Pooled {
    type Target = Conn;

    fn deref(&self) -> &Conn {
        &self.conn
    }
}

impl std::ops::DerefMut for Pooled {
    fn deref_mut(&mut self) -> &mut Conn {
        &mut self.conn
    }
}

/// A connection given back this recently is not checked again when it is
/// taken (HikariCP's "alive bypass window", 500 ms there too): a busy
/// server then saves a `SELECT 1` round trip per request (on PostgreSQL one
/// of the five of an API validation). One idle longer is checked, as r2d2
/// does by default.
const ALIVE_BYPASS: std::time::Duration = std::time::Duration::from_millis(500);

/// diesel's connection manager, checking a connection on check-out only
/// when it has been idle (`ALIVE_BYPASS`).
#[derive(Debug)]
pub struct Manager(
    ConnectionManager<Conn>,
    /// SQLite: the database's write connection, kept while the pool lives.
    #[allow(dead_code)]
    Option<std::sync::Arc<writer::Writer>>,
);

impl ManageConnection for Manager {
    type Connection = Pooled;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<Pooled, r2d2::Error> {
        Ok(Pooled {
            conn: self.0.connect()?,
            returned: None,
        })
    }

    fn is_valid(&self, pooled: &mut Pooled) -> Result<(), r2d2::Error> {
        if pooled
            .returned
            .is_some_and(|at| at.elapsed() < ALIVE_BYPASS)
        {
            return Ok(());
        }
        self.0.is_valid(&mut pooled.conn)
    }

    /// Called as the connection goes back to the pool.
    fn has_broken(&self, pooled: &mut Pooled) -> bool {
        pooled.returned = Some(std::time::Instant::now());
        self.0.has_broken(&mut pooled.conn)
    }
}

/// The backend named by a database URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn of(url: &str) -> Backend {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }
}

/// Why the database could not be opened at start-up.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("cannot connect to the database: {0}")]
    Connect(#[from] diesel::ConnectionError),
    #[error("cannot configure the database connection: {0}")]
    Configure(#[from] diesel::result::Error),
    #[error("cannot run the database migrations: {0}")]
    Migrate(String),
    #[error("cannot build the connection pool: {0}")]
    Pool(#[from] r2d2::PoolError),
}

/// The URL diesel's SQLite driver understands: `sqlite://promodesk.db` and
/// `sqlite:promodesk.db` both name the file `promodesk.db`.
fn sqlite_path(url: &str) -> &str {
    url.strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url)
}

/// Per-connection SQLite settings: wait for locks instead of failing, and
/// enforced foreign keys.
/// Checkpoints run in the background (`spawn_checkpointer`); a connection
/// checkpoints itself only if the WAL reaches 10,000 pages (about 40 MB).
/// Temporary data stays in memory: every write transaction runs in a
/// savepoint (`db::writer`), which keeps the first copy of each page it
/// changes in a sub-journal, and a batch's sub-journal outgrew the 64 KiB
/// SQLite keeps in memory before it spills to a temporary file (a perf
/// profile of the checkout showed those `pwrite`s).
const SQLITE_PRAGMAS: &str = "PRAGMA busy_timeout = 5000; PRAGMA synchronous = NORMAL; \
     PRAGMA foreign_keys = ON; PRAGMA wal_autocheckpoint = 10000; PRAGMA temp_store = MEMORY;";

/// Set once when the database is opened (it is kept in the file): WAL, so
/// readers never block the writer. Setting it on every pooled connection
/// made a new connection wait for the write lock.
const SQLITE_WAL: &str = "PRAGMA journal_mode = WAL;";

#[derive(Debug, Clone, Copy)]
struct Pragmas;

/// Per-connection PostgreSQL settings: no JIT compilation. Every query here
/// is a short indexed one, but a cost estimate above `jit_above_cost` (as
/// stale statistics of a fresh, fast-growing table give) makes PostgreSQL
/// compile it at each run, which costs more than running it.
const POSTGRES_SETTINGS: &str = "SET jit = off";

impl CustomizeConnection<Pooled, r2d2::Error> for Pragmas {
    fn on_acquire(&self, pooled: &mut Pooled) -> Result<(), r2d2::Error> {
        match &mut pooled.conn {
            Conn::Sqlite(c) => c.batch_execute(SQLITE_PRAGMAS),
            Conn::Postgres(c) => c.batch_execute(POSTGRES_SETTINGS),
        }
        .map_err(r2d2::Error::QueryError)
    }
}

/// Planner statistics for SQLite, so list filters pick their partial
/// indexes (PostgreSQL's autovacuum keeps its own): `ANALYZE`'s row counts
/// per index, without its STAT4 samples. With samples, the planner reads
/// the bound value of every equality on an indexed column to probe them,
/// and SQLite then plans such a statement again each time it is bound
/// (diesel binds on every run): every checkout's code look-ups were parsed
/// and planned again (see `db::once`). `ANALYZE sqlite_schema` reloads
/// the statistics without the samples.
pub fn analyze(conn: &mut impl SimpleConnection) -> QueryResult<()> {
    conn.batch_execute("ANALYZE; DELETE FROM sqlite_stat4 WHERE 1; ANALYZE sqlite_schema;")
}

/// The PostgreSQL URL the pool connects with: a server on this machine
/// (`localhost`, `127.0.0.1`, `::1`) whose URL names no `sslmode` is
/// reached without TLS. libpq's default (`prefer`) encrypts loopback
/// traffic too, which protects nothing there (it never leaves the kernel,
/// and `prefer` checks no certificate) and cost about a fifth of API
/// validations (`cargo bench --bench api`). A URL with `sslmode=...` is
/// used as given; so is any other host.
pub fn postgres_url(url: &str) -> std::borrow::Cow<'_, str> {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let (before_query, query) = rest.split_once('?').unwrap_or((rest, ""));
    if query.split('&').any(|p| p.starts_with("sslmode=")) {
        return url.into();
    }
    let authority = before_query.split('/').next().unwrap_or_default();
    let hosts = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let loopback = |host: &str| {
        let name = match host.strip_prefix('[') {
            Some(v6) => v6.split(']').next().unwrap_or_default(),
            None => host.split(':').next().unwrap_or_default(),
        };
        name.eq_ignore_ascii_case("localhost")
            || name
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    };
    if !hosts.is_empty() && hosts.split(',').all(loopback) {
        let sep = if url.contains('?') { '&' } else { '?' };
        format!("{url}{sep}sslmode=disable").into()
    } else {
        url.into()
    }
}

/// Connects once with the concrete connection type (so that a bad URL shows
/// its real error), runs pending migrations, then builds the pool.
pub fn open(url: &str, max_size: u32) -> Result<Pool, SetupError> {
    let (pool_url, writer) = match Backend::of(url) {
        Backend::Postgres => {
            let url = postgres_url(url);
            let mut conn = diesel::PgConnection::establish(&url)?;
            conn.run_pending_migrations(POSTGRES_MIGRATIONS)
                .map_err(|e| SetupError::Migrate(e.to_string()))?;
            (url.into_owned(), None)
        }
        Backend::Sqlite => {
            let path = sqlite_path(url);
            let mut conn = diesel::SqliteConnection::establish(path)?;
            conn.batch_execute(SQLITE_WAL)?;
            conn.batch_execute(SQLITE_PRAGMAS)?;
            conn.run_pending_migrations(SQLITE_MIGRATIONS)
                .map_err(|e| SetupError::Migrate(e.to_string()))?;
            analyze(&mut conn)?;
            spawn_checkpointer(path.to_string());
            (path.to_string(), writer::register(&mut conn)?)
        }
    };
    let pool = r2d2::Pool::builder()
        .max_size(max_size)
        .connection_customizer(Box::new(Pragmas))
        .build(Manager(ConnectionManager::<Conn>::new(pool_url), writer))?;
    Ok(pool)
}

thread_local! {
    /// This thread is inside a SQLite write transaction: one inside it is a
    /// savepoint, and must not wait for the writer it holds.
    static HOLDS_WRITER: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Copies the SQLite WAL back into the database every quarter second on a
/// thread of its own. A passive checkpoint waits for no reader or writer,
/// and its fsync no longer lands on whichever checkout commits the
/// thousandth page (that made the slowest checkouts 300-900 ms). Ends when
/// the database file is gone (a test's temporary database).
fn spawn_checkpointer(path: String) {
    let spawned = std::thread::Builder::new()
        .name("sqlite-checkpoint".into())
        .spawn(move || {
            let mut conn = match diesel::SqliteConnection::establish(&path) {
                Ok(conn) => conn,
                Err(e) => {
                    tracing::warn!(error = %e, "no background WAL checkpoints");
                    return;
                }
            };
            while std::path::Path::new(&path).exists() {
                std::thread::sleep(std::time::Duration::from_millis(250));
                if let Err(e) = conn.batch_execute("PRAGMA wal_checkpoint(PASSIVE);") {
                    tracing::warn!(error = %e, "background WAL checkpoint failed");
                }
            }
        });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "no background WAL checkpoints");
    }
}

/// Does the database answer, with every migration of this binary run?
pub fn ready(conn: &mut Conn) -> Result<bool, DbError> {
    let pending = match conn {
        Conn::Postgres(c) => c.has_pending_migration(POSTGRES_MIGRATIONS),
        Conn::Sqlite(c) => c.has_pending_migration(SQLITE_MIGRATIONS),
    };
    pending
        .map(|p| !p)
        .map_err(|e| DbError::QueryBuilderError(e.to_string().into()))
}

/// Runs `f` in a write transaction. On SQLite it is `BEGIN IMMEDIATE`, so that
/// a transaction that reads before it writes takes the write lock up front
/// and cannot fail half-way with SQLITE_BUSY; writers queue on one lock.
/// There `f` runs on the database's write connection, perhaps with others
/// in one commit (`db::writer`), and this returns once its work committed.
pub fn write_transaction<T, E, F>(conn: &mut Conn, f: F) -> Result<T, E>
where
    F: FnOnce(&mut Conn) -> Result<T, E>,
    E: From<DbError>,
{
    let outermost_sqlite = matches!(conn, Conn::Sqlite(_)) && !HOLDS_WRITER.with(|h| h.get());
    let writer = match conn {
        Conn::Sqlite(c) if outermost_sqlite => writer::of(c)?,
        _ => None,
    };
    // Only the outermost transaction's end wakes the workers (an inner one
    // is a savepoint: its work commits with the outer one or not at all).
    let depth = WriteDepth::enter();
    let holding = outermost_sqlite.then(Holding::enter);
    let result = match writer {
        // The database's write connection, with group commit; it has
        // given the writer back when it returns, so a woken worker does
        // not find it held.
        Some(writer) => writer.run(f),
        // PostgreSQL, a transaction inside another, or a SQLite database
        // with no write connection (one in memory): on `conn`.
        None => on_conn(conn, f),
    };
    drop(holding);
    if depth.outermost() {
        jobs::transaction_ended(result.is_ok());
    }
    result
}

/// `f` in a transaction of `conn` itself.
fn on_conn<T, E, F>(conn: &mut Conn, f: F) -> Result<T, E>
where
    F: FnOnce(&mut Conn) -> Result<T, E>,
    E: From<DbError>,
{
    match conn {
        Conn::Sqlite(c) => AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?,
        Conn::Postgres(_) => <Conn as TransactionManager<Conn>>::begin_transaction(conn)?,
    }
    match f(conn) {
        Ok(value) => <Conn as TransactionManager<Conn>>::commit_transaction(conn)
            .map(|()| value)
            .map_err(E::from),
        Err(e) => match <Conn as TransactionManager<Conn>>::rollback_transaction(conn) {
            Ok(()) => Err(e),
            Err(rollback) => Err(E::from(rollback)),
        },
    }
}

thread_local! {
    /// How many write transactions this thread is inside.
    static WRITE_DEPTH: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

/// This thread's place in nested write transactions, for as long as it lives.
struct WriteDepth(u32);

impl WriteDepth {
    fn enter() -> WriteDepth {
        WriteDepth(WRITE_DEPTH.with(|d| d.replace(d.get() + 1)))
    }

    fn outermost(&self) -> bool {
        self.0 == 0
    }
}

impl Drop for WriteDepth {
    fn drop(&mut self) {
        WRITE_DEPTH.with(|d| d.set(self.0));
    }
}

/// Runs reads from one snapshot. On SQLite that is one read transaction,
/// which also saves a lock and unlock of the file per statement; on
/// PostgreSQL each statement already reads committed data, and a
/// transaction would cost two round trips.
pub fn read_snapshot<T, F>(conn: &mut Conn, f: F) -> QueryResult<T>
where
    F: FnOnce(&mut Conn) -> QueryResult<T>,
{
    match conn {
        Conn::Sqlite(_) if !HOLDS_WRITER.with(|h| h.get()) => conn.transaction(f),
        _ => f(conn),
    }
}

/// This thread holds a writer (`HOLDS_WRITER`) until this is dropped, even
/// by a panic.
struct Holding;

impl Holding {
    fn enter() -> Holding {
        HOLDS_WRITER.with(|h| h.set(true));
        Holding
    }
}

impl Drop for Holding {
    fn drop(&mut self) {
        HOLDS_WRITER.with(|h| h.set(false));
    }
}

/// The id of the row this connection inserted last (MultiConnection has no
/// `RETURNING`).
pub fn last_insert_id(conn: &mut Conn) -> QueryResult<i64> {
    let query = match conn {
        Conn::Sqlite(_) => "last_insert_rowid()",
        Conn::Postgres(_) => "lastval()",
    };
    diesel::select(diesel::dsl::sql::<BigInt>(query))
        .cached()
        .get_result(conn)
}

/// Raw SQL run on both backends, with `$n` placeholders (PostgreSQL's;
/// SQLite reads `$n` as a named parameter). SQLite numbers named
/// parameters by their first appearance, not by `n`: `SELECT $2, $1` binds
/// the first value to `$2`. So `$n` must first appear in the order `$1`,
/// `$2`, ... (checked in debug builds, so by every test that runs it).
pub fn both(sql: String) -> String {
    debug_assert!(
        placeholders_in_order(&sql),
        "placeholders out of order: {sql}"
    );
    sql
}

/// Do the `$n` placeholders of `sql` first appear as `$1`, `$2`, ...?
fn placeholders_in_order(sql: &str) -> bool {
    let mut seen: Vec<u32> = Vec::new();
    for (i, _) in sql.match_indices('$') {
        let digits: String = sql[i + 1..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        if let Ok(n) = digits.parse::<u32>()
            && !seen.contains(&n)
        {
            seen.push(n);
        }
    }
    seen.iter().enumerate().all(|(i, n)| *n as usize == i + 1)
}

/// Runs `$body` with `$c` bound to the concrete connection, for statements
/// MultiConnection cannot express (e.g. multi-row INSERT).
#[macro_export]
macro_rules! on_backend {
    ($conn:expr, $c:ident => $body:expr) => {
        match $conn {
            $crate::db::Conn::Sqlite($c) => $body,
            $crate::db::Conn::Postgres($c) => $body,
        }
    };
}

/// The current time in UTC, as stored in every timestamp column.
pub fn now() -> chrono::NaiveDateTime {
    let offset = CLOCK_OFFSET.load(std::sync::atomic::Ordering::Relaxed);
    chrono::Utc::now().naive_utc() + chrono::TimeDelta::seconds(offset)
}

/// Seconds added to `now` (`CLOCK_OFFSET_SECONDS`, tests only; 0 otherwise).
static CLOCK_OFFSET: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(0);

/// Shifts this process's clock (see `Config::clock_offset_seconds`).
pub fn set_clock_offset(seconds: i64) {
    CLOCK_OFFSET.store(seconds, std::sync::atomic::Ordering::Relaxed);
}

/// Is this error a unique-constraint violation?
/// Did a CHECK constraint refuse the write?
pub fn is_check_violation(e: &DbError) -> bool {
    matches!(
        e,
        DbError::DatabaseError(diesel::result::DatabaseErrorKind::CheckViolation, _)
    )
}

pub fn is_unique_violation(e: &DbError) -> bool {
    matches!(
        e,
        DbError::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)
    )
}

/// A fresh, migrated SQLite database in a temporary directory, for unit
/// tests: keep the directory alive as long as the pool.
#[cfg(test)]
pub fn temp_sqlite() -> (tempfile::TempDir, Pool) {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("test.db").display());
    let pool = open(&url, 1).expect("db");
    (dir, pool)
}

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::connection::{Instrumentation, InstrumentationEvent};
    use std::sync::{Arc, Mutex};

    /// Counts the `SELECT 1` checks run on a connection.
    #[derive(Clone, Default)]
    struct Pings(Arc<Mutex<usize>>);

    impl Instrumentation for Pings {
        fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
            if let InstrumentationEvent::StartQuery { query, .. } = event
                && query.to_string().starts_with("SELECT 1")
            {
                *self.0.lock().unwrap() += 1;
            }
        }
    }

    /// A connection given back a moment ago is handed out again without
    /// a check; one idle for longer than `ALIVE_BYPASS` is checked.
    #[test]
    fn only_an_idle_connection_is_checked_on_check_out() {
        let (_dir, pool) = temp_sqlite();
        let pings = Pings::default();
        pool.get().expect("conn").set_instrumentation(pings.clone());
        let count = || *pings.0.lock().unwrap();
        for _ in 0..3 {
            drop(pool.get().expect("conn"));
        }
        assert_eq!(count(), 0, "taken again at once: not checked");
        std::thread::sleep(ALIVE_BYPASS + std::time::Duration::from_millis(100));
        drop(pool.get().expect("conn"));
        assert_eq!(count(), 1, "idle longer: checked");
    }

    /// A server on this machine is reached without TLS unless the URL asks
    /// for it; any other server, or a URL with `sslmode`, as given.
    #[test]
    fn loopback_postgres_goes_without_tls_unless_asked() {
        for (url, expected) in [
            (
                "postgres://postgres@127.0.0.1:5432/db",
                "postgres://postgres@127.0.0.1:5432/db?sslmode=disable",
            ),
            (
                "postgres://u:p@localhost/db?connect_timeout=5",
                "postgres://u:p@localhost/db?connect_timeout=5&sslmode=disable",
            ),
            (
                "postgresql://[::1]:5433/db",
                "postgresql://[::1]:5433/db?sslmode=disable",
            ),
            (
                "postgres://127.0.0.1,localhost/db",
                "postgres://127.0.0.1,localhost/db?sslmode=disable",
            ),
            (
                "postgres://postgres@127.0.0.1/db?sslmode=require",
                "postgres://postgres@127.0.0.1/db?sslmode=require",
            ),
            (
                "postgres://u@db.example.com/db",
                "postgres://u@db.example.com/db",
            ),
            (
                "postgres://u@10.0.0.7:5432/db",
                "postgres://u@10.0.0.7:5432/db",
            ),
            (
                "postgres://127.0.0.1,db.example.com/db",
                "postgres://127.0.0.1,db.example.com/db",
            ),
            ("postgres:///db", "postgres:///db"),
        ] {
            assert_eq!(postgres_url(url), expected, "{url}");
        }
    }

    #[test]
    fn placeholders_must_first_appear_in_order() {
        assert!(placeholders_in_order("SELECT $1, $2, $1, $3"));
        assert!(placeholders_in_order("SELECT 1"));
        assert!(placeholders_in_order("SELECT '$' || $1"));
        assert!(!placeholders_in_order("SELECT $2, $1"));
        assert!(!placeholders_in_order("SELECT $1, $3"));
        assert!(!placeholders_in_order(
            "WITH one AS (SELECT $2) SELECT $1, $3"
        ));
    }
}
