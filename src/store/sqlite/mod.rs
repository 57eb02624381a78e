//! The SQLite store (feature `sqlite`): durable state in one file, no server. For a
//! single-machine application, the embedded default that survives restarts; a sign-up can
//! create its account and redeem its invitation in one transaction.

use std::path::Path;
use std::str::FromStr as _;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use time::{Duration, OffsetDateTime};

use super::sql::{DEFAULT_TABLE_PREFIX, SCHEMA_VERSION, check_prefix, kind};
use super::{DEFAULT_MARGIN, DEFAULT_VISIT_CAP};
use crate::error::Error;

mod ops;
mod queries;
mod store;

/// How long one call may take unless configured otherwise.
pub const DEFAULT_SQLITE_DEADLINE: StdDuration = StdDuration::from_secs(2);

const SCHEMA: &str = include_str!("schema.sql");

type ClockFn = dyn Fn() -> OffsetDateTime + Send + Sync;

/// Runs `$op(conn, args…)` on the store's single writer connection, in a transaction that
/// takes SQLite's write lock at once (`BEGIN IMMEDIATE`), within the deadline.
macro_rules! write {
    ($store:expr, $what:expr, $op:ident ( $($arg:expr),* $(,)? )) => {{
        let shared = &$store.shared;
        let deadline = shared.deadline;
        let work = async {
            let mut tx = shared.writer.begin_with("BEGIN IMMEDIATE").await?;
            let value = $op(&mut tx, $($arg),*).await?;
            tx.commit().await?;
            Ok::<_, sqlx::Error>(value)
        };
        tokio::time::timeout(deadline, work)
            .await
            .map_err(|_| Error::StoreTimeout { after: deadline })
            .and_then(|r| r.map_err(|e| $crate::store::sqlite::unavailable($what, &e)))
    }};
}
pub(crate) use write;

/// Runs `$op(conn, args…)` on a reader connection, in a read transaction (one snapshot), within
/// the deadline. Readers never wait for the writer (the journal is a write-ahead log).
macro_rules! read {
    // One statement: a snapshot on its own, no transaction needed.
    (single $store:expr, $what:expr, $op:ident ( $($arg:expr),* $(,)? )) => {{
        let shared = &$store.shared;
        let deadline = shared.deadline;
        let work = async {
            let mut conn = shared.reader.acquire().await?;
            $op(&mut conn, $($arg),*).await
        };
        tokio::time::timeout(deadline, work)
            .await
            .map_err(|_| Error::StoreTimeout { after: deadline })
            .and_then(|r| r.map_err(|e| $crate::store::sqlite::unavailable($what, &e)))
    }};
    ($store:expr, $what:expr, $op:ident ( $($arg:expr),* $(,)? )) => {{
        let shared = &$store.shared;
        let deadline = shared.deadline;
        let work = async {
            let mut tx = shared.reader.begin().await?;
            let value = $op(&mut tx, $($arg),*).await?;
            tx.commit().await?;
            Ok::<_, sqlx::Error>(value)
        };
        tokio::time::timeout(deadline, work)
            .await
            .map_err(|_| Error::StoreTimeout { after: deadline })
            .and_then(|r| r.map_err(|e| $crate::store::sqlite::unavailable($what, &e)))
    }};
}
pub(crate) use read;

/// A [`Store`](super::Store) in a SQLite file.
///
/// Writes go through one connection, in `BEGIN IMMEDIATE` transactions: they queue in the
/// store (fairly, under the deadline) instead of retrying on SQLite's lock, and a redemption is
/// atomic because SQLite has a single writer. Reads use a pool of reader connections, which the
/// write-ahead log never blocks. Every commit is flushed to disk (`synchronous = FULL`), so an
/// acknowledged redemption or revocation survives a crash of the process or of the machine.
///
/// Tables carry a configurable prefix; [`SqliteStore::migrate`] creates them (explicitly: a
/// store never changes a schema on its own). Calls on a file that was never migrated fail with
/// [`Error::StoreNotInitialized`]. Expired state never affects an answer;
/// [`SqliteStore::purge_expired`] deletes it in bounded batches.
///
/// Several processes on one machine may share the file (SQLite's file lock serializes their
/// writers; each waits up to its deadline). Do not put it on a network file system.
#[derive(Clone)]
pub struct SqliteStore {
    shared: Arc<Shared>,
}

struct Shared {
    writer: SqlitePool,
    reader: SqlitePool,
    queries: queries::Queries,
    prefix: String,
    margin: Duration,
    visit_cap: usize,
    deadline: StdDuration,
    clock: Box<ClockFn>,
    /// Whether the database is reachable, as calls have seen it (reported with `tracing`).
    link: super::trace::Link,
}

/// Settings of a [`SqliteStore`]; see [`SqliteStore::builder`].
pub struct SqliteStoreBuilder {
    prefix: String,
    margin: Duration,
    visit_cap: usize,
    deadline: StdDuration,
    readers: u32,
    create: bool,
    clock: Box<ClockFn>,
}

