//! SQLite's group commit: the write transactions of this process run on
//! one connection per database file, and those that queue behind each
//! other commit together.
//!
//! SQLite has one writer at a time, and each commit appends every page the
//! transaction changed to the WAL, whole. An order changes about fifteen
//! pages (its row, the customer, the counters, and the last page of each
//! index); most of them are the same pages for the next order. So when a
//! write transaction ends while another waits for the writer, it leaves
//! its work uncommitted and hands the connection on: the next one runs in
//! the same SQLite transaction, each in a savepoint of its own (one that
//! fails rolls back alone), and the last of the batch commits for all.
//! Nobody returns before the commit that holds its work: a caller sees the
//! same all-or-nothing transaction as before, committed when it returns.
//!
//! One connection for all writes also keeps its page cache: a pooled
//! connection finds its cache stale after any other connection wrote, and
//! reads every page again.
//!
//! Writers queue on the writer's lock, not in SQLite's busy handler (which
//! sleeps 1, 2, 5, 10... ms between retries): that took 32 concurrent
//! checkouts from a 100 ms to a few ms p99.
//!
//! Readers use the pool as before, and never see a batch before it commits.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError, Weak};

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::prelude::*;
use diesel::result::DatabaseErrorKind;
use diesel::sql_types::Text;

use super::{Cache, Conn, DbError};

/// At most this many transactions commit together: the first of a batch
/// waits for the others' work.
const MAX_BATCH: usize = 16;

/// The write connection of one SQLite database file.
pub struct Writer {
    path: String,
    /// Threads waiting for `state`: a transaction that ends while one
    /// waits leaves the commit to it.
    waiting: AtomicUsize,
    state: Mutex<State>,
    /// Transactions run, and commits made (fewer: batches).
    transactions: AtomicU64,
    commits: AtomicU64,
}

impl std::fmt::Debug for Writer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Writer").field("path", &self.path).finish()
    }
}

struct State {
    /// Opened at the first write, and again after a failure dropped it.
    conn: Option<Conn>,
    /// The batch whose SQLite transaction is open, if any.
    batch: Option<Arc<Batch>>,
    /// How many transactions the open batch holds.
    members: usize,
}

/// The transactions that commit together, and how their commit went.
struct Batch {
    outcome: Mutex<Option<Result<(), String>>>,
    ended: Condvar,
}

impl Batch {
    fn end(&self, outcome: Result<(), String>) {
        *self.outcome.lock().unwrap_or_else(PoisonError::into_inner) = Some(outcome);
        self.ended.notify_all();
    }

    fn wait(&self) -> Result<(), String> {
        let mut outcome = self.outcome.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            if let Some(outcome) = outcome.as_ref() {
                return outcome.clone();
            }
            outcome = self
                .ended
                .wait(outcome)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }
}

/// The writers of this process, by database file (canonical path). The
/// pool holds its writer; this finds it from a pooled connection.
static WRITERS: Mutex<Vec<(String, Weak<Writer>)>> = Mutex::new(Vec::new());

/// The file of `conn`'s main database, as SQLite names it ("" in memory).
fn file_of(conn: &mut diesel::SqliteConnection) -> QueryResult<String> {
    #[derive(QueryableByName)]
    struct File {
        #[diesel(sql_type = Text)]
        file: String,
    }
    let found: File =
        diesel::sql_query("SELECT file FROM pragma_database_list WHERE name = 'main'")
            .cached()
            .get_result(conn)?;
    Ok(found.file)
}

/// The writer of `conn`'s database file (made if this process has none);
/// `None` for a database in memory.
pub fn register(conn: &mut diesel::SqliteConnection) -> QueryResult<Option<Arc<Writer>>> {
    let path = file_of(conn)?;
    if path.is_empty() {
        return Ok(None);
    }
    let mut writers = WRITERS.lock().unwrap_or_else(PoisonError::into_inner);
    writers.retain(|(_, w)| w.strong_count() > 0);
    if let Some(writer) = live(&writers, &path) {
        return Ok(Some(writer));
    }
    let writer = Arc::new(Writer {
        path: path.clone(),
        waiting: AtomicUsize::new(0),
        state: Mutex::new(State {
            conn: None,
            batch: None,
            members: 0,
        }),
        transactions: AtomicU64::new(0),
        commits: AtomicU64::new(0),
    });
    writers.push((path, Arc::downgrade(&writer)));
    Ok(Some(writer))
}

