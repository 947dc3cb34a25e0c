//! Query shapes SQLite plans once.
//!
//! A cached statement is parsed and planned once, unless its plan read a
//! bound value: SQLite then plans it again whenever that parameter is
//! bound, which diesel does on every run. Three shapes read one, and each
//! has its way round:
//!
//! - **A bound `LIMIT`.** `first` adds `LIMIT ?` with the 1 as a bound
//!   value, and since SQLite 3.4x the planner reads a bound LIMIT
//!   (`sqlite3ExprIsInteger` with a `Parse`): every `first` was parsed and
//!   planned again, about a quarter of the CPU of a checkout. On SQLite
//!   `first_row` and `first_rows` run the query without a limit and read
//!   the rows they need (rows are stepped one at a time; the rest are never
//!   computed unless the query sorts without an index). On PostgreSQL,
//!   which loads whole results, they are `first` and `limit`.
//! - **A bound value against a partial index's condition.** `status = ?`
//!   can use an index `WHERE status = 'pending'` only by reading the bound
//!   value; `Inline` writes the constant into the SQL instead.
//! - **STAT4 samples.** With them, every equality on an indexed column
//!   reads its value; `db::analyze` keeps none.
//!
//! (Building SQLite with `SQLITE_ENABLE_QPSG`, which stops every plan from
//! reading bound values, was tried: API validations fell from about 11,500
//! to 9,400 a second on SQLite.)
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
/// condition that must match a partial index's without SQLite reading a
/// bound value into its plan. Its SQL varies with the
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
