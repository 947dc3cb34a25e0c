//! Prepared-statement caching for statements diesel will not cache itself.
//!
//! diesel caches a statement only when its SQL cannot vary for one query
//! type, so it never caches an `UPDATE` (an optional changeset field
//! changes the SQL), raw SQL, or a PostgreSQL `INSERT` (a `DEFAULT` may
//! replace a value). Each run of those is parsed and planned again: on
//! SQLite inside the single writer lock, on PostgreSQL on the server. The
//! checkout writes several of them per order.
//!
//! `.cached()` lets diesel cache such a statement keyed by its SQL text
//! and bind types, which is always safe: two runs share a prepared
//! statement only when their SQL is the same. Use it for statements of a
//! fixed shape that run often; a statement whose text varies without
//! bound (an `IN` list of any length) must not use it, or the cache grows
//! with every length.
//!
//! How: diesel asks a statement whether it may be cached by walking it
//! with a pass in which a part that varies calls `unsafe_to_cache_prepared`.
//! Overriding `is_safe_to_cache_prepared` is not enough, because diesel
//! asks through a reference (`&T`), whose impl walks the AST instead. So
//! `Cached` tells the passes apart with diesel's `AstPassHelper` (the
//! hook its own `MultiConnection` derive uses; diesel is pinned by
//! `Cargo.lock`) and leaves the inner statement out of that one pass only.

use std::cell::Cell;

use diesel::backend::Backend;
use diesel::internal::derives::multiconnection::AstPassHelper;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::{QueryResult, RunQueryDsl};

/// A statement diesel caches by its SQL text (see the module's comment).
#[derive(Debug, Clone, Copy)]
pub struct Cached<Q>(Q);

/// The identity on a query builder, noting that it was called: diesel
/// converts the query builder only in the pass that writes the SQL.
fn noting<Q: ?Sized>(called: &Cell<bool>) -> impl Fn(&mut Q) -> &mut Q + '_ {
    move |q| {
        called.set(true);
        q
    }
}

impl<Q, DB> QueryFragment<DB> for Cached<Q>
where
    DB: Backend,
    Q: QueryFragment<DB>,
{
    fn walk_ast<'b>(&'b self, pass: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        let writes_sql = Cell::new(false);
        let mut pass = pass.cast_database::<DB>(|c| c, noting(&writes_sql), |b| b, |l| l);
        if writes_sql.get() || pass.bind_collector().is_some() || pass.debug_binds().is_some() {
            return self.0.walk_ast(pass);
        }
        // Asked whether the statement may be cached (yes: the cache key is
        // its SQL text), or whether it does nothing (no: it is a statement).
        pass.push_sql("");
        Ok(())
    }
}

/// No static id: the cache is keyed by the SQL text, never by the type.
impl<Q> QueryId for Cached<Q> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q: Query> Query for Cached<Q> {
    type SqlType = Q::SqlType;
}

impl<Q, C> RunQueryDsl<C> for Cached<Q> {}

/// `.cached()` on any statement.
pub trait Cache: Sized {
    fn cached(self) -> Cached<Self> {
        Cached(self)
    }
}

impl<Q> Cache for Q {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::Conn;
    use diesel::connection::{Instrumentation, InstrumentationEvent, SimpleConnection};
    use diesel::prelude::*;
    use diesel::sql_types::{BigInt, Text};
    use std::sync::{Arc, Mutex};

    diesel::table! {
        counters (id) {
            id -> BigInt,
            name -> Text,
            n -> BigInt,
        }
    }

    /// The SQL of each statement the connection put in its cache.
    #[derive(Clone, Default)]
    struct Prepared(Arc<Mutex<Vec<String>>>);

    impl Instrumentation for Prepared {
        fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
            if let InstrumentationEvent::CacheQuery { sql, .. } = event {
                self.0.lock().unwrap().push(sql.to_string());
            }
        }
    }

    impl Prepared {
        fn take(&self) -> Vec<String> {
            std::mem::take(&mut *self.0.lock().unwrap())
        }
    }

    fn counters() -> (Conn, Prepared) {
        let mut conn = Conn::establish(":memory:").unwrap();
        conn.batch_execute(
            "CREATE TABLE counters (id INTEGER PRIMARY KEY, name TEXT NOT NULL, n BIGINT NOT NULL);
             INSERT INTO counters VALUES (1, 'a', 0), (2, 'b', 0);",
        )
        .unwrap();
        let prepared = Prepared::default();
        conn.set_instrumentation(prepared.clone());
        (conn, prepared)
    }

    macro_rules! bump {
        ($id:expr) => {
            diesel::update(counters::table.filter(counters::id.eq($id)))
                .set(counters::n.eq(counters::n + 1))
        };
    }

    /// diesel alone prepares an UPDATE on every run; `.cached()` once.
    #[test]
    fn a_cached_statement_is_prepared_once() {
        let (mut conn, prepared) = counters();
        for _ in 0..3 {
            assert_eq!(bump!(1).execute(&mut conn).unwrap(), 1);
        }
        assert_eq!(prepared.take(), Vec::<String>::new());
        for id in [1, 2, 1] {
            assert_eq!(bump!(id).cached().execute(&mut conn).unwrap(), 1);
        }
        let raw = || diesel::sql_query("UPDATE counters SET n = n * ? WHERE id = ?");
        for id in [2i64, 1] {
            raw()
                .bind::<BigInt, _>(id)
                .bind::<BigInt, _>(id)
                .cached()
                .execute(&mut conn)
                .unwrap();
        }
        assert_eq!(prepared.take().len(), 2, "one UPDATE and one raw statement");
        let rows: Vec<(i64, String, i64)> =
            counters::table.order(counters::id).load(&mut conn).unwrap();
        assert_eq!(rows, vec![(1, "a".into(), 5), (2, "b".into(), 2)]);
    }

    /// Two shapes of one query type (an optional changeset field) are two
    /// statements, each run with its own binds.
    #[test]
    fn each_shape_of_a_statement_has_its_own_entry() {
        let (mut conn, prepared) = counters();
        for name in [Some("c"), None, Some("d"), None] {
            diesel::update(counters::table.filter(counters::id.eq(2)))
                .set((
                    counters::n.eq(counters::n + 10),
                    name.map(|v| counters::name.eq(v)),
                ))
                .cached()
                .execute(&mut conn)
                .unwrap();
        }
        assert_eq!(prepared.take().len(), 2);
        let named: Vec<Name> = diesel::sql_query("SELECT name FROM counters WHERE n = ?")
            .bind::<BigInt, _>(40)
            .cached()
            .load(&mut conn)
            .unwrap();
        let names: Vec<String> = named.into_iter().map(|n| n.name).collect();
        assert_eq!(names, vec!["d".to_string()]);
    }

    #[derive(QueryableByName)]
    struct Name {
        #[diesel(sql_type = Text)]
        name: String,
    }
}
