//! Webhooks against a real HTTP receiver on a loopback port that fails at random (500s,
//! answers slower than the timeout, dropped connections): every event arrives, signed, with
//! the same webhook-id on every retry, in order per invitation, never at the same time from two
//! workers; a restarted worker goes on from its cursor. And the receiver's check.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use admit::Invitation;
use admit::store::{EventFilter, Events, MemoryStore, Store};
use admit::webhooks::{WebhookSecret, WebhookSender, WebhookVerifier, endpoint_status};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// What the receiver saw.
#[derive(Default)]
struct Seen {
    /// Every request: (webhook-id, arrival number).
    requests: Vec<(String, u64)>,
    /// Accepted deliveries: webhook-id → (invitation, arrival number, acceptance number).
    accepted: Vec<(String, Option<String>, u64, u64)>,
    /// webhook-ids being accepted right now.
    in_flight: HashSet<String>,
    /// Anything that must never happen (a bad signature, an overlap).
    violations: Vec<String>,
}

struct Receiver {
    url: String,
    seen: Arc<Mutex<Seen>>,
}

/// Starts the receiver: of every ten requests, two get a 500, one an answer slower than the
/// sender's timeout, one a dropped connection; the rest are checked and accepted.
async fn receiver(flaky: bool) -> Receiver {
    receiver_for(flaky, SECRET.parse().unwrap()).await
}

/// The receiver, checking signatures with `secret`.
async fn receiver_for(flaky: bool, secret: WebhookSecret) -> Receiver {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hooks", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Seen::default()));
    let counter = Arc::new(AtomicU64::new(0));
    let verifier = WebhookVerifier::new([secret]);
    let state = Arc::clone(&seen);
    tokio::spawn(async move {
        loop {
            let Ok((conn, _)) = listener.accept().await else {
                return;
            };
            let (seen, counter, verifier) = (state.clone(), counter.clone(), verifier.clone());
            tokio::spawn(async move {
                let _ = serve(conn, seen, counter, verifier, flaky).await;
            });
        }
    });
    Receiver { url, seen }
}

