//! The PostgreSQL store (feature `postgres`): state in the application's own database, so a
//! sign-up can create its account and redeem its invitation in one transaction. Redemption and
//! check are PL/pgSQL functions (`schema.sql`), each one round trip; the rest is the generic
//! [`SqlStore`].

use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions, PgRow};
use sqlx::{Pool, Postgres};

use super::settings::Durable;
use super::settle::Settle;
use super::sql::diagnose::{Target, behind_timeout, network_problem};
use super::sql::dialect::{Dialect, Mode};
use super::sql::io::{Io, Sql, need, stmt};
use super::sql::queries::{Queries, Words};
use super::sql::row::kind;
use super::sql::{RedeemRow, SqlStore};
use super::{HealthCheck, StoreBuilder, Verdict};
use crate::connect_problem::ConnectProblem;
use crate::error::Error;
use crate::invitation::InvitationId;

/// A [`Store`](super::Store) in PostgreSQL: the [`SqlStore`] on sqlx's `Postgres`.
///
/// Redemption is one call of a PL/pgSQL function that locks the invitation's row, so it is
/// atomic across every process sharing the database, and durable once PostgreSQL acknowledged
/// it. [`PgStore::redeem_in`](SqlStore::redeem_in) redeems inside the application's own
/// transaction.
///
/// # Examples
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use admit::store::{PgStore, Store};
///
/// let store = PgStore::builder()
///     .prefix("acme_")
///     .connect("postgres://app@127.0.0.1/app")
///     .await?;
/// store.migrate().await?; // at deployment or start-up: creates acme_* tables; idempotent
/// # Ok(()) }
/// ```
pub type PgStore = SqlStore<Postgres>;

/// The settings only a [`PgStore`] has; the others are every store's ([`StoreBuilder`]).
#[derive(Clone, Debug)]
pub struct PgOptions {
    max_connections: u32,
}

impl Default for PgOptions {
    fn default() -> PgOptions {
        PgOptions {
            max_connections: 10,
        }
    }
}

impl Durable for PgOptions {}

/// Settings of a [`PgStore`]; see [`PgStore::builder`](SqlStore::builder).
pub type PgStoreBuilder = StoreBuilder<PgOptions>;

impl SqlStore<Postgres> {
    /// Configures a store: prefix, deadline, [`Init`](super::Init), pool size, margin, visit
    /// cap, clock.
    pub fn builder() -> PgStoreBuilder {
        StoreBuilder::new()
    }
}

impl StoreBuilder<PgOptions> {
    /// The most connections the store's own pool opens (default 10).
    pub fn max_connections(mut self, n: u32) -> PgStoreBuilder {
        self.backend.max_connections = n.max(1);
        self
    }

    /// Connects a pool to `url` (`postgres://user:password@host:port/database`), then does
    /// what the [`Init`](super::Init) says.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] for a bad prefix or setting; [`Error::StoreConnect`] naming
    /// the cause when the server refuses the password, nothing listens, the host is unknown,
    /// TLS fails or the database does not exist; [`Error::StoreUnavailable`] if the database
    /// cannot be reached otherwise; [`Error::StoreTimeout`] past the deadline; those of
    /// [`migrate`](SqlStore::migrate) under [`Init::CreateIfMissing`](super::Init).
    pub async fn connect(self, url: &str) -> Result<PgStore, Error> {
        let pool = super::trace::connecting("postgres", "connect", async {
            PgStore::check_settings(&self.settings)?;
            let deadline = self.settings.deadline;
            let started = std::time::Instant::now();
            let options = url
                .parse::<PgConnectOptions>()
                .map_err(|_| Error::InvalidArgument {
                    name: "url",
                    reason: "not a PostgreSQL URL: use postgres://user:password@host:port/database",
                })?;
            // A pool with no free connection answers before the call's deadline, so that it is
            // reported as such ("every connection of the pool is busy"), not as a slow database.
            let pool = PgPoolOptions::new()
                .max_connections(self.backend.max_connections)
                .acquire_timeout(deadline.mul_f64(0.9))
                .connect_with(options.clone());
            match tokio::time::timeout(deadline, pool).await {
                Err(_) => Err(Error::StoreTimeout { after: deadline }),
                Ok(Ok(pool)) => Ok(pool),
                Ok(Err(e)) => {
                    // No connection could be opened in time: one direct attempt, with what is
                    // left of the deadline, says why.
                    let left = deadline.saturating_sub(started.elapsed());
                    let e = behind_timeout(&options, e, left).await;
                    Err(match problem_at(&options, &e) {
                        Some(problem) => Error::StoreConnect { problem },
                        None => Postgres::unavailable("connecting", &e),
                    })
                }
            }
        })
        .await?;
        PgStore::start(self.settings, pool.clone(), pool).await
    }

