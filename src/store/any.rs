//! One store named by a URL, chosen at run time: what a CLI flag or a configuration file holds.

use core::fmt;
use std::time::Duration as StdDuration;

use time::OffsetDateTime;

use super::{
    CodeSpec, Cutoff, Health, IssuedInvitation, ListFilter, MemoryStore, RateLimit, Redemption,
    RevocationRule, Status, Store, Visit,
};
use crate::error::Error;
use crate::invitation::{Invitation, InvitationId};

#[cfg(feature = "postgres")]
use super::PgStore;
#[cfg(feature = "sqlite")]
use super::SqliteStore;
#[cfg(feature = "redis")]
use super::{Init, RedisStore};

/// Any of the stores this build has, behind one [`Store`]: open it with
/// [`AnyStore::connect`] and a URL.
///
/// | URL | store | feature |
/// |---|---|---|
/// | `memory:` | [`MemoryStore`] (lost on exit) | — |
/// | `redis://…`, `rediss://…` | [`RedisStore`] | `redis` |
/// | `redis+cluster://host:port,host:port/` (`rediss+cluster://` with TLS) | [`RedisStore`] on Redis Cluster | `cluster` |
/// | `postgres://…`, `postgresql://…` | [`PgStore`] | `postgres` |
/// | `sqlite://PATH`, `sqlite:PATH` | [`SqliteStore`] | `sqlite` |
///
/// A URL for a store this build lacks is refused with [`Error::InvalidArgument`] naming the
/// feature. The variants give the backend's own API ([`PgStore::redeem_in`], [`migrate`](PgStore::migrate), …).
///
/// # Examples
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// use admit::store::{AnyStore, Store};
///
/// let url = std::env::var("ADMIT_STORE_URL").unwrap_or_else(|_| "memory:".into());
/// let store = AnyStore::builder().create_if_missing().connect(&url).await?;
/// assert_eq!(store.health().await?.backend, store.backend());
/// # Ok::<(), admit::Error>(()) }).unwrap();
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum AnyStore {
    /// `memory:`.
    Memory(MemoryStore),
    /// `redis://`, `rediss://`, `redis+cluster://`.
    #[cfg(feature = "redis")]
    Redis(RedisStore),
    /// `postgres://`.
    #[cfg(feature = "postgres")]
    Postgres(PgStore),
    /// `sqlite://PATH`.
    #[cfg(feature = "sqlite")]
    Sqlite(SqliteStore),
}

/// What to do about a store whose state is not set up yet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Setup {
    Require,
    CreateIfMissing,
    RecoverFromDataLoss(OffsetDateTime),
}

/// Settings of an [`AnyStore`]; see [`AnyStore::builder`].
#[derive(Clone, Debug)]
pub struct AnyStoreBuilder {
    prefix: Option<String>,
    deadline: Option<StdDuration>,
    recheck: Option<Option<StdDuration>>,
    setup: Setup,
}

/// Which kind of store a URL names.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Target {
    Memory,
    Redis(String),
    Cluster(Vec<String>),
    Postgres(String),
    Sqlite(String),
}

const UNKNOWN: &str = "not a store URL: use memory:, redis://, rediss://, redis+cluster://, \
                       postgres:// or sqlite://PATH";

fn target(url: &str) -> Result<Target, Error> {
    let bad = |reason| Error::InvalidArgument {
        name: "url",
        reason,
    };
    let (scheme, rest) = url.split_once(':').ok_or(bad(UNKNOWN))?;
    match scheme.to_ascii_lowercase().as_str() {
        "memory" if rest.is_empty() || rest == "//" => Ok(Target::Memory),
        "redis" | "rediss" | "redis+unix" | "unix" => Ok(Target::Redis(url.to_owned())),
        "redis+cluster" | "rediss+cluster" => {
            let tls = scheme.starts_with("rediss");
            let rest = rest.strip_prefix("//").ok_or(bad(UNKNOWN))?;
            let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
            let (userinfo, hosts) = match authority.rsplit_once('@') {
                Some((user, hosts)) => (format!("{user}@"), hosts),
                None => (String::new(), authority),
            };
            let nodes: Vec<String> = hosts
                .split(',')
                .filter(|h| !h.is_empty())
                .map(|h| {
                    let scheme = if tls { "rediss" } else { "redis" };
                    format!("{scheme}://{userinfo}{h}/{path}")
                })
                .collect();
            if nodes.is_empty() {
                return Err(bad("redis+cluster:// needs at least one host:port"));
            }
            Ok(Target::Cluster(nodes))
        }
        "postgres" | "postgresql" => Ok(Target::Postgres(url.to_owned())),
        "sqlite" => Ok(Target::Sqlite(url.to_owned())),
        _ => Err(bad(UNKNOWN)),
    }
}