impl core::fmt::Debug for SqliteStoreBuilder {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SqliteStoreBuilder")
            .field("prefix", &self.prefix)
            .field("margin", &self.margin)
            .field("visit_cap", &self.visit_cap)
            .field("deadline", &self.deadline)
            .field("readers", &self.readers)
            .field("create", &self.create)
            .finish_non_exhaustive()
    }
}

impl core::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("prefix", &self.shared.prefix)
            .field("margin", &self.shared.margin)
            .field("deadline", &self.shared.deadline)
            .finish_non_exhaustive()
    }
}

impl SqliteStoreBuilder {
    /// The prefix of every table name (default `admit_`): lowercase ASCII letters, digits and
    /// `_`, starting with a letter, at most 32 bytes.
    pub fn prefix(mut self, prefix: &str) -> SqliteStoreBuilder {
        prefix.clone_into(&mut self.prefix);
        self
    }

    /// How long state is kept after an invitation expires (default 1 hour).
    pub fn margin(mut self, margin: Duration) -> SqliteStoreBuilder {
        self.margin = margin;
        self
    }

    /// How many visits are kept per invitation, newest first (default 100).
    pub fn visit_cap(mut self, cap: usize) -> SqliteStoreBuilder {
        self.visit_cap = cap;
        self
    }

    /// How long one call may take, waiting for the writer or for another process's lock
    /// included (default 2 s).
    pub fn deadline(mut self, deadline: StdDuration) -> SqliteStoreBuilder {
        self.deadline = deadline;
        self
    }

    /// How many reader connections the store opens (default 4).
    pub fn readers(mut self, n: u32) -> SqliteStoreBuilder {
        self.readers = n.max(1);
        self
    }

    /// Creates the database file when it does not exist. Without it, a missing file fails with
    /// [`Error::StoreNotInitialized`]: a file that was lost (a container restarted without
    /// its volume, a deleted path) and a new one look the same, and only the first is a
    /// reason to refuse, so create a store once, deliberately — `admit store init --store
    /// sqlite://PATH`, or this at first deployment — rather than at every start-up.
    pub fn create_if_missing(mut self) -> SqliteStoreBuilder {
        self.create = true;
        self
    }

    /// Reads the time from `clock` instead of the system clock.
    pub fn clock(
        mut self,
        clock: impl Fn() -> OffsetDateTime + Send + Sync + 'static,
    ) -> SqliteStoreBuilder {
        self.clock = Box::new(clock);
        self
    }

    /// Opens the database file at `path` (see
    /// [`create_if_missing`](SqliteStoreBuilder::create_if_missing)).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] for a bad prefix; [`Error::StoreNotInitialized`] if the
    /// file does not exist (and may not be created); [`Error::StoreUnavailable`] if it cannot
    /// be opened or created; [`Error::StoreTimeout`] past the deadline.
    pub async fn open(self, path: impl AsRef<Path>) -> Result<SqliteStore, Error> {
        let options = SqliteConnectOptions::new().filename(path);
        self.with_options(options).await
    }

    /// Opens the database a `sqlite://PATH` URL names (`sqlite:PATH` works too).
    ///
    /// # Errors
    ///
    /// As [`open`](SqliteStoreBuilder::open); [`Error::InvalidArgument`] for a URL that is
    /// not a SQLite file.
    pub async fn connect(self, url: &str) -> Result<SqliteStore, Error> {
        let lower = url.to_ascii_lowercase();
        if lower.contains(":memory:") || lower.contains("mode=memory") {
            return Err(Error::InvalidArgument {
                name: "url",
                reason: "an in-memory SQLite database is lost on exit: use MemoryStore, or a file",
            });
        }
        let options = SqliteConnectOptions::from_str(url).map_err(|_| Error::InvalidArgument {
            name: "url",
            reason: "not a SQLite URL: use sqlite://PATH",
        })?;
        self.with_options(options).await
    }

    async fn with_options(self, options: SqliteConnectOptions) -> Result<SqliteStore, Error> {
        super::trace::connecting("sqlite", "connect", async {
            check_prefix(&self.prefix)?;
            if !self.create && !options.get_filename().exists() {
                return Err(Error::StoreNotInitialized);
            }
            let deadline = self.deadline;
            let options = options
                .create_if_missing(self.create)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                // Another process holding the write lock: wait for it, up to the deadline.
                .busy_timeout(deadline);
            // The writer first: it creates the file and switches it to the write-ahead log.
            let pools = async {
                // A local file: no connection goes stale, so no ping before each call.
                let writer = SqlitePoolOptions::new()
                    .max_connections(1)
                    .test_before_acquire(false)
                    .acquire_timeout(deadline.mul_f64(0.9))
                    .connect_with(options.clone())
                    .await?;
                let reader = SqlitePoolOptions::new()
                    .max_connections(self.readers)
                    .test_before_acquire(false)
                    .acquire_timeout(deadline.mul_f64(0.9))
                    .connect_with(options)
                    .await?;
                Ok::<_, sqlx::Error>((writer, reader))
            };
            let (writer, reader) = tokio::time::timeout(deadline, pools)
                .await
                .map_err(|_| Error::StoreTimeout { after: deadline })?
                .map_err(|e| unavailable("opening", &e))?;
            Ok(SqliteStore {
                shared: Arc::new(Shared {
                    writer,
                    reader,
                    queries: queries::Queries::new(&self.prefix),
                    prefix: self.prefix,
                    margin: self.margin,
                    visit_cap: self.visit_cap,
                    deadline: self.deadline,
                    clock: self.clock,
                    link: Default::default(),
                }),
            })
        })
        .await
    }
}

