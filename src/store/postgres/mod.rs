//! The PostgreSQL store (feature `postgres`): state in the application's own database, so a
//! sign-up can create its account and redeem its invitation in one transaction.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use sqlx::postgres::{PgPool, PgPoolOptions};
use time::{Duration, OffsetDateTime};

use super::sql::{DEFAULT_TABLE_PREFIX, SCHEMA_VERSION, check_prefix, kind};
use super::{DEFAULT_MARGIN, DEFAULT_VISIT_CAP};
use crate::error::Error;

mod ops;
mod queries;
mod store;

/// How long one store call may take unless configured otherwise.
pub const DEFAULT_PG_DEADLINE: StdDuration = StdDuration::from_secs(2);

const SCHEMA: &str = include_str!("schema.sql");

type ClockFn = dyn Fn() -> OffsetDateTime + Send + Sync;

/// Runs `$op(conn, args…)` in a transaction on a pooled connection, within the deadline, and
/// maps database errors to store errors.
macro_rules! run {
    // One statement, in autocommit: it is its own transaction, one round trip instead of three.
    (single $store:expr, $what:expr, $op:ident ( $($arg:expr),* $(,)? )) => {{
        let shared = &$store.shared;
        let deadline = shared.deadline;
        let work = async {
            let mut conn = shared.pool.acquire().await?;
            $op(&mut conn, $($arg),*).await
        };
        tokio::time::timeout(deadline, work)
            .await
            .map_err(|_| Error::StoreTimeout { after: deadline })
            .and_then(|r| r.map_err(|e| $crate::store::postgres::unavailable($what, &e)))
    }};
    ($store:expr, $what:expr, $op:ident ( $($arg:expr),* $(,)? )) => {{
        let shared = &$store.shared;
        let deadline = shared.deadline;
        let work = async {
            let mut tx = shared.pool.begin().await?;
            let value = $op(&mut tx, $($arg),*).await?;
            tx.commit().await?;
            Ok::<_, sqlx::Error>(value)
        };
        tokio::time::timeout(deadline, work)
            .await
            .map_err(|_| Error::StoreTimeout { after: deadline })
            .and_then(|r| r.map_err(|e| $crate::store::postgres::unavailable($what, &e)))
    }};
}
pub(crate) use run;

/// A [`Store`](super::Store) in PostgreSQL.
///
/// Redemption is one call of a PL/pgSQL function that locks the invitation's row, so it is
/// atomic across every process sharing the database, and durable once PostgreSQL acknowledged
/// it. Tables carry a configurable prefix; [`PgStore::migrate`] creates them (explicitly: a
/// store never changes a schema on its own). Every call has a deadline and fails closed with
/// [`Error::StoreTimeout`] or [`Error::StoreUnavailable`]; calls on a database that was never
/// migrated, or whose tables were dropped, fail with [`Error::StoreNotInitialized`].
///
/// Expired state never affects an answer (every query compares with its forget-at time);
/// [`PgStore::purge_expired`] deletes it in bounded batches.
#[derive(Clone)]
pub struct PgStore {
    shared: Arc<Shared>,
}

struct Shared {
    pool: PgPool,
    queries: queries::Queries,
    prefix: String,
    margin: Duration,
    visit_cap: usize,
    deadline: StdDuration,
    clock: Box<ClockFn>,
    /// Whether the database is reachable, as calls have seen it (reported with `tracing`).
    link: super::trace::Link,
}

/// Settings of a [`PgStore`]; see [`PgStore::builder`].
pub struct PgStoreBuilder {
    prefix: String,
    margin: Duration,
    visit_cap: usize,
    deadline: StdDuration,
    max_connections: u32,
    clock: Box<ClockFn>,
}

impl core::fmt::Debug for PgStoreBuilder {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PgStoreBuilder")
            .field("prefix", &self.prefix)
            .field("margin", &self.margin)
            .field("visit_cap", &self.visit_cap)
            .field("deadline", &self.deadline)
            .field("max_connections", &self.max_connections)
            .finish_non_exhaustive()
    }
}

impl core::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PgStore")
            .field("prefix", &self.shared.prefix)
            .field("margin", &self.shared.margin)
            .field("deadline", &self.shared.deadline)
            .finish_non_exhaustive()
    }
}