    /// Uses the application's own pool, then does what the [`Init`](super::Init) says.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] for a bad prefix or setting; those of
    /// [`migrate`](SqlStore::migrate) under [`Init::CreateIfMissing`](super::Init).
    pub async fn pool(self, pool: PgPool) -> Result<PgStore, Error> {
        PgStore::check_settings(&self.settings)?;
        PgStore::start(self.settings, pool.clone(), pool).await
    }
}

/// The statements only PostgreSQL runs.
#[derive(Debug)]
pub struct PgQueries {
    redeem: String,
    redeem_many: String,
    check: String,
    touch: String,
    revoke_new: String,
    revoked_for_update: String,
    revoke_existing: String,
    drop_expired: String,
    purge: [String; 4],
}

// The dialect's items use the crate's own types: the trait is sealed, so nobody outside calls
// them.
#[allow(private_interfaces)]
impl Dialect for Postgres {
    const UPGRADE_1_TO_2: &'static str = "\
        ALTER TABLE {p}invitations ADD COLUMN IF NOT EXISTS rec_email_key BYTEA; \
        ALTER TABLE {p}invitations ADD COLUMN IF NOT EXISTS rec_inviter_key BYTEA; \
        UPDATE {p}invitations SET rec_email_key = convert_to(lower(rec_email), 'UTF8'), \
            rec_inviter_key = convert_to(lower(rec_inviter), 'UTF8') WHERE recorded;";
    const BACKEND: &'static str = "postgres";
    const SCHEMA: &'static str = include_str!("schema.sql");
    const WORDS: Words = Words {
        greatest: "GREATEST",
        as_bool: "::BOOLEAN",
        as_text: "::TEXT",
        as_bigint: "::BIGINT",
        as_bytes: "::BYTEA",
        event_major: "xid",
        event_after: "(xid, seq) > ($1, $2)",
        event_order: "xid, seq",
        event_visible: "xid < $7",
        empty_bytes: "'\\x'::BYTEA",
    };
    const BIGINT: &'static str = "BIGINT";
    const BEGIN_WRITE: Option<&'static str> = None;
    // Two batches of redemptions at once: one runs while the other waits for its flush. A
    // batch is one statement (`redeem_many`), its own transaction.
    const BATCH_LANES: usize = 2;
    const BATCH: Mode = Mode::Single;
    // One function call each, in autocommit: one round trip instead of three.
    const REDEEM: Mode = Mode::Single;
    const CHECK: Mode = Mode::Single;

    type Own = PgQueries;

