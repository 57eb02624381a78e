//! The SQLite store (feature `sqlite`): durable state in one file, no server. For a
//! single-machine application, the embedded default that survives restarts; a sign-up can
//! create its account and redeem its invitation in one transaction. What PgStore does in
//! PL/pgSQL functions happens here in Rust, inside one write transaction: SQLite has a single
//! writer, so the transaction alone makes a redemption atomic.

use std::path::Path;
use std::str::FromStr as _;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::{Pool, Sqlite};

use super::settings::Durable;
use super::sql::dialect::{Dialect, Mode};
use super::sql::io::{Io, Sql, need, stmt};
use super::sql::queries::{Queries, Words, marked};
use super::sql::row::{count, kind};
use super::sql::{RedeemRow, SqlStore, outcome};
use super::{HealthCheck, Init, StoreBuilder, Verdict};
use crate::connect_problem::ConnectProblem;
use crate::error::Error;
use crate::invitation::InvitationId;

/// A [`Store`](super::Store) in a SQLite file: the [`SqlStore`] on sqlx's `Sqlite`.
///
/// Writes go through one connection, in `BEGIN IMMEDIATE` transactions: they queue in the
/// store (fairly, under the deadline) instead of retrying on SQLite's lock, and a redemption is
/// atomic because SQLite has a single writer. Reads use a pool of reader connections, which the
/// write-ahead log never blocks. Every commit is flushed to disk (`synchronous = FULL`), so an
/// acknowledged redemption or revocation survives a crash of the process or of the machine.
///
/// A missing file is refused unless the store is opened with [`Init::CreateIfMissing`]: a file
/// that was lost (a container restarted without its volume, a deleted path) and a new one look
/// the same, and only the first is a reason to refuse. Several processes on one machine may
/// share the file (SQLite's file lock serializes their writers; each waits up to its deadline).
/// Do not put it on a network file system.
///
/// # Examples
///
/// ```no_run
/// # async fn demo() -> Result<(), admit::Error> {
/// use admit::store::SqliteStore;
///
/// // First deployment: create the file and its tables (or `admit store init` once).
/// let store = SqliteStore::builder().create_if_missing().open("admit.db").await?;
/// // Every start after that: refuse a file that went missing.
/// let store = SqliteStore::open("admit.db").await?;
/// # let _ = store;
/// # Ok(()) }
/// ```
pub type SqliteStore = SqlStore<Sqlite>;

/// The settings only a [`SqliteStore`] has; the others are every store's ([`StoreBuilder`]).
#[derive(Clone, Debug)]
pub struct SqliteOptions {
    readers: u32,
}

impl Default for SqliteOptions {
    fn default() -> SqliteOptions {
        SqliteOptions { readers: 4 }
    }
}

impl Durable for SqliteOptions {}

/// Settings of a [`SqliteStore`]; see [`SqliteStore::builder`](SqlStore::builder).
pub type SqliteStoreBuilder = StoreBuilder<SqliteOptions>;

impl SqlStore<Sqlite> {
    /// Configures a store: prefix, deadline, [`Init`], readers, margin, visit cap, clock.
    pub fn builder() -> SqliteStoreBuilder {
        StoreBuilder::new()
    }

    /// Opens the existing file at `path` with the default settings.
    ///
    /// # Errors
    ///
    /// As [`SqliteStoreBuilder`]'s [`open`](StoreBuilder::open).
    pub async fn open(path: impl AsRef<Path>) -> Result<SqliteStore, Error> {
        SqliteStore::builder().open(path).await
    }
}

impl StoreBuilder<SqliteOptions> {
    /// How many reader connections the store opens (default 4).
    pub fn readers(mut self, n: u32) -> SqliteStoreBuilder {
        self.backend.readers = n.max(1);
        self
    }

