//! The SQL store: one generic [`SqlStore`] over a database (`PgStore` = `SqlStore<Postgres>`,
//! `SqliteStore` = `SqlStore<Sqlite>`), as sqlx has one `Pool<DB>`. What the databases share —
//! the schema's common tables, the statements, the transactions and deadlines, the rows read
//! back — is here; what differs is each database's [`Dialect`](dialect::Dialect).

use std::sync::Arc;

use time::OffsetDateTime;

use sqlx::Pool;

use super::backend::Redeem;
use super::settings::Settings;
use super::trace::Link;
use super::{Cutoff, Init, Redemption, unix_ms};
use crate::error::Error;
use crate::invitation::{Invitation, InvitationId};

pub(crate) mod diagnose;
pub(crate) mod dialect;
pub(crate) mod events;
mod group_commit;
pub(crate) mod io;
mod ops;
pub(crate) mod queries;
pub(crate) mod row;

use dialect::{Dialect, Mode};
use io::{need, stmt};
use queries::Queries;
use row::{as_i32, check_prefix, count, time_of};

/// The tables every SQL store has, whatever its database (`{p}` is the prefix, `{bigint}` the
/// database's 64-bit integer).
const COMMON_SCHEMA: &str = include_str!("schema.sql");

/// A [`Store`](super::Store) in a SQL database: [`PgStore`](super::PgStore) in PostgreSQL,
/// [`SqliteStore`](super::SqliteStore) in a SQLite file. Both keep the same tables (with a
/// configurable prefix), pass the same conformance suite, and can redeem inside the
/// application's own transaction ([`redeem_in`](SqlStore::redeem_in)), so that an account and
/// its invitation's use commit or roll back together.
///
/// Tables are created explicitly — by [`migrate`](SqlStore::migrate), or at open with
/// [`Init::CreateIfMissing`] — never by a store on its own. Calls on a database whose tables are
/// missing fail with [`Error::StoreNotInitialized`]. Every call has a deadline and fails closed
/// with [`Error::StoreTimeout`] or [`Error::StoreUnavailable`]. Expired state never affects an
/// answer (every query compares with its forget-at time); [`purge_expired`](SqlStore::purge_expired)
/// deletes it in bounded batches.
pub struct SqlStore<DB: Dialect> {
    shared: Arc<Shared<DB>>,
    /// Who this handle acts as (see `Events::acting_as`).
    actor: Option<Arc<str>>,
}

impl<DB: Dialect> Clone for SqlStore<DB> {
    fn clone(&self) -> Self {
        SqlStore {
            shared: Arc::clone(&self.shared),
            actor: self.actor.clone(),
        }
    }
}

impl<DB: Dialect> SqlStore<DB> {
    /// The table prefix unless configured otherwise: tables are `admit_invitations`, … .
    pub const DEFAULT_PREFIX: &str = "admit_";
    /// The version of the schema this library writes and reads (in the `meta` table).
    pub const SCHEMA_VERSION: u32 = 3;
}

struct Shared<DB: Dialect> {
    /// Where writes go (PostgreSQL: the one pool; SQLite: a pool of one connection).
    writer: Pool<DB>,
    /// Where reads go (PostgreSQL: the same pool; SQLite: a pool of readers).
    reader: Pool<DB>,
    queries: Queries<DB::Own>,
    prefix: String,
    settings: Settings,
    /// Whether the database is reachable, as calls have seen it (reported with `tracing`).
    link: Link,
    /// Store-owned redemptions waiting to share a transaction (`group_commit`).
    batches: group_commit::Batches,
}

impl<DB: Dialect> core::fmt::Debug for SqlStore<DB> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct(if DB::BACKEND == "postgres" {
            "PgStore"
        } else {
            "SqliteStore"
        })
        .field("prefix", &self.shared.prefix)
        .field("margin", &self.shared.settings.margin)
        .field("deadline", &self.shared.settings.deadline)
        .finish_non_exhaustive()
    }
}

/// What a database-level step stopped at: the database failed, or the store answered (not
/// initialized, revoked, …), after which what the step wrote still commits.
pub(crate) enum Stop {
    Db(sqlx::Error),
    Answer(Error),
}

impl From<sqlx::Error> for Stop {
    fn from(e: sqlx::Error) -> Stop {
        Stop::Db(e)
    }
}

impl From<Error> for Stop {
    fn from(e: Error) -> Stop {
        Stop::Answer(e)
    }
}

