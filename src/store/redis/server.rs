//! What the Redis server is set up to keep: eviction, persistence, replication, its clock. Read
//! from `INFO` and `TIME` (which managed services that hide `CONFIG` still answer), with
//! `CONFIG GET` only for details `INFO` does not show.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration as StdDuration;

use redis::Value;
use time::{Duration, OffsetDateTime};

use super::conn::{Conn, bad_reply, every_primary, unavailable, within};
use crate::clock::Clock;
use crate::error::Error;
use crate::store::trace::{self, Link};
use crate::store::{HealthCheck, Verdict};

/// The fields of an `INFO` reply.
pub(super) struct Info(HashMap<String, String>);

impl Info {
    fn parse(value: Value) -> Result<Info, Error> {
        let text: String = redis::from_redis_value(value).map_err(|_| bad_reply())?;
        Ok(Info(
            text.lines()
                .filter_map(|line| line.split_once(':'))
                .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
                .collect(),
        ))
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }
}

/// `INFO <section>` from every primary. A server that refuses `INFO` cannot be checked, and is
/// refused like an unsafe one.
pub(super) async fn info(conn: &Conn, section: &str) -> Result<Vec<(Option<String>, Info)>, Error> {
    let mut cmd = redis::cmd("INFO");
    if !section.is_empty() {
        cmd.arg(section);
    }
    let mut out = Vec::new();
    for (node, reply) in every_primary(conn, cmd).await? {
        let info = match reply {
            Ok(value) => Info::parse(value)?,
            Err(e) => {
                return Err(Error::StoreMisconfigured {
                    setting: "INFO",
                    found: format!(
                        "refused{} ({})",
                        on(node.as_deref()),
                        e.code().unwrap_or("?")
                    ),
                    fix: "allow the INFO command for this Redis user: admit reads maxmemory and \
                          maxmemory-policy from it to make sure no key of its can be evicted",
                });
            }
        };
        out.push((node, info));
    }
    Ok(out)
}

fn on(node: Option<&str>) -> String {
    node.map(|n| format!(" on {n}")).unwrap_or_default()
}

/// Whether eviction can touch admit's keys: only with a memory limit and an evicting policy.
/// `volatile-*` policies evict exactly admit's keys first, since they carry expiries.
fn evicts(info: &Info) -> Result<(u64, String, bool), Error> {
    let max: u64 = info
        .get("maxmemory")
        .and_then(|v| v.parse().ok())
        .ok_or_else(missing_memory_fields)?;
    let policy = info
        .get("maxmemory_policy")
        .ok_or_else(missing_memory_fields)?
        .to_owned();
    let evicting = max > 0 && policy != "noeviction";
    Ok((max, policy, evicting))
}

fn missing_memory_fields() -> Error {
    Error::StoreMisconfigured {
        setting: "INFO",
        found: "a reply without maxmemory or maxmemory_policy".to_owned(),
        fix: "use Redis 6.2 or later (or a compatible server that reports its memory settings \
              in INFO memory)",
    }
}

/// The first primary whose settings let Redis evict keys, as the error to refuse with.
pub(super) async fn eviction_problem(conn: &Conn) -> Result<Option<Error>, Error> {
    for (node, info) in info(conn, "memory").await? {
        let (max, policy, evicting) = evicts(&info)?;
        if evicting {
            return Ok(Some(Error::StoreMisconfigured {
                setting: "maxmemory-policy",
                found: format!("{policy} with maxmemory {max} bytes{}", on(node.as_deref())),
                fix: "Redis may evict admit's keys, silently restoring revoked and used-up \
                      invitations; set maxmemory-policy noeviction (or maxmemory 0), use a \
                      Redis of its own for admit, or accept the risk explicitly with \
                      RedisStoreBuilder::allow_eviction",
            }));
        }
    }
    Ok(None)
}

/// This process's clock minus each primary's, and how precisely it is known (half the round
/// trip), from `TIME`.
pub(super) struct Offset {
    pub(super) node: Option<String>,
    pub(super) offset: Duration,
    pub(super) uncertainty: Duration,
}

pub(super) async fn clock_offsets(conn: &Conn, clock: &Clock) -> Result<Vec<Offset>, Error> {
    let sent = clock.now();
    let replies = every_primary(conn, redis::cmd("TIME")).await?;
    let received = clock.now();
    let uncertainty = (received - sent) / 2;
    let middle = sent + uncertainty;
    let mut out = Vec::with_capacity(replies.len());
    for (node, reply) in replies {
        let (secs, micros): (i64, i64) =
            redis::from_redis_value(reply.map_err(unavailable)?).map_err(|_| bad_reply())?;
        let server = OffsetDateTime::from_unix_timestamp(secs)
            .map_err(|_| bad_reply())?
            .saturating_add(Duration::microseconds(micros));
        out.push(Offset {
            node,
            offset: middle - server,
            uncertainty,
        });
    }
    Ok(out)
}