    fn own(p: &str) -> PgQueries {
        // Bounded deletes: at most $2 rows, found by the forget-at index, deleted by primary
        // key (`= ANY(ARRAY(…))` keeps the plan on indexes at any table size).
        let purge = |table: &str, key: &str, expired: &str| {
            format!(
                "DELETE FROM {p}{table} WHERE {key} = ANY(ARRAY(SELECT {key} FROM {p}{table} \
                 WHERE {expired} LIMIT $2))"
            )
        };
        PgQueries {
            redeem: format!(
                "SELECT o_outcome, o_uses, o_joined_at \
                 FROM {p}redeem($1, $2, $3, $4, $5, $6, $7, $8, $9)"
            ),
            redeem_many: format!(
                "SELECT o_outcome, o_uses, o_joined_at \
                 FROM {p}redeem_many($1, $2, $3, $4, $5, $6, $7, $8, $9) ORDER BY o_n"
            ),
            check: format!("SELECT {p}check($1, $2, $3, $4, $5) AS outcome"),
            touch: format!("SELECT uses FROM {p}touch($1, $2, $3)"),
            // A new row: kept until the given time, or forever.
            revoke_new: format!(
                "INSERT INTO {p}invitations (id, forget_at, revoked_at) VALUES ($1, $3, $2) \
                 ON CONFLICT (id) DO NOTHING"
            ),
            // An existing row, locked first: was it revoked already?
            revoked_for_update: format!(
                "SELECT revoked_at IS NOT NULL AS revoked FROM {p}invitations WHERE id = $1 \
                 FOR UPDATE"
            ),
            // Then revoked (the first time only), kept at least until $3.
            revoke_existing: format!(
                "UPDATE {p}invitations AS t SET \
                   revoked_at = COALESCE(t.revoked_at, $2), \
                   forget_at = CASE WHEN t.forget_at IS NULL OR $3::BIGINT IS NULL \
                                    THEN t.forget_at ELSE GREATEST(t.forget_at, $3) END \
                 WHERE t.id = $1"
            ),
            drop_expired: format!(
                "DELETE FROM {p}invitations WHERE id = $1 \
                 AND COALESCE(forget_at, 9223372036854775807) <= $2"
            ),
            purge: [
                purge(
                    "invitations",
                    "id",
                    "forget_at IS NOT NULL AND forget_at <= $1",
                ),
                purge("codes", "code", "forget_at IS NOT NULL AND forget_at <= $1"),
                purge("attempts", "ctid", "ends_at <= $1"),
                purge("events", "seq", "forget_at IS NOT NULL AND forget_at <= $1"),
            ],
        }
    }

    async fn redeem(
        conn: &mut PgConnection,
        q: &Queries<PgQueries>,
        a: &RedeemRow,
    ) -> Sql<(i32, i32, i64)> {
        let call = stmt(&q.own.redeem)
            .bind(a.id)
            .bind(a.joiner.as_str())
            .bind(a.now)
            .bind(a.until)
            .bind(a.max)
            .bind(a.issued_s)
            .bind(a.inviter.as_deref())
            .bind(a.actor.as_deref())
            .bind(a.keep_ms);
        let r = Postgres::one(conn, call).await?;
        Ok((
            need(Postgres::small(&r, "o_outcome")?)?,
            need(Postgres::small(&r, "o_uses")?)?,
            need(Postgres::int(&r, "o_joined_at")?)?,
        ))
    }

    /// One statement for the whole batch: arrays of each argument, the function looping over
    /// them in order (bound through sqlx directly: `Stmt` has no array arguments).
    async fn redeem_many(
        conn: &mut PgConnection,
        q: &Queries<PgQueries>,
        rows: &[&RedeemRow],
    ) -> Sql<Vec<(i32, i32, i64)>> {
        let ids: Vec<Vec<u8>> = rows.iter().map(|r| r.id.to_bytes().to_vec()).collect();
        let joiners: Vec<&str> = rows.iter().map(|r| r.joiner.as_str()).collect();
        let now: Vec<i64> = rows.iter().map(|r| r.now).collect();
        let until: Vec<Option<i64>> = rows.iter().map(|r| r.until).collect();
        let max: Vec<Option<i32>> = rows.iter().map(|r| r.max).collect();
        let issued: Vec<i64> = rows.iter().map(|r| r.issued_s).collect();
        let inviters: Vec<Option<&str>> = rows.iter().map(|r| r.inviter.as_deref()).collect();
        let actors: Vec<Option<&str>> = rows.iter().map(|r| r.actor.as_deref()).collect();
        let keep: Vec<i64> = rows.iter().map(|r| r.keep_ms).collect();
        let found = sqlx::query(&q.own.redeem_many)
            .bind(ids)
            .bind(joiners)
            .bind(now)
            .bind(until)
            .bind(max)
            .bind(issued)
            .bind(inviters)
            .bind(actors)
            .bind(keep)
            .fetch_all(&mut *conn)
            .await?;
        let mut outcomes = Vec::with_capacity(found.len());
        for r in &found {
            outcomes.push((
                need(Postgres::small(r, "o_outcome")?)?,
                need(Postgres::small(r, "o_uses")?)?,
                need(Postgres::int(r, "o_joined_at")?)?,
            ));
        }
        if outcomes.len() != rows.len() {
            return Err(sqlx::Error::Protocol(
                "redeem_many returned another number of rows than it was given".into(),
            ));
        }
        Ok(outcomes)
    }