/// The writer of the database `conn` is connected to, if it has one.
pub fn of(conn: &mut diesel::SqliteConnection) -> QueryResult<Option<Arc<Writer>>> {
    let path = file_of(conn)?;
    let writers = WRITERS.lock().unwrap_or_else(PoisonError::into_inner);
    Ok(live(&writers, &path))
}

/// The live writer of file `path` among `writers`.
fn live(writers: &[(String, Weak<Writer>)], path: &str) -> Option<Arc<Writer>> {
    writers
        .iter()
        .filter(|(p, _)| p == path)
        .find_map(|(_, w)| w.upgrade())
}

/// The error of a transaction whose batch did not commit.
fn batch_failed(message: String) -> DbError {
    DbError::DatabaseError(
        DatabaseErrorKind::Unknown,
        Box::new(format!("the group commit failed: {message}")),
    )
}

/// A transaction's answer once its batch ended: its own error, or the
/// batch's if its work did not commit.
fn settled<T, E: From<DbError>>(result: Result<T, E>, ended: Result<(), String>) -> Result<T, E> {
    match (result, ended) {
        (Ok(value), Ok(())) => Ok(value),
        (Ok(_), Err(message)) => Err(E::from(batch_failed(message))),
        (Err(e), _) => Err(e),
    }
}

/// The writer's state while this thread holds it. If the thread panics
/// meanwhile, the connection is dropped (closing it rolls the open batch
/// back) and the batch's other members are told.
struct Held<'a>(MutexGuard<'a, State>);

impl Drop for Held<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.conn = None;
            if let Some(batch) = self.0.batch.take() {
                batch.end(Err("a transaction of the batch panicked".into()));
            }
        }
    }
}

