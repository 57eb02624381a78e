//! The store on Redis (single node or Redis Cluster).

use std::time::Duration as StdDuration;

use redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig};
use redis::{Cmd, RedisError, RedisFuture, Script, Value};
use time::{Duration, OffsetDateTime};

use super::code::check_client;
use super::{
    CodeSpec, DEFAULT_MARGIN, DEFAULT_VISIT_CAP, IssuedInvitation, Joiner, ListFilter, RateLimit,
    Redemption, Status, Store, Visit, check_inviter, check_joiner, check_note, code_forget_at,
    forget_at, lookup_code, new_code, refuse_if_forgotten, unix_ms,
};
use crate::error::Error;
use crate::invitation::{Invitation, InvitationId};

/// The deadline of every store call, unless configured otherwise.
pub const DEFAULT_DEADLINE: StdDuration = StdDuration::from_secs(2);
/// The key prefix, unless configured otherwise.
pub const DEFAULT_PREFIX: &str = "admit:";

/// A [`Store`] on Redis, shared by every process and machine that connects to it.
///
/// Every operation on one invitation is a single Lua script (`EVALSHA`, loaded at connect and
/// reloaded when Redis answers `NOSCRIPT`), so it is atomic and costs one round trip. Every call
/// has an overall deadline (2 s by default): a slow or unreachable Redis gives
/// [`Error::StoreTimeout`] or [`Error::StoreUnavailable`], never a hang and never "valid". The
/// connection reconnects by itself once Redis is back.
///
/// Durability is Redis's: with `appendonly yes` and `appendfsync always`, an acknowledged
/// redemption survives a crash; with `everysec`, up to a second of them may not. Replication to
/// Cluster replicas is asynchronous, so a failover can lose recent acknowledged writes.
///
/// The keys it writes are described below.
///
/// # Examples
///
/// ```no_run
/// # async fn demo() -> Result<(), admit::Error> {
/// use admit::store::{RedisStore, Store};
///
/// let store = RedisStore::builder()
///     .prefix("myapp:invites:")
///     .deadline(std::time::Duration::from_millis(500))
///     .connect("redis://127.0.0.1:6379/")
///     .await?;
/// # let _ = store;
/// # Ok(())
/// # }
/// ```
///
#[doc = include_str!("../../docs/redis-keys.md")]
#[derive(Clone)]
pub struct RedisStore {
    conn: Conn,
    keys: Keys,
    scripts: &'static Scripts,
    deadline: StdDuration,
    margin: Duration,
    visit_cap: usize,
}

/// Settings of a [`RedisStore`]; see [`RedisStore::builder`].
#[derive(Clone, Debug)]
pub struct RedisStoreBuilder {
    prefix: String,
    deadline: StdDuration,
    margin: Duration,
    visit_cap: usize,
}

#[derive(Clone)]
enum Conn {
    Single(ConnectionManager),
    #[cfg(feature = "cluster")]
    Cluster(redis::cluster_async::ClusterConnection),
}

impl ConnectionLike for Conn {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Conn::Single(c) => c.req_packed_command(cmd),
            #[cfg(feature = "cluster")]
            Conn::Cluster(c) => c.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a redis::Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Conn::Single(c) => c.req_packed_commands(pipeline, offset, count),
            #[cfg(feature = "cluster")]
            Conn::Cluster(c) => c.req_packed_commands(pipeline, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Conn::Single(c) => c.get_db(),
            #[cfg(feature = "cluster")]
            Conn::Cluster(c) => c.get_db(),
        }
    }
}

struct Scripts {
    redeem: Script,
    check: Script,
    revoke: Script,
    raise_rule: Script,
    record_issued: Script,
    index_add: Script,
    visit: Script,
    attempt: Script,
}

impl Scripts {
    fn get() -> &'static Scripts {
        static SCRIPTS: std::sync::OnceLock<Scripts> = std::sync::OnceLock::new();
        SCRIPTS.get_or_init(|| Scripts {
            redeem: Script::new(include_str!("lua/redeem.lua")),
            check: Script::new(include_str!("lua/check.lua")),
            revoke: Script::new(include_str!("lua/revoke.lua")),
            raise_rule: Script::new(include_str!("lua/raise_rule.lua")),
            record_issued: Script::new(include_str!("lua/record_issued.lua")),
            index_add: Script::new(include_str!("lua/index_add.lua")),
            visit: Script::new(include_str!("lua/visit.lua")),
            attempt: Script::new(include_str!("lua/attempt.lua")),
        })
    }

    fn all(&self) -> [&Script; 8] {
        [
            &self.attempt,
            &self.redeem,
            &self.check,
            &self.revoke,
            &self.raise_rule,
            &self.record_issued,
            &self.index_add,
            &self.visit,
        ]
    }
}