    /// Opens the database file at `path`. A missing file is refused with
    /// [`Error::StoreNotInitialized`] unless the [`Init`] says to create it.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] for a bad prefix or setting; [`Error::StoreNotInitialized`]
    /// if the file does not exist (and may not be created); [`Error::StoreConnect`] if it
    /// cannot be opened or created (a missing directory, no permission); [`Error::StoreTimeout`] past the deadline; those of
    /// [`migrate`](SqlStore::migrate) under [`Init::CreateIfMissing`].
    pub async fn open(self, path: impl AsRef<Path>) -> Result<SqliteStore, Error> {
        let options = SqliteConnectOptions::new().filename(path);
        self.with_options(options).await
    }

    /// Opens the database a `sqlite://PATH` URL names (`sqlite:PATH` works too).
    ///
    /// # Errors
    ///
    /// As [`open`](StoreBuilder::open); [`Error::InvalidArgument`] for a URL that is
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
        let settings = &self.settings;
        let (writer, reader) = super::trace::connecting("sqlite", "connect", async {
            SqliteStore::check_settings(settings)?;
            let create = settings.init != Init::Require;
            if !create && !options.get_filename().exists() {
                return Err(Error::StoreNotInitialized);
            }
            let deadline = settings.deadline;
            let options = options
                .create_if_missing(create)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                // Another process holding the write lock: wait for it, up to the deadline.
                .busy_timeout(deadline);
            // A local file: no connection goes stale, so no ping before each call.
            let pool = |n| {
                SqlitePoolOptions::new()
                    .max_connections(n)
                    .test_before_acquire(false)
                    .acquire_timeout(deadline.mul_f64(0.9))
            };
            let file = options.get_filename().to_path_buf();
            // The writer first: it creates the file and switches it to the write-ahead log.
            let pools = async {
                let writer = pool(1).connect_with(options.clone()).await?;
                let reader = pool(self.backend.readers).connect_with(options).await?;
                Ok::<_, sqlx::Error>((writer, reader))
            };
            tokio::time::timeout(deadline, pools)
                .await
                .map_err(|_| Error::StoreTimeout { after: deadline })?
                .map_err(|e| match problem_at(&file, &e) {
                    Some(problem) => Error::StoreConnect { problem },
                    None => Sqlite::unavailable("opening", &e),
                })
        })
        .await?;
        SqliteStore::start(self.settings, writer, reader).await
    }
}

/// The statements only SQLite runs.
#[derive(Debug)]
pub struct SqliteQueries {
    probe: String,
    count_new: String,
    row: String,
    drop: [String; 3],
    touch: String,
    set_max: String,
    revoke_new: String,
    revoke_existing: String,
    purge: [String; 6],
}

/// What the probe reads: initialized, covered by a rule, then the row's uses, revoked and
/// expired (`None`: no row), and this joiner's earlier redemption.
struct Probe {
    init: bool,
    ruled: bool,
    uses: Option<i32>,
    revoked: Option<bool>,
    expired: Option<bool>,
    earlier: Option<i64>,
}

impl Probe {
    /// Reads the probe for a redemption, or for a check (whose joiner is empty: NULL here, so
    /// no joiner is looked up).
    async fn read(
        conn: &mut SqliteConnection,
        q: &Queries<SqliteQueries>,
        r: &RedeemRow,
    ) -> Sql<Probe> {
        let joiner = Some(r.joiner.as_str()).filter(|j| !j.is_empty());
        let probe = stmt(&q.own.probe).bind(r.id).bind(r.now).bind(r.issued_s);
        let probe = probe.bind(r.inviter.as_deref()).bind(joiner);
        let row = Sqlite::one(conn, probe).await?;
        let flag = |name| Sqlite::int(&row, name).map(|v| v.map(|v| v != 0));
        Ok(Probe {
            init: flag("init")? == Some(true),
            ruled: flag("ruled")? == Some(true),
            uses: Sqlite::small(&row, "uses")?,
            revoked: flag("revoked")?,
            expired: flag("expired")?,
            earlier: Sqlite::int(&row, "earlier")?,
        })
    }
}

/// Deletes the row of `id` with its joiners and visits.
async fn drop_row(
    conn: &mut SqliteConnection,
    q: &Queries<SqliteQueries>,
    id: InvitationId,
) -> Sql<()> {
    for sql in &q.own.drop {
        Sqlite::run(conn, stmt(sql).bind(id)).await?;
    }
    Ok(())
}