/// A step of a store call on the database.
pub(crate) type Step<T> = Result<T, Stop>;

/// A redemption or a check, as the database reads it (a check has no joiner).
pub(crate) struct RedeemRow {
    pub(crate) id: InvitationId,
    pub(crate) joiner: String,
    pub(crate) now: i64,
    pub(crate) until: Option<i64>,
    pub(crate) max: Option<i32>,
    pub(crate) issued_s: i64,
    pub(crate) inviter: Option<String>,
    /// Who redeems (see `Events::acting_as`), and how long its events are kept at least.
    pub(crate) actor: Option<String>,
    pub(crate) keep_ms: i64,
}

impl RedeemRow {
    fn new(
        invitation: &Invitation,
        joiner: &str,
        now: OffsetDateTime,
        forget_at: Option<OffsetDateTime>,
    ) -> RedeemRow {
        RedeemRow {
            actor: None,
            keep_ms: 0,
            id: invitation.id(),
            joiner: joiner.to_owned(),
            now: unix_ms(now),
            until: forget_at.map(unix_ms),
            max: invitation.max_uses().map(as_i32),
            issued_s: invitation.issued_at().unix_timestamp(),
            inviter: invitation.inviter().map(str::to_owned),
        }
    }
}

/// How a redemption ended, as the database reports it.
pub(crate) mod outcome {
    pub(crate) const COUNTED: i32 = 0;
    pub(crate) const REVOKED: i32 = 1;
    pub(crate) const USED_UP: i32 = 2;
    pub(crate) const NOT_INITIALIZED: i32 = 3;
    pub(crate) const REPEATED: i32 = 4;
}

/// A redemption's `(outcome, uses, joined_at)` as a [`Redemption`] or the error it names.
fn redemption(
    (code, uses, joined_at): (i32, i32, i64),
    invitation: &Invitation,
) -> Result<Redemption, Error> {
    let unexpected = || Error::StoreUnavailable {
        reason: "redeeming: unexpected answer from the database".into(),
    };
    match code {
        outcome::COUNTED | outcome::REPEATED => Ok(Redemption {
            uses: count(uses),
            joined_at: time_of(joined_at).map_err(|_| unexpected())?,
            repeated: code == outcome::REPEATED,
        }),
        outcome::REVOKED => Err(Error::Revoked),
        outcome::USED_UP => Err(Error::UsedUp {
            max_uses: invitation.max_uses().unwrap_or(0),
        }),
        outcome::NOT_INITIALIZED => Err(Error::StoreNotInitialized),
        _ => Err(unexpected()),
    }
}

/// Fails a step on a database that was never migrated (or lost its tables' marker).
async fn initialized<DB: Dialect>(conn: &mut DB::Connection, q: &Queries<DB::Own>) -> Step<()> {
    let row = DB::one(conn, stmt(&q.initialized)).await?;
    if DB::flag(&row, "found")? {
        Ok(())
    } else {
        Err(Error::StoreNotInitialized.into())
    }
}

impl<DB: Dialect> SqlStore<DB> {
    /// The store on these pools, set up as `settings.init` says.
    pub(crate) async fn start(
        settings: Settings,
        writer: Pool<DB>,
        reader: Pool<DB>,
    ) -> Result<SqlStore<DB>, Error> {
        let prefix = settings
            .prefix
            .clone()
            .unwrap_or_else(|| Self::DEFAULT_PREFIX.into());
        let store = SqlStore {
            shared: Arc::new(Shared {
                writer,
                reader,
                queries: Queries::new(&prefix, DB::WORDS, DB::own(&prefix)),
                prefix,
                settings,
                link: Link::default(),
                batches: group_commit::Batches::default(),
            }),
            actor: None,
        };
        let now = store.shared.settings.now();
        match store.shared.settings.init {
            Init::Require => {}
            Init::CreateIfMissing => store.migrate_with(None).await?,
            // The tables, the marker and the rule in one transaction: a recovery cannot stop
            // half-way with the store set up and the lost revocations not replaced.
            Init::RecoverFromDataLoss {
                revoke_issued_before,
            } => {
                let cutoff = Cutoff::new(revoke_issued_before).checked_ms(now)?;
                store.migrate_with(Some(cutoff)).await?;
            }
        }
        Ok(store)
    }

    /// Checks the settings a SQL store is opened with.
    pub(crate) fn check_settings(settings: &Settings) -> Result<(), Error> {
        settings.check()?;
        check_prefix(settings.prefix.as_deref().unwrap_or(Self::DEFAULT_PREFIX))
    }