    async fn check(conn: &mut PgConnection, q: &Queries<PgQueries>, c: &RedeemRow) -> Sql<i32> {
        let call = stmt(&q.own.check)
            .bind(c.id)
            .bind(c.now)
            .bind(c.max)
            .bind(c.issued_s)
            .bind(c.inviter.as_deref());
        need(Postgres::small(
            &Postgres::one(conn, call).await?,
            "outcome",
        )?)
    }

    async fn touch(
        conn: &mut PgConnection,
        q: &Queries<PgQueries>,
        id: InvitationId,
        now: i64,
        until: Option<i64>,
    ) -> Sql<()> {
        Postgres::run(conn, stmt(&q.own.touch).bind(id).bind(now).bind(until)).await?;
        Ok(())
    }

    async fn revoke(
        conn: &mut PgConnection,
        q: &Queries<PgQueries>,
        id: InvitationId,
        now: i64,
        forget: Option<i64>,
    ) -> Sql<bool> {
        let own = &q.own;
        Postgres::run(conn, stmt(&own.drop_expired).bind(id).bind(now)).await?;
        let new = stmt(&own.revoke_new).bind(id).bind(now).bind(forget);
        if Postgres::run(conn, new).await? > 0 {
            return Ok(true);
        }
        let row = Postgres::one(conn, stmt(&own.revoked_for_update).bind(id)).await?;
        let already = Postgres::flag(&row, "revoked")?;
        let existing = stmt(&own.revoke_existing).bind(id).bind(now).bind(forget);
        Postgres::run(conn, existing).await?;
        Ok(!already)
    }

    /// The transactions that had started when the read began: once every one of them has
    /// ended, each event below it is committed or rolled back for good. A read waits for them
    /// (they take milliseconds) so that it sees what was written before it, up to a quarter
    /// of a second; past that (a long transaction holds it back) it shows what is final.
    /// A page filtered by kind, time or expiry looks to the planner as if it matched almost
    /// nothing (it cannot estimate `(mask >> kind) & 1`), so it would fetch every event after
    /// the cursor and sort them: each page costs the whole rest of the log, and reading a log
    /// of 100,000 becomes quadratic. For this read transaction only, the planner is left the
    /// one plan that fits a page: the `(xid, seq)` index in order, stopping at the limit.
    async fn before_event_page(conn: &mut PgConnection) -> Sql<()> {
        let walk = "SELECT set_config('enable_bitmapscan', 'off', true) AS a, \
                    set_config('enable_seqscan', 'off', true) AS b, \
                    set_config('enable_sort', 'off', true) AS c";
        Postgres::one(conn, stmt(walk)).await.map(drop)
    }

    async fn event_horizon(conn: &mut PgConnection) -> Sql<i64> {
        let snapshot = "SELECT pg_snapshot_xmin(s)::TEXT::BIGINT AS xmin, \
                        pg_snapshot_xmax(s)::TEXT::BIGINT AS xmax FROM pg_current_snapshot() s";
        let read = async |conn: &mut PgConnection| {
            let row = Postgres::one(conn, stmt(snapshot)).await?;
            Ok::<_, sqlx::Error>((
                need(Postgres::int(&row, "xmin")?)?,
                need(Postgres::int(&row, "xmax")?)?,
            ))
        };
        let (mut xmin, target) = read(conn).await?;
        let mut wait = Settle::new();
        while wait.pending(xmin, target).await {
            xmin = read(conn).await?.0;
        }
        Ok(xmin.min(target))
    }

