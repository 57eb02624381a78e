//! The connection: one Redis server or a cluster, deadlines, script calls, fan-outs, and how
//! Redis's failures become store errors.

use std::time::Duration as StdDuration;

use redis::aio::{ConnectionLike, ConnectionManager};
use redis::{Cmd, RedisError, RedisFuture, Value};

use crate::connect_problem::ConnectProblem;
use crate::error::Error;
use redis::Script;

/// The error code the scripts answer with when their slot has no initialization marker.
const UNINIT: &str = "ADMIT_UNINIT";

#[derive(Clone)]
pub(super) enum Conn {
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

/// A script call under construction: `EVALSHA <sha> <n> <keys…> <args…>`.
pub(super) struct Call {
    lua: &'static Script,
    cmd: Cmd,
}

impl Call {
    /// A call of `lua` on `keys` (all in one slot; the first one routes it on a cluster).
    pub(super) fn new<const N: usize>(lua: &'static Script, keys: [&str; N]) -> Call {
        // Sized for the longest call of one invitation (record: 4 keys, 11 arguments).
        Call::sized(lua, &keys, 11, 256)
    }

    /// A call of `lua` on `keys`, with room for `args` arguments of `bytes` bytes in all.
    pub(super) fn sized(lua: &'static Script, keys: &[&str], args: usize, bytes: usize) -> Call {
        let mut cmd = Cmd::with_capacity(3 + keys.len() + args, bytes);
        cmd.arg("EVALSHA").arg(lua.get_hash()).arg(keys.len());
        for key in keys {
            cmd.arg(*key);
        }
        Call { lua, cmd }
    }

    pub(super) fn arg(mut self, arg: impl redis::ToRedisArgs) -> Call {
        self.cmd.arg(arg);
        self
    }

    /// Runs the call; after a Redis restart (`NOSCRIPT`), loads the script and runs it again.
    pub(super) async fn run(self, conn: &Conn) -> Result<Value, Error> {
        let mut conn = conn.clone();
        match self.cmd.query_async::<Value>(&mut conn).await {
            Err(e) if e.code() == Some("NOSCRIPT") => {
                self.lua.load_async(&mut conn).await.map_err(unavailable)?;
                self.cmd.query_async(&mut conn).await.map_err(unavailable)
            }
            other => other.map_err(unavailable),
        }
    }