impl PgStoreBuilder {
    /// The prefix of every table and function name (default `admit_`): lowercase ASCII letters,
    /// digits and `_`, starting with a letter, at most 32 bytes. Several stores can share a
    /// database under different prefixes.
    pub fn prefix(mut self, prefix: &str) -> PgStoreBuilder {
        prefix.clone_into(&mut self.prefix);
        self
    }

    /// How long state is kept after an invitation expires (default 1 hour).
    pub fn margin(mut self, margin: Duration) -> PgStoreBuilder {
        self.margin = margin;
        self
    }

    /// How many visits are kept per invitation, newest first (default 100).
    pub fn visit_cap(mut self, cap: usize) -> PgStoreBuilder {
        self.visit_cap = cap;
        self
    }

    /// How long one call may take, waiting for a pooled connection included (default 2 s).
    pub fn deadline(mut self, deadline: StdDuration) -> PgStoreBuilder {
        self.deadline = deadline;
        self
    }

    /// The most connections the store's own pool opens (default 10).
    pub fn max_connections(mut self, n: u32) -> PgStoreBuilder {
        self.max_connections = n.max(1);
        self
    }

    /// Reads the time from `clock` instead of the system clock. Times are the application's,
    /// not the database server's: every process sharing a store needs a synchronized clock.
    pub fn clock(
        mut self,
        clock: impl Fn() -> OffsetDateTime + Send + Sync + 'static,
    ) -> PgStoreBuilder {
        self.clock = Box::new(clock);
        self
    }

    /// Connects a pool to `url` (`postgres://user:password@host:port/database`).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] for a bad prefix; [`Error::StoreUnavailable`] if the
    /// database cannot be reached; [`Error::StoreTimeout`] past the deadline.
    pub async fn connect(self, url: &str) -> Result<PgStore, Error> {
        super::trace::connecting("postgres", "connect", async {
            check_prefix(&self.prefix)?;
            let deadline = self.deadline;
            // A pool with no free connection answers before the call's deadline, so that it is
            // reported as such ("every connection of the pool is busy"), not as a slow database.
            let pool = PgPoolOptions::new()
                .max_connections(self.max_connections)
                .acquire_timeout(deadline.mul_f64(0.9))
                .connect(url);
            let pool = tokio::time::timeout(deadline, pool)
                .await
                .map_err(|_| Error::StoreTimeout { after: deadline })?
                .map_err(|e| unavailable("connecting", &e))?;
            Ok(self.with_pool(pool))
        })
        .await
    }

    /// Uses the application's own pool.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] for a bad prefix.
    pub fn pool(self, pool: PgPool) -> Result<PgStore, Error> {
        check_prefix(&self.prefix)?;
        Ok(self.with_pool(pool))
    }

    fn with_pool(self, pool: PgPool) -> PgStore {
        PgStore {
            shared: Arc::new(Shared {
                pool,
                queries: queries::Queries::new(&self.prefix),
                prefix: self.prefix,
                margin: self.margin,
                visit_cap: self.visit_cap,
                deadline: self.deadline,
                clock: self.clock,
                link: Default::default(),
            }),
        }
    }
}

/// A database error as a store error: never a success, never the query's parameters.
pub(crate) fn unavailable(what: &str, e: &sqlx::Error) -> Error {
    match e {
        sqlx::Error::PoolTimedOut => Error::StoreUnavailable {
            reason: "every connection of the pool is busy".into(),
        },
        // undefined_table, undefined_function: the schema is not there.
        sqlx::Error::Database(db) if matches!(db.code().as_deref(), Some("42P01" | "42883")) => {
            Error::StoreNotInitialized
        }
        sqlx::Error::Database(db) => Error::StoreUnavailable {
            reason: format!(
                "{what}: PostgreSQL error {}",
                db.code().as_deref().unwrap_or("?")
            ),
        },
        other => Error::StoreUnavailable {
            reason: format!("{what}: {}", kind(other)),
        },
    }
}

