//! Statements and rows, the same for every SQL database: a statement's text with its
//! arguments ([`Stmt`]), run by the database's [`Io`], and columns read back by name. This is
//! the one place that binds and decodes through sqlx, so the store's SQL work
//! ([`ops`](super::ops)) is written once, generic over the database, with no trait bounds to
//! repeat.

use core::future::Future;

use sqlx::Database;

/// A database call's result.
pub(crate) type Sql<T> = Result<T, sqlx::Error>;

/// A value bound to a statement's next parameter.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Arg<'a> {
    /// `BIGINT` (PostgreSQL) or `INTEGER` (SQLite).
    Int(Option<i64>),
    /// `INTEGER` (counts and limits).
    Small(Option<i32>),
    Text(Option<&'a str>),
    Bytes(&'a [u8]),
    /// An invitation's primary key (`None`: NULL, for events without an invitation).
    Id(Option<[u8; 12]>),
    Bool(bool),
}

/// `From` for every type a statement binds, one line each.
macro_rules! arg_from {
    ($($t:ty => $variant:ident($wrap:expr)),* $(,)?) => {
        $(impl<'a> From<$t> for Arg<'a> {
            fn from(v: $t) -> Arg<'a> {
                Arg::$variant($wrap(v))
            }
        })*
    };
}

arg_from! {
    i64 => Int(Some),
    Option<i64> => Int(core::convert::identity),
    Option<i32> => Small(core::convert::identity),
    &'a str => Text(Some),
    Option<&'a str> => Text(core::convert::identity),
    &'a [u8] => Bytes(core::convert::identity),
    crate::invitation::InvitationId => Id(|id: crate::invitation::InvitationId| Some(id.to_bytes())),
    Option<crate::invitation::InvitationId> => Id(|id: Option<crate::invitation::InvitationId>| {
        id.map(|id| id.to_bytes())
    }),
    bool => Bool(core::convert::identity),
}

/// A statement and its arguments, in order (`$1`, `$2`, …).
pub(crate) struct Stmt<'a> {
    sql: &'a str,
    args: Vec<Arg<'a>>,
}

/// The statement `sql`, to bind arguments to.
pub(crate) fn stmt(sql: &str) -> Stmt<'_> {
    Stmt {
        sql,
        args: Vec::new(),
    }
}