    /// The pool the store writes through. On PostgreSQL, the store's only pool (the one given
    /// to [`PgStoreBuilder::pool`](super::PgStoreBuilder) or opened by `connect`); on SQLite,
    /// the single writer connection: begin a sign-up's transaction on it
    /// (`pool().begin_with("BEGIN IMMEDIATE")`) to create the account and
    /// [`redeem_in`](SqlStore::redeem_in) together; the store's own writes wait meanwhile,
    /// so keep that transaction short.
    pub fn pool(&self) -> &Pool<DB> {
        &self.shared.writer
    }

    /// Creates or updates the store's tables (and functions, on PostgreSQL), and marks the
    /// store initialized. Idempotent, and safe to run from several processes at once (they take
    /// turns: an advisory lock on PostgreSQL, the write lock on SQLite). Run it at deployment,
    /// or at start-up; no other call changes the schema.
    ///
    /// # Errors
    ///
    /// [`Error::StoreMisconfigured`] if the database holds a newer schema than this library
    /// knows; store errors.
    pub async fn migrate(&self) -> Result<(), Error> {
        self.migrate_with(None).await
    }

    /// [`migrate`](SqlStore::migrate), and in the same transaction, when given, a rule that
    /// revokes everything issued before `cutoff_ms` (the recovery from data loss, which alone
    /// may recreate what a store that existed lost).
    async fn migrate_with(&self, cutoff_ms: Option<i64>) -> Result<(), Error> {
        super::trace::connecting(DB::BACKEND, "migrate", async {
            let prefix = self.shared.prefix.clone();
            let schema = COMMON_SCHEMA.replace("{bigint}", DB::BIGINT) + DB::SCHEMA;
            let sql = schema
                .replace("{marked}", &queries::marked("{p}", &DB::WORDS))
                .replace("{p}", &prefix);
            let now = unix_ms(self.shared.settings.now());
            let recovering = cutoff_ms.is_some();
            self.run("migrating", Mode::Unchecked, async |c, q| {
                migrate_in::<DB>(c, &prefix, &sql, now, recovering).await?;
                if let Some(cutoff) = cutoff_ms {
                    DB::run(c, stmt(&q.raise_rule).bind("*").bind(cutoff)).await?;
                }
                Ok(())
            })
            .await
        })
        .await
    }

    /// Deletes state past its forget-at time, at most `batch` rows per table per call, and
    /// returns how many invitations, codes, attempt windows and events it deleted. Expired state never
    /// changes an answer, so this only reclaims space: call it every few minutes (for instance
    /// from a timer task) until it returns less than `batch`.
    ///
    /// # Errors
    ///
    /// Store errors.
    pub async fn purge_expired(&self, batch: u32) -> Result<u64, Error> {
        let link = Some(&self.shared.link);
        super::trace::call(DB::BACKEND, "purge_expired", link, async {
            let now = unix_ms(self.shared.settings.now());
            let batch = i64::from(batch.max(1));
            self.run("purging", Mode::Write, async |c, q| {
                Ok(DB::purge(c, q, now, batch).await?)
            })
            .await
        })
        .await
    }

