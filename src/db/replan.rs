//! For tests: which statements SQLite plans again on every run.
//!
//! A cached statement is parsed and planned once, unless its plan read a
//! bound value: a bound `LIMIT`, a bound value compared with a partial
//! index's condition (`status = ?` against `WHERE status = 'pending'`), a
//! `LIKE` pattern, or a STAT4 sample probe. SQLite then marks the statement
//! to be prepared again whenever that parameter is bound, which diesel does
//! on every run. `recorded` collects the SQL a piece of code runs;
//! `replanned` prepares each statement on a second connection, binds and
//! runs it twice, and reads SQLite's own count of re-prepares.

use std::ffi::{CStr, CString};
use std::path::Path;
use std::sync::{Arc, Mutex};

use diesel::connection::{Connection, Instrumentation, InstrumentationEvent};
use libsqlite3_sys as ffi;

use super::Conn;

/// The SQL text of every statement run on a connection.
#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<Vec<String>>>);

impl Instrumentation for Recorder {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        if let InstrumentationEvent::StartQuery { query, .. } = event {
            let text = query.to_string();
            let sql = text.split(" -- binds:").next().unwrap_or_default().trim();
            self.0.lock().unwrap().push(sql.to_string());
        }
    }
}

/// Runs `f` on `conn`, and returns what it gave with the distinct SQL of
/// the statements it ran (transaction control left out).
pub fn recorded<T>(conn: &mut Conn, f: impl FnOnce(&mut Conn) -> T) -> (T, Vec<String>) {
    let recorder = Recorder::default();
    conn.set_instrumentation(recorder.clone());
    // Write transactions run on the database's write connection.
    let writer = match conn {
        Conn::Sqlite(c) => super::writer::of(c).unwrap(),
        Conn::Postgres(_) => None,
    };
    if let Some(writer) = &writer {
        writer.instrument(Some(Box::new(recorder.clone())));
    }
    let out = f(conn);
    conn.set_instrumentation(diesel::connection::get_default_instrumentation());
    if let Some(writer) = &writer {
        writer.instrument(None);
    }
    let mut sql: Vec<String> = recorder.0.lock().unwrap().clone();
    sql.retain(|s| {
        let head = s.to_uppercase();
        ![
            "BEGIN",
            "COMMIT",
            "ROLLBACK",
            "SAVEPOINT",
            "RELEASE",
            "PRAGMA",
        ]
        .iter()
        .any(|word| head.starts_with(word))
    });
    sql.sort();
    sql.dedup();
    (out, sql)
}

/// The statements of `sql` that SQLite prepares again when they are bound
/// and run a second time, on the database file at `path`. Every parameter
/// is bound to NULL, inside a transaction that is rolled back: binding any
/// value to a parameter the plan read is what expires the statement.
pub fn replanned(path: &Path, sql: &[String]) -> Vec<String> {
    let mut db: *mut ffi::sqlite3 = std::ptr::null_mut();
    let file = CString::new(path.to_string_lossy().as_bytes()).unwrap();
    // SAFETY: plain use of the SQLite C API on a connection and statements
    // this function owns and closes.
    unsafe {
        assert_eq!(
            ffi::sqlite3_open_v2(
                file.as_ptr(),
                &mut db,
                ffi::SQLITE_OPEN_READWRITE,
                std::ptr::null()
            ),
            ffi::SQLITE_OK
        );
        let run = |text: &str| {
            let text = CString::new(text).unwrap();
            ffi::sqlite3_exec(
                db,
                text.as_ptr(),
                None,
                std::ptr::null_mut(),
                std::ptr::null_mut(),
            )
        };
        let mut again = Vec::new();
        for statement in sql {
            assert_eq!(run("BEGIN"), ffi::SQLITE_OK);
            let text = CString::new(statement.as_str()).unwrap();
            let mut stmt: *mut ffi::sqlite3_stmt = std::ptr::null_mut();
            let rc =
                ffi::sqlite3_prepare_v2(db, text.as_ptr(), -1, &mut stmt, std::ptr::null_mut());
            assert_eq!(
                rc,
                ffi::SQLITE_OK,
                "{statement}: {}",
                CStr::from_ptr(ffi::sqlite3_errmsg(db)).to_string_lossy()
            );
            for _ in 0..2 {
                for i in 1..=ffi::sqlite3_bind_parameter_count(stmt) {
                    ffi::sqlite3_bind_null(stmt, i);
                }
                // Rows, done or a constraint refusing the NULLs: the plan
                // was made (or made again) before any of them.
                while ffi::sqlite3_step(stmt) == ffi::SQLITE_ROW {}
                ffi::sqlite3_reset(stmt);
            }
            if ffi::sqlite3_stmt_status(stmt, ffi::SQLITE_STMTSTATUS_REPREPARE, 0) > 0 {
                again.push(statement.clone());
            }
            ffi::sqlite3_finalize(stmt);
            assert_eq!(run("ROLLBACK"), ffi::SQLITE_OK);
        }
        ffi::sqlite3_close(db);
        again
    }
}