    async fn has_table(conn: &mut PgConnection, name: &str) -> Sql<bool> {
        let exists = stmt("SELECT to_regclass($1) IS NOT NULL AS found").bind(name);
        Postgres::flag(&Postgres::one(conn, exists).await?, "found")
    }

    async fn lock_migration(conn: &mut PgConnection) -> Sql<()> {
        let lock = stmt("SELECT pg_advisory_xact_lock(hashtext('admit.migrate'))");
        Postgres::run(conn, lock).await.map(drop)
    }

    async fn persistence(conn: &mut PgConnection) -> Sql<HealthCheck> {
        let setting = |row: &PgRow, name| Postgres::text(row, name).and_then(need);
        let read = "SELECT current_setting('fsync') AS fsync, \
                    current_setting('synchronous_commit') AS commit";
        let row = Postgres::one(conn, stmt(read)).await?;
        let (fsync, commit) = (setting(&row, "fsync")?, setting(&row, "commit")?);
        let durable = fsync == "on" && commit != "off";
        Ok(HealthCheck::new(
            "persistence",
            None,
            format!("fsync={fsync}, synchronous_commit={commit}"),
            if durable {
                Verdict::Ok
            } else {
                Verdict::Unsafe
            },
            if durable {
                "an acknowledged redemption or revocation survives a crash"
            } else {
                "a crash can lose acknowledged revocations and redemptions: turn fsync on and \
                 synchronous_commit at least to local"
            },
        ))
    }

    async fn purge(
        conn: &mut PgConnection,
        q: &Queries<PgQueries>,
        now: i64,
        batch: i64,
    ) -> Sql<u64> {
        let mut deleted = 0;
        for sql in &q.own.purge {
            deleted += Postgres::run(conn, stmt(sql).bind(now).bind(batch)).await?;
        }
        Ok(deleted)
    }

    fn connect_problem(pool: &Pool<Postgres>, e: &sqlx::Error) -> Option<ConnectProblem> {
        problem_at(&pool.connect_options(), e)
    }

    fn unavailable(what: &str, e: &sqlx::Error) -> Error {
        match e {
            sqlx::Error::PoolTimedOut => Error::StoreUnavailable {
                reason: "every connection of the pool is busy (the server accepts new ones)".into(),
            },
            // undefined_table, undefined_function: the schema is not there.
            sqlx::Error::Database(db)
                if matches!(db.code().as_deref(), Some("42P01" | "42883")) =>
            {
                Error::StoreNotInitialized
            }
            // undefined_column: tables of an older schema, not migrated.
            sqlx::Error::Database(db) if db.code().as_deref() == Some("42703") => {
                Error::StoreMisconfigured {
                    setting: "schema",
                    found: "an older schema than this library's".into(),
                    fix: "run migrate() (or admit store init) once to upgrade it",
                }
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
}

/// The connection problem behind `e` on the way to the server `options` name: the server's
/// refusals by their SQLSTATE (28P01 and 28000: authentication; 3D000: no such database),
/// then network and TLS failures.
fn problem_at(options: &PgConnectOptions, e: &sqlx::Error) -> Option<ConnectProblem> {
    const SERVER: &str = "PostgreSQL";
    if let sqlx::Error::Database(db) = e {
        return match db.code().as_deref() {
            Some("28P01" | "28000") => Some(ConnectProblem::AuthenticationFailed {
                server: SERVER,
                user: options.get_username().to_owned(),
            }),
            Some("3D000") => Some(ConnectProblem::NoSuchDatabase {
                server: SERVER,
                name: options
                    .get_database()
                    .unwrap_or(options.get_username())
                    .to_owned(),
            }),
            _ => None,
        };
    }
    let target = Target {
        server: SERVER,
        host: options.get_host(),
        port: options.get_port(),
    };
    network_problem(e, &target)
}