/// Deletes the row of `id` (and its joiners and visits) if it is past its forget-at time.
/// Returns the live row's `(uses, revoked)`, if there is one.
async fn live(
    conn: &mut SqliteConnection,
    q: &Queries<SqliteQueries>,
    id: InvitationId,
    now: i64,
) -> Sql<Option<(i32, bool)>> {
    let Some(row) = Sqlite::optional(conn, stmt(&q.own.row).bind(id).bind(now)).await? else {
        return Ok(None);
    };
    if need(Sqlite::int(&row, "expired")?)? != 0 {
        drop_row(conn, q, id).await?;
        return Ok(None);
    }
    let uses = need(Sqlite::small(&row, "uses")?)?;
    Ok(Some((uses, need(Sqlite::int(&row, "revoked")?)? != 0)))
}

// The dialect's items use the crate's own types: the trait is sealed, so nobody outside calls
// them.
#[allow(private_interfaces)]
impl Dialect for Sqlite {
    const UPGRADE_1_TO_2: &'static str = "\
        ALTER TABLE {p}invitations ADD COLUMN rec_email_key BLOB; \
        ALTER TABLE {p}invitations ADD COLUMN rec_inviter_key BLOB; \
        UPDATE {p}invitations SET rec_email_key = CAST(lower(rec_email) AS BLOB), \
            rec_inviter_key = CAST(lower(rec_inviter) AS BLOB) WHERE recorded;";
    const BACKEND: &'static str = "sqlite";
    const SCHEMA: &'static str = include_str!("schema.sql");
    const WORDS: Words = Words {
        greatest: "MAX",
        as_bool: "",
        as_text: "",
        as_bigint: "",
        as_bytes: "",
        event_major: "0",
        // $1 is always 0 here: one writer, so the sequence alone is commit order.
        event_after: "seq > $2 + $1",
        event_order: "seq",
        event_visible: "$7 > 0",
        empty_bytes: "X''",
    };
    const BIGINT: &'static str = "INTEGER";
    // The write lock at once: writers queue in the store instead of retrying on SQLite's lock.
    const BEGIN_WRITE: Option<&'static str> = Some("BEGIN IMMEDIATE");
    // One writer: one batch of redemptions at a time.
    const BATCH_LANES: usize = 1;
    // A batch: one write transaction, the redemptions in it one by one (`redeem_many`).
    const BATCH: Mode = Mode::Unchecked;
    const REDEEM: Mode = Mode::Unchecked;
    // One statement on a reader: a snapshot on its own, no transaction needed.
    const CHECK: Mode = Mode::SingleRead;

    type Own = SqliteQueries;

