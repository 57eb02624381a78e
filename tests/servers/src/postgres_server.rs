//! A real PostgreSQL for tests: `initdb` and the server from Debian's `postgresql` package, in a
//! temporary directory, on a free loopback port. As root (CI containers), the server runs as
//! the `postgres` user, which PostgreSQL requires.
//!
//! The server is watched by a shell loop that kills it when the test process exits.

#![allow(dead_code, unreachable_pub, missing_docs)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::redis_server::{TempDir, free_port};

/// The directory holding `initdb` and `postgres`: `$PATH`, else Debian's versioned directory.
fn bin_dir() -> Option<PathBuf> {
    let in_path = Command::new("sh")
        .arg("-c")
        .arg("command -v initdb")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
    if let Some(initdb) = in_path {
        let real = std::fs::canonicalize(&initdb).unwrap_or(initdb);
        return real.parent().map(Path::to_path_buf);
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|p| p.join("initdb").exists())
        .collect();
    versions.sort();
    versions.pop()
}

/// Are PostgreSQL's server binaries here? Under `CI=true` their absence is a failure;
/// elsewhere a loud skip.
pub fn available() -> bool {
    let found = bin_dir().is_some();
    if !found {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "PostgreSQL (initdb, postgres) is required under CI=true (install Debian's postgresql)"
        );
        eprintln!(
            "\n!!! SKIPPED: PostgreSQL not found and ADMIT_POSTGRES_URL not set: \
             PostgreSQL tests did not run !!!\n"
        );
    }
    found
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// A command run as the server's owner: `postgres` when we are root, else ourselves.
fn as_owner(program: &Path) -> Command {
    if is_root() {
        let mut c = Command::new("runuser");
        c.arg("-u").arg("postgres").arg("--").arg(program);
        c
    } else {
        Command::new(program)
    }
}

pub struct PostgresServer {
    pub port: u16,
    bin: PathBuf,
    child: Option<Child>,
    dir: TempDir,
}

impl PostgresServer {
    /// A fresh cluster: `initdb` (trust authentication for loopback), then the server.
    pub fn start() -> PostgresServer {
        PostgresServer::init(None)
    }

    /// A fresh cluster where every connection must give `password` (SCRAM), as user
    /// `postgres`: for tests of a refused password.
    pub fn start_with_password(password: &str) -> PostgresServer {
        PostgresServer::init(Some(password))
    }

    fn init(password: Option<&str>) -> PostgresServer {
        let bin = bin_dir().expect("PostgreSQL binaries");
        let dir = TempDir::new("postgres");
        let pwfile = dir.path().join("pwfile");
        if let Some(password) = password {
            std::fs::write(&pwfile, password).expect("write the password file");
        }
        if is_root() {
            let status = Command::new("chown")
                .arg("-R")
                .arg("postgres:postgres")
                .arg(dir.path())
                .status()
                .expect("chown");
            assert!(status.success(), "chown the PostgreSQL directory");
        }
        let mut initdb = as_owner(&bin.join("initdb"));
        initdb.arg("-D").arg(dir.path().join("data"));
        match password {
            None => initdb.args(["-A", "trust"]),
            Some(_) => initdb
                .args(["-A", "scram-sha-256"])
                .arg(format!("--pwfile={}", pwfile.display())),
        };
        let out = initdb
            .args(["-U", "postgres", "--no-sync", "-E", "UTF8"])
            .output()
            .expect("run initdb");
        assert!(
            out.status.success(),
            "initdb failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut server = PostgresServer {
            port: free_port(),
            bin,
            child: None,
            dir,
        };
        server.spawn();
        server
    }

    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    fn spawn(&mut self) {
        let child = as_owner(&self.bin.join("postgres"))
            .arg("-D")
            .arg(self.dir.path().join("data"))
            .arg("-p")
            .arg(self.port.to_string())
            .args(["-c", "listen_addresses=127.0.0.1"])
            .arg("-c")
            .arg(format!(
                "unix_socket_directories={}",
                self.dir.path().display()
            ))
            .args(["-c", "max_connections=300", "-c", "fsync=on"])
            .args(["-c", "shared_buffers=32MB"])
            .stdout(Stdio::null())
            .stderr(
                std::fs::File::create(self.dir.path().join("server.log"))
                    .map(Stdio::from)
                    .unwrap_or_else(|_| Stdio::null()),
            )
            .spawn()
            .expect("start postgres");
        watch(
            child.id(),
            &self.dir.path().join("data").join("postmaster.pid"),
        );
        self.child = Some(child);
        self.wait_ready(Duration::from_secs(30));
    }

    fn wait_ready(&self, within: Duration) {
        let start = Instant::now();
        while start.elapsed() < within {
            let ready = Command::new(self.bin.join("pg_isready"))
                .args(["-h", "127.0.0.1", "-p", &self.port.to_string(), "-q"])
                .status()
                .is_ok_and(|s| s.success());
            if ready {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let log = std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default();
        panic!("PostgreSQL did not start within {within:?}:\n{log}");
    }

    /// The postmaster's process ID, from its pid file.
    pub fn postmaster_pid(&self) -> Option<u32> {
        std::fs::read_to_string(self.dir.path().join("data").join("postmaster.pid"))
            .ok()?
            .lines()
            .next()?
            .trim()
            .parse()
            .ok()
    }

    /// Sends `signal` (`STOP`, `CONT`, `KILL`) to the postmaster and every backend.
    pub fn signal_all(&self, signal: &str) {
        if let Some(pid) = self.postmaster_pid() {
            let _ = Command::new("pkill")
                .arg(format!("-{signal}"))
                .arg("-P")
                .arg(pid.to_string())
                .stderr(Stdio::null())
                .status();
            let _ = Command::new("kill")
                .arg(format!("-{signal}"))
                .arg(pid.to_string())
                .stderr(Stdio::null())
                .status();
        }
    }

    /// `SIGKILL` of the postmaster and its backends: no shutdown checkpoint, no final flush.
    pub fn kill9(&mut self) {
        let pid = self.postmaster_pid();
        self.signal_all("KILL");
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        // Wait until the postmaster is gone, so a restart finds its shared memory free.
        if let Some(pid) = pid {
            let start = Instant::now();
            while start.elapsed() < Duration::from_secs(10)
                && Command::new("kill")
                    .arg("-0")
                    .arg(pid.to_string())
                    .stderr(Stdio::null())
                    .status()
                    .is_ok_and(|s| s.success())
            {
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }

    /// Starts the server again on the same port and data directory (crash recovery runs).
    pub fn restart(&mut self) {
        self.kill9();
        self.spawn();
    }
}

impl Drop for PostgresServer {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// Kills the server (`pid`, and the postmaster named in `pid_file`, which is its child when we
/// run it through `runuser`) once this test process is gone.
fn watch(pid: u32, pid_file: &Path) {
    let me = std::process::id();
    let pid_file = pid_file.display();
    let _ = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "while kill -0 {me} 2>/dev/null && kill -0 {pid} 2>/dev/null; do sleep 1; done; \
             kill -9 $(head -n 1 {pid_file} 2>/dev/null) {pid} 2>/dev/null"
        ))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
}