    /// Redeems `invitation` for `joiner` **inside the caller's transaction**, so that the
    /// application's own writes (the account row of a sign-up) and the redemption commit or roll
    /// back together: roll back, and the use was never consumed; commit, and both are there.
    ///
    /// Pass the transaction (`&mut *tx`) or a connection. Concurrent sign-ups with one
    /// invitation take turns, and at most `max_uses` of them commit:
    ///
    /// - **PostgreSQL** locks the invitation's row until the transaction ends. Keep the
    ///   transaction short, and use the default `READ COMMITTED` isolation (under `REPEATABLE
    ///   READ` or `SERIALIZABLE`, a concurrent redemption makes this fail with a serialization
    ///   error, and the sign-up has to be retried).
    /// - **SQLite**: begin the transaction with `BEGIN IMMEDIATE` — on the store's own writer
    ///   ([`pool`](SqlStore::pool)`().begin_with("BEGIN IMMEDIATE")`) or on your pool for the
    ///   same file — so that it holds the write lock from its first statement. (A plain
    ///   `BEGIN` that reads before it writes can fail with "the database is locked" when
    ///   another writer committed in between; nothing is counted twice, but the sign-up has to
    ///   be retried.)
    ///
    /// # Errors
    ///
    /// Those of [`Store::redeem`](crate::store::Store::redeem). After any error, roll the
    /// transaction back: whatever the error, nothing of the redemption is committed unless the
    /// transaction is.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # #[cfg(feature = "postgres")]
    /// # async fn sign_up(pool: sqlx::PgPool, store: admit::store::PgStore, invitation: admit::Invitation) -> Result<(), Box<dyn std::error::Error>> {
    /// let mut tx = pool.begin().await?;
    /// sqlx::query("INSERT INTO accounts (email) VALUES ($1)")
    ///     .bind(invitation.email())
    ///     .execute(&mut *tx)
    ///     .await?;
    /// store.redeem_in(&mut tx, &invitation, "user-42").await?; // the `?` drops `tx`: rollback
    /// tx.commit().await?;
    /// # Ok(()) }
    /// ```
    pub async fn redeem_in(
        &self,
        conn: &mut DB::Connection,
        invitation: &Invitation,
        joiner: &str,
    ) -> Result<Redemption, Error> {
        let call = Redeem::new(&self.shared.settings, invitation, joiner)?;
        let row = self.redeem_row(call);
        let q = &self.shared.queries;
        let outcome = self
            .within("redeeming", async { Ok(DB::redeem(conn, q, &row).await?) })
            .await?;
        redemption(outcome, invitation)
    }

    /// A redemption as the database reads it, with this handle's actor.
    fn redeem_row(&self, call: Redeem<'_>) -> RedeemRow {
        RedeemRow {
            actor: self.actor.as_deref().map(str::to_owned),
            keep_ms: self.shared.settings.keep_events_ms(),
            ..RedeemRow::new(call.invitation, call.joiner, call.now, call.forget_at)
        }
    }

    /// Who and when, for the events a call writes.
    fn writer(&self, now: i64) -> events::Writer<'_> {
        events::Writer {
            now,
            actor: self.actor.as_deref(),
            keep_ms: self.shared.settings.keep_events_ms(),
        }
    }

    /// Runs `work` within the deadline, a database error read as a store error.
    async fn within<T>(
        &self,
        what: &'static str,
        work: impl Future<Output = Step<T>>,
    ) -> Result<T, Error> {
        let deadline = self.shared.settings.deadline;
        let started = std::time::Instant::now();
        match tokio::time::timeout(deadline, work).await {
            Err(_) => Err(Error::StoreTimeout { after: deadline }),
            Ok(Ok(value)) => Ok(value),
            Ok(Err(Stop::Answer(e))) => Err(e),
            Ok(Err(Stop::Db(e))) => {
                // What is left of the deadline may go to finding out why (a refused
                // connection answers at once); the call never takes longer than its deadline.
                let left = deadline.saturating_sub(started.elapsed());
                Err(diagnose::explain(&self.shared.writer, what, e, left).await)
            }
        }
    }

    /// Runs `op` as `mode` says, within the deadline. In a transaction, the store must be
    /// initialized first; the transaction commits when `op` succeeds or answers (what it wrote
    /// before the answer stays), and rolls back when the database fails.
    async fn run<T, F>(&self, what: &'static str, mode: Mode, op: F) -> Result<T, Error>
    where
        F: AsyncFnOnce(&mut DB::Connection, &Queries<DB::Own>) -> Step<T>,
    {
        let Shared {
            writer,
            reader,
            queries,
            ..
        } = &*self.shared;
        self.within(what, async {
            let mut tx = match mode {
                Mode::Single | Mode::SingleRead => {
                    let pool = if mode == Mode::Single { writer } else { reader };
                    return op(&mut *pool.acquire().await?, queries).await;
                }
                Mode::Read => reader.begin().await?,
                Mode::Write | Mode::Unchecked => DB::begin_write(writer).await?,
            };
            let result = match mode {
                Mode::Unchecked => op(&mut tx, queries).await,
                _ => match initialized::<DB>(&mut tx, queries).await {
                    Ok(()) => op(&mut tx, queries).await,
                    Err(e) => Err(e),
                },
            };
            if let Ok(_) | Err(Stop::Answer(_)) = result {
                tx.commit().await?;
            }
            result
        })
        .await
    }
}

/// The tables whose loss breaks a promise: the marker, the rules, the invitations (revocations
/// and use counts) and who joined.
const KEPT_TABLES: [&str; 4] = ["meta", "rules", "invitations", "joiners"];

