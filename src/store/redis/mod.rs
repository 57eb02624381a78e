//! The store on Redis (single node or Redis Cluster).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use redis::Value;
use time::{Duration, OffsetDateTime};

use super::backend::{
    AttemptCounter, Backend, CodeTable, EventPage, NewCode, Page, Record, Redeem, Revoke,
    VisitCall, VisitLog, Window,
};
use super::rules::first_covering;
use super::settings::Settings;
use super::trace::Link;
use super::{
    Event, Health, IssuedInvitation, Joiner, Redemption, RevocationRule, Status, StoreBuilder,
    Visit, unix_ms,
};
use crate::error::Error;
use crate::invitation::{Invitation, InvitationId};

mod builder;
mod conn;
mod events;
mod keys;
mod list;
mod marker;
mod redeem;
mod scripts;
mod server;

pub use builder::{RedisOptions, RedisStoreBuilder};

use conn::{Call, Conn, bad_reply, fan_out, within};
use keys::Keys;
use scripts::Scripts;
use server::Watch;

/// The key prefix, unless configured otherwise.
const DEFAULT_PREFIX: &str = "admit:";
/// How often the eviction settings are read again after connecting, unless configured otherwise.
const DEFAULT_RECHECK: StdDuration = StdDuration::from_secs(60);

/// A [`Store`](super::Store) on Redis, shared by every process and machine that connects to it.
///
/// Every operation on one invitation is a single Lua script (`EVALSHA`, loaded at connect and
/// reloaded when Redis answers `NOSCRIPT`), so it is atomic and costs one round trip.
/// Concurrent redemptions share script calls, one per slot, each still exactly what it would
/// be alone. Every call has an overall deadline (2 s by default): a slow or unreachable Redis
/// gives [`Error::StoreTimeout`] or [`Error::StoreUnavailable`], never a hang and never
/// "valid". The connection reconnects by itself once Redis is back.
///
/// # What it needs from Redis, and what it does without
///
/// - **No eviction.** `maxmemory-policy noeviction` (or no `maxmemory`): an evicted key is a
///   forgotten revocation or use count. [`connect`](RedisStoreBuilder::connect) reads the
///   setting from `INFO` on every primary and refuses an evicting one
///   ([`Error::StoreMisconfigured`]) unless the application accepted the risk with
///   [`allow_eviction`](RedisStoreBuilder::allow_eviction); a background task reads it again
///   every minute, and every call fails while it is unsafe.
/// - **An initialized store.** A Redis that restarted empty, was flushed, or failed over to an
///   empty replica looks exactly like a new one. Every script checks an initialization marker
///   in the same step as its work, and calls fail with [`Error::StoreNotInitialized`] until the
///   store is initialized — as new ([`Init::CreateIfMissing`](super::Init::CreateIfMissing), `admit store init`) or after
///   data loss, revoking everything issued before the loss
///   ([`Init::RecoverFromDataLoss`](super::Init::RecoverFromDataLoss), `admit store init --revoke-issued-before`).
/// - **Persistence that keeps acknowledged writes.** With `appendonly yes` and `appendfsync
///   always`, an acknowledged redemption or revocation survives a crash; with `everysec`, the
///   last second may be lost, and with RDB snapshots alone a restart silently goes back to the
///   last snapshot — losses the marker cannot see, because it survives them.
/// - **Clocks in step.** Expiries are relative (`PEXPIRE`), so Redis's clock does not matter,
///   but the application servers' do; the store refuses to connect when this process and Redis
///   disagree by more than the margin minus the leeway.
///
/// [`health`](super::Store::health) reports each of these with a verdict. Replication to replicas is
/// asynchronous, so a failover can lose recent acknowledged writes (the health report warns).
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
/// for check in store.health().await?.problems() {
///     eprintln!("redis {}: {} ({})", check.name, check.found, check.advice);
/// }
/// # Ok(())
/// # }
/// ```
///
#[doc = include_str!("../../../docs/redis-keys.md")]
#[derive(Clone)]
pub struct RedisStore {
    conn: Conn,
    keys: Keys,
    scripts: &'static Scripts,
    settings: Settings,
    leeway: Duration,
    allow_eviction: bool,
    watch: Arc<Watch>,
    /// Who this handle acts as (see `Events::acting_as`).
    actor: Option<Arc<str>>,
    /// Redemptions waiting to share a script call (`redeem.rs`), shared by every clone.
    redemptions: Arc<redeem::Queued>,
}