async fn serve(
    mut conn: TcpStream,
    seen: Arc<Mutex<Seen>>,
    counter: Arc<AtomicU64>,
    verifier: WebhookVerifier,
    flaky: bool,
) -> std::io::Result<()> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        let n = conn.read(&mut chunk).await?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let headers: HashMap<String, String> = head
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let length: usize = headers
        .get("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    while buf.len() < head_end + length {
        let n = conn.read(&mut chunk).await?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let body = buf[head_end..head_end + length].to_vec();
    let arrival = counter.fetch_add(1, Ordering::SeqCst);
    let id = headers.get("webhook-id").cloned().unwrap_or_default();
    seen.lock().unwrap().requests.push((id.clone(), arrival));
    let respond = |status: &str| {
        format!("HTTP/1.1 {status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
    };
    if flaky {
        match arrival % 10 {
            1 | 4 => {
                return conn
                    .write_all(respond("500 Internal Server Error").as_bytes())
                    .await;
            }
            7 => {
                tokio::time::sleep(Duration::from_millis(600)).await;
                return conn
                    .write_all(respond("500 Internal Server Error").as_bytes())
                    .await;
            }
            9 => return Ok(()), // dropped without an answer
            _ => {}
        }
    }
    let checked = verifier.verify(
        &id,
        headers.get("webhook-timestamp").map_or("", String::as_str),
        headers.get("webhook-signature").map_or("", String::as_str),
        &body,
    );
    let event: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    {
        let mut seen = seen.lock().unwrap();
        if let Err(e) = checked {
            seen.violations.push(format!("{id}: {e}"));
        }
        if format!("evt_{}", event["cursor"].as_str().unwrap_or("")) != id {
            seen.violations
                .push(format!("{id}: the id is not the event's"));
        }
        if !seen.in_flight.insert(id.clone()) {
            seen.violations
                .push(format!("{id}: delivered twice at once"));
        }
    }
    // A short while "processing", so that overlapping deliveries would show.
    tokio::time::sleep(Duration::from_millis(2)).await;
    {
        let mut seen = seen.lock().unwrap();
        seen.in_flight.remove(&id);
        let accepted = counter.fetch_add(1, Ordering::SeqCst);
        let invitation = event["invitation"].as_str().map(str::to_owned);
        seen.accepted.push((id, invitation, arrival, accepted));
    }
    conn.write_all(respond("204 No Content").as_bytes()).await
}

fn sender(store: &MemoryStore, url: &str) -> WebhookSender<MemoryStore> {
    WebhookSender::builder(store.clone(), url, SECRET.parse().unwrap())
        .name("test")
        .allow_internal_targets()
        .timeout(Duration::from_millis(300))
        .lease(Duration::from_secs(2))
        .backoff(Duration::from_millis(5), Duration::from_millis(40))
        .max_attempts(3)
        .page(25)
        .build()
        .unwrap()
}

/// Facts on 40 invitations: issued, then two redemptions of a two-use link (redeemed,
/// redeemed, exhausted): 160 events.
async fn facts(store: &MemoryStore, from: usize, to: usize) {
    for n in from..to {
        let token = crate::issuer()
            .mint(
                Invitation::builder()
                    .max_uses(2)
                    .inviter(format!("i{}", n % 3)),
            )
            .unwrap();
        store.record_issued(token.invitation(), None).await.unwrap();
        store.redeem(token.invitation(), "a").await.unwrap();
        store.redeem(token.invitation(), "b").await.unwrap();
    }
}

async fn all_ids(store: &MemoryStore) -> Vec<(String, Option<String>)> {
    let events = store.events(&EventFilter::new().limit(1000)).await.unwrap();
    events
        .iter()
        .map(|e| {
            (
                format!("evt_{}", e.cursor),
                e.invitation.map(|i| i.to_string()),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_event_arrives_signed_in_order_once_at_a_time() {
    let r = receiver(true).await;
    let store = MemoryStore::new();
    facts(&store, 0, 40).await;
    let expected = all_ids(&store).await;
    assert_eq!(expected.len(), 160);

    // Two workers on one endpoint, at once.
    let (a, b) = (sender(&store, &r.url), sender(&store, &r.url));
    assert_ne!(a.worker(), b.worker());
    let stop = Arc::new(tokio::sync::Notify::new());
    let run = |s: WebhookSender<MemoryStore>| {
        let stop = stop.clone();
        tokio::spawn(async move { s.run_until(async move { stop.notified().await }).await })
    };
    let (ta, tb) = (run(a), run(b));
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let status = endpoint_status(&store, "test").await.unwrap();
        if status.as_ref().is_some_and(|s| s.delivered >= 160) {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{status:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    stop.notify_waiters();
    ta.await.unwrap().unwrap();
    tb.await.unwrap().unwrap();

    {
        let seen = r.seen.lock().unwrap();
        assert!(seen.violations.is_empty(), "{:?}", seen.violations);
        // Every event accepted, under its own id; retries reused it (more requests than ids).
        let accepted: HashSet<&str> = seen.accepted.iter().map(|a| a.0.as_str()).collect();
        let wanted: HashSet<&str> = expected.iter().map(|e| e.0.as_str()).collect();
        assert_eq!(accepted, wanted);
        let asked: HashSet<&str> = seen.requests.iter().map(|r| r.0.as_str()).collect();
        assert_eq!(asked, wanted, "no id but the events'");
        assert!(
            seen.requests.len() > 160,
            "the receiver failed some: they were retried"
        );
        // Order per invitation: an event is first sent only after the one before it was taken.
        let first_sent = |id: &str| seen.requests.iter().find(|r| r.0 == id).unwrap().1;
        let first_taken = |id: &str| seen.accepted.iter().find(|a| a.0 == id).unwrap().3;
        let mut by_invitation: HashMap<&Option<String>, Vec<&str>> = HashMap::new();
        for (id, invitation) in &expected {
            by_invitation.entry(invitation).or_default().push(id);
        }
        for ids in by_invitation.values() {
            for pair in ids.windows(2) {
                assert!(
                    first_taken(pair[0]) < first_sent(pair[1]),
                    "{} sent before {} was taken",
                    pair[1],
                    pair[0]
                );
            }
        }
    }
    let status = endpoint_status(&store, "test").await.unwrap().unwrap();
    assert_eq!(
        status.cursor.unwrap().to_string(),
        expected[159].0["evt_".len()..]
    );
    assert_eq!(
        status.worker, None,
        "both workers gave up the lease on stop"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_restarted_worker_goes_on_from_its_cursor() {
    let r = receiver(false).await;
    let store = MemoryStore::new();
    facts(&store, 0, 10).await;
    let first = sender(&store, &r.url);
    let mut delivered = 0;
    while delivered < 40 {
        delivered += first.deliver_next().await.unwrap().delivered;
    }
    first.release().await.unwrap();
    drop(first);
    let cursor = endpoint_status(&store, "test")
        .await
        .unwrap()
        .unwrap()
        .cursor;
    let before = r.seen.lock().unwrap().accepted.len();
    assert_eq!(before, 40);

    facts(&store, 10, 15).await;
    let second = sender(&store, &r.url);
    let mut more = 0;
    while more < 20 {
        more += second.deliver_next().await.unwrap().delivered;
    }
    let seen = r.seen.lock().unwrap();
    assert_eq!(
        seen.accepted.len(),
        60,
        "nothing delivered twice, nothing skipped"
    );
    let ids: HashSet<&str> = seen.accepted.iter().map(|a| a.0.as_str()).collect();
    assert_eq!(ids.len(), 60);
    assert!(cursor.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_endpoint_is_marked_and_recovers() {
    // Nothing listens on this port: every attempt fails to connect.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let store = MemoryStore::new();
    facts(&store, 0, 1).await;
    let s = sender(&store, &format!("http://127.0.0.1:{port}/"));
    let stop = tokio::time::sleep(Duration::from_millis(800));
    s.run_until(stop).await.unwrap();
    let status = endpoint_status(&store, "test").await.unwrap().unwrap();
    assert!(status.is_failing(), "{status:?}");
    assert!(status.failures >= 3);
    assert_eq!(status.cursor, None, "nothing delivered, nothing skipped");
    assert_eq!(status.last_error.as_deref(), Some("could not connect"));
    let text = format!("{status:?} {s:?}");
    assert!(!text.contains("MfKQ9r8G"), "no secret in Debug: {text}");
    // The endpoint answers again (here: moved to a receiver that works): the mark goes.
    let r = receiver(false).await;
    let moved = sender(&store, &r.url);
    assert_eq!(moved.deliver_next().await.unwrap().delivered, 4);
    let status = endpoint_status(&store, "test").await.unwrap().unwrap();
    assert!(!status.is_failing(), "{status:?}");
    assert_eq!((status.failures, status.delivered), (0, 4));
}

#[test]
fn targets_and_settings_are_checked() {
    let store = MemoryStore::new();
    let secret = || SECRET.parse::<WebhookSecret>().unwrap();
    let build = |url: &str| WebhookSender::builder(store.clone(), url, secret()).build();
    for internal in [
        "http://127.0.0.1:9/",
        "http://localhost/",
        "http://10.0.0.8/hooks",
        "http://[::1]/",
        "http://169.254.169.254/latest/meta-data",
    ] {
        let refused = build(internal).unwrap_err();
        assert!(
            refused.to_string().contains("internal"),
            "{internal}: {refused}"
        );
    }
    assert!(build("https://hooks.example.com/admit").is_ok());
    assert!(build("https://user:pw@hooks.example.com/").is_err());
    assert!(build("file:///etc/passwd").is_err());
    let slow = WebhookSender::builder(store.clone(), "https://h.example/", secret())
        .timeout(Duration::from_secs(20))
        .build();
    assert!(slow.is_err(), "a timeout above half the lease");
    // Secrets: never in Debug, refused when malformed.
    assert_eq!(format!("{:?}", secret()), "WebhookSecret(..)");
    for bad in [
        "",
        "whsec_",
        "whsec_!!!",
        "sk_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "whsec_c2hvcnQ=",
    ] {
        let e = bad.parse::<WebhookSecret>().unwrap_err();
        assert!(!e.to_string().contains("MfKQ"), "{e}");
    }
}

/// The reference vector published with the Standard Webhooks specification.
#[test]
fn signatures_match_the_standard_webhooks_vector() {
    let secret: WebhookSecret = SECRET.parse().unwrap();
    let (id, ts, body) = (
        "msg_p5jXN8AQM9LWM0D4loKWxJek",
        1_614_265_330,
        br#"{"test": 2432232314}"#,
    );
    let signature = secret.sign(id, ts, body);
    assert_eq!(signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    let at = time::OffsetDateTime::from_unix_timestamp(ts).unwrap();
    WebhookVerifier::new([secret])
        .verify_at(id, "1614265330", &signature, body, at)
        .unwrap();
}

#[test]
fn the_receiver_check_refuses_changed_old_and_foreign_deliveries() {
    let secret: WebhookSecret = SECRET.parse().unwrap();
    let other = WebhookSecret::generate().unwrap();
    let verifier = WebhookVerifier::new([secret.clone()]);
    let now = time::OffsetDateTime::now_utc();
    let ts = now.unix_timestamp();
    let body = br#"{"type":"revoked"}"#;
    let signature = secret.sign("evt_0-9", ts, body);
    let check =
        |id: &str, ts: &str, sig: &str, body: &[u8]| verifier.verify_at(id, ts, sig, body, now);
    assert!(check("evt_0-9", &ts.to_string(), &signature, body).is_ok());
    // A changed body, another id, an old or future timestamp, another secret.
    assert!(
        check(
            "evt_0-9",
            &ts.to_string(),
            &signature,
            br#"{"type":"issued"}"#
        )
        .is_err()
    );
    assert!(check("evt_0-8", &ts.to_string(), &signature, body).is_err());
    let old = ts - 301;
    let resigned = secret.sign("evt_0-9", old, body);
    let e = check("evt_0-9", &old.to_string(), &resigned, body).unwrap_err();
    assert_eq!(e.code(), "webhook_refused");
    assert!(e.to_string().contains("tolerance"), "{e}");
    let future = ts + 301;
    assert!(
        check(
            "evt_0-9",
            &future.to_string(),
            &secret.sign("evt_0-9", future, body),
            body
        )
        .is_err()
    );
    let foreign = other.sign("evt_0-9", ts, body);
    assert!(check("evt_0-9", &ts.to_string(), &foreign, body).is_err());
    // Malformed headers.
    assert!(check("", &ts.to_string(), &signature, body).is_err());
    assert!(check("evt_0-9", "12a", &signature, body).is_err());
    assert!(check("evt_0-9", &ts.to_string(), "v1,###", body).is_err());
    // Rotation: several signatures, one of them by the secret, pass; two secrets verify.
    let both = format!("{foreign} {signature}");
    assert!(check("evt_0-9", &ts.to_string(), &both, body).is_ok());
    let rotating = WebhookVerifier::new([other.clone(), secret.clone()]);
    assert!(
        rotating
            .verify_at("evt_0-9", &ts.to_string(), &foreign, body, now)
            .is_ok()
    );
    // The same check through HTTP headers.
    let mut headers = admit::webhooks::HeaderMap::new();
    headers.insert("webhook-id", "evt_0-9".parse().unwrap());
    headers.insert("webhook-timestamp", ts.to_string().parse().unwrap());
    assert!(
        verifier.verify_headers(&headers, body).is_err(),
        "no signature header"
    );
    headers.insert("webhook-signature", signature.parse().unwrap());
    assert!(verifier.verify_headers(&headers, body).is_ok());
}

/// The CLI: a secret file, `webhooks run` delivering a SQLite store's events until SIGTERM,
/// `webhooks status`, `webhooks verify`; the secret shows nowhere.
#[cfg(all(feature = "cli", feature = "sqlite", unix))]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_runs_a_worker_until_sigterm() {
    use crate::cli::{admit, code, keyed, mint_one, stderr, stdout};
    let dir = keyed();
    let d = dir.path().to_owned();
    let url = format!("sqlite://{}", d.join("admit.db").display());
    let out = admit(&d, &["store", "init", "--store", &url]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    for _ in 0..3 {
        mint_one(&d, &["--store", &url]);
    }
    let out = admit(&d, &["webhooks", "secret", "--out", "hooks.secret"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let secret_text = std::fs::read_to_string(d.join("hooks.secret")).unwrap();
    let secret: WebhookSecret = secret_text.parse().unwrap();
    assert!(!stderr(&out).contains(secret_text.trim()));
    let out = admit(&d, &["webhooks", "secret", "--out", "hooks.secret"]);
    assert_eq!(code(&out), 2, "no silent overwrite");
    let r = receiver_for(false, secret.clone()).await;

    // A public-looking URL that resolves to loopback is refused without --allow-internal.
    let out = admit(
        &d,
        &[
            "webhooks",
            "run",
            "--store",
            &url,
            "--url",
            &r.url,
            "--secret-file",
            "hooks.secret",
        ],
    );
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("internal"), "{}", stderr(&out));

    let child = std::process::Command::new(env!("CARGO_BIN_EXE_admit"))
        .args([
            "webhooks",
            "run",
            "--store",
            &url,
            "--url",
            &r.url,
            "--secret-file",
            "hooks.secret",
            "--name",
            "crm",
            "--allow-internal",
        ])
        .current_dir(&d)
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while r.seen.lock().unwrap().accepted.len() < 3 {
        assert!(std::time::Instant::now() < deadline, "nothing delivered");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // A delivery's signature checks with the receiver's copy of the secret.
    assert!(r.seen.lock().unwrap().violations.is_empty());
    std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("delivered 3"), "{err}");
    assert!(err.contains("stopped after delivering 3"), "{err}");
    assert!(!err.contains(secret_text.trim()), "no secret in the output");

    let out = admit(
        &d,
        &[
            "webhooks", "status", "--store", &url, "--name", "crm", "--format", "json",
        ],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let status: serde_json::Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    assert_eq!(status["delivered"], 3);
    assert_eq!(
        status["worker"],
        serde_json::Value::Null,
        "the lease was given up"
    );
    let out = admit(
        &d,
        &["webhooks", "status", "--store", &url, "--name", "nobody"],
    );
    assert_eq!(code(&out), 1);

    // verify: genuine, then a changed body.
    let ts = time::OffsetDateTime::now_utc().unix_timestamp().to_string();
    let body = br#"{"type":"issued"}"#;
    let sig = secret.sign("evt_0-1", ts.parse().unwrap(), body);
    let args = [
        "webhooks",
        "verify",
        "--secret-file",
        "hooks.secret",
        "--id",
        "evt_0-1",
        "--timestamp",
        &ts,
        "--signature",
        &sig,
    ];
    let out = crate::cli::admit_stdin(&d, &args, Some(body));
    assert_eq!((code(&out), stdout(&out).trim()), (0, "genuine"));
    let out = crate::cli::admit_stdin(&d, &args, Some(b"{}"));
    assert_eq!(code(&out), 3, "{}", stdout(&out));
    // --help never shows a secret (it is only ever read from a file).
    let out = admit(&d, &["webhooks", "run", "--help"]);
    assert!(!stdout(&out).contains(secret_text.trim()));
}