/// The schema version from which `migrate()` writes the sentinel rows ([`queries::marked`]).
const SENTINELS_SINCE: u32 = 3;

/// Creates or updates the schema. Refuses, when not `recovering`, to create anything where a
/// store existed and lost data ([`Error::StoreDataLost`]), and a schema newer than this
/// library's.
async fn migrate_in<DB: Dialect>(
    conn: &mut DB::Connection,
    prefix: &str,
    sql: &str,
    now: i64,
    recovering: bool,
) -> Step<()> {
    DB::lock_migration(conn).await?;
    let version = schema_version::<DB>(conn, prefix).await?;
    // Unreadable counts as newer: refused, never overwritten.
    let number = version.as_deref().and_then(|v| v.parse::<u32>().ok());
    if let Some(found) = version
        .as_deref()
        .filter(|_| number.is_none_or(|n| n > SqlStore::<DB>::SCHEMA_VERSION))
    {
        return Err(Error::StoreMisconfigured {
            setting: "schema",
            found: format!("schema version {found}, newer than this library's"),
            fix: "upgrade admit before using this database",
        }
        .into());
    }
    // A schema older than the sentinels cannot show a loss: it is taken as it is, once.
    let before_sentinels = number.is_some_and(|n| n < SENTINELS_SINCE);
    if !recovering && !before_sentinels {
        let lost = evidence::<DB>(conn, prefix, version.is_some()).await?;
        if let Some(evidence) = lost {
            return Err(Error::StoreDataLost { evidence }.into());
        }
    }
    if version.as_deref() == Some("1") {
        DB::batch(conn, &DB::UPGRADE_1_TO_2.replace("{p}", prefix)).await?;
    }
    DB::batch(conn, sql).await?;
    DB::batch(conn, &queries::sentinels(prefix, &DB::WORDS)).await?;
    let mark = format!(
        "INSERT INTO {prefix}meta (name, value) VALUES ('schema', $1), ('init', $2) \
         ON CONFLICT (name) DO UPDATE SET value = excluded.value \
         WHERE {prefix}meta.name = 'schema'"
    );
    let version = SqlStore::<DB>::SCHEMA_VERSION.to_string();
    let now = now.to_string();
    DB::run(conn, stmt(&mark).bind(version.as_str()).bind(now.as_str())).await?;
    Ok(())
}

/// The schema version the meta table records, if it exists and records one.
async fn schema_version<DB: Dialect>(
    conn: &mut DB::Connection,
    prefix: &str,
) -> Step<Option<String>> {
    if !DB::has_table(conn, &format!("{prefix}meta")).await? {
        return Ok(None);
    }
    let read = format!("SELECT value FROM {prefix}meta WHERE name = 'schema'");
    Ok(match DB::optional(conn, stmt(&read)).await? {
        Some(row) => Some(need(DB::text(&row, "value")?)?),
        None => None,
    })
}

/// What shows that a store existed here and lost data, if anything does: its schema record or
/// one of its tables is there, while a kept table or a sentinel row is missing. A database
/// without any of them is new (or lost everything at once, which looks the same: see
/// SECURITY.md).
async fn evidence<DB: Dialect>(
    conn: &mut DB::Connection,
    prefix: &str,
    recorded: bool,
) -> Step<Option<String>> {
    let mut present = Vec::new();
    let mut missing = Vec::new();
    for table in KEPT_TABLES {
        let name = format!("{prefix}{table}");
        if DB::has_table(conn, &name).await? {
            present.push(name);
        } else {
            missing.push(name);
        }
    }
    let existed = recorded || present.iter().any(|t| !t.ends_with("meta"));
    if !existed {
        return Ok(None);
    }
    if !missing.is_empty() {
        return Ok(Some(format!(
            "the store existed (its {} is here) but {} {} missing",
            if recorded { "schema record" } else { "tables" },
            missing.join(", "),
            if missing.len() == 1 { "is" } else { "are" },
        )));
    }
    for (table, row) in queries::sentinel_rows(&DB::WORDS) {
        let read = format!("SELECT EXISTS (SELECT 1 FROM {prefix}{table} WHERE {row}) AS found");
        if !DB::flag(&DB::one(conn, stmt(&read)).await?, "found")? {
            return Ok(Some(format!(
                "the sentinel row of {prefix}{table} is gone: the table was emptied (TRUNCATE, \
                 DELETE without WHERE) or restored without its rows"
            )));
        }
    }
    Ok(None)
}
