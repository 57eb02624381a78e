//! The `tracing` feature: a span and an event per store call with backend, operation, outcome
//! and latency; WARN events for a lost connection, a timeout and a refused configuration, INFO
//! when it comes back; and nothing secret in any of it.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use admit::store::{CodeSpec, MemoryStore, RedisStore, ShortCodes, SqliteStore, Store};
use admit::{Error, Invitation};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::fmt::format::FmtSpan;

use crate::support::redis_server::{self, RedisServer};

/// Everything the subscriber wrote, as text.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }

    /// The lines that contain every one of `parts`.
    fn lines_with(&self, parts: &[&str]) -> Vec<String> {
        self.text()
            .lines()
            .filter(|l| parts.iter().all(|p| l.contains(p)))
            .map(str::to_owned)
            .collect()
    }
}

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Captured {
        self.clone()
    }
}

/// Runs `test` on a current-thread runtime (so spawned tasks report here too) with a
/// subscriber at `level` writing to the returned capture; span closes are written as well.
fn captured<F: Future<Output = ()>>(level: &str, test: impl FnOnce(Captured) -> F) -> Captured {
    let out = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(level))
        .with_span_events(FmtSpan::CLOSE)
        .with_ansi(false)
        .with_writer(out.clone())
        .finish();
    let _default = tracing::subscriber::set_default(subscriber);
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(test(out.clone()));
    out
}