/// Key names.
#[derive(Clone, Debug)]
struct Keys {
    prefix: String,
    cluster: bool,
}

impl Keys {
    fn state(&self, id: InvitationId) -> String {
        format!("{}{{{id}}}:s", self.prefix)
    }

    fn joiners(&self, id: InvitationId) -> String {
        format!("{}{{{id}}}:j", self.prefix)
    }

    fn visits(&self, id: InvitationId) -> String {
        format!("{}{{{id}}}:v", self.prefix)
    }

    /// The rules key an invitation's scripts read: in its own slot on Cluster.
    fn rules_for(&self, id: InvitationId) -> String {
        #[cfg(feature = "cluster")]
        if self.cluster {
            let slot = super::slot::slot_of_tag(&id.to_string());
            return self.rules_in_slot(slot);
        }
        let _ = id;
        format!("{}rules", self.prefix)
    }

    #[cfg(feature = "cluster")]
    fn rules_in_slot(&self, slot: usize) -> String {
        format!(
            "{}{{{}}}:rules",
            self.prefix,
            super::slot::tag_for_slot(slot)
        )
    }

    /// Every copy of the rules: one key, or one per slot on Cluster.
    fn all_rules(&self) -> Vec<String> {
        #[cfg(feature = "cluster")]
        if self.cluster {
            return (0..super::slot::SLOTS)
                .map(|slot| self.rules_in_slot(slot))
                .collect();
        }
        vec![format!("{}rules", self.prefix)]
    }

    fn code(&self, canonical: &str) -> String {
        format!("{}code:{{{canonical}}}", self.prefix)
    }

    fn attempts(&self, client: &str, window_ms: i64, window: i64) -> String {
        format!("{}attempts:{{{client}}}:{window_ms}:{window}", self.prefix)
    }

    fn index(&self, inviter: Option<&str>) -> String {
        match inviter {
            None => format!("{}issued", self.prefix),
            Some(inviter) => format!("{}issued:i:{inviter}", self.prefix),
        }
    }
}

impl Default for RedisStoreBuilder {
    fn default() -> RedisStoreBuilder {
        RedisStoreBuilder {
            prefix: DEFAULT_PREFIX.to_owned(),
            deadline: DEFAULT_DEADLINE,
            margin: DEFAULT_MARGIN,
            visit_cap: DEFAULT_VISIT_CAP,
        }
    }
}

impl RedisStoreBuilder {
    /// Prefix of every key (default `admit:`), so several applications can share one Redis.
    /// At most 64 bytes, without `{`, `}` or whitespace.
    pub fn prefix(mut self, prefix: impl Into<String>) -> RedisStoreBuilder {
        self.prefix = prefix.into();
        self
    }

    /// The overall deadline of every call, connecting included (default 2 s).
    pub fn deadline(mut self, deadline: StdDuration) -> RedisStoreBuilder {
        self.deadline = deadline;
        self
    }

    /// How long state is kept after an invitation expires (default 1 hour). Keep it at least
    /// as long as the verifier's leeway.
    pub fn margin(mut self, margin: Duration) -> RedisStoreBuilder {
        self.margin = margin;
        self
    }

    /// How many visits are kept per invitation (default 100).
    pub fn visit_cap(mut self, cap: usize) -> RedisStoreBuilder {
        self.visit_cap = cap;
        self
    }

