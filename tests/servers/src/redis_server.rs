//! Real `redis-server` processes for tests and benches: a single node (optionally with AOF) or
//! a 3-master cluster, on free loopback ports in temporary directories.
//!
//! Each server is watched by a small shell loop that kills it when the test process exits, so
//! no server outlives its test run, even when a test binary is interrupted.

#![allow(dead_code, unreachable_pub, missing_docs)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Is `redis-server` here? Under `CI=true` its absence is a failure; elsewhere a loud skip.
pub fn available() -> bool {
    let found = Command::new("redis-server")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !found {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "redis-server is required under CI=true (install Debian's redis-server)"
        );
        eprintln!(
            "\n!!! SKIPPED: redis-server not found and ADMIT_REDIS_URL not set: \
             Redis tests did not run !!!\n"
        );
    }
    found
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// A private temporary directory, removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        use std::sync::atomic::{AtomicU32, Ordering};
        static N: AtomicU32 = AtomicU32::new(0);
        let path = std::env::temp_dir().join(format!(
            "admit-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&path).expect("create temp dir");
        TempDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub struct RedisServer {
    pub port: u16,
    args: Vec<String>,
    child: Option<Child>,
    dir: TempDir,
}

impl RedisServer {
    /// Starts a server with these extra `redis-server` arguments.
    pub fn start(extra: &[&str]) -> RedisServer {
        let mut server = RedisServer {
            port: free_port(),
            args: extra.iter().map(|s| s.to_string()).collect(),
            child: None,
            dir: TempDir::new("redis"),
        };
        server.spawn();
        server
    }

    /// A plain server that keeps nothing on disk.
    pub fn plain() -> RedisServer {
        RedisServer::start(&["--save", "", "--appendonly", "no"])
    }

    /// A server that fsyncs its AOF before acknowledging each write.
    pub fn durable() -> RedisServer {
        RedisServer::start(&[
            "--save",
            "",
            "--appendonly",
            "yes",
            "--appendfsync",
            "always",
        ])
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    fn spawn(&mut self) {
        let child = Command::new("redis-server")
            .arg("--port")
            .arg(self.port.to_string())
            .arg("--bind")
            .arg("127.0.0.1")
            .arg("--dir")
            .arg(self.dir.path())
            .arg("--logfile")
            .arg(self.dir.path().join("redis.log"))
            .args(&self.args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start redis-server");
        watch(child.id());
        self.child = Some(child);
        wait_ready(self.port, Duration::from_secs(20));
    }

    /// `SIGKILL`: no shutdown, no final fsync.
    pub fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill(); // SIGKILL on Unix
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same port and directory (reloading its AOF).
    pub fn restart(&mut self) {
        self.kill9();
        self.spawn();
    }

    /// Sends one command (inline protocol) and returns the raw reply.
    pub fn command(&self, line: &str) -> String {
        command(self.port, line)
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// Kills `pid` once this test process is gone.
fn watch(pid: u32) {
    let me = std::process::id();
    let _ = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "while kill -0 {me} 2>/dev/null && kill -0 {pid} 2>/dev/null; do sleep 1; done; \
             kill -9 {pid} 2>/dev/null"
        ))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
}

pub fn command(port: u16, line: &str) -> String {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return String::new();
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    let _ = s.write_all(format!("{line}\r\n").as_bytes());
    let mut buf = vec![0u8; 64 * 1024];
    let mut out = Vec::new();
    // Read until the reply looks complete (good enough for the short replies tests need).
    while let Ok(n) = s.read(&mut buf) {
        if n == 0 {
            break;
        }
        out.extend_from_slice(&buf[..n]);
        if out.ends_with(b"\r\n") && reply_complete(&out) {
            break;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn reply_complete(out: &[u8]) -> bool {
    match out.first() {
        Some(b'$') => {
            let text = String::from_utf8_lossy(out);
            let mut lines = text.splitn(2, "\r\n");
            let len: i64 = lines.next().unwrap_or("$0")[1..].parse().unwrap_or(0);
            len < 0
                || lines
                    .next()
                    .is_some_and(|rest| rest.len() as i64 >= len + 2)
        }
        _ => true,
    }
}

fn wait_ready(port: u16, limit: Duration) {
    let start = Instant::now();
    while start.elapsed() < limit {
        let reply = command(port, "PING");
        // A server with `requirepass` answers, but refuses: it is up.
        if reply.starts_with("+PONG") || reply.starts_with("-NOAUTH") {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("redis-server on port {port} did not start within {limit:?}");
}

/// A Redis Cluster of three masters (no replicas) on loopback.
pub struct RedisCluster {
    pub nodes: Vec<RedisServer>,
}

impl RedisCluster {
    pub fn start() -> RedisCluster {
        let nodes: Vec<RedisServer> = (0..3)
            .map(|_| {
                RedisServer::start(&[
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--cluster-enabled",
                    "yes",
                    "--cluster-config-file",
                    "nodes.conf",
                    "--cluster-node-timeout",
                    "5000",
                ])
            })
            .collect();
        let addrs: Vec<String> = nodes
            .iter()
            .map(|n| format!("127.0.0.1:{}", n.port))
            .collect();
        let out = Command::new("redis-cli")
            .arg("--cluster")
            .arg("create")
            .args(&addrs)
            .args(["--cluster-replicas", "0", "--cluster-yes"])
            .output()
            .expect("run redis-cli --cluster create");
        assert!(
            out.status.success(),
            "redis-cli --cluster create failed: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        let start = Instant::now();
        for node in &nodes {
            while !node.command("CLUSTER INFO").contains("cluster_state:ok") {
                assert!(
                    start.elapsed() < Duration::from_secs(30),
                    "cluster did not become ok"
                );
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        RedisCluster { nodes }
    }

    pub fn urls(&self) -> Vec<String> {
        self.nodes.iter().map(RedisServer::url).collect()
    }
}