    /// The bare `EVALSHA` command, for [`fan_out`].
    pub(super) fn into_cmd(self) -> Cmd {
        self.cmd
    }
}

/// Runs `work` within `deadline`.
pub(super) async fn within<T>(
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
/// The connection problem behind `e`, if it is one a person can fix; `info` names the server
/// when the caller knows it (while connecting).
pub(super) fn connect_problem(
    e: &RedisError,
    info: Option<&redis::ConnectionInfo>,
) -> Option<ConnectProblem> {
    const SERVER: &str = "Redis";
    let (host, port) = match info.map(redis::ConnectionInfo::addr) {
        Some(redis::ConnectionAddr::Tcp(host, port)) => (host.clone(), *port),
        Some(redis::ConnectionAddr::TcpTls { host, port, .. }) => (host.clone(), *port),
        _ => ("the server in the store URL".to_owned(), 0),
    };
    let address = if port == 0 {
        host.clone()
    } else {
        format!("{host}:{port}")
    };
    if e.kind() == redis::ErrorKind::AuthenticationFailed
        || matches!(e.code(), Some("WRONGPASS" | "NOAUTH"))
    {
        let user = info
            .and_then(|i| i.redis_settings().username())
            .unwrap_or("default");
        return Some(ConnectProblem::AuthenticationFailed {
            server: SERVER,
            user: user.to_owned(),
        });
    }
    if e.is_connection_refusal() {
        return Some(ConnectProblem::ConnectionRefused {
            server: SERVER,
            address,
        });
    }
    if e.is_io_error() && crate::connect_problem::is_lookup_failure(&e.to_string()) {
        return Some(ConnectProblem::HostNotFound {
            server: SERVER,
            host,
        });
    }
    None
}

pub(super) fn unavailable(e: RedisError) -> Error {
    if let Some(problem) = connect_problem(&e, None) {
        return Error::StoreConnect { problem };
    }
    if e.is_timeout() {
        // `within` fills in the deadline.
        return Error::StoreTimeout {
            after: StdDuration::ZERO,
        };
    }
    refused(e.code(), &e.to_string())
}

/// An error Redis reported for one step of a script that carried on with the others (`text`
/// starts with its code, as Redis writes errors: `OOM command not allowed…`).
pub(super) fn step_failed(text: &str) -> Error {
    refused(text.split(' ').next(), text)
}

/// A refusal by its code, or else as the text says (cut short).
fn refused(code: Option<&str>, text: &str) -> Error {
    match code {
        Some(UNINIT) => Error::StoreNotInitialized,
        Some("OOM") => Error::StoreUnavailable {
            reason: "Redis is out of memory (maxmemory reached with maxmemory-policy \
                     noeviction): it refuses writes until memory is freed or maxmemory is raised"
                .into(),
        },
        _ => Error::StoreUnavailable {
            reason: crate::connect_problem::short(text, 200),
        },
    }
}

pub(super) fn bad_reply() -> Error {
    Error::StoreUnavailable {
        reason: "unexpected reply from Redis".into(),
    }
}

/// Runs commands that may live in different slots: one pipeline on a single node, concurrent
/// requests on a cluster. Each command's result comes back in order, as Redis gave it; a lost
/// connection fails the whole call.
pub(super) async fn each(
    conn: &Conn,
    cmds: Vec<Cmd>,
) -> Result<Vec<Result<Value, RedisError>>, Error> {
    if cmds.is_empty() {
        return Ok(Vec::new());
    }
    match conn.clone() {
        Conn::Single(mut c) => {
            let mut pipe = redis::pipe();
            for cmd in cmds {
                pipe.add_command(cmd);
            }
            let values: Vec<Value> = pipe
                .ignore_errors()
                .query_async(&mut c)
                .await
                .map_err(unavailable)?;
            Ok(values
                .into_iter()
                .map(|v| match v {
                    Value::ServerError(e) => Err(RedisError::from(e)),
                    v => Ok(v),
                })
                .collect())
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
                let mut results: Vec<Option<Result<Value, RedisError>>> =
                    (0..chunk.len()).map(|_| None).collect();
                while let Some(joined) = tasks.join_next().await {
                    let (i, result) = joined.map_err(|_| Error::StoreUnavailable {
                        reason: "a cluster request task failed".into(),
                    })?;
                    if let Some(slot) = results.get_mut(i) {
                        *slot = Some(result);
                    }
                }
                for result in results {
                    out.push(result.ok_or_else(bad_reply)?);
                }
            }
            Ok(out)
        }
    }
}

/// Runs a script on many keys at once (a rule or the marker on every slot). If Redis does not
/// know the script (`NOSCRIPT`: it restarted, or this is the first use), loads it and sends
/// the calls again — they are idempotent. Each call's result comes back in order.
pub(super) async fn fan_out(
    conn: &Conn,
    lua: &Script,
    cmds: Vec<Cmd>,
) -> Result<Vec<Result<Value, Error>>, Error> {
    let mut results = each(conn, cmds.clone()).await?;
    if results
        .iter()
        .any(|r| matches!(r, Err(e) if e.code() == Some("NOSCRIPT")))
    {
        let mut c = conn.clone();
        lua.load_async(&mut c).await.map_err(unavailable)?;
        results = each(conn, cmds).await?;
    }
    Ok(results
        .into_iter()
        .map(|r| r.map_err(unavailable))
        .collect())
}

/// One primary's answer: a value, or the error the server gave (`NOPERM`, an unknown command).
pub(super) type NodeReply = Result<Value, RedisError>;

/// Sends `cmd` to every primary and returns each one's reply with its address (`host:port`).
/// A single node answers as the one primary, with no address. A server's refusal stays in the
/// node's reply; a lost connection fails the whole call.
pub(super) async fn every_primary(
    conn: &Conn,
    cmd: Cmd,
) -> Result<Vec<(Option<String>, NodeReply)>, Error> {
    match conn.clone() {
        Conn::Single(mut c) => match cmd.query_async::<Value>(&mut c).await {
            Ok(value) => Ok(vec![(None, Ok(value))]),
            Err(e) if e.code().is_some() => Ok(vec![(None, Err(e))]),
            Err(e) => Err(unavailable(e)),
        },
        #[cfg(feature = "cluster")]
        Conn::Cluster(mut c) => {
            use redis::cluster_routing::{MultipleNodeRoutingInfo, RoutingInfo};
            let routing = RoutingInfo::MultiNode((MultipleNodeRoutingInfo::AllMasters, None));
            let reply = c.route_command(cmd, routing).await.map_err(unavailable)?;
            let Value::Map(pairs) = reply else {
                return Err(bad_reply());
            };
            let mut out = Vec::with_capacity(pairs.len());
            for (node, value) in pairs {
                let node: String = redis::from_redis_value(node).map_err(|_| bad_reply())?;
                let value = match value {
                    Value::ServerError(e) => Err(RedisError::from(e)),
                    v => Ok(v),
                };
                out.push((Some(node), value));
            }
            out.sort_by(|a, b| a.0.cmp(&b.0));
            Ok(out)
        }
    }
}

/// The slot ranges of a cluster (first and last slot) with the address of the primary serving
/// each, from `CLUSTER SLOTS`; one range (all slots, no address) on a single node.
pub(super) async fn slot_ranges(conn: &Conn) -> Result<Vec<(usize, usize, Option<String>)>, Error> {
    match conn.clone() {
        Conn::Single(_) => Ok(vec![(0, 16383, None)]),
        #[cfg(feature = "cluster")]
        Conn::Cluster(mut c) => {
            let reply: Value = redis::cmd("CLUSTER")
                .arg("SLOTS")
                .query_async(&mut c)
                .await
                .map_err(unavailable)?;
            let Value::Array(ranges) = reply else {
                return Err(bad_reply());
            };
            let mut out = Vec::with_capacity(ranges.len());
            for range in ranges {
                let Value::Array(parts) = range else {
                    return Err(bad_reply());
                };
                let mut parts = parts.into_iter();
                let start: usize = parts
                    .next()
                    .and_then(|v| redis::from_redis_value(v).ok())
                    .ok_or_else(bad_reply)?;
                let end: usize = parts
                    .next()
                    .and_then(|v| redis::from_redis_value(v).ok())
                    .ok_or_else(bad_reply)?;
                let node = match parts.next() {
                    Some(Value::Array(primary)) => {
                        let mut primary = primary.into_iter();
                        let host: Option<String> =
                            primary.next().and_then(|v| redis::from_redis_value(v).ok());
                        let port: Option<u16> =
                            primary.next().and_then(|v| redis::from_redis_value(v).ok());
                        host.zip(port).map(|(h, p)| format!("{h}:{p}"))
                    }
                    _ => None,
                };
                out.push((start, end, node));
            }
            out.sort();
            Ok(out)
        }
    }
}