#[cfg(not(feature = "redis"))]
const NO_REDIS: &str = "this build has no Redis store: enable the crate feature `redis`";
#[cfg(not(feature = "cluster"))]
const NO_CLUSTER: &str =
    "this build has no Redis Cluster store: enable the crate feature `cluster`";
#[cfg(not(feature = "postgres"))]
const NO_POSTGRES: &str = "this build has no PostgreSQL store: enable the crate feature `postgres`";
#[cfg(not(feature = "sqlite"))]
const NO_SQLITE: &str = "this build has no SQLite store: enable the crate feature `sqlite`";

impl AnyStoreBuilder {
    /// The key prefix (Redis) or table prefix (PostgreSQL, SQLite); each store's default
    /// otherwise (`admit:`, `admit_`).
    pub fn prefix(mut self, prefix: impl Into<String>) -> AnyStoreBuilder {
        self.prefix = Some(prefix.into());
        self
    }

    /// How long one call may take; each store's default otherwise (2 s).
    pub fn deadline(mut self, deadline: StdDuration) -> AnyStoreBuilder {
        self.deadline = Some(deadline);
        self
    }

    /// Redis only: how often the store re-checks the server's settings in the background
    /// (`None`: never, as a command that exits at once wants).
    pub fn recheck(mut self, every: Option<StdDuration>) -> AnyStoreBuilder {
        self.recheck = Some(every);
        self
    }

    /// Sets a new store up instead of refusing it: on Redis, writes the initialization
    /// marker when it is missing ([`Init::CreateIfMissing`]); on PostgreSQL, runs `migrate()`;
    /// on SQLite, creates the file if it is missing and runs `migrate()`. Without it, a store
    /// that was never set up fails every call with [`Error::StoreNotInitialized`].
    ///
    /// A store that lost its data looks like a new one, so do this once, deliberately (at
    /// first deployment, or with `admit store init`), not at every start-up.
    pub fn create_if_missing(mut self) -> AnyStoreBuilder {
        self.setup = Setup::CreateIfMissing;
        self
    }

    /// After data loss: sets the store up as [`create_if_missing`] does and, in the same
    /// step, revokes every invitation issued before `revoke_issued_before`, so nothing the
    /// lost state used to refuse works again (on Redis, [`Init::RecoverFromDataLoss`]).
    ///
    /// [`create_if_missing`]: AnyStoreBuilder::create_if_missing
    pub fn recover_from_data_loss(
        mut self,
        revoke_issued_before: OffsetDateTime,
    ) -> AnyStoreBuilder {
        self.setup = Setup::RecoverFromDataLoss(revoke_issued_before);
        self
    }

    /// Opens the store `url` names.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] for a URL this build cannot open; the errors of the
    /// store's own `connect`, and of `migrate` or the recovery rule when asked for.
    pub async fn connect(self, url: &str) -> Result<AnyStore, Error> {
        let store = match target(url)? {
            Target::Memory => AnyStore::Memory(MemoryStore::new()),
            #[cfg(feature = "redis")]
            Target::Redis(url) => AnyStore::Redis(self.redis().connect(&url).await?),
            #[cfg(feature = "cluster")]
            Target::Cluster(nodes) => AnyStore::Redis(self.redis().connect_cluster(&nodes).await?),
            #[cfg(feature = "postgres")]
            Target::Postgres(url) => AnyStore::Postgres(self.postgres().connect(&url).await?),
            #[cfg(feature = "sqlite")]
            Target::Sqlite(url) => AnyStore::Sqlite(self.sqlite().connect(&url).await?),
            #[allow(unreachable_patterns)]
            other => return Err(missing(&other)),
        };
        store.set_up(self.setup).await?;
        Ok(store)
    }

    /// The health of the store `url` names, read without refusing anything (on Redis, an
    /// evicting policy or a missing marker shows in the report instead of failing).
    ///
    /// # Errors
    ///
    /// As [`connect`](AnyStoreBuilder::connect), for a store that cannot be reached.
    pub async fn health(self, url: &str) -> Result<Health, Error> {
        match target(url)? {
            #[cfg(feature = "redis")]
            Target::Redis(url) => self.redis().health(&url).await,
            #[cfg(feature = "cluster")]
            Target::Cluster(nodes) => self.redis().health_cluster(&nodes).await,
            _ => {
                let setup = Setup::Require;
                AnyStoreBuilder { setup, ..self }
                    .connect(url)
                    .await?
                    .health()
                    .await
            }
        }
    }