impl PgStore {
    /// Configures a store: prefix, margin, visit cap, deadline, pool size, clock.
    pub fn builder() -> PgStoreBuilder {
        PgStoreBuilder {
            prefix: DEFAULT_TABLE_PREFIX.to_owned(),
            margin: DEFAULT_MARGIN,
            visit_cap: DEFAULT_VISIT_CAP,
            deadline: DEFAULT_PG_DEADLINE,
            max_connections: 10,
            clock: Box::new(OffsetDateTime::now_utc),
        }
    }

    /// The pool the store uses.
    pub fn pool(&self) -> &PgPool {
        &self.shared.pool
    }

    /// Creates or updates the store's tables and functions, and marks the store initialized.
    /// Idempotent, and safe to run from several processes at once (they take turns on an
    /// advisory lock). Run it at deployment, or at start-up; no other call changes the schema.
    ///
    /// # Errors
    ///
    /// [`Error::StoreMisconfigured`] if the database holds a newer schema than this library
    /// knows; store errors.
    pub async fn migrate(&self) -> Result<(), Error> {
        super::trace::connecting("postgres", "migrate", async {
            let sql = SCHEMA.replace("{p}", &self.shared.prefix);
            let now = super::unix_ms(self.now());
            let found = run!(
                self,
                "migrating",
                migrate_in(&self.shared.prefix, &sql, now)
            )?;
            super::sql::migrated(found)
        })
        .await
    }

    /// Deletes state past its forget-at time, at most `batch` rows per table per call, and
    /// returns how many rows it deleted. Expired state never changes an answer, so this only
    /// reclaims space: call it every few minutes (for instance from a timer task) until it
    /// returns less than `batch`.
    ///
    /// # Errors
    ///
    /// Store errors.
    pub async fn purge_expired(&self, batch: u32) -> Result<u64, Error> {
        super::trace::call(
            "postgres",
            "purge_expired",
            Some(&self.shared.link),
            async {
                let now = super::unix_ms(self.now());
                let batch = i64::from(batch.max(1));
                run!(self, "purging", purge_in(&self.shared.queries, now, batch))
            },
        )
        .await
    }

    /// The clock, to the millisecond.
    pub(crate) fn now(&self) -> OffsetDateTime {
        super::sql::to_millis((self.shared.clock)())
    }
}

/// Creates or updates the schema; the version found if it is newer than this library's.
async fn migrate_in(
    conn: &mut sqlx::PgConnection,
    prefix: &str,
    sql: &str,
    now: i64,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext('admit.migrate'))")
        .execute(&mut *conn)
        .await?;
    let exists: bool = sqlx::query_scalar("SELECT to_regclass($1) IS NOT NULL")
        .bind(format!("{prefix}meta"))
        .fetch_one(&mut *conn)
        .await?;
    let version: Option<String> = if exists {
        sqlx::query_scalar(&format!(
            "SELECT value FROM {prefix}meta WHERE name = 'schema'"
        ))
        .fetch_optional(&mut *conn)
        .await?
    } else {
        None
    };
    if super::sql::is_newer(version.as_deref()) {
        return Ok(version);
    }
    // Through `Executor`, whose boxed future is `Send` (`RawSql::execute` is an `async fn`
    // generic over the executor, which the compiler cannot prove `Send` here).
    sqlx::Executor::execute(&mut *conn, sqlx::raw_sql(sql)).await?;
    sqlx::query(&format!(
        "INSERT INTO {prefix}meta (name, value) VALUES ('schema', $1), ('init', $2) \
         ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value \
         WHERE {prefix}meta.name = 'schema'"
    ))
    .bind(SCHEMA_VERSION.to_string())
    .bind(now.to_string())
    .execute(&mut *conn)
    .await?;
    Ok(None)
}

async fn purge_in(
    conn: &mut sqlx::PgConnection,
    q: &queries::Queries,
    now: i64,
    batch: i64,
) -> Result<u64, sqlx::Error> {
    let mut deleted = 0;
    for sql in [&q.purge_invitations, &q.purge_codes, &q.purge_attempts] {
        deleted += sqlx::query(sql)
            .bind(now)
            .bind(batch)
            .execute(&mut *conn)
            .await?
            .rows_affected();
    }
    Ok(deleted)
}