impl core::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RedisStore")
            .field("prefix", &self.keys.prefix)
            .field("cluster", &self.keys.cluster)
            .field("deadline", &self.settings.deadline)
            .field("margin", &self.settings.margin)
            .field("leeway", &self.leeway)
            .field("allow_eviction", &self.allow_eviction)
            .finish_non_exhaustive()
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

    /// The key prefix unless configured otherwise.
    pub const DEFAULT_PREFIX: &str = DEFAULT_PREFIX;
    /// How often the eviction settings are read again after connecting, unless configured
    /// otherwise.
    pub const DEFAULT_RECHECK: StdDuration = DEFAULT_RECHECK;

    /// Settings: key prefix, deadline, margin, leeway, initialization, eviction, visit cap.
    pub fn builder() -> RedisStoreBuilder {
        StoreBuilder::new()
    }

    /// The key prefix.
    pub fn prefix(&self) -> &str {
        &self.keys.prefix
    }

    /// Whether this store talks to a Redis Cluster.
    pub fn is_cluster(&self) -> bool {
        self.keys.cluster
    }

    /// Runs one script call within the deadline, unless a re-check found Redis unsafe.
    async fn call(&self, call: Call) -> Result<Value, Error> {
        self.watch.guard.check()?;
        within(self.settings.deadline, call.run(&self.conn)).await
    }

    /// Runs one script call and reads its reply as `T`.
    async fn call_as<T: redis::FromRedisValue>(&self, call: Call) -> Result<T, Error> {
        redis::from_redis_value(self.call(call).await?).map_err(|_| bad_reply())
    }

    /// The actor as the scripts take it (`''`: none).
    fn actor_arg(&self) -> &str {
        self.actor.as_deref().unwrap_or_default()
    }

    /// Milliseconds from `now` until `until` (at least 1), as the scripts' `keep for`; `''`
    /// for never.
    fn keep_for(until: Option<OffsetDateTime>, now: OffsetDateTime) -> String {
        until
            .map(|t| {
                let ms = (t - now)
                    .whole_milliseconds()
                    .clamp(1, i128::from(i64::MAX));
                ms.to_string()
            })
            .unwrap_or_default()
    }
}

/// A time from Unix milliseconds that Redis returned.
fn from_unix_ms(ms: i64) -> Result<OffsetDateTime, Error> {
    super::from_unix_ms(ms).ok_or_else(bad_reply)
}

/// Unix milliseconds as RFC 3339.
fn fmt_ms(ms: i64) -> Result<String, Error> {
    from_unix_ms(ms)?
        .format(&time::format_description::well_known::Rfc3339)
        .map_err(|_| bad_reply())
}

fn opt_ms(t: Option<OffsetDateTime>) -> String {
    t.map(|t| unix_ms(t).to_string()).unwrap_or_default()
}

fn opt_num(n: Option<u32>) -> String {
    n.map(|n| n.to_string()).unwrap_or_default()
}

fn parse<T: core::str::FromStr>(s: &str) -> Result<T, Error> {
    s.parse().map_err(|_| bad_reply())
}

/// The rule field of an inviter in a control hash (`''`: none).
fn inviter_field(inviter: Option<&str>) -> String {
    inviter.map(|i| format!("i:{i}")).unwrap_or_default()
}

/// An invitation's state hash, parsed: counts, limit, revocation, registry fields, joiners.
#[derive(Default)]
struct State {
    fields: HashMap<String, String>,
}

impl State {
    fn from_pairs(pairs: impl IntoIterator<Item = (String, String)>) -> State {
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

    /// The rule among these cut-offs that revokes this invitation, once its issue time is known.
    fn rule(
        &self,
        everyone: Option<i64>,
        of_inviter: Option<i64>,
    ) -> Result<Option<RevocationRule>, Error> {
        Ok(self
            .number::<i64>("iat")?
            .and_then(|iat| first_covering(everyone, of_inviter, iat, self.text("inv"))))
    }

    fn issued(
        &self,
        id: InvitationId,
        revoked_by_rule: Option<RevocationRule>,
    ) -> Result<Option<IssuedInvitation>, Error> {
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
            revoked_by_rule,
        }))
    }
}

/// Reads a cut-off that a script returned (`''` or nil: none).
fn cutoff(value: Option<Value>) -> Result<Option<i64>, Error> {
    let text: Option<String> = match value {
        None | Some(Value::Nil) => None,
        Some(v) => redis::from_redis_value(v).map_err(|_| bad_reply())?,
    };
    text.filter(|t| !t.is_empty())
        .map(|t| parse(&t))
        .transpose()
}