    #[cfg(feature = "redis")]
    fn redis(&self) -> super::RedisStoreBuilder {
        let mut b = RedisStore::builder().init(match self.setup {
            Setup::Require => Init::Require,
            Setup::CreateIfMissing => Init::CreateIfMissing,
            Setup::RecoverFromDataLoss(t) => Init::RecoverFromDataLoss {
                revoke_issued_before: t,
            },
        });
        if let Some(p) = &self.prefix {
            b = b.prefix(p.clone());
        }
        if let Some(d) = self.deadline {
            b = b.deadline(d);
        }
        if let Some(r) = self.recheck {
            b = b.recheck(r);
        }
        b
    }

    #[cfg(feature = "postgres")]
    fn postgres(&self) -> super::PgStoreBuilder {
        let mut b = PgStore::builder();
        if let Some(p) = &self.prefix {
            b = b.prefix(p);
        }
        if let Some(d) = self.deadline {
            b = b.deadline(d);
        }
        b
    }

    #[cfg(feature = "sqlite")]
    fn sqlite(&self) -> super::SqliteStoreBuilder {
        let mut b = SqliteStore::builder();
        if self.setup != Setup::Require {
            b = b.create_if_missing();
        }
        if let Some(p) = &self.prefix {
            b = b.prefix(p);
        }
        if let Some(d) = self.deadline {
            b = b.deadline(d);
        }
        b
    }
}

/// The error for a URL whose store this build lacks.
#[allow(unused_variables)]
fn missing(target: &Target) -> Error {
    let reason = match target {
        #[cfg(not(feature = "redis"))]
        Target::Redis(_) => NO_REDIS,
        #[cfg(not(feature = "cluster"))]
        Target::Cluster(_) => NO_CLUSTER,
        #[cfg(not(feature = "postgres"))]
        Target::Postgres(_) => NO_POSTGRES,
        #[cfg(not(feature = "sqlite"))]
        Target::Sqlite(_) => NO_SQLITE,
        #[allow(unreachable_patterns)]
        _ => UNKNOWN,
    };
    Error::InvalidArgument {
        name: "url",
        reason,
    }
}

impl AnyStore {
    /// Configures a store: prefix, deadline, and whether to set up a new one.
    pub fn builder() -> AnyStoreBuilder {
        AnyStoreBuilder {
            prefix: None,
            deadline: None,
            recheck: None,
            setup: Setup::Require,
        }
    }

    /// Opens the store `url` names, with each store's default settings; a store that was
    /// never set up fails its calls (see [`AnyStoreBuilder::create_if_missing`]).
    ///
    /// # Errors
    ///
    /// As [`AnyStoreBuilder::connect`].
    pub async fn connect(url: &str) -> Result<AnyStore, Error> {
        AnyStore::builder().connect(url).await
    }

    /// The backend's name, as [`Health::backend`] gives it: `memory`, `redis`,
    /// `redis-cluster`, `postgres` or `sqlite`.
    pub fn backend(&self) -> &'static str {
        match self {
            AnyStore::Memory(_) => "memory",
            #[cfg(feature = "redis")]
            AnyStore::Redis(s) if s.is_cluster() => "redis-cluster",
            #[cfg(feature = "redis")]
            AnyStore::Redis(_) => "redis",
            #[cfg(feature = "postgres")]
            AnyStore::Postgres(_) => "postgres",
            #[cfg(feature = "sqlite")]
            AnyStore::Sqlite(_) => "sqlite",
        }
    }

    /// Whether the store keeps its state when the process exits (every store but `memory:`).
    pub fn is_durable(&self) -> bool {
        !matches!(self, AnyStore::Memory(_))
    }

    async fn set_up(&self, setup: Setup) -> Result<(), Error> {
        match self {
            // Redis did it while connecting (its `Init`).
            #[cfg(feature = "redis")]
            AnyStore::Redis(_) => return Ok(()),
            #[cfg(feature = "postgres")]
            AnyStore::Postgres(s) if setup != Setup::Require => s.migrate().await?,
            #[cfg(feature = "sqlite")]
            AnyStore::Sqlite(s) if setup != Setup::Require => s.migrate().await?,
            _ => {}
        }
        if let Setup::RecoverFromDataLoss(before) = setup {
            self.revoke_issued_before(Cutoff::new(before), None).await?;
        }
        Ok(())
    }
}