/// The first number after `field=` on `line`.
fn number(line: &str, field: &str) -> Option<u64> {
    let at = line.find(&format!("{field}="))? + field.len() + 1;
    let digits: String = line[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

#[test]
fn every_store_call_has_a_span_with_outcome_and_latency_and_no_secret() {
    let issuer = crate::issuer();
    let token = issuer
        .mint(
            Invitation::builder()
                .email("ada@example.com")
                .inviter("grace-hopper")
                .max_uses(1),
        )
        .unwrap();
    let token_text = token.as_str().to_owned();
    let inv = token.invitation().clone();
    let code_seen = Arc::new(Mutex::new(String::new()));
    let dir = std::env::temp_dir().join(format!("admit-tracing-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("store.db");

    let seen = code_seen.clone();
    let (inv2, token2, db2) = (inv.clone(), token_text.clone(), db.clone());
    let out = captured("admit=debug", move |_| async move {
        let memory = MemoryStore::new();
        memory.record_issued(&inv2, None).await.unwrap();
        let joined = memory.redeem(&inv2, "user-4242").await.unwrap();
        assert_eq!(joined.uses, 1);
        let used_up = memory.redeem(&inv2, "user-5353").await.unwrap_err();
        assert!(matches!(used_up, Error::UsedUp { .. }));
        assert!(memory.revoke(inv2.id(), inv2.expires_at()).await.unwrap());
        let code = memory
            .create_code(&token2, &CodeSpec::default())
            .await
            .unwrap();
        assert_eq!(memory.resolve_code(&code).await.unwrap(), token2);
        *seen.lock().unwrap() = code;

        let sqlite = SqliteStore::builder()
            .create_if_missing()
            .open(&db2)
            .await
            .unwrap();
        sqlite.migrate().await.unwrap();
        sqlite.redeem(&inv2, "user-4242").await.unwrap();
        sqlite.revoke(inv2.id(), inv2.expires_at()).await.unwrap();
        let revoked = sqlite.check(&inv2).await.unwrap_err();
        assert!(matches!(revoked, Error::Revoked));
    });
    let _ = std::fs::remove_dir_all(&dir);

    // One event per call, with the span's fields on it; the span closes with them too.
    for (backend, op, outcome) in [
        ("memory", "record_issued", "ok"),
        ("memory", "redeem", "ok"),
        ("memory", "redeem", "used_up"),
        ("memory", "revoke", "ok"),
        ("memory", "create_code", "ok"),
        ("memory", "resolve_code", "ok"),
        ("sqlite", "connect", "ok"),
        ("sqlite", "migrate", "ok"),
        ("sqlite", "redeem", "ok"),
        ("sqlite", "check", "revoked"),
    ] {
        let fields = [
            &format!("backend=\"{backend}\"") as &str,
            &format!("op=\"{op}\""),
            &format!("outcome=\"{outcome}\""),
        ];
        let events: Vec<String> = out
            .lines_with(&fields)
            .into_iter()
            .filter(|l| l.contains("DEBUG") && l.contains("store call"))
            .collect();
        assert!(
            !events.is_empty(),
            "no event for {fields:?} in\n{}",
            out.text()
        );
        for event in &events {
            assert!(number(event, "latency_us").is_some(), "{event}");
        }
        let closes = out.lines_with(&[fields[0], fields[1], fields[2], "close"]);
        assert!(!closes.is_empty(), "no span close for {fields:?}");
        // A refusal is an answer, not a failure: never WARN.
        assert!(
            out.lines_with(&[fields[0], fields[1], fields[2], "WARN"])
                .is_empty()
        );
    }

    let text = out.text();
    let code = code_seen.lock().unwrap().clone();
    for secret in [
        token_text.as_str(),
        "ada@example.com",
        "grace-hopper",
        "user-4242",
        "user-5353",
        code.as_str(),
        &inv.id().to_string(),
        &dir.to_string_lossy(),
    ] {
        assert!(!secret.is_empty());
        assert!(!text.contains(secret), "{secret:?} was logged:\n{text}");
    }
}

#[test]
fn a_subscriber_at_info_sees_nothing_of_calls_that_went_through() {
    let inv = crate::issuer()
        .mint(Invitation::builder())
        .unwrap()
        .invitation()
        .clone();
    let out = captured("info", move |_| async move {
        let memory = MemoryStore::new();
        memory.redeem(&inv, "someone").await.unwrap();
        memory.revoke(inv.id(), inv.expires_at()).await.unwrap();
        memory.redeem(&inv, "someone-else").await.unwrap_err();
    });
    assert_eq!(
        out.text(),
        "",
        "calls that worked or were refused are DEBUG"
    );
}

/// A server going down and coming back under a store: one redemption, `down`, `failures`
/// redemptions that must fail as unreachable, `up`, then redemptions until one goes through
/// (within `patience`).
struct Outage<S> {
    failures: usize,
    down: fn(&mut S),
    up: fn(&mut S),
    patience: Duration,
}

impl<S> Outage<S> {
    async fn ride_out(&self, store: &impl Store, inv: &Invitation, server: &mut S) {
        store.redeem(inv, "a").await.unwrap();
        (self.down)(server);
        for _ in 0..self.failures {
            let e = store.redeem(inv, "b").await.unwrap_err();
            assert!(
                matches!(
                    e.code(),
                    "store_unavailable" | "store_connect" | "store_timeout"
                ),
                "{e}"
            );
        }
        (self.up)(server);
        let started = Instant::now();
        while store.redeem(inv, "c").await.is_err() {
            assert!(started.elapsed() < self.patience, "no reconnect");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// What an [`Outage`] on `backend` must leave in the log: each failed call a WARN with its
/// outcome and latency, the connection reported lost once and back once, with how long.
fn outage_reported(out: &Captured, backend: &str, failures: usize) {
    let backend = format!("backend=\"{backend}\"");
    let failed = out.lines_with(&["WARN", "store call failed", &backend, "op=\"redeem\""]);
    assert!(failed.len() >= failures, "{}", out.text());
    assert!(
        failed
            .iter()
            .all(|l| l.contains("outcome=\"store_unavailable\"")
                || l.contains("outcome=\"store_connect\"")
                || l.contains("outcome=\"store_timeout\"")),
        "{failed:?}"
    );
    assert!(failed.iter().all(|l| number(l, "latency_us").is_some()));
    let lost = out.lines_with(&["WARN", "lost the connection", &backend]);
    assert_eq!(lost.len(), 1, "{}", out.text());
    let back = out.lines_with(&["INFO", "reconnected to the store", &backend]);
    assert_eq!(back.len(), 1, "{}", out.text());
    assert!(
        number(&back[0], "down_ms").is_some_and(|ms| ms > 0),
        "{back:?}"
    );
}

#[test]
fn redis_lost_connection_timeout_and_reconnect_are_reported() {
    if !redis_server::available() {
        return;
    }
    let mut server = RedisServer::durable();
    let url = server.url();
    let inv = crate::issuer()
        .mint(Invitation::builder().max_uses(100))
        .unwrap()
        .invitation()
        .clone();
    let out = captured("admit=info", move |_| async move {
        let store = RedisStore::builder()
            .deadline(Duration::from_millis(500))
            .create_if_missing()
            .connect(&url)
            .await
            .unwrap();
        let outage = Outage {
            failures: 3,
            down: RedisServer::kill9,
            up: RedisServer::restart,
            patience: Duration::from_secs(20),
        };
        outage.ride_out(&store, &inv, &mut server).await;
    });
    outage_reported(&out, "redis", 3);

    // The URL (it may hold a password) is never logged; neither is the joiner.
    let text = out.text();
    assert!(!text.contains("127.0.0.1"), "{text}");
    assert!(!text.contains("joiner"), "{text}");
}

#[test]
fn redis_refused_configurations_are_reported() {
    if !redis_server::available() {
        return;
    }
    let server = RedisServer::plain();
    let url = server.url();
    assert!(
        server
            .command("CONFIG SET maxmemory 64mb")
            .starts_with("+OK")
    );
    assert!(
        server
            .command("CONFIG SET maxmemory-policy allkeys-lru")
            .starts_with("+OK")
    );
    let out = captured("admit=info", move |_| async move {
        // Refused at connect.
        let e = RedisStore::builder()
            .create_if_missing()
            .connect(&url)
            .await
            .unwrap_err();
        assert!(matches!(e, Error::StoreMisconfigured { .. }), "{e}");
        // Accepted, then changed behind the store's back, then mended.
        assert!(
            server
                .command("CONFIG SET maxmemory-policy noeviction")
                .starts_with("+OK")
        );
        let store = RedisStore::builder()
            .create_if_missing()
            .recheck(Some(Duration::from_millis(100)))
            .connect(&url)
            .await
            .unwrap();
        assert!(
            server
                .command("CONFIG SET maxmemory-policy allkeys-lru")
                .starts_with("+OK")
        );
        tokio::time::sleep(Duration::from_millis(600)).await;
        assert!(store.revocation_rules().await.is_err());
        assert!(
            server
                .command("CONFIG SET maxmemory-policy noeviction")
                .starts_with("+OK")
        );
        tokio::time::sleep(Duration::from_millis(600)).await;
        store.revocation_rules().await.unwrap();
    });

    let refused = out.lines_with(&[
        "WARN",
        "store configuration refused",
        "backend=\"redis\"",
        "outcome=\"store_misconfigured\"",
        "allkeys-lru",
    ]);
    // Once at connect, once when the re-check noticed (not once per re-check).
    assert_eq!(refused.len(), 2, "{}", out.text());
    let connect = out.lines_with(&["WARN", "store call failed", "op=\"connect\""]);
    assert_eq!(connect.len(), 1, "{}", out.text());
    let again = out.lines_with(&["INFO", "safe again", "backend=\"redis\""]);
    assert_eq!(again.len(), 1, "{}", out.text());
}

#[cfg(feature = "postgres")]
#[test]
fn postgres_lost_connection_and_reconnect_are_reported() {
    use admit::store::PgStore;

    use crate::support::postgres_server::{self, PostgresServer};

    if !postgres_server::available() {
        return;
    }
    let mut server = PostgresServer::start();
    let url = server.url();
    let inv = crate::issuer()
        .mint(Invitation::builder().max_uses(100))
        .unwrap()
        .invitation()
        .clone();
    let out = captured("admit=info", move |_| async move {
        let store = PgStore::builder()
            .deadline(Duration::from_millis(800))
            .connect(&url)
            .await
            .unwrap();
        store.migrate().await.unwrap();
        let outage = Outage {
            failures: 2,
            down: PostgresServer::kill9,
            up: PostgresServer::restart,
            patience: Duration::from_secs(30),
        };
        outage.ride_out(&store, &inv, &mut server).await;
    });
    outage_reported(&out, "postgres", 2);
    // The URL holds the server's user and port; it is never logged.
    assert!(!out.text().contains("postgres://"), "{}", out.text());
}