impl Backend for RedisStore {
    fn name(&self) -> &'static str {
        "redis"
    }

    fn settings(&self) -> &Settings {
        &self.settings
    }

    fn link(&self) -> Option<&Link> {
        Some(&self.watch.link)
    }

    fn acting(&self, actor: Arc<str>) -> RedisStore {
        RedisStore {
            actor: Some(actor),
            ..self.clone()
        }
    }

    async fn events(&self, call: EventPage<'_>) -> Result<Vec<Event>, Error> {
        self.event_page(call.filter, unix_ms(call.now)).await
    }

    async fn consumer(&self, name: &str) -> Result<Option<(i64, String)>, Error> {
        let key = self.keys.consumer(name);
        let control = self.keys.control_near(&key);
        let call = Call::new(&self.scripts.consumer, [&control, &key])
            .arg("")
            .arg("");
        let (version, record): (i64, String) = self.call_as(call).await?;
        Ok((version > 0).then_some((version, record)))
    }

    async fn set_consumer(&self, name: &str, version: i64, record: &str) -> Result<bool, Error> {
        let key = self.keys.consumer(name);
        let control = self.keys.control_near(&key);
        let call = Call::new(&self.scripts.consumer, [&control, &key])
            .arg(version)
            .arg(record);
        Ok(self.call_as::<i64>(call).await? == 1)
    }

    async fn wait(&self, _mark: u64) -> Result<(), Error> {
        super::settle::follow_pause().await;
        Ok(())
    }

    async fn redeem(&self, call: Redeem<'_>) -> Result<Redemption, Error> {
        self.redeem_grouped(call).await
    }

    async fn check(&self, invitation: &Invitation, _now: OffsetDateTime) -> Result<(), Error> {
        let id = invitation.id();
        let (control, state) = (self.keys.control_for(id), self.keys.state(id));
        let call = Call::new(&self.scripts.check, [&control, &state])
            .arg(invitation.issued_at().unix_timestamp())
            .arg(inviter_field(invitation.inviter()))
            .arg(opt_num(invitation.max_uses()));
        match self.call_as::<i64>(call).await? {
            0 => Ok(()),
            1 => Err(Error::Revoked),
            2 => Err(Error::UsedUp {
                max_uses: invitation.max_uses().ok_or_else(bad_reply)?,
            }),
            _ => Err(bad_reply()),
        }
    }

    async fn is_revoked(&self, id: InvitationId, _now: OffsetDateTime) -> Result<bool, Error> {
        let (control, state) = (self.keys.control_for(id), self.keys.state(id));
        let call = Call::new(&self.scripts.is_revoked, [&control, &state]);
        Ok(self.call_as::<i64>(call).await? == 1)
    }

    async fn revoke(&self, call: Revoke) -> Result<bool, Error> {
        let Revoke { id, now, forget_at } = call;
        let (control, state) = (self.keys.control_for(id), self.keys.state(id));
        let (stream, index) = self.keys.events_beside(&control);
        let call = Call::new(&self.scripts.revoke, [&control, &state, &stream, &index])
            .arg(unix_ms(now))
            .arg(Self::keep_for(forget_at, now))
            .arg(self.actor_arg())
            .arg(self.settings.keep_events_ms())
            .arg(id.to_string());
        Ok(self.call_as::<i64>(call).await? == 1)
    }

    async fn raise_rule(&self, inviter: Option<&str>, cutoff_ms: i64) -> Result<i64, Error> {
        let field = inviter.map_or_else(|| "*".to_owned(), |i| inviter_field(Some(i)));
        self.watch.guard.check()?;
        let lua = &self.scripts.raise_rule;
        let now = unix_ms(self.settings.now());
        // The first control hash logs the rule: once, in the same step as its copy there.
        let cmds = self
            .keys
            .all_controls()
            .iter()
            .enumerate()
            .map(|(rank, control)| {
                let (stream, index) = self.keys.events_beside(control);
                Call::new(lua, [control.as_str(), &stream, &index])
                    .arg(&field)
                    .arg(cutoff_ms)
                    .arg(if rank == 0 { "1" } else { "" })
                    .arg(now)
                    .arg(inviter.unwrap_or_default())
                    .arg(self.actor_arg())
                    .into_cmd()
            })
            .collect();
        // On a cluster: one small write per bucket (64), given more than one call's deadline.
        let deadline = self.settings.deadline.saturating_mul(4);
        let replies = within(deadline, fan_out(&self.conn, lua, cmds)).await?;
        // Every bucket that could take the rule has it. Each answers with the cut-off in force
        // there: the latest is the rule. If some could not, say how far it got, and that a retry
        // finishes it (a rule only ever moves later, so writing it again is harmless).
        let total = replies.len();
        let mut in_force = cutoff_ms;
        let mut failed = Vec::new();
        for reply in replies {
            match reply.and_then(|v| redis::from_redis_value::<i64>(v).map_err(|_| bad_reply())) {
                Ok(ms) => in_force = in_force.max(ms),
                Err(e) => failed.push(e),
            }
        }
        let reached = total - failed.len();
        match failed.into_iter().next() {
            None => Ok(in_force),
            Some(Error::StoreNotInitialized) => Err(Error::StoreNotInitialized),
            Some(first) if total > 1 => Err(Error::StoreUnavailable {
                reason: format!(
                    "the rule reached {reached} of {total} buckets, so invitations in the \
                     others are not revoked by it yet: retry the same call (it is safe to \
                     repeat); first failure: {first}"
                ),
            }),
            Some(first) => Err(first),
        }
    }

    async fn rules(&self) -> Result<Vec<RevocationRule>, Error> {
        self.watch.guard.check()?;
        let deadline = self.settings.deadline;
        let controls = within(deadline, marker::controls(&self.conn, &self.keys)).await?;
        let (merged, missing) = marker::merged(&controls);
        if missing {
            return Err(Error::StoreNotInitialized);
        }
        marker::as_rules(&merged)
    }

    async fn health(&self) -> Result<Health, Error> {
        let settings = &self.settings;
        let (deadline, allowance) = (settings.deadline, settings.margin - self.leeway);
        let mut checks = within(
            deadline,
            server::settings_checks(&self.conn, self.allow_eviction),
        )
        .await?;
        let offsets = within(deadline, server::clock_offsets(&self.conn, &settings.clock)).await?;
        checks.extend(offsets.iter().map(|o| server::clock_check(o, allowance)));
        let controls = within(deadline, marker::controls(&self.conn, &self.keys)).await?;
        checks.extend(marker::checks(&controls)?);
        checks.sort_by_key(|c| (c.node.clone(), order(c.name)));
        Ok(Health {
            backend: if self.keys.cluster {
                "redis-cluster"
            } else {
                "redis"
            },
            checks,
        })
    }

    async fn status(&self, id: InvitationId, _now: OffsetDateTime) -> Result<Status, Error> {
        let (control, state) = (self.keys.control_for(id), self.keys.state(id));
        let call = Call::new(&self.scripts.status, [&control, &state]);
        let reply: Vec<Value> = self.call_as(call).await?;
        let mut reply = reply.into_iter();
        let everyone = cutoff(reply.next())?;
        let of_inviter = cutoff(reply.next())?;
        let mut fields = HashMap::new();
        let mut joiners = Vec::new();
        while let (Some(field), Some(value)) = (reply.next(), reply.next()) {
            let field: String = redis::from_redis_value(field).map_err(|_| bad_reply())?;
            let value: String = redis::from_redis_value(value).map_err(|_| bad_reply())?;
            match field.strip_prefix("j:") {
                Some(joiner) => joiners.push(Joiner {
                    joiner: joiner.to_owned(),
                    joined_at: from_unix_ms(parse(&value)?)?,
                }),
                None => {
                    fields.insert(field, value);
                }
            }
        }
        if fields.is_empty() && joiners.is_empty() {
            return Ok(Status::unknown(id));
        }
        joiners.sort_by(|a, b| (a.joined_at, &a.joiner).cmp(&(b.joined_at, &b.joiner)));
        let state = State { fields };
        let revoked_by_rule = state.rule(everyone, of_inviter)?;
        Ok(Status {
            id,
            known: true,
            uses: state.number("n")?.unwrap_or(0),
            max_uses: state.number("max")?,
            revoked_at: state.time_ms("rev")?,
            revoked_by_rule: revoked_by_rule.clone(),
            joiners,
            issued: state.issued(id, revoked_by_rule)?,
        })
    }

    async fn record(&self, call: Record<'_>) -> Result<(), Error> {
        let (invitation, now) = (call.invitation, call.now);
        let id = invitation.id();
        let (control, state) = (self.keys.control_for(id), self.keys.state(id));
        let (stream, index) = self.keys.events_beside(&control);
        let keys = [&*control, &state, &stream, &index];
        let call = Call::new(&self.scripts.record_issued, keys)
            .arg(invitation.issued_at().unix_timestamp())
            .arg(opt_ms(invitation.expires_at()))
            .arg(opt_num(invitation.max_uses()))
            .arg(invitation.inviter().unwrap_or_default())
            .arg(invitation.email().unwrap_or_default())
            .arg(call.description.unwrap_or_default())
            .arg(Self::keep_for(call.forget_at, now))
            .arg(unix_ms(now))
            .arg(self.actor_arg())
            .arg(events::forget_arg(self, now, call.forget_at))
            .arg(id.to_string());
        self.call(call).await?;

        let margin = self.settings.margin;
        let score = invitation
            .expires_at()
            .map_or_else(|| "inf".to_owned(), |e| unix_ms(e).to_string());
        let drop_below = unix_ms(now.saturating_sub(margin));
        let margin_ms = i64::try_from(margin.whole_milliseconds()).unwrap_or(i64::MAX);
        // Everyone's index, and the inviter's if there is one.
        let scopes = [Some(None), invitation.inviter().map(Some)];
        let issued_ms = unix_ms(invitation.issued_at());
        for scope in scopes.into_iter().flatten() {
            let (index, newest) = (self.keys.index(scope), self.keys.newest(scope));
            let call = Call::new(&self.scripts.index_add, [&index, &newest])
                .arg(id.to_string())
                .arg(&score)
                .arg(drop_below)
                .arg(margin_ms)
                .arg(unix_ms(now))
                .arg(issued_ms);
            self.call(call).await?;
        }
        Ok(())
    }

    async fn list(&self, call: Page<'_>) -> Result<Vec<IssuedInvitation>, Error> {
        self.list_pages(call.filter, call.now).await
    }

    async fn count(&self, call: Page<'_>) -> Result<u64, Error> {
        self.count_listed(call.filter, call.now).await
    }
}