    /// Connects to one Redis server (`redis://[user:password@]host[:port][/db]`).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] for a bad URL or setting; [`Error::StoreUnavailable`] or
    /// [`Error::StoreTimeout`] if Redis cannot be reached within the deadline.
    pub async fn connect(self, url: &str) -> Result<RedisStore, Error> {
        self.validate()?;
        let client = redis::Client::open(url).map_err(|_| Error::InvalidArgument {
            name: "url",
            reason: "not a valid Redis URL",
        })?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(self.deadline))
            .set_response_timeout(Some(self.deadline))
            .set_number_of_retries(2)
            .set_max_delay(StdDuration::from_millis(500));
        let deadline = self.deadline;
        let conn = within(deadline, async {
            ConnectionManager::new_with_config(client, config)
                .await
                .map_err(unavailable)
        })
        .await?;
        self.finish(Conn::Single(conn), false).await
    }

    /// Connects to a Redis Cluster through any of its nodes.
    ///
    /// # Errors
    ///
    /// As for [`RedisStoreBuilder::connect`].
    #[cfg(feature = "cluster")]
    pub async fn connect_cluster<S: AsRef<str>>(self, urls: &[S]) -> Result<RedisStore, Error> {
        self.validate()?;
        let mut infos = Vec::with_capacity(urls.len());
        for url in urls {
            infos.push(url.as_ref().to_owned());
        }
        if infos.is_empty() {
            return Err(Error::InvalidArgument {
                name: "urls",
                reason: "give at least one cluster node",
            });
        }
        let client = redis::cluster::ClusterClientBuilder::new(infos)
            .connection_timeout(self.deadline)
            .response_timeout(self.deadline)
            .retries(2)
            .build()
            .map_err(|_| Error::InvalidArgument {
                name: "urls",
                reason: "not valid Redis URLs",
            })?;
        let deadline = self.deadline;
        let conn = within(deadline, async {
            client.get_async_connection().await.map_err(unavailable)
        })
        .await?;
        self.finish(Conn::Cluster(conn), true).await
    }

    fn validate(&self) -> Result<(), Error> {
        let p = &self.prefix;
        if p.len() > 64 || p.contains(['{', '}']) || p.chars().any(char::is_whitespace) {
            return Err(Error::InvalidArgument {
                name: "prefix",
                reason: "must be at most 64 bytes without braces or whitespace",
            });
        }
        if self.deadline.is_zero() {
            return Err(Error::InvalidArgument {
                name: "deadline",
                reason: "must be more than zero",
            });
        }
        if self.visit_cap == 0 || self.visit_cap > 100_000 {
            return Err(Error::InvalidArgument {
                name: "visit_cap",
                reason: "must be between 1 and 100000",
            });
        }
        if self.margin.is_negative() {
            return Err(Error::InvalidArgument {
                name: "margin",
                reason: "must not be negative",
            });
        }
        Ok(())
    }

    async fn finish(self, conn: Conn, cluster: bool) -> Result<RedisStore, Error> {
        let store = RedisStore {
            conn,
            keys: Keys {
                prefix: self.prefix,
                cluster,
            },
            scripts: Scripts::get(),
            deadline: self.deadline,
            margin: self.margin,
            visit_cap: self.visit_cap,
        };
        // Load the scripts now (on every primary, for a cluster), so the first calls are
        // plain EVALSHAs; after a restart Redis answers NOSCRIPT and they are loaded again.
        store
            .run(async {
                let mut conn = store.conn.clone();
                for script in store.scripts.all() {
                    script
                        .prepare_invoke()
                        .load_async(&mut conn)
                        .await
                        .map_err(unavailable)?;
                }
                Ok(())
            })
            .await?;
        Ok(store)
    }
}

impl RedisStore {
    /// Connects to one Redis server with the default settings.
    ///
    /// # Errors
    ///
    /// As for [`RedisStoreBuilder::connect`].
    pub async fn connect(url: &str) -> Result<RedisStore, Error> {
        RedisStore::builder().connect(url).await
    }

    /// Connects to a Redis Cluster with the default settings.
    ///
    /// # Errors
    ///
    /// As for [`RedisStoreBuilder::connect`].
    #[cfg(feature = "cluster")]
    pub async fn connect_cluster<S: AsRef<str>>(urls: &[S]) -> Result<RedisStore, Error> {
        RedisStore::builder().connect_cluster(urls).await
    }

    /// Settings: key prefix, deadline, margin, visit cap.
    pub fn builder() -> RedisStoreBuilder {
        RedisStoreBuilder::default()
    }

    /// The key prefix.
    pub fn prefix(&self) -> &str {
        &self.keys.prefix
    }

    /// Whether this store talks to a Redis Cluster.
    pub fn is_cluster(&self) -> bool {
        self.keys.cluster
    }

    async fn run<T>(&self, work: impl Future<Output = Result<T, Error>>) -> Result<T, Error> {
        within(self.deadline, work).await
    }