/// A database error as a store error: never a success, never the query's parameters.
pub(crate) fn unavailable(what: &str, e: &sqlx::Error) -> Error {
    match e {
        sqlx::Error::PoolTimedOut => Error::StoreUnavailable {
            reason: format!("{what}: the writer is busy (waited for it until the deadline)"),
        },
        sqlx::Error::Database(db) if db.message().starts_with("no such table") => {
            Error::StoreNotInitialized
        }
        sqlx::Error::Database(db) => {
            let code = db.code();
            // SQLITE_BUSY and SQLITE_LOCKED, with their extended codes.
            let primary = code
                .as_deref()
                .and_then(|c| c.parse::<u32>().ok())
                .map(|c| c & 0xff);
            match primary {
                Some(5 | 6) => Error::StoreUnavailable {
                    reason: format!("{what}: the database is locked by another writer"),
                },
                _ => Error::StoreUnavailable {
                    reason: format!("{what}: SQLite error {}", code.as_deref().unwrap_or("?")),
                },
            }
        }
        other => Error::StoreUnavailable {
            reason: format!("{what}: {}", kind(other)),
        },
    }
}

impl SqliteStore {
    /// Configures a store: prefix, margin, visit cap, deadline, readers, clock.
    pub fn builder() -> SqliteStoreBuilder {
        SqliteStoreBuilder {
            prefix: DEFAULT_TABLE_PREFIX.to_owned(),
            margin: DEFAULT_MARGIN,
            visit_cap: DEFAULT_VISIT_CAP,
            deadline: DEFAULT_SQLITE_DEADLINE,
            readers: 4,
            create: false,
            clock: Box::new(OffsetDateTime::now_utc),
        }
    }

    /// Opens the existing file at `path` with the default settings.
    ///
    /// # Errors
    ///
    /// As [`SqliteStoreBuilder::open`].
    pub async fn open(path: impl AsRef<Path>) -> Result<SqliteStore, Error> {
        SqliteStore::builder().open(path).await
    }

    /// The store's writer: a pool of one connection. Begin a sign-up's transaction on it
    /// (`pool().begin_with("BEGIN IMMEDIATE")`) to create the account and
    /// [`redeem_in`](SqliteStore::redeem_in) together; the store's own writes wait meanwhile,
    /// so keep that transaction short.
    pub fn pool(&self) -> &SqlitePool {
        &self.shared.writer
    }

    /// Creates or updates the store's tables, and marks the store initialized. Idempotent,
    /// and safe to run from several processes at once (it runs in one write transaction).
    ///
    /// # Errors
    ///
    /// [`Error::StoreMisconfigured`] if the file holds a newer schema than this library
    /// knows; store errors.
    pub async fn migrate(&self) -> Result<(), Error> {
        super::trace::connecting("sqlite", "migrate", async {
            let sql = SCHEMA.replace("{p}", &self.shared.prefix);
            let now = super::unix_ms(self.now());
            let found = write!(
                self,
                "migrating",
                migrate_in(&self.shared.prefix, &sql, now)
            )?;
            super::sql::migrated(found)
        })
        .await
    }

    /// Deletes state past its forget-at time, at most `batch` rows per table per call, and
    /// returns how many invitations, codes and attempt windows it deleted. Expired state never
    /// changes an answer, so this only reclaims space: call it every few minutes until it
    /// returns less than `batch`.
    ///
    /// # Errors
    ///
    /// Store errors.
    pub async fn purge_expired(&self, batch: u32) -> Result<u64, Error> {
        super::trace::call("sqlite", "purge_expired", Some(&self.shared.link), async {
            let now = super::unix_ms(self.now());
            let batch = i64::from(batch.max(1));
            write!(self, "purging", purge(&self.shared.queries, now, batch))
        })
        .await
    }

    /// The clock, to the millisecond.
    pub(crate) fn now(&self) -> OffsetDateTime {
        super::sql::to_millis((self.shared.clock)())
    }
}

use ops::purge_in as purge;

/// Creates or updates the schema; the version found if it is newer than this library's.
async fn migrate_in(
    conn: &mut sqlx::SqliteConnection,
    prefix: &str,
    sql: &str,
    now: i64,
) -> Result<Option<String>, sqlx::Error> {
    let exists: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = $1)",
    )
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
    sqlx::Executor::execute(&mut *conn, sqlx::raw_sql(sql)).await?;
    sqlx::query(&format!(
        "INSERT INTO {prefix}meta (name, value) VALUES ('schema', $1), ('init', $2) \
         ON CONFLICT (name) DO UPDATE SET value = excluded.value WHERE name = 'schema'"
    ))
    .bind(SCHEMA_VERSION.to_string())
    .bind(now.to_string())
    .execute(&mut *conn)
    .await?;
    Ok(None)
}