/// The largest offset the store's expiries tolerate: state must outlive every token that still
/// verifies, and a process whose clock runs `offset` ahead keeps state that much too short.
pub(super) fn clock_problem(offsets: &[Offset], allowance: Duration) -> Option<Error> {
    offsets.iter().find_map(|o| {
        (o.offset.abs() - o.uncertainty > allowance).then(|| Error::StoreMisconfigured {
            setting: "clock offset",
            found: format!(
                "{} between this process and Redis{}, more than the margin minus the leeway \
                 ({})",
                signed_seconds(o.offset),
                on(o.node.as_deref()),
                signed_seconds(allowance)
            ),
            fix: "synchronize the clocks of the application servers and Redis (NTP); state \
                  could expire while tokens still verify",
        })
    })
}

fn signed_seconds(d: Duration) -> String {
    format!("{:+.3} s", d.as_seconds_f64())
}

/// Where the store refuses every call because a re-check found Redis unsafe.
#[derive(Default)]
pub(super) struct Guard {
    tripped: AtomicBool,
    why: Mutex<Option<Error>>,
}

impl Guard {
    pub(super) fn check(&self) -> Result<(), Error> {
        if !self.tripped.load(Ordering::Acquire) {
            return Ok(());
        }
        let why = self.why.lock().unwrap_or_else(|p| p.into_inner()).clone();
        Err(why.unwrap_or(Error::StoreUnavailable {
            reason: "the store's server is not safe to use".into(),
        }))
    }

    fn set(&self, problem: Option<Error>) {
        let tripped = problem.is_some();
        let mut why = self.why.lock().unwrap_or_else(|p| p.into_inner());
        // Reported when it changes, not on every re-check.
        match (&problem, &*why) {
            (Some(new), old) if old.as_ref() != Some(new) => trace::refused("redis", new),
            (None, Some(_)) => trace::accepted_again("redis"),
            _ => {}
        }
        *why = problem;
        self.tripped.store(tripped, Ordering::Release);
    }
}

/// Aborts the re-check task when the last clone of the store is dropped.
pub(super) struct Recheck(tokio::task::JoinHandle<()>);

impl Drop for Recheck {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Re-reads the eviction settings every `every`: a `CONFIG SET` after connecting trips the
/// guard (every call then fails with the reason) until the setting is safe again. An
/// unreachable Redis leaves the guard as it was; calls fail on their own then.
pub(super) fn spawn_recheck(
    conn: Conn,
    guard: Weak<Guard>,
    every: StdDuration,
    deadline: StdDuration,
) -> Option<Recheck> {
    let runtime = tokio::runtime::Handle::try_current().ok()?;
    let task = runtime.spawn(async move {
        let mut ticks = tokio::time::interval(every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        ticks.tick().await;
        loop {
            ticks.tick().await;
            let Some(guard) = guard.upgrade() else {
                return;
            };
            match within(deadline, eviction_problem(&conn)).await {
                Ok(problem) => guard.set(problem),
                Err(e @ Error::StoreMisconfigured { .. }) => guard.set(Some(e)),
                Err(_) => {}
            }
        }
    });
    Some(Recheck(task))
}

/// The persistence, replication and eviction lines of a health report, from each primary's
/// `INFO` and (where allowed) `CONFIG GET`.
pub(super) async fn settings_checks(
    conn: &Conn,
    allow_eviction: bool,
) -> Result<Vec<HealthCheck>, Error> {
    let infos = info(conn, "").await?;
    let mut config = redis::cmd("CONFIG");
    config.arg("GET").arg("appendfsync");
    let fsyncs = config_values(conn, config).await;
    let mut config = redis::cmd("CONFIG");
    config.arg("GET").arg("save");
    let saves = config_values(conn, config).await;
    let mut checks = Vec::new();
    for (node, info) in &infos {
        let node = node.as_deref();
        let (max, policy, evicting) = evicts(info)?;
        let limit = if max == 0 {
            "maxmemory 0 (no limit)".to_owned()
        } else {
            format!("maxmemory {max} bytes")
        };
        checks.push(match (evicting, allow_eviction) {
            (false, _) => HealthCheck::new(
                "eviction",
                node,
                format!("{limit}, maxmemory-policy {policy}"),
                Verdict::Ok,
                "Redis never evicts admit's keys; when full, writes fail (closed) with an \
                 out-of-memory error",
            ),
            (true, true) => HealthCheck::new(
                "eviction",
                node,
                format!("{limit}, maxmemory-policy {policy}"),
                Verdict::Unsafe,
                "accepted by the application (allow_eviction): under memory pressure Redis \
                 evicts admit's keys, and revoked or used-up invitations work again",
            ),
            (true, false) => HealthCheck::new(
                "eviction",
                node,
                format!("{limit}, maxmemory-policy {policy}"),
                Verdict::Unsafe,
                "Redis may evict admit's keys: every call fails until maxmemory-policy is \
                 noeviction (or maxmemory 0)",
            ),
        });
        checks.push(persistence(
            node,
            info,
            lookup(&fsyncs, node),
            lookup(&saves, node),
        ));
        checks.push(replication(node, info));
    }
    Ok(checks)
}

/// `CONFIG GET` on every primary: the value per node, or nothing where it is refused.
async fn config_values(conn: &Conn, cmd: redis::Cmd) -> Vec<(Option<String>, Option<String>)> {
    let Ok(replies) = every_primary(conn, cmd).await else {
        return Vec::new();
    };
    replies
        .into_iter()
        .map(|(node, reply)| {
            let value = reply
                .ok()
                .and_then(|v| redis::from_redis_value::<HashMap<String, String>>(v).ok())
                .and_then(|map| map.into_values().next());
            (node, value)
        })
        .collect()
}

fn lookup<'a>(
    values: &'a [(Option<String>, Option<String>)],
    node: Option<&str>,
) -> Option<&'a str> {
    values
        .iter()
        .find(|(n, _)| n.as_deref() == node)
        .and_then(|(_, v)| v.as_deref())
}