    async fn invoke<T: redis::FromRedisValue>(
        &self,
        invocation: redis::ScriptInvocation<'_>,
    ) -> Result<T, Error> {
        let mut conn = self.conn.clone();
        self.run(async move {
            invocation
                .invoke_async(&mut conn)
                .await
                .map_err(unavailable)
        })
        .await
    }

    async fn query<T: redis::FromRedisValue>(&self, cmd: Cmd) -> Result<T, Error> {
        let mut conn = self.conn.clone();
        self.run(async move { cmd.query_async(&mut conn).await.map_err(unavailable) })
            .await
    }

    /// Runs commands that may live in different slots: one pipeline on a single node,
    /// concurrent requests on a cluster. Results come back in order.
    async fn each(&self, cmds: Vec<Cmd>) -> Result<Vec<Value>, Error> {
        if cmds.is_empty() {
            return Ok(Vec::new());
        }
        let conn = self.conn.clone();
        self.run(async move {
            match conn {
                Conn::Single(mut c) => {
                    let mut pipe = redis::pipe();
                    for cmd in cmds {
                        pipe.add_command(cmd);
                    }
                    pipe.query_async(&mut c).await.map_err(unavailable)
                }
                #[cfg(feature = "cluster")]
                Conn::Cluster(c) => {
                    let mut out = Vec::with_capacity(cmds.len());
                    for chunk in cmds.chunks(512) {
                        let mut tasks = tokio::task::JoinSet::new();
                        for (i, cmd) in chunk.iter().cloned().enumerate() {
                            let mut c = c.clone();
                            tasks.spawn(async move { (i, cmd.query_async::<Value>(&mut c).await) });
                        }
                        let mut results: Vec<Option<Value>> = vec![None; chunk.len()];
                        while let Some(joined) = tasks.join_next().await {
                            let (i, result) = joined.map_err(|_| Error::StoreUnavailable {
                                reason: "a cluster request task failed".into(),
                            })?;
                            if let Some(slot) = results.get_mut(i) {
                                *slot = Some(result.map_err(unavailable)?);
                            }
                        }
                        out.extend(results.into_iter().map(|v| v.unwrap_or(Value::Nil)));
                    }
                    Ok(out)
                }
            }
        })
        .await
    }
}

impl core::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RedisStore")
            .field("prefix", &self.keys.prefix)
            .field("cluster", &self.keys.cluster)
            .field("deadline", &self.deadline)
            .field("margin", &self.margin)
            .finish_non_exhaustive()
    }
}

async fn within<T>(
    deadline: StdDuration,
    work: impl Future<Output = Result<T, Error>>,
) -> Result<T, Error> {
    match tokio::time::timeout(deadline, work).await {
        // The client's own timeouts (set to the same deadline) report as ours.
        Ok(Err(Error::StoreTimeout { .. })) | Err(_) => {
            Err(Error::StoreTimeout { after: deadline })
        }
        Ok(result) => result,
    }
}

/// A Redis failure as a store error. Redis error texts carry no argument values, but they are
/// cut short anyway.
fn unavailable(e: RedisError) -> Error {
    if e.is_timeout() {
        // `within` fills in the deadline.
        return Error::StoreTimeout {
            after: StdDuration::ZERO,
        };
    }
    let mut reason = e.to_string();
    if reason.len() > 200 {
        let mut end = 200;
        while !reason.is_char_boundary(end) {
            end -= 1;
        }
        reason.truncate(end);
    }
    Error::StoreUnavailable { reason }
}

fn bad_reply() -> Error {
    Error::StoreUnavailable {
        reason: "unexpected reply from Redis".into(),
    }
}

fn from_unix_ms(ms: i64) -> Result<OffsetDateTime, Error> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).map_err(|_| bad_reply())
}

fn opt_ms(t: Option<OffsetDateTime>) -> String {
    t.map(|t| unix_ms(t).to_string()).unwrap_or_default()
}

fn parse<T: core::str::FromStr>(s: &str) -> Result<T, Error> {
    s.parse().map_err(|_| bad_reply())
}

/// Reads a `HGETALL` reply into (field, value) pairs.
fn pairs(value: Value) -> Result<Vec<(String, String)>, Error> {
    let map: Vec<(String, String)> = match value {
        Value::Nil => Vec::new(),
        v => redis::from_redis_value::<std::collections::HashMap<String, String>>(v)
            .map_err(|_| bad_reply())?
            .into_iter()
            .collect(),
    };
    Ok(map)
}