    fn own(p: &str) -> SqliteQueries {
        // At most $2 expired invitations, the same ones in each of the three statements.
        let expired_ids = format!(
            "SELECT id FROM {p}invitations WHERE forget_at IS NOT NULL AND forget_at <= $1 \
             ORDER BY forget_at, id LIMIT $2"
        );
        // How long a redemption's events are kept: with the row, or $9 ms if longer.
        let kept = "CASE WHEN forget_at IS NULL THEN NULL ELSE MAX(forget_at, $3 + $9) END";
        SqliteQueries {
            // Everything a redemption decides on, in one statement: initialized, covered by a
            // rule, and the row's uses, revoked and expired, and this joiner's earlier
            // redemption ($1 id, $2 now, $3 issue second, $4 inviter, $5 joiner).
            probe: format!(
                "SELECT {marked} AS init, \
                 EXISTS (SELECT 1 FROM {p}rules \
                   WHERE (scope = '*' OR scope = 'i:' || $4) AND $3 * 1000 < cutoff_ms) AS ruled, \
                 i.uses AS uses, i.revoked_at IS NOT NULL AS revoked, \
                 COALESCE(i.forget_at, 9223372036854775807) <= $2 AS expired, \
                 (SELECT joined_at FROM {p}joiners WHERE id = $1 AND joiner = $5) AS earlier \
                 FROM (SELECT 1) LEFT JOIN {p}invitations i ON i.id = $1",
                marked = marked(p, &Sqlite::WORDS),
            ),
            // A counted redemption, in one round trip: the row (if new), the joiner, the count,
            // its `redeemed` event and, on the last use, `exhausted` ($1 id, $2 joiner, $3 now,
            // $4 forget-at, $5 limit, $6 issue second, $7 inviter, $8 actor, $9 keep events).
            count_new: format!(
                "INSERT INTO {p}invitations (id, forget_at) VALUES ($1, $4) \
                   ON CONFLICT (id) DO NOTHING; \
                 INSERT INTO {p}joiners (id, joiner, joined_at) VALUES ($1, $2, $3); \
                 UPDATE {p}invitations SET uses = uses + 1, max_uses = COALESCE($5, max_uses), \
                   forget_at = CASE WHEN forget_at IS NULL OR $4 IS NULL THEN NULL \
                                    ELSE MAX(forget_at, $4) END, \
                   issued_s = CASE WHEN seen THEN issued_s ELSE $6 END, \
                   inviter = CASE WHEN seen THEN inviter ELSE $7 END, \
                   seen = 1 \
                 WHERE id = $1; \
                 INSERT INTO {p}events (at_ms, kind, id, inviter, actor, joiner, uses, max_uses, \
                   forget_at) \
                 SELECT $3, 2, id, inviter, $8, $2, uses, $5, {kept} \
                 FROM {p}invitations WHERE id = $1; \
                 INSERT INTO {p}events (at_ms, kind, id, inviter, actor, max_uses, forget_at) \
                 SELECT $3, 3, id, inviter, $8, $5, {kept} \
                 FROM {p}invitations WHERE id = $1 AND $5 IS NOT NULL AND uses >= $5"
            ),
            // The row, live or not: uses, revoked, past its forget-at time.
            row: format!(
                "SELECT uses, revoked_at IS NOT NULL AS revoked, \
                 COALESCE(forget_at, 9223372036854775807) <= $2 AS expired \
                 FROM {p}invitations WHERE id = $1"
            ),
            drop: [
                format!("DELETE FROM {p}joiners WHERE id = $1"),
                format!("DELETE FROM {p}visits WHERE id = $1"),
                format!("DELETE FROM {p}invitations WHERE id = $1"),
            ],
            // Created, or its forget_at lengthened (NULL wins: forever).
            touch: format!(
                "INSERT INTO {p}invitations (id, forget_at) VALUES ($1, $2) \
                 ON CONFLICT (id) DO UPDATE SET forget_at = CASE \
                   WHEN forget_at IS NULL OR excluded.forget_at IS NULL THEN NULL \
                   ELSE MAX(forget_at, excluded.forget_at) END"
            ),
            set_max: format!("UPDATE {p}invitations SET max_uses = $2 WHERE id = $1"),
            revoke_new: format!(
                "INSERT INTO {p}invitations (id, forget_at, revoked_at) VALUES ($1, $3, $2)"
            ),
            // Revoked (the first time only), kept at least until $3.
            revoke_existing: format!(
                "UPDATE {p}invitations SET revoked_at = COALESCE(revoked_at, $2), \
                   forget_at = CASE WHEN forget_at IS NULL OR $3 IS NULL THEN forget_at \
                                    ELSE MAX(forget_at, $3) END \
                 WHERE id = $1"
            ),
            // Bounded deletes ($1 now, $2 batch), each found through an index.
            purge: [
                format!("DELETE FROM {p}joiners WHERE id IN ({expired_ids})"),
                format!("DELETE FROM {p}visits WHERE id IN ({expired_ids})"),
                format!("DELETE FROM {p}invitations WHERE id IN ({expired_ids})"),
                format!(
                    "DELETE FROM {p}codes WHERE code IN (SELECT code FROM {p}codes \
                     WHERE forget_at IS NOT NULL AND forget_at <= $1 LIMIT $2)"
                ),
                format!(
                    "DELETE FROM {p}attempts WHERE rowid IN (SELECT rowid FROM {p}attempts \
                     WHERE ends_at <= $1 LIMIT $2)"
                ),
                format!(
                    "DELETE FROM {p}events WHERE seq IN (SELECT seq FROM {p}events \
                     WHERE forget_at IS NOT NULL AND forget_at <= $1 LIMIT $2)"
                ),
            ],
        }
    }