fn persistence(
    node: Option<&str>,
    info: &Info,
    fsync: Option<&str>,
    save: Option<&str>,
) -> HealthCheck {
    let aof = info.get("aof_enabled") == Some("1");
    let snapshots = match save {
        Some("") => Some(false),
        Some(_) => Some(true),
        None => None,
    };
    let found = format!(
        "AOF {}{}, RDB snapshots {}",
        if aof { "on" } else { "off" },
        match (aof, fsync) {
            (true, Some(f)) => format!(" (appendfsync {f})"),
            (true, None) => " (appendfsync unknown: CONFIG GET refused)".to_owned(),
            _ => String::new(),
        },
        match snapshots {
            Some(true) => "on",
            Some(false) => "off",
            None => "unknown (CONFIG GET refused)",
        }
    );
    let (verdict, advice) = match (aof, fsync, snapshots) {
        (true, Some("always"), _) => (
            Verdict::Ok,
            "every acknowledged write is on disk before Redis answers: a crash loses nothing",
        ),
        (true, Some("everysec"), _) => (
            Verdict::Warning,
            "a crash can lose about the last second of acknowledged writes (revocations, \
             redemptions) without notice; appendfsync always closes that window",
        ),
        (true, _, _) => (
            Verdict::Warning,
            "the operating system decides when writes reach the disk: a crash can lose recent \
             revocations and redemptions without notice; use appendfsync always (or everysec)",
        ),
        (false, _, Some(true)) => (
            Verdict::Unsafe,
            "a restart reloads the last snapshot, silently undoing every revocation and \
             redemption since; turn on AOF (appendonly yes, appendfsync always)",
        ),
        (false, _, Some(false)) => (
            Verdict::Warning,
            "a restart starts empty; the store then refuses every call until it is \
             initialized again (closed, not silent) — turn on AOF to keep state across restarts",
        ),
        (false, _, None) => (
            Verdict::Warning,
            "cannot tell whether snapshots are on; a snapshot reloaded after a restart would \
             silently undo what happened since it was taken; turn on AOF (appendfsync always)",
        ),
    };
    HealthCheck::new("persistence", node, found, verdict, advice)
}

fn replication(node: Option<&str>, info: &Info) -> HealthCheck {
    let role = info.get("role").unwrap_or("unknown");
    let replicas: u32 = info
        .get("connected_slaves")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    match role {
        "master" if replicas == 0 => HealthCheck::new(
            "replication",
            node,
            "primary, no replicas",
            Verdict::Ok,
            "no failover can lose writes (and none can take over if this server fails)",
        ),
        "master" => HealthCheck::new(
            "replication",
            node,
            format!("primary with {replicas} replica(s)"),
            Verdict::Warning,
            "replication is asynchronous: a failover can lose the last acknowledged writes \
             without notice (a failover to an empty replica is caught by the marker)",
        ),
        other => HealthCheck::new(
            "replication",
            node,
            format!("role {other}"),
            Verdict::Unsafe,
            "connected to a replica: writes fail; connect to the primary",
        ),
    }
}

/// The clock line of a health report.
pub(super) fn clock_check(o: &Offset, allowance: Duration) -> HealthCheck {
    let found = format!(
        "this process is {} from Redis (± {:.1} ms)",
        signed_seconds(o.offset),
        o.uncertainty.as_seconds_f64() * 1000.0
    );
    let apart = o.offset.abs() - o.uncertainty;
    let (verdict, advice) = if apart > allowance {
        (
            Verdict::Unsafe,
            "more than the margin minus the leeway: state could expire while tokens still \
             verify, so the store refuses to connect; synchronize the clocks (NTP)"
                .to_owned(),
        )
    } else if apart > Duration::SECOND {
        (
            Verdict::Warning,
            format!(
                "over a second; tolerated up to {} (margin minus leeway), but check NTP",
                signed_seconds(allowance)
            ),
        )
    } else {
        (
            Verdict::Ok,
            "expiries are relative, so only the clocks of the application servers matter, \
             and they agree with Redis"
                .to_owned(),
        )
    };
    HealthCheck::new("clock", o.node.as_deref(), found, verdict, advice)
}

/// The store's shared state: the guard, and the task that re-checks eviction.
#[derive(Default)]
pub(super) struct Watch {
    pub(super) guard: Arc<Guard>,
    pub(super) _recheck: Option<Recheck>,
    /// Whether the connection is up, as calls have seen it (reported with `tracing`).
    pub(super) link: Link,
}