/// The state hash, parsed.
#[derive(Default)]
struct State {
    fields: std::collections::HashMap<String, String>,
}

impl State {
    fn new(pairs: Vec<(String, String)>) -> State {
        State {
            fields: pairs.into_iter().collect(),
        }
    }

    fn text(&self, name: &str) -> Option<&str> {
        self.fields
            .get(name)
            .map(String::as_str)
            .filter(|s| !s.is_empty())
    }

    fn number<T: core::str::FromStr>(&self, name: &str) -> Result<Option<T>, Error> {
        self.text(name).map(parse).transpose()
    }

    fn time_ms(&self, name: &str) -> Result<Option<OffsetDateTime>, Error> {
        self.number::<i64>(name)?.map(from_unix_ms).transpose()
    }

    fn issued(&self, id: InvitationId) -> Result<Option<IssuedInvitation>, Error> {
        if self.text("reg").is_none() {
            return Ok(None);
        }
        let issued_at = self
            .number::<i64>("iat")?
            .map(|s| OffsetDateTime::from_unix_timestamp(s).map_err(|_| bad_reply()))
            .transpose()?
            .ok_or_else(bad_reply)?;
        Ok(Some(IssuedInvitation {
            id,
            issued_at,
            expires_at: self.time_ms("exp")?,
            email: self.text("email").map(str::to_owned),
            max_uses: self.number("max")?,
            inviter: self.text("inv").map(str::to_owned),
            description: self.text("desc").map(str::to_owned),
            uses: self.number("n")?.unwrap_or(0),
            revoked_at: self.time_ms("rev")?,
        }))
    }
}

impl Store for RedisStore {
    async fn redeem(&self, invitation: &Invitation, joiner: &str) -> Result<Redemption, Error> {
        check_joiner(joiner)?;
        let now = OffsetDateTime::now_utc();
        refuse_if_forgotten(invitation, self.margin, now)?;
        let id = invitation.id();
        let mut call = self.scripts.redeem.prepare_invoke();
        call.key(self.keys.state(id))
            .key(self.keys.joiners(id))
            .key(self.keys.rules_for(id))
            .arg(joiner)
            .arg(unix_ms(now))
            .arg(
                invitation
                    .max_uses()
                    .map(|m| m.to_string())
                    .unwrap_or_default(),
            )
            .arg(opt_ms(invitation.expires_at()))
            .arg(opt_ms(forget_at(invitation, self.margin)))
            .arg(invitation.issued_at().unix_timestamp())
            .arg(invitation.inviter().unwrap_or_default());
        let reply: Vec<String> = self.invoke(call).await?;
        match reply.as_slice() {
            [status, uses, joined] if status == "ok" || status == "again" => Ok(Redemption {
                uses: parse(uses)?,
                joined_at: from_unix_ms(parse(joined)?)?,
                repeated: status == "again",
            }),
            [status] if status == "revoked" => Err(Error::Revoked),
            [status, _] if status == "used_up" => Err(Error::UsedUp {
                max_uses: invitation.max_uses().ok_or_else(bad_reply)?,
            }),
            _ => Err(bad_reply()),
        }
    }

    async fn check(&self, invitation: &Invitation) -> Result<(), Error> {
        let id = invitation.id();
        let mut call = self.scripts.check.prepare_invoke();
        call.key(self.keys.state(id))
            .key(self.keys.rules_for(id))
            .arg(invitation.issued_at().unix_timestamp())
            .arg(invitation.inviter().unwrap_or_default());
        match self.invoke::<i64>(call).await? {
            0 => Ok(()),
            1 => Err(Error::Revoked),
            _ => Err(bad_reply()),
        }
    }

    async fn is_revoked(&self, id: InvitationId) -> Result<bool, Error> {
        let mut cmd = redis::cmd("HEXISTS");
        cmd.arg(self.keys.state(id)).arg("rev");
        self.query::<bool>(cmd).await
    }

    async fn revoke(
        &self,
        id: InvitationId,
        expires_at: Option<OffsetDateTime>,
    ) -> Result<bool, Error> {
        let now = OffsetDateTime::now_utc();
        let forget = expires_at.map(|e| e.saturating_add(self.margin));
        let mut call = self.scripts.revoke.prepare_invoke();
        call.key(self.keys.state(id))
            .arg(unix_ms(now))
            .arg(opt_ms(forget));
        Ok(self.invoke::<i64>(call).await? == 1)
    }