    /// Runs inside a write transaction (the store's, or the application's): one statement
    /// reads everything the decision needs, one round trip writes a counted redemption.
    async fn redeem(
        conn: &mut SqliteConnection,
        q: &Queries<SqliteQueries>,
        a: &RedeemRow,
    ) -> Sql<(i32, i32, i64)> {
        let (id, inviter) = (a.id, a.inviter.as_deref());
        let p = Probe::read(conn, q, a).await?;
        if !p.init {
            return Ok((outcome::NOT_INITIALIZED, 0, 0));
        }
        if p.ruled {
            return Ok((outcome::REVOKED, 0, 0));
        }
        // A row past its forget-at time is gone, with its joiners: start afresh.
        let (uses, revoked, earlier) = if p.expired == Some(true) {
            drop_row(conn, q, id).await?;
            (0, false, None)
        } else {
            (p.uses.unwrap_or(0), p.revoked.unwrap_or(false), p.earlier)
        };
        if revoked {
            return Ok((outcome::REVOKED, 0, 0));
        }
        if let Some(at) = earlier {
            return Ok((outcome::REPEATED, uses, at));
        }
        if let Some(max) = a.max.filter(|&max| uses >= max) {
            // Only an existing row can be at its limit (a new one has no uses).
            Sqlite::run(conn, stmt(&q.own.set_max).bind(id).bind(Some(max))).await?;
            return Ok((outcome::USED_UP, uses, 0));
        }
        let count_new = stmt(&q.own.count_new)
            .bind(id)
            .bind(a.joiner.as_str())
            .bind(a.now)
            .bind(a.until)
            .bind(a.max)
            .bind(a.issued_s)
            .bind(inviter)
            .bind(a.actor.as_deref())
            .bind(a.keep_ms);
        Sqlite::run(conn, count_new).await?;
        Ok((outcome::COUNTED, uses.saturating_add(1), a.now))
    }

    /// The redemption's probe, nothing written.
    async fn check(
        conn: &mut SqliteConnection,
        q: &Queries<SqliteQueries>,
        c: &RedeemRow,
    ) -> Sql<i32> {
        let p = Probe::read(conn, q, c).await?;
        let max = c.max.and_then(|m| u32::try_from(m).ok());
        Ok(if !p.init {
            3
        } else if p.ruled {
            1
        } else if p.expired != Some(false) {
            // No row, or one past its forget-at time: nothing to refuse.
            0
        } else if p.revoked == Some(true) {
            1
        } else if max.is_some_and(|max| count(p.uses.unwrap_or(0)) >= max) {
            2
        } else {
            0
        })
    }

    async fn touch(
        conn: &mut SqliteConnection,
        q: &Queries<SqliteQueries>,
        id: InvitationId,
        now: i64,
        until: Option<i64>,
    ) -> Sql<()> {
        live(conn, q, id, now).await?;
        Sqlite::run(conn, stmt(&q.own.touch).bind(id).bind(until)).await?;
        Ok(())
    }

    async fn revoke(
        conn: &mut SqliteConnection,
        q: &Queries<SqliteQueries>,
        id: InvitationId,
        now: i64,
        forget: Option<i64>,
    ) -> Sql<bool> {
        let (sql, newly) = match live(conn, q, id, now).await? {
            None => (&q.own.revoke_new, true),
            Some((_, already)) => (&q.own.revoke_existing, !already),
        };
        Sqlite::run(conn, stmt(sql).bind(id).bind(now).bind(forget)).await?;
        Ok(newly)
    }

    async fn has_table(conn: &mut SqliteConnection, name: &str) -> Sql<bool> {
        let exists = stmt(
            "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = $1) \
             AS found",
        )
        .bind(name);
        Sqlite::flag(&Sqlite::one(conn, exists).await?, "found")
    }

