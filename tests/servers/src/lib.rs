//! Real servers for admit's tests and benches, started on free loopback ports in temporary
//! directories and stopped with the process: `redis-server` (a single node, with AOF, or a
//! 3-master cluster) and PostgreSQL (`initdb` + `postgres`). Where the machine already runs
//! one, `ADMIT_REDIS_URL`, `ADMIT_REDIS_CLUSTER_URLS` and `ADMIT_POSTGRES_URL` name it instead.
//!
//! Under `CI=true` a missing server program is a failure; elsewhere the tests that need it say
//! loudly that they were skipped.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

pub mod postgres_server;
pub mod redis_server;

pub use redis_server::{TempDir, free_port};

/// The single-node Redis shared by one test process: `ADMIT_REDIS_URL`, or a server started
/// on first use; `None` when there is neither (the skip was announced).
pub fn redis_url() -> Option<String> {
    static SERVER: OnceLock<Option<(String, Option<redis_server::RedisServer>)>> = OnceLock::new();
    SERVER
        .get_or_init(|| {
            if let Ok(url) = std::env::var("ADMIT_REDIS_URL") {
                return Some((url, None));
            }
            redis_server::available().then(|| {
                let server = redis_server::RedisServer::plain();
                (server.url(), Some(server))
            })
        })
        .as_ref()
        .map(|(url, _)| url.clone())
}

/// The Redis Cluster shared by one test process: `ADMIT_REDIS_CLUSTER_URLS` (comma-separated),
/// or three masters started on first use.
pub fn redis_cluster_urls() -> Option<Vec<String>> {
    type Shared = Option<(Vec<String>, Option<redis_server::RedisCluster>)>;
    static CLUSTER: OnceLock<Shared> = OnceLock::new();
    CLUSTER
        .get_or_init(|| {
            if let Ok(urls) = std::env::var("ADMIT_REDIS_CLUSTER_URLS") {
                return Some((urls.split(',').map(str::to_owned).collect(), None));
            }
            redis_server::available().then(|| {
                let cluster = redis_server::RedisCluster::start();
                (cluster.urls(), Some(cluster))
            })
        })
        .as_ref()
        .map(|(urls, _)| urls.clone())
}

/// The PostgreSQL shared by one test process: `ADMIT_POSTGRES_URL`, or a server started on
/// first use.
pub fn postgres_url() -> Option<String> {
    type Shared = Option<(String, Option<postgres_server::PostgresServer>)>;
    static SERVER: OnceLock<Shared> = OnceLock::new();
    SERVER
        .get_or_init(|| {
            if let Ok(url) = std::env::var("ADMIT_POSTGRES_URL") {
                return Some((url, None));
            }
            postgres_server::available().then(|| {
                let server = postgres_server::PostgresServer::start();
                (server.url(), Some(server))
            })
        })
        .as_ref()
        .map(|(url, _)| url.clone())
}

/// A name no other test of any process uses: process, time, counter.
fn unique(separator: char) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let n = N.fetch_add(1, Ordering::Relaxed);
    let id = std::process::id();
    format!("t{id}{separator}{}{separator}{n}", nanos % 1_000_000_007)
}

/// A Redis key prefix no other test uses.
pub fn unique_prefix() -> String {
    format!("{}:", unique('-'))
}

/// A SQL table prefix no other test uses.
pub fn unique_table_prefix() -> String {
    format!("{}_", unique('_'))
}