    async fn revoke_issued_before(
        &self,
        before: OffsetDateTime,
        inviter: Option<&str>,
    ) -> Result<(), Error> {
        if let Some(inviter) = inviter {
            check_inviter(inviter)?;
        }
        let field = match inviter {
            None => "*".to_owned(),
            Some(inviter) => format!("i:{inviter}"),
        };
        let before = before.unix_timestamp();
        let script = &self.scripts.raise_rule;
        let hash = script.get_hash().to_owned();
        let cmds = self
            .keys
            .all_rules()
            .into_iter()
            .map(|key| {
                let mut cmd = redis::cmd("EVALSHA");
                cmd.arg(&hash).arg(1).arg(key).arg(&field).arg(before);
                cmd
            })
            .collect::<Vec<_>>();
        // The fan-out sends bare EVALSHAs, so make sure the script is loaded (on every primary)
        // first; if Redis restarted in between, it says NOSCRIPT: load again and retry once.
        let load = || {
            let mut conn = self.conn.clone();
            self.run(async move {
                script
                    .prepare_invoke()
                    .load_async(&mut conn)
                    .await
                    .map_err(unavailable)
            })
        };
        load().await?;
        match self.each(cmds.clone()).await {
            Err(Error::StoreUnavailable { reason })
                if reason.to_ascii_lowercase().contains("noscript") =>
            {
                load().await?;
                self.each(cmds).await.map(drop)
            }
            other => other.map(drop),
        }
    }

    async fn status(&self, id: InvitationId) -> Result<Status, Error> {
        let mut pipe = redis::pipe();
        pipe.cmd("HGETALL")
            .arg(self.keys.state(id))
            .cmd("HGETALL")
            .arg(self.keys.joiners(id));
        let mut conn = self.conn.clone();
        let (state, joiners): (Value, Value) = self
            .run(async move { pipe.query_async(&mut conn).await.map_err(unavailable) })
            .await?;
        let state = State::new(pairs(state)?);
        let mut joiners = pairs(joiners)?
            .into_iter()
            .map(|(joiner, at)| {
                Ok(Joiner {
                    joiner,
                    joined_at: from_unix_ms(parse(&at)?)?,
                })
            })
            .collect::<Result<Vec<_>, Error>>()?;
        joiners.sort_by(|a, b| (a.joined_at, &a.joiner).cmp(&(b.joined_at, &b.joiner)));
        Ok(Status {
            id,
            known: !state.fields.is_empty() || !joiners.is_empty(),
            uses: state.number("n")?.unwrap_or(0),
            max_uses: state.number("max")?,
            revoked_at: state.time_ms("rev")?,
            joiners,
            issued: state.issued(id)?,
        })
    }

    async fn record_issued(
        &self,
        invitation: &Invitation,
        description: Option<&str>,
    ) -> Result<(), Error> {
        if let Some(d) = description {
            check_note("description", d)?;
        }
        let id = invitation.id();
        let forget = forget_at(invitation, self.margin);
        let mut call = self.scripts.record_issued.prepare_invoke();
        call.key(self.keys.state(id))
            .arg(invitation.issued_at().unix_timestamp())
            .arg(opt_ms(invitation.expires_at()))
            .arg(
                invitation
                    .max_uses()
                    .map(|m| m.to_string())
                    .unwrap_or_default(),
            )
            .arg(invitation.inviter().unwrap_or_default())
            .arg(invitation.email().unwrap_or_default())
            .arg(description.unwrap_or_default())
            .arg(opt_ms(forget));
        self.invoke::<i64>(call).await?;

        let score = invitation
            .expires_at()
            .map_or_else(|| "inf".to_owned(), |e| unix_ms(e).to_string());
        let now = OffsetDateTime::now_utc();
        let drop_below = unix_ms(now.saturating_sub(self.margin));
        let margin_ms = self.margin.whole_milliseconds();
        let inviter = invitation.inviter();
        let indexes = [
            Some(self.keys.index(None)),
            inviter.map(|i| self.keys.index(Some(i))),
        ];
        for index in indexes.into_iter().flatten() {
            let mut call = self.scripts.index_add.prepare_invoke();
            call.key(index)
                .arg(id.to_string())
                .arg(&score)
                .arg(drop_below)
                .arg(i64::try_from(margin_ms).unwrap_or(i64::MAX));
            self.invoke::<i64>(call).await?;
        }
        Ok(())
    }