    async fn lock_migration(_conn: &mut SqliteConnection) -> Sql<()> {
        // The write transaction `migrate()` runs in holds SQLite's lock already.
        Ok(())
    }

    async fn persistence(conn: &mut SqliteConnection) -> Sql<HealthCheck> {
        let pragma = |row: &SqliteRow, name| Sqlite::text(row, name).and_then(need);
        let journal = pragma(
            &Sqlite::one(conn, stmt("PRAGMA journal_mode")).await?,
            "journal_mode",
        )?;
        let synchronous = need(Sqlite::int(
            &Sqlite::one(conn, stmt("PRAGMA synchronous")).await?,
            "synchronous",
        )?)?;
        // PRAGMA synchronous: 0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA.
        let wal = journal.eq_ignore_ascii_case("wal");
        let (verdict, meaning) = match synchronous {
            2 | 3 => (
                Verdict::Ok,
                "every commit is on disk before it is acknowledged: an acknowledged redemption \
                 or revocation survives a crash of the process or the machine",
            ),
            1 if wal => (
                Verdict::Warning,
                "survives a crash of the process; a power loss can undo the last commits",
            ),
            _ => (
                Verdict::Unsafe,
                "a crash can lose or corrupt acknowledged revocations and redemptions: use \
                 synchronous=FULL",
            ),
        };
        let level = match synchronous {
            0 => "OFF",
            1 => "NORMAL",
            2 => "FULL",
            3 => "EXTRA",
            _ => "unknown",
        };
        Ok(HealthCheck::new(
            "persistence",
            None,
            format!("journal_mode={journal}, synchronous={level}"),
            verdict,
            meaning,
        ))
    }

    /// The first two statements delete the children of the invitations the third deletes;
    /// counted are the invitations, codes and attempt windows.
    async fn purge(
        conn: &mut SqliteConnection,
        q: &Queries<SqliteQueries>,
        now: i64,
        batch: i64,
    ) -> Sql<u64> {
        let mut deleted = 0;
        for (i, sql) in q.own.purge.iter().enumerate() {
            let n = Sqlite::run(conn, stmt(sql).bind(now).bind(batch)).await?;
            if i >= 2 {
                deleted += n;
            }
        }
        Ok(deleted)
    }

    fn connect_problem(pool: &Pool<Sqlite>, e: &sqlx::Error) -> Option<ConnectProblem> {
        problem_at(pool.connect_options().get_filename(), e)
    }

    fn unavailable(what: &str, e: &sqlx::Error) -> Error {
        match e {
            sqlx::Error::PoolTimedOut => Error::StoreUnavailable {
                reason: format!("{what}: the writer is busy (waited for it until the deadline)"),
            },
            sqlx::Error::Database(db) if db.message().starts_with("no such table") => {
                Error::StoreNotInitialized
            }
            // Tables of an older schema, not migrated.
            sqlx::Error::Database(db) if db.message().starts_with("no such column") => {
                Error::StoreMisconfigured {
                    setting: "schema",
                    found: "an older schema than this library's".into(),
                    fix: "run migrate() (or admit store init) once to upgrade it",
                }
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
}

/// The problem behind `e` when the file `path` could not be opened: SQLITE_CANTOPEN (14), or
/// the operating system's refusal.
fn problem_at(path: &Path, e: &sqlx::Error) -> Option<ConnectProblem> {
    let detail = match e {
        sqlx::Error::Database(db)
            if db
                .code()
                .and_then(|c| c.parse::<u32>().ok())
                .is_some_and(|c| c & 0xff == 14) =>
        {
            db.message().to_owned()
        }
        sqlx::Error::Io(io) if io.kind() != std::io::ErrorKind::TimedOut => io.to_string(),
        _ => return None,
    };
    Some(ConnectProblem::CannotOpen {
        server: "SQLite",
        path: path.display().to_string(),
        detail: crate::connect_problem::short(&detail, super::sql::diagnose::DETAIL_LEN),
    })
}