impl VisitLog for RedisStore {
    async fn record_visit(&self, call: VisitCall<'_>) -> Result<(), Error> {
        let now = call.now;
        let (control, visits) = (self.keys.control_for(call.id), self.keys.visits(call.id));
        let state = self.keys.state(call.id);
        let (stream, index) = self.keys.events_beside(&control);
        let keys = [&*control, &visits, &state, &stream, &index];
        let call = Call::new(&self.scripts.visit, keys)
            .arg(format!("{} {}", unix_ms(now), call.metadata))
            .arg(call.cap)
            .arg(Self::keep_for(call.forget_at, now))
            .arg(unix_ms(now))
            .arg(call.metadata)
            .arg(self.actor_arg())
            .arg(events::forget_arg(self, now, call.forget_at))
            .arg(call.id.to_string());
        self.call(call).await.map(drop)
    }

    async fn visits(&self, id: InvitationId, _now: OffsetDateTime) -> Result<Vec<Visit>, Error> {
        let (control, visits) = (self.keys.control_for(id), self.keys.visits(id));
        let call = Call::new(&self.scripts.visits, [&control, &visits]);
        let entries: Vec<String> = self.call_as(call).await?;
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

impl CodeTable for RedisStore {
    async fn create_code(&self, call: NewCode<'_>) -> Result<bool, Error> {
        let key = self.keys.code(call.lookup);
        let control = self.keys.control_near(&key);
        let (stream, index) = self.keys.events_beside(&control);
        let lua = Call::new(&self.scripts.code_create, [&control, &key, &stream, &index])
            .arg(call.sealed)
            .arg(Self::keep_for(call.forget_at, call.now))
            .arg(unix_ms(call.now))
            .arg(self.actor_arg())
            .arg(events::forget_arg(self, call.now, call.forget_at))
            .arg(call.id.to_string())
            .arg(call.inviter.unwrap_or_default());
        Ok(self.call_as::<i64>(lua).await? == 1)
    }

    async fn resolve_code(
        &self,
        lookup: &str,
        _now: OffsetDateTime,
    ) -> Result<Option<String>, Error> {
        let key = self.keys.code(lookup);
        let control = self.keys.control_near(&key);
        let call = Call::new(&self.scripts.code_resolve, [&control, &key]);
        self.call_as(call).await
    }
}

impl AttemptCounter for RedisStore {
    async fn count_attempt(&self, client: &str, window: Window) -> Result<u32, Error> {
        let key = self.keys.attempts(client, window.ms, window.number);
        let control = self.keys.control_near(&key);
        let left_ms = (window.end_ms - window.now_ms).max(1);
        let call = Call::new(&self.scripts.attempt, [&control, &key]).arg(left_ms);
        let n: u64 = self.call_as(call).await?;
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    }
}

/// The order of checks in a health report.
fn order(name: &str) -> u8 {
    match name {
        "eviction" => 0,
        "persistence" => 1,
        "replication" => 2,
        "clock" => 3,
        _ => 4,
    }
}