impl Writer {
    /// Runs `f` as one write transaction on this database's write
    /// connection: in the open batch if there is one, and committed with
    /// it. Returns once its work is committed (or rolled back).
    pub fn run<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut Conn) -> Result<T, E>,
        E: From<DbError>,
    {
        self.waiting.fetch_add(1, Ordering::SeqCst);
        let mut held = Held(self.state.lock().unwrap_or_else(PoisonError::into_inner));
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        let state = &mut *held.0;
        let conn = match &mut state.conn {
            Some(conn) => conn,
            slot => slot.insert(self.connect()?),
        };
        if state.batch.is_none() {
            let Conn::Sqlite(c) = conn else {
                return Err(E::from(batch_failed("not a SQLite connection".into())));
            };
            AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?;
            state.batch = Some(Arc::new(Batch {
                outcome: Mutex::new(None),
                ended: Condvar::new(),
            }));
            state.members = 0;
        }
        state.members += 1;
        self.transactions.fetch_add(1, Ordering::Relaxed);
        // This transaction's work, in a savepoint of the batch.
        let result = conn.transaction(f);
        let intact = matches!(
            <Conn as TransactionManager<Conn>>::transaction_manager_status_mut(conn)
                .transaction_depth(),
            Ok(Some(depth)) if depth.get() == 1
        );
        let pass_on =
            intact && state.members < MAX_BATCH && self.waiting.load(Ordering::SeqCst) > 0;
        crate::metrics::sqlite_write(intact && !pass_on);
        if pass_on {
            // Someone waits for the writer: it commits for both. Even a
            // transaction that failed returns after the batch ends, so
            // that what it found (an idempotency key another request of the
            // batch holds, say) is committed when its caller looks again.
            let batch = state.batch.clone();
            drop(held);
            let ended = batch.map_or(Ok(()), |b| b.wait());
            return settled(result, ended);
        }
        let ended = if intact {
            self.commits.fetch_add(1, Ordering::Relaxed);
            <Conn as TransactionManager<Conn>>::commit_transaction(conn).map_err(|e| e.to_string())
        } else {
            Err("a transaction could not be rolled back to its savepoint".into())
        };
        if ended.is_err() {
            // Closing the connection rolls back what is left open.
            state.conn = None;
        }
        if let Some(batch) = state.batch.take() {
            batch.end(ended.clone());
        }
        drop(held);
        settled(result, ended)
    }

    /// How many write transactions ran, and in how many commits.
    pub fn counts(&self) -> (u64, u64) {
        (
            self.transactions.load(Ordering::Relaxed),
            self.commits.load(Ordering::Relaxed),
        )
    }

    /// Records the write connection's statements (`None`: stops).
    #[cfg(test)]
    pub fn instrument(
        &self,
        instrumentation: Option<Box<dyn diesel::connection::Instrumentation>>,
    ) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if state.conn.is_none() {
            state.conn = self.connect().ok();
        }
        if let Some(conn) = &mut state.conn {
            match instrumentation {
                Some(i) => conn.set_instrumentation(i),
                None => conn.set_instrumentation(diesel::connection::get_default_instrumentation()),
            }
        }
    }

    fn connect(&self) -> Result<Conn, DbError> {
        let mut conn = diesel::SqliteConnection::establish(&self.path)
            .map_err(|e| batch_failed(format!("cannot open the write connection: {e}")))?;
        conn.batch_execute(super::SQLITE_PRAGMAS)?;
        Ok(Conn::Sqlite(conn))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::time::Duration;

    use diesel::connection::SimpleConnection;
    use diesel::prelude::*;

    use crate::db::{self, DbError};

    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }

    /// Threads writing at once share commits, and each caller's answer is
    /// the truth about its own work: `Ok` means committed (and visible to
    /// the pool's other connections at once), an error means none of it
    /// stayed, whether its own transaction failed, or another of its batch
    /// panicked and took the batch down.
    #[test]
    fn batched_transactions_commit_exactly_what_answered_ok() {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("test.db").display());
        let pool = db::open(&url, 10).expect("db");
        pool.get()
            .expect("conn")
            .batch_execute("CREATE TABLE scratch (n BIGINT PRIMARY KEY)")
            .expect("table");
        let ok: std::sync::Mutex<BTreeSet<i64>> = Default::default();
        std::thread::scope(|scope| {
            for thread in 0..8i64 {
                let (pool, ok) = (&pool, &ok);
                scope.spawn(move || {
                    let mut conn = pool.get().expect("conn");
                    for i in 0..40i64 {
                        let n = thread * 1000 + i;
                        let written =
                            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                                db::write_transaction(&mut conn, |conn| {
                                    conn.batch_execute(&format!(
                                        "INSERT INTO scratch (n) VALUES ({n})"
                                    ))?;
                                    // Long enough for the others to queue.
                                    std::thread::sleep(Duration::from_micros(300));
                                    match n % 23 {
                                        7 => Err(DbError::RollbackTransaction),
                                        11 => panic!("a transaction of the batch panics"),
                                        _ => Ok(()),
                                    }
                                })
                            }));
                        if let Ok(Ok(())) = written {
                            // Committed when it returns: another connection sees it.
                            let seen: Vec<N> =
                                diesel::sql_query(format!("SELECT n FROM scratch WHERE n = {n}"))
                                    .load(&mut **conn)
                                    .expect("read");
                            assert_eq!(seen.len(), 1, "{n} is visible once it answered Ok");
                            ok.lock().unwrap().insert(n);
                        }
                    }
                });
            }
        });
        let rows: Vec<N> = diesel::sql_query("SELECT n FROM scratch")
            .load(&mut **pool.get().expect("conn"))
            .expect("rows");
        let stored: BTreeSet<i64> = rows.into_iter().map(|r| r.n).collect();
        let ok = ok.into_inner().unwrap();
        assert_eq!(
            stored, ok,
            "exactly the transactions that answered Ok are stored"
        );
        assert!(ok.len() > 8 * 40 / 2, "most committed: {}", ok.len());
        let mut conn = pool.get().expect("conn");
        let crate::db::Conn::Sqlite(c) = &mut **conn else {
            panic!("a SQLite connection");
        };
        let writer = super::of(c).expect("writer").expect("the pool's writer");
        let (transactions, commits) = writer.counts();
        assert_eq!(transactions, 8 * 40);
        assert!(
            commits < transactions,
            "{commits} commits for {transactions} transactions"
        );
    }
}
