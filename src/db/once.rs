//! Query shapes SQLite plans once.
//!
//! A cached statement is parsed and planned once, unless its plan read a
//! bound value: SQLite then plans it again whenever that parameter is
//! bound, which diesel does on every run. The bundled SQLite is built with
//! the query planner stability guarantee (`SQLITE_ENABLE_QPSG`, in
//! `.cargo/config.toml`), so that no plan reads a bound value: not a bound
//! `LIMIT`, a `LIKE` pattern, nor (once the start-up `ANALYZE` keeps STAT4
//! samples) the value of an equality on an indexed column, which made every
//! checkout's code look-up be planned again. Two helpers remain:
//!
//! - **`Inline`**, needed with that guarantee: a condition that must match
//!   a partial index's (`status = 'pending'` for an index `WHERE status =
//!   'pending'`) has to be written into the SQL, since the planner no
//!   longer compares the bound value with the index's condition.
//! - **`first_row` and `first_rows`**, from before it: on SQLite they run
//!   the query without a `LIMIT` and read the rows they need (rows are
//!   stepped one at a time; the rest are never computed unless the query
//!   sorts without an index), so that no bound LIMIT shapes a plan even in
//!   a build without the flag (`db::open` warns of one). On PostgreSQL,
//!   which loads whole results, they are `first` and `limit`.
//!
//! `db::replan` (tests) finds statements that are planned again.

use diesel::backend::Backend;
use diesel::dsl::Limit;
use diesel::expression::{ValidGrouping, is_aggregate};
use diesel::prelude::*;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::query_dsl::LoadQuery;
use diesel::query_dsl::methods::LimitDsl;
use diesel::sql_types::Text;

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

    /// The first `n` rows (as `limit(n).load`).
    fn first_rows<'query, U>(self, n: i64, conn: &mut Conn) -> QueryResult<Vec<U>>
    where
        Self: LoadQuery<'query, Conn, U> + 'query,
        Limit<Self>: LoadQuery<'query, Conn, U>,
        U: 'query,
    {
        match conn {
            Conn::Sqlite(_) => self
                .load_iter(conn)?
                .take(usize::try_from(n).unwrap_or(0))
                .collect(),
            Conn::Postgres(_) => self.limit(n).load(conn),
        }
    }
}

impl<T: LimitDsl + RunQueryDsl<Conn>> FirstRow for T {}

/// A text constant written into the SQL (`'pending'`), not bound: for a
/// condition that must match a partial index's. Its SQL varies with the
/// text, so its statements are cached by their SQL.
#[derive(Debug, Clone, Copy)]
pub struct Inline(pub &'static str);

impl Expression for Inline {
    type SqlType = Text;
}

impl<DB: Backend> QueryFragment<DB> for Inline {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql("'");
        out.push_sql(&self.0.replace('\'', "''"));
        out.push_sql("'");
        Ok(())
    }
}

impl QueryId for Inline {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<QS> AppearsOnTable<QS> for Inline {}

impl<QS> SelectableExpression<QS> for Inline {}

impl<GB> ValidGrouping<GB> for Inline {
    type IsAggregate = is_aggregate::Never;
}

#[cfg(test)]
mod tests {
    use diesel::prelude::*;

    use super::FirstRow;
    use crate::db::{self, DbError, schema::app_settings};

    /// The first row in the query's order, and `NotFound` when there is
    /// none, as `first` gives them.
    #[test]
    fn first_rows_are_the_first_in_order_or_not_found() {
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
        let two: Vec<String> = query()
            .order(app_settings::key)
            .first_rows(2, &mut conn)
            .expect("rows");
        assert_eq!(two, ["1", "2"]);
    }
}
