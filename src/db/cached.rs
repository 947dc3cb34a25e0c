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
//! `.cached()` builds the SQL text on every run, to look the statement up.
//! `.cached_at(site!())` looks it up by its call site's own type instead,
//! so the SQL is built once; only for a site whose text never changes
//! (see `site!`; debug builds check it).
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

/// A statement diesel caches by its SQL text, or by its call site
/// (`K`, see `site!`).
#[derive(Debug, Clone, Copy)]
pub struct Cached<Q, K = ()>(Q, std::marker::PhantomData<K>);

/// A call site's own type (`site!()`): a statement cached with it is found
/// in the cache by that type, so its SQL is built once, on the first run.
/// (Keyed by its SQL text, the default, the text is built on every run to
/// look the entry up.)
pub trait Site: 'static {}

/// A key type of its own for this call site: `.cached_at(site!())` finds
/// the statement's cache entry without building its SQL. Only for a
/// statement whose SQL text is always the same at that site: no optional
/// changeset field, no `eq_any` list, no text made at run time, not in a
/// generic function (one site type would then serve several statements),
/// and on a concrete connection (an `on_backend!` arm). On the checkout's
/// path, building the SQL of each cached statement to look its entry up
/// took a fifth of the order transaction's time, inside SQLite's writer
/// lock. Debug builds (the tests) still key by text and check that the
/// site's text never changes (`same_text_at_site`).
#[macro_export]
macro_rules! site {
    () => {{
        struct Here;
        impl $crate::db::cached::Site for Here {}
        Here
    }};
}

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
        walk_cached(&self.0, pass, |_| Ok(()))
    }
}

/// Site-keyed: on a concrete backend, whose query builder a debug build
/// uses to check the site's text.
impl<Q, DB, K> QueryFragment<DB> for Cached<Q, K>
where
    DB: Backend + Default + 'static,
    DB::QueryBuilder: Default,
    Q: QueryFragment<DB>,
    K: Site,
{
    fn walk_ast<'b>(&'b self, pass: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        walk_cached(&self.0, pass, |_query| {
            #[cfg(debug_assertions)]
            same_text_at_site::<Q, DB, K>(_query)?;
            Ok(())
        })
    }
}

/// `Cached::walk_ast`: the statement itself, except in the pass that asks
/// whether it may be cached; `writing` runs before its SQL is written.
fn walk_cached<'b, Q, DB>(
    query: &'b Q,
    pass: AstPass<'_, 'b, DB>,
    writing: impl FnOnce(&Q) -> QueryResult<()>,
) -> QueryResult<()>
where
    DB: Backend,
    Q: QueryFragment<DB>,
{
    let writes_sql = Cell::new(false);
    let mut pass = pass.cast_database::<DB>(|c| c, noting(&writes_sql), |b| b, |l| l);
    if writes_sql.get() {
        writing(query)?;
        return query.walk_ast(pass);
    }
    if pass.bind_collector().is_some() || pass.debug_binds().is_some() {
        return query.walk_ast(pass);
    }
    // Asked whether the statement may be cached (yes: the cache key is
    // its SQL text or its site), or whether it does nothing (no: it is a
    // statement).
    pass.push_sql("");
    Ok(())
}

/// No static id: the cache is keyed by the SQL text, never by the type.
impl<Q> QueryId for Cached<Q> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

/// Keyed by the call site's type, in release builds: debug builds (the
/// tests) build the text on every run and check that it is the site's one
/// text.
impl<Q, K: Site> QueryId for Cached<Q, K> {
    type QueryId = K;
    const HAS_STATIC_QUERY_ID: bool = !cfg!(debug_assertions);
}

impl<Q: Query, K> Query for Cached<Q, K> {
    type SqlType = Q::SqlType;
}

impl<Q, C, K> RunQueryDsl<C> for Cached<Q, K> {}

/// `.cached()` (keyed by the SQL text) and `.cached_at(site!())` (keyed by
/// the call site) on any statement.
pub trait Cache: Sized {
    fn cached(self) -> Cached<Self> {
        Cached(self, std::marker::PhantomData)
    }

    fn cached_at<K: Site>(self, _site: K) -> Cached<Self, K> {
        Cached(self, std::marker::PhantomData)
    }
}

/// Debug builds: the SQL a site-keyed statement writes is the text it
/// wrote the first time (per site and backend), or the statement is
/// refused: a release build would run the first text for both.
#[cfg(debug_assertions)]
fn same_text_at_site<Q, DB, K>(query: &Q) -> QueryResult<()>
where
    Q: QueryFragment<DB>,
    DB: Backend + Default + 'static,
    DB::QueryBuilder: Default,
    K: Site,
{
    use diesel::query_builder::QueryBuilder;
    use std::any::TypeId;
    use std::collections::HashMap;
    use std::sync::Mutex;
    static TEXTS: Mutex<Option<HashMap<(TypeId, TypeId), String>>> = Mutex::new(None);
    let mut builder = DB::QueryBuilder::default();
    query.to_sql(&mut builder, &DB::default())?;
    let sql = builder.finish();
    let mut texts = TEXTS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let first = texts
        .get_or_insert_with(HashMap::new)
        .entry((TypeId::of::<K>(), TypeId::of::<DB>()))
        .or_insert_with(|| sql.clone());
    if *first == sql {
        Ok(())
    } else {
        Err(diesel::result::Error::QueryBuilderError(
            format!("a site-keyed statement changed its SQL: {first:?} then {sql:?}").into(),
        ))
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

    /// A site-keyed statement runs with its binds each time; one whose
    /// text changes at its site is refused (debug builds), since a release
    /// build would run the first text again.
    #[test]
    fn a_site_keeps_one_text() {
        let (mut conn, _) = counters();
        let Conn::Sqlite(c) = &mut conn else {
            panic!("an SQLite connection")
        };
        for id in [1, 2, 1] {
            assert_eq!(bump!(id).cached_at(crate::site!()).execute(c).unwrap(), 1);
        }
        let rows: Vec<i64> = counters::table
            .order(counters::id)
            .select(counters::n)
            .load(c)
            .unwrap();
        assert_eq!(rows, vec![2, 1]);
        let mut results = Vec::new();
        for name in [Some("c"), None] {
            results.push(
                diesel::update(counters::table.filter(counters::id.eq(2)))
                    .set((
                        counters::n.eq(counters::n + 10),
                        name.map(|v| counters::name.eq(v)),
                    ))
                    .cached_at(crate::site!())
                    .execute(c)
                    .map_err(|e| e.to_string()),
            );
        }
        assert_eq!(results[0], Ok(1));
        assert!(
            results[1]
                .as_ref()
                .is_err_and(|e| e.contains("changed its SQL")),
            "{results:?}"
        );
    }
}
