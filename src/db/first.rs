//! `first_row`: diesel's `first` without SQLite's re-prepare.
//!
//! `first` adds `LIMIT ?` with the 1 as a bound value. Since SQLite 3.4x
//! the planner reads a bound LIMIT (`sqlite3ExprIsInteger` with a `Parse`)
//! and marks the parameter as shaping the plan, so binding it again (as a
//! cached statement does on every run) expires the statement: every
//! `first` was parsed and planned again, about a quarter of the CPU of a
//! checkout. On SQLite `first_row` runs the query without a limit and
//! reads one row (rows are stepped one at a time; the rest are never
//! computed unless the query sorts without an index). On PostgreSQL,
//! which loads whole results, it is `first`.

use diesel::dsl::Limit;
use diesel::prelude::*;
use diesel::query_dsl::LoadQuery;
use diesel::query_dsl::methods::LimitDsl;

use super::Conn;

pub trait FirstRow: Sized + LimitDsl + RunQueryDsl<Conn> {
    /// The first row, or `NotFound` (as `first`).
    fn first_row<'query, U>(self, conn: &mut Conn) -> QueryResult<U>
    where
        Self: LoadQuery<'query, Conn, U>,
        Limit<Self>: LoadQuery<'query, Conn, U>,
    {
        match conn {
            Conn::Sqlite(_) => self.get_result(conn),
            Conn::Postgres(_) => self.first(conn),
        }
    }
}

impl<T: LimitDsl + RunQueryDsl<Conn>> FirstRow for T {}

#[cfg(test)]
mod tests {
    use diesel::prelude::*;

    use super::FirstRow;
    use crate::db::{self, DbError, schema::app_settings};

    /// The first row in the query's order, and `NotFound` when there is
    /// none, as `first` gives them.
    #[test]
    fn first_row_is_the_first_in_order_or_not_found() {
        let (_dir, pool) = db::temp_sqlite();
        let mut conn = pool.get().expect("conn");
        for (key, value) in [("b", "2"), ("c", "3"), ("a", "1")] {
            db::settings::insert(&mut conn, key, value).expect("insert");
        }
        let query = || {
            app_settings::table
                .filter(app_settings::key.ne("zzz"))
                .select(app_settings::value)
        };
        let first: String = query()
            .order(app_settings::key)
            .first_row(&mut conn)
            .expect("a row");
        let last: String = query()
            .order(app_settings::key.desc())
            .first_row(&mut conn)
            .expect("a row");
        let limited: String = query()
            .order(app_settings::key.desc())
            .first(&mut **conn)
            .expect("a row");
        assert_eq!((first.as_str(), last.as_str()), ("1", "3"));
        assert_eq!(last, limited);
        let none = query()
            .filter(app_settings::key.eq("missing"))
            .first_row::<String>(&mut conn);
        assert!(matches!(none, Err(DbError::NotFound)), "{none:?}");
    }
}