    async fn list(&self, filter: &ListFilter) -> Result<Vec<IssuedInvitation>, Error> {
        filter.validate()?;
        let now = OffsetDateTime::now_utc();
        let mut cmd = redis::cmd("ZRANGE");
        cmd.arg(self.keys.index(filter.inviter.as_deref()))
            .arg(format!("({}", unix_ms(now)))
            .arg("+inf")
            .arg("BYSCORE")
            .arg("LIMIT")
            .arg(0)
            .arg(filter.limit);
        let ids: Vec<String> = self.query(cmd).await?;
        let ids = ids
            .iter()
            .map(|s| s.parse::<InvitationId>().map_err(|_| bad_reply()))
            .collect::<Result<Vec<_>, Error>>()?;
        let cmds = ids
            .iter()
            .map(|id| {
                let mut cmd = redis::cmd("HGETALL");
                cmd.arg(self.keys.state(*id));
                cmd
            })
            .collect();
        let states = self.each(cmds).await?;
        let mut out = Vec::with_capacity(ids.len());
        for (id, state) in ids.into_iter().zip(states) {
            // State can expire before its index entry is dropped: skip it.
            if let Some(issued) = State::new(pairs(state)?).issued(id)? {
                out.push(issued);
            }
        }
        Ok(out)
    }

    async fn record_visit(&self, invitation: &Invitation, metadata: &str) -> Result<(), Error> {
        check_note("metadata", metadata)?;
        let now = OffsetDateTime::now_utc();
        let mut call = self.scripts.visit.prepare_invoke();
        call.key(self.keys.visits(invitation.id()))
            .arg(format!("{} {metadata}", unix_ms(now)))
            .arg(self.visit_cap)
            .arg(opt_ms(forget_at(invitation, self.margin)));
        self.invoke::<i64>(call).await.map(drop)
    }

    async fn create_code(&self, token: &str, spec: &CodeSpec) -> Result<String, Error> {
        let now = OffsetDateTime::now_utc();
        let forget = code_forget_at(token, self.margin, now)?;
        let (canonical, shown) = new_code(spec)?;
        let mut cmd = redis::cmd("SET");
        cmd.arg(self.keys.code(&canonical)).arg(token).arg("NX");
        if let Some(forget) = forget {
            cmd.arg("PXAT").arg(unix_ms(forget));
        }
        let set: Option<String> = self.query(cmd).await?;
        match set {
            Some(_) => Ok(shown),
            None => Err(Error::CodeTaken),
        }
    }

    async fn resolve_code(&self, code: &str) -> Result<String, Error> {
        let canonical = lookup_code(code)?;
        let mut cmd = redis::cmd("GET");
        cmd.arg(self.keys.code(&canonical));
        let token: Option<String> = self.query(cmd).await?;
        token.ok_or(Error::UnknownCode)
    }

    async fn count_attempt(&self, client: &str, limit: &RateLimit) -> Result<u32, Error> {
        check_client(client)?;
        let window_ms = limit.validate()?;
        let now_ms = unix_ms(OffsetDateTime::now_utc());
        let window = now_ms / window_ms;
        let end_ms = window.saturating_add(1).saturating_mul(window_ms);
        let mut call = self.scripts.attempt.prepare_invoke();
        call.key(self.keys.attempts(client, window_ms, window))
            .arg(end_ms);
        let n: u64 = self.invoke(call).await?;
        let n = u32::try_from(n).unwrap_or(u32::MAX);
        if n > limit.limit {
            let left = u64::try_from(end_ms - now_ms).unwrap_or(0);
            return Err(Error::RateLimited {
                retry_after: StdDuration::from_millis(left),
            });
        }
        Ok(limit.limit - n)
    }

    async fn visits(&self, id: InvitationId) -> Result<Vec<Visit>, Error> {
        let mut cmd = redis::cmd("LRANGE");
        cmd.arg(self.keys.visits(id)).arg(0).arg(-1);
        let entries: Vec<String> = self.query(cmd).await?;
        entries
            .iter()
            .map(|entry| {
                let (ms, metadata) = entry.split_once(' ').ok_or_else(bad_reply)?;
                Ok(Visit {
                    at: from_unix_ms(parse(ms)?)?,
                    metadata: metadata.to_owned(),
                })
            })
            .collect()
    }
}
