//! Connection problems a person can fix, told apart from the rest: a server that refuses the
//! password, nothing listening, an unknown host, a failed TLS handshake, a missing database.
//! A pool that timed out is probed with one direct connection, so a server that is down reads
//! as down, not as "every connection is busy".

use core::time::Duration;
#[cfg(feature = "postgres")]
use std::io::ErrorKind as IoKind;

use sqlx::Pool;

use super::dialect::Dialect;
#[cfg(feature = "postgres")]
use crate::connect_problem::{ConnectProblem, is_lookup_failure, short};
use crate::error::Error;

/// Where a SQL store connects, to name it in a [`ConnectProblem`] (a server: PostgreSQL).
#[cfg(feature = "postgres")]
pub(crate) struct Target<'a> {
    pub(crate) server: &'static str,
    pub(crate) host: &'a str,
    pub(crate) port: u16,
}

#[cfg(feature = "postgres")]
impl Target<'_> {
    fn address(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

/// The problem behind a network or TLS error on the way to `target`, if it is one of those.
/// A connection that broke in the middle of a call is not: it stays
/// [`Error::StoreUnavailable`].
#[cfg(feature = "postgres")]
pub(crate) fn network_problem(e: &sqlx::Error, target: &Target<'_>) -> Option<ConnectProblem> {
    let server = target.server;
    match e {
        sqlx::Error::Io(io) => match io.kind() {
            IoKind::ConnectionRefused => Some(ConnectProblem::ConnectionRefused {
                server,
                address: target.address(),
            }),
            IoKind::TimedOut
            | IoKind::HostUnreachable
            | IoKind::NetworkUnreachable
            | IoKind::AddrNotAvailable => Some(ConnectProblem::Unreachable {
                server,
                address: target.address(),
                detail: io.kind().to_string(),
            }),
            _ if is_lookup_failure(&io.to_string()) => Some(ConnectProblem::HostNotFound {
                server,
                host: target.host.to_owned(),
            }),
            _ => None,
        },
        sqlx::Error::Tls(tls) => Some(ConnectProblem::Tls {
            server,
            detail: short(&tls.to_string(), DETAIL_LEN),
        }),
        _ => None,
    }
}

/// The longest detail (a TLS library's, a SQLite message) a [`ConnectProblem`] keeps.
pub(crate) const DETAIL_LEN: usize = 160;

/// What stands behind `e`: when a pool timed out, one direct connection with `options` (for
/// at most `probe`) is tried, and its failure, if any, is the cause — nothing could be opened,
/// which is why the pool had no connection. If it opens (or is slow), the pool really was busy
/// and `e` stands.
pub(crate) async fn behind_timeout<O>(options: &O, e: sqlx::Error, probe: Duration) -> sqlx::Error
where
    O: sqlx::ConnectOptions,
    O::Connection: Sized,
{
    match e {
        sqlx::Error::PoolTimedOut => match tokio::time::timeout(probe, options.connect()).await {
            Ok(Err(cause)) => cause,
            Ok(Ok(_)) | Err(_) => sqlx::Error::PoolTimedOut,
        },
        other => other,
    }
}

/// A database error as a store error, with connection problems named: a pool that timed out
/// is probed first ([`behind_timeout`]).
pub(crate) async fn explain<DB: Dialect>(
    pool: &Pool<DB>,
    what: &str,
    e: sqlx::Error,
    probe: Duration,
) -> Error {
    let e = behind_timeout(&*pool.connect_options(), e, probe).await;
    match DB::connect_problem(pool, &e) {
        Some(problem) => Error::StoreConnect { problem },
        None => DB::unavailable(what, &e),
    }
}