impl fmt::Display for AnyStore {
    /// The backend's name: never the URL, which may hold a password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.backend())
    }
}

/// `each!(self, s => expr)`: `expr` on whichever store `self` holds.
macro_rules! each {
    ($self:expr, $s:ident => $e:expr) => {
        match $self {
            AnyStore::Memory($s) => $e,
            #[cfg(feature = "redis")]
            AnyStore::Redis($s) => $e,
            #[cfg(feature = "postgres")]
            AnyStore::Postgres($s) => $e,
            #[cfg(feature = "sqlite")]
            AnyStore::Sqlite($s) => $e,
        }
    };
}

impl Store for AnyStore {
    async fn redeem(&self, invitation: &Invitation, joiner: &str) -> Result<Redemption, Error> {
        each!(self, s => s.redeem(invitation, joiner).await)
    }

    async fn check(&self, invitation: &Invitation) -> Result<(), Error> {
        each!(self, s => s.check(invitation).await)
    }

    async fn is_revoked(&self, id: InvitationId) -> Result<bool, Error> {
        each!(self, s => s.is_revoked(id).await)
    }

    async fn revoke(
        &self,
        id: InvitationId,
        expires_at: Option<OffsetDateTime>,
    ) -> Result<bool, Error> {
        each!(self, s => s.revoke(id, expires_at).await)
    }

    async fn revoke_issued_before(
        &self,
        before: impl Into<Cutoff> + Send,
        inviter: Option<&str>,
    ) -> Result<RevocationRule, Error> {
        let before: Cutoff = before.into();
        each!(self, s => s.revoke_issued_before(before, inviter).await)
    }

    async fn revocation_rules(&self) -> Result<Vec<RevocationRule>, Error> {
        each!(self, s => s.revocation_rules().await)
    }

    async fn health(&self) -> Result<Health, Error> {
        each!(self, s => s.health().await)
    }

    async fn status(&self, id: InvitationId) -> Result<Status, Error> {
        each!(self, s => s.status(id).await)
    }

    async fn record_issued(
        &self,
        invitation: &Invitation,
        description: Option<&str>,
    ) -> Result<(), Error> {
        each!(self, s => s.record_issued(invitation, description).await)
    }

    async fn list(&self, filter: &ListFilter) -> Result<Vec<IssuedInvitation>, Error> {
        each!(self, s => s.list(filter).await)
    }

    async fn record_visit(&self, invitation: &Invitation, metadata: &str) -> Result<(), Error> {
        each!(self, s => s.record_visit(invitation, metadata).await)
    }

    async fn visits(&self, id: InvitationId) -> Result<Vec<Visit>, Error> {
        each!(self, s => s.visits(id).await)
    }

    async fn create_code(&self, token: &str, spec: &CodeSpec) -> Result<String, Error> {
        each!(self, s => s.create_code(token, spec).await)
    }

    async fn resolve_code(&self, code: &str) -> Result<String, Error> {
        each!(self, s => s.resolve_code(code).await)
    }

    async fn count_attempt(&self, client: &str, limit: &RateLimit) -> Result<u32, Error> {
        each!(self, s => s.count_attempt(client, limit).await)
    }
}

#[cfg(test)]
mod tests {
    use super::{Target, target};

    #[test]
    fn urls_name_their_store() {
        assert_eq!(target("memory:").unwrap(), Target::Memory);
        assert_eq!(
            target("redis://127.0.0.1:6379/0").unwrap(),
            Target::Redis("redis://127.0.0.1:6379/0".into())
        );
        assert_eq!(
            target("redis+cluster://:pw@a:7000,b:7001/").unwrap(),
            Target::Cluster(vec![
                "redis://:pw@a:7000/".into(),
                "redis://:pw@b:7001/".into()
            ])
        );
        assert_eq!(
            target("rediss+cluster://a:7000").unwrap(),
            Target::Cluster(vec!["rediss://a:7000/".into()])
        );
        assert_eq!(
            target("postgresql://u@h/db").unwrap(),
            Target::Postgres("postgresql://u@h/db".into())
        );
        assert_eq!(
            target("sqlite:///tmp/a.db").unwrap(),
            Target::Sqlite("sqlite:///tmp/a.db".into())
        );
        for bad in [
            "",
            "memory:x",
            "mysql://h/db",
            "/tmp/a.db",
            "redis+cluster://",
            "http://x",
        ] {
            assert!(target(bad).is_err(), "{bad}");
        }
    }
}