impl<'a> Stmt<'a> {
    /// Binds the next parameter.
    pub(crate) fn bind(mut self, arg: impl Into<Arg<'a>>) -> Stmt<'a> {
        self.args.push(arg.into());
        self
    }
}

/// Running statements and reading columns on one database. Sealed: implemented for sqlx's
/// PostgreSQL and SQLite.
// Sealed: public only because it bounds `SqlStore`'s methods; its items use the crate's own
// types, which nobody outside can name.
#[allow(unreachable_pub, private_interfaces)]
pub trait Io: Database {
    /// Runs `s`; the number of rows it changed.
    fn run(conn: &mut Self::Connection, s: Stmt<'_>) -> impl Future<Output = Sql<u64>> + Send;

    /// Runs `sql`, several statements without parameters (a schema).
    fn batch(conn: &mut Self::Connection, sql: &str) -> impl Future<Output = Sql<()>> + Send;

    /// Runs `s`; every row.
    fn all(
        conn: &mut Self::Connection,
        s: Stmt<'_>,
    ) -> impl Future<Output = Sql<Vec<Self::Row>>> + Send;

    /// Runs `s`; its first row, if any.
    fn optional(
        conn: &mut Self::Connection,
        s: Stmt<'_>,
    ) -> impl Future<Output = Sql<Option<Self::Row>>> + Send;

    /// Runs `s`; its first row, which must be there.
    fn one(conn: &mut Self::Connection, s: Stmt<'_>)
    -> impl Future<Output = Sql<Self::Row>> + Send;

    /// A `BIGINT` column (`INTEGER` in SQLite).
    fn int(row: &Self::Row, column: &str) -> Sql<Option<i64>>;

    /// An `INTEGER` column.
    fn small(row: &Self::Row, column: &str) -> Sql<Option<i32>>;

    /// A `TEXT` column.
    fn text(row: &Self::Row, column: &str) -> Sql<Option<String>>;

    /// A `BOOLEAN` column (`INTEGER` 0 or 1 in SQLite).
    fn flag(row: &Self::Row, column: &str) -> Sql<bool>;

    /// A `BYTEA` column (`BLOB` in SQLite).
    fn bytes(row: &Self::Row, column: &str) -> Sql<Vec<u8>>;

    /// A `BYTEA` column that may be NULL.
    fn opt_bytes(row: &Self::Row, column: &str) -> Sql<Option<Vec<u8>>>;
}

/// A value that must not be NULL.
pub(crate) fn need<T>(value: Option<T>) -> Sql<T> {
    value.ok_or_else(|| sqlx::Error::Decode("unexpected NULL".into()))
}

/// Implements [`Io`] for a database: the bodies are the same for each, only the types differ.
macro_rules! impl_io {
    ($db:ty) => {
        #[allow(private_interfaces)]
        impl Io for $db {
            async fn run(conn: &mut Self::Connection, s: Stmt<'_>) -> Sql<u64> {
                Ok(query::<$db>(&s).execute(conn).await?.rows_affected())
            }

            async fn batch(conn: &mut Self::Connection, sql: &str) -> Sql<()> {
                // Through `Executor`, whose boxed future is `Send` (`RawSql::execute` is an
                // `async fn` generic over the executor, which cannot be proven `Send` here).
                sqlx::Executor::execute(conn, sqlx::raw_sql(sql)).await?;
                Ok(())
            }

            async fn all(conn: &mut Self::Connection, s: Stmt<'_>) -> Sql<Vec<Self::Row>> {
                query::<$db>(&s).fetch_all(conn).await
            }

            async fn optional(conn: &mut Self::Connection, s: Stmt<'_>) -> Sql<Option<Self::Row>> {
                query::<$db>(&s).fetch_optional(conn).await
            }

            async fn one(conn: &mut Self::Connection, s: Stmt<'_>) -> Sql<Self::Row> {
                query::<$db>(&s).fetch_one(conn).await
            }

            fn int(row: &Self::Row, column: &str) -> Sql<Option<i64>> {
                sqlx::Row::try_get(row, column)
            }

            fn small(row: &Self::Row, column: &str) -> Sql<Option<i32>> {
                sqlx::Row::try_get(row, column)
            }

            fn text(row: &Self::Row, column: &str) -> Sql<Option<String>> {
                sqlx::Row::try_get(row, column)
            }

            fn flag(row: &Self::Row, column: &str) -> Sql<bool> {
                sqlx::Row::try_get(row, column)
            }

            fn bytes(row: &Self::Row, column: &str) -> Sql<Vec<u8>> {
                sqlx::Row::try_get(row, column)
            }

            fn opt_bytes(row: &Self::Row, column: &str) -> Sql<Option<Vec<u8>>> {
                sqlx::Row::try_get(row, column)
            }
        }

        impl Binds for $db {
            fn bind<'q>(q: Query<'q, $db>, arg: Arg<'q>) -> Query<'q, $db> {
                match arg {
                    Arg::Int(v) => q.bind(v),
                    Arg::Small(v) => q.bind(v),
                    Arg::Text(v) => q.bind(v),
                    Arg::Bytes(v) => q.bind(v),
                    Arg::Id(v) => q.bind(v.map(|id| id.to_vec())),
                    Arg::Bool(v) => q.bind(v),
                }
            }
        }
    };
}

type Query<'q, DB> = sqlx::query::Query<'q, DB, <DB as Database>::Arguments<'q>>;

/// Binding an [`Arg`] on one database.
trait Binds: Database {
    fn bind<'q>(q: Query<'q, Self>, arg: Arg<'q>) -> Query<'q, Self>;
}

/// The sqlx query of `s`, its arguments bound.
fn query<'q, DB: Binds>(s: &Stmt<'q>) -> Query<'q, DB> {
    s.args
        .iter()
        .fold(sqlx::query(s.sql), |q, arg| DB::bind(q, *arg))
}

#[cfg(feature = "postgres")]
impl_io!(sqlx::Postgres);
#[cfg(feature = "sqlite")]
impl_io!(sqlx::Sqlite);
