//! What only SQLite shows: redeeming in the application's transaction, an explicit
//! `migrate()`, restarts and a process killed with `SIGKILL` mid-load, a writer held by another
//! process, and `purge_expired`.

use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration as StdDuration, Instant};

use admit::store::{SqliteStore, Store, Verdict};
use admit::{Error, Invitation};
use sqlx::Connection as _;
use time::Duration;

use super::harness::Harness as _;
use super::harness::{MovedClock, SqliteHarness, logged, sqlite_store};
use crate::support::redis_server::TempDir;

fn invitation(max_uses: u32) -> Invitation {
    super::mint(Invitation::builder().max_uses(max_uses))
}

/// A store on fresh tables, and an `accounts` table of the application's beside it.
async fn with_accounts() -> SqliteHarness {
    let h = SqliteHarness::new().await.expect("SQLite needs no server");
    sqlx::query("CREATE TABLE accounts (joiner TEXT PRIMARY KEY)")
        .execute(h.store().pool())
        .await
        .expect("create the accounts table");
    h
}

async fn accounts(store: &SqliteStore) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM accounts")
        .fetch_one(store.pool())
        .await
        .expect("count accounts")
}

/// One sign-up: the account row, then the redemption, in one transaction on the writer.
async fn sign_up(
    store: &SqliteStore,
    inv: &Invitation,
    joiner: &str,
    fail_after_redeem: bool,
) -> Result<(), Error> {
    let mut tx = store
        .pool()
        .begin_with("BEGIN IMMEDIATE")
        .await
        .expect("begin");
    sqlx::query("INSERT INTO accounts (joiner) VALUES ($1)")
        .bind(joiner)
        .execute(&mut *tx)
        .await
        .expect("insert the account");
    store.redeem_in(&mut tx, inv, joiner).await?;
    if fail_after_redeem {
        tx.rollback().await.expect("rollback");
        return Err(Error::StoreUnavailable {
            reason: "the sign-up failed after redeeming".into(),
        });
    }
    tx.commit().await.expect("commit");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn rollback_after_redeem_consumes_nothing() {
    let h = with_accounts().await;
    let s = h.store();
    let inv = invitation(1);
    assert!(sign_up(s, &inv, "alice", true).await.is_err());
    assert_eq!(s.status(inv.id()).await.unwrap().uses, 0);
    assert_eq!(accounts(s).await, 0);
    assert_eq!(
        logged(s, &inv).await,
        (vec![], 0),
        "a rolled-back use has no event"
    );
    sign_up(s, &inv, "bob", false).await.unwrap();
    let status = s.status(inv.id()).await.unwrap();
    assert_eq!((status.uses, status.joiners[0].joiner.as_str()), (1, "bob"));
    assert!(matches!(
        sign_up(s, &inv, "carol", false).await,
        Err(Error::UsedUp { max_uses: 1 })
    ));
    assert_eq!(accounts(s).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_concurrent_sign_ups_on_five_uses() {
    let h = with_accounts().await;
    let store = Arc::new(h.store().clone());
    for round in 0..3 {
        let inv = Arc::new(invitation(5));
        let tasks: Vec<_> = (0..200)
            .map(|i| {
                let (store, inv) = (store.clone(), inv.clone());
                tokio::spawn(async move {
                    let fails = i % 10 == 3;
                    sign_up(&store, &inv, &format!("r{round}-u{i}"), fails).await
                })
            })
            .collect();
        let mut committed = 0;
        for t in tasks {
            if t.await.unwrap().is_ok() {
                committed += 1;
            }
        }
        assert_eq!(committed, 5, "round {round}");
        let status = store.status(inv.id()).await.unwrap();
        assert_eq!(status.uses, 5, "round {round}");
        let rows: Vec<String> =
            sqlx::query_scalar("SELECT joiner FROM accounts WHERE joiner LIKE $1 ORDER BY joiner")
                .bind(format!("r{round}-%"))
                .fetch_all(store.pool())
                .await
                .unwrap();
        let mut joined: Vec<String> = status.joiners.into_iter().map(|j| j.joiner).collect();
        joined.sort();
        assert_eq!(
            rows, joined,
            "round {round}: accounts are exactly the joiners"
        );
        assert_eq!(
            logged(&*store, &inv).await,
            (joined, 1),
            "round {round}: one event per committed use, none for a rolled-back one"
        );
    }
}

/// The application's own connection (not the store's pool) closes between the redemption and
/// the commit: nothing of either remains, and the write lock is free again.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_connection_closed_mid_transaction_leaves_nothing() {
    let h = with_accounts().await;
    let s = h.store();
    let inv = invitation(1);
    let url = format!("sqlite://{}", h.path().display());
    let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
    let mut tx = conn.begin_with("BEGIN IMMEDIATE").await.unwrap();
    sqlx::query("INSERT INTO accounts (joiner) VALUES ('alice')")
        .execute(&mut *tx)
        .await
        .unwrap();
    s.redeem_in(&mut tx, &inv, "alice").await.unwrap();
    // Readers never see the uncommitted redemption.
    assert_eq!(s.status(inv.id()).await.unwrap().uses, 0);
    drop(tx);
    conn.close().await.unwrap();
    assert_eq!(s.status(inv.id()).await.unwrap().uses, 0);
    assert_eq!(accounts(s).await, 0);
    sign_up(s, &inv, "bob", false).await.unwrap();
    assert_eq!(s.status(inv.id()).await.unwrap().uses, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn redeem_in_keeps_the_store_promises() {
    let h = with_accounts().await;
    let s = h.store();
    let inv = invitation(2);
    let mut tx = s.pool().begin_with("BEGIN IMMEDIATE").await.unwrap();
    assert_eq!(s.redeem_in(&mut tx, &inv, "alice").await.unwrap().uses, 1);
    let again = s.redeem_in(&mut tx, &inv, "alice").await.unwrap();
    assert!(again.repeated && again.uses == 1);
    tx.commit().await.unwrap();
    s.revoke_invitation(&inv).await.unwrap();
    let mut tx = s.pool().begin_with("BEGIN IMMEDIATE").await.unwrap();
    assert_eq!(s.redeem_in(&mut tx, &inv, "bob").await, Err(Error::Revoked));
    tx.rollback().await.unwrap();
    let mut tx = s.pool().begin_with("BEGIN IMMEDIATE").await.unwrap();
    assert!(matches!(
        s.redeem_in(&mut tx, &inv, "").await,
        Err(Error::InvalidArgument { .. })
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_works_until_migrate_and_newer_schemas_are_refused() {
    let dir = TempDir::new("sqlite-schema");
    let path = dir.path().join("admit.db");
    // A missing file is a store that was never set up, or one that was lost: refused.
    assert_eq!(
        SqliteStore::open(&path).await.unwrap_err(),
        Error::StoreNotInitialized
    );
    assert!(!path.exists(), "nothing was created");
    // A file that holds no store (an empty file, made by hand): it opens, and every call
    // fails until `migrate()`.
    std::fs::File::create(&path).unwrap();
    let store = SqliteStore::open(&path).await.unwrap();
    let inv = invitation(1);
    assert_eq!(
        store.redeem(&inv, "alice").await,
        Err(Error::StoreNotInitialized)
    );
    assert_eq!(store.check(&inv).await, Err(Error::StoreNotInitialized));
    assert_eq!(
        store.revoke_invitation(&inv).await,
        Err(Error::StoreNotInitialized)
    );
    let init = super::harness::initialized_check(&store).await;
    assert_eq!(init.verdict, Verdict::Unsafe, "{init:?}");

    store.migrate().await.unwrap();
    store.migrate().await.unwrap(); // idempotent
    assert_eq!(store.redeem(&inv, "alice").await.unwrap().uses, 1);
    let health = store.health().await.unwrap();
    assert!(
        health.checks.iter().all(|c| c.verdict == Verdict::Ok),
        "{health:?}"
    );
    assert!(
        health.checks[1].found == "journal_mode=wal, synchronous=FULL",
        "{health:?}"
    );

    sqlx::query("UPDATE admit_meta SET value = '99' WHERE name = 'schema'")
        .execute(store.pool())
        .await
        .unwrap();
    assert!(matches!(
        store.migrate().await,
        Err(Error::StoreMisconfigured {
            setting: "schema",
            ..
        })
    ));
    // Tables dropped behind the store's back: fail closed, never "not revoked".
    sqlx::query("DROP TABLE admit_invitations")
        .execute(store.pool())
        .await
        .unwrap();
    assert_eq!(store.check(&inv).await, Err(Error::StoreNotInitialized));
    assert!(matches!(
        SqliteStore::builder().connect("sqlite::memory:").await,
        Err(Error::InvalidArgument { name: "url", .. })
    ));
}

/// Closed and opened again: every use, revocation, rule and code is still there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn state_survives_closing_and_reopening() {
    let dir = TempDir::new("sqlite-reopen");
    let path = dir.path().join("admit.db");
    let clock = MovedClock::new();
    let margin = admit::store::DEFAULT_MARGIN;
    let (used, revoked) = (invitation(1), invitation(3));
    {
        let s = sqlite_store(&path, "admit_", &clock, margin, 100).await;
        s.redeem(&used, "alice").await.unwrap();
        s.revoke_invitation(&revoked).await.unwrap();
        s.revoke_issued_before(clock.now() - Duration::hours(1), Some("mallory"))
            .await
            .unwrap();
        s.pool().close().await;
    }
    let s = sqlite_store(&path, "admit_", &clock, margin, 100).await;
    assert!(matches!(
        s.redeem(&used, "bob").await,
        Err(Error::UsedUp { max_uses: 1 })
    ));
    assert_eq!(s.redeem(&revoked, "bob").await, Err(Error::Revoked));
    assert_eq!(s.revocation_rules().await.unwrap().len(), 1);

    // The file lost (a container restarted without its volume): refused, never a fresh start.
    s.pool().close().await;
    drop(s);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    assert_eq!(
        SqliteStore::open(&path).await.unwrap_err(),
        Error::StoreNotInitialized
    );
}

/// `purge_expired` deletes only what no answer depends on, in bounded batches.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn purge_expired_deletes_in_batches() {
    let h = SqliteHarness::new().await.unwrap();
    let s = h.store();
    let short = |secs| super::mint(Invitation::builder().ttl(Duration::seconds(secs)));
    for i in 0..5 {
        s.redeem(&short(60), &format!("u{i}")).await.unwrap();
    }
    let lasting = invitation(2);
    s.redeem(&lasting, "stays").await.unwrap();
    assert_eq!(s.purge_expired(10).await.unwrap(), 0, "nothing expired yet");
    h.clock().advance(Duration::hours(2));
    // Two invitations and two of their `redeemed` events, then the other three of each.
    assert_eq!(s.purge_expired(2).await.unwrap(), 4);
    assert_eq!(s.purge_expired(10).await.unwrap(), 6);
    assert_eq!(s.purge_expired(10).await.unwrap(), 0);
    let events: i64 = sqlx::query_scalar("SELECT count(*) FROM admit_events")
        .fetch_one(s.pool())
        .await
        .unwrap();
    assert_eq!(events, 1, "the lasting invitation's event stays");
    let orphans: i64 =
        sqlx::query_scalar("SELECT count(*) FROM admit_joiners WHERE joiner LIKE 'u%'")
            .fetch_one(s.pool())
            .await
            .unwrap();
    assert_eq!(orphans, 0, "joiners go with their invitation");
    assert_eq!(s.status(lasting.id()).await.unwrap().uses, 1);
}

/// Another process holds the write lock: writes fail within their deadline (reads go on),
/// and work again once it lets go. The store's own writer taken by a long transaction: a
/// clear "busy" error within the deadline.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_held_write_lock_fails_within_the_deadline() {
    let dir = TempDir::new("sqlite-lock");
    let path = dir.path().join("admit.db");
    let deadline = StdDuration::from_millis(500);
    let s = SqliteStore::builder()
        .create_if_missing()
        .deadline(deadline)
        .open(&path)
        .await
        .unwrap();
    s.migrate().await.unwrap();
    let inv = invitation(5);
    s.redeem(&inv, "before").await.unwrap();

    let url = format!("sqlite://{}", path.display());
    let mut other = sqlx::SqliteConnection::connect(&url).await.unwrap();
    let held = other.begin_with("BEGIN IMMEDIATE").await.unwrap();
    let started = Instant::now();
    let err = s.redeem(&inv, "during").await.unwrap_err();
    let took = started.elapsed();
    assert!(
        matches!(
            err,
            Error::StoreTimeout { .. } | Error::StoreUnavailable { .. }
        ),
        "{err:?}"
    );
    assert!(took < deadline + StdDuration::from_millis(400), "{took:?}");
    s.check(&inv).await.expect("reads do not wait for writers");
    held.rollback().await.unwrap();
    assert_eq!(s.redeem(&inv, "after").await.unwrap().uses, 2);

    let app = s.pool().begin_with("BEGIN IMMEDIATE").await.unwrap();
    let started = Instant::now();
    let err = s.redeem(&inv, "queued").await.unwrap_err();
    assert!(started.elapsed() < deadline + StdDuration::from_millis(400));
    match err {
        Error::StoreUnavailable { reason } => assert!(reason.contains("busy"), "{reason}"),
        other => panic!("{other:?}"),
    }
    drop(app);
    assert_eq!(s.status(inv.id()).await.unwrap().uses, 2);
}

/// The child of the next test: redeems in a loop on the file and prints every joiner SQLite
/// acknowledged, until it is killed. Run only by that test (it sets the variables).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "run as a child process by sigkill_mid_load_loses_no_acknowledged_redemption"]
async fn child_redeems_until_killed() {
    use std::io::Write as _;
    let path = std::env::var("ADMIT_SQLITE_CHILD_DB").expect("run by its parent test");
    let token = std::env::var("ADMIT_SQLITE_CHILD_TOKEN").expect("run by its parent test");
    let inv = crate::verifier().verify(&token).expect("a valid token");
    let s = SqliteStore::open(&path).await.unwrap();
    let mut out = std::io::stdout().lock();
    for n in 0.. {
        let joiner = format!("k{n}");
        if s.redeem(&inv, &joiner).await.is_ok() {
            writeln!(out, "ack {joiner}").unwrap();
            out.flush().unwrap();
        }
    }
}

/// A process writing to the file is killed with SIGKILL mid-load: every redemption it was
/// told succeeded is in the file when it is opened again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_load_loses_no_acknowledged_redemption() {
    let dir = TempDir::new("sqlite-kill");
    let path = dir.path().join("admit.db");
    let s = SqliteStore::builder()
        .create_if_missing()
        .open(&path)
        .await
        .unwrap();
    s.migrate().await.unwrap();
    let token = crate::issuer()
        .mint(Invitation::builder())
        .expect("valid claims");
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "store::sqlite_file::child_redeems_until_killed",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("ADMIT_SQLITE_CHILD_DB", &path)
        .env("ADMIT_SQLITE_CHILD_TOKEN", token.as_str())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the child");
    let stdout = child.stdout.take().unwrap();
    let acked = tokio::task::spawn_blocking(move || {
        let mut acked = Vec::new();
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Some(j) = line.strip_prefix("ack ") {
                acked.push(j.to_owned());
                if acked.len() == 300 {
                    // Mid-load: the child is inside its next transaction, or about to be.
                    let _ = Command::new("kill")
                        .args(["-9", &child.id().to_string()])
                        .status();
                }
            }
        }
        let _ = child.wait();
        acked
    })
    .await
    .unwrap();
    assert!(acked.len() >= 300, "the child acknowledged {}", acked.len());
    let inv = crate::verifier().verify(token.as_str()).unwrap();
    let status = s.status(inv.id()).await.unwrap();
    let stored: std::collections::HashSet<_> =
        status.joiners.iter().map(|j| j.joiner.as_str()).collect();
    let lost: Vec<_> = acked
        .iter()
        .filter(|j| !stored.contains(j.as_str()))
        .collect();
    assert!(
        lost.is_empty(),
        "lost {} of {}: {lost:?}",
        lost.len(),
        acked.len()
    );
    assert_eq!(status.uses as usize, status.joiners.len());
    // Exactly one event per stored redemption: none lost with the process, none for a
    // redemption that did not commit.
    let mut joined: Vec<String> = status.joiners.iter().map(|j| j.joiner.clone()).collect();
    joined.sort();
    assert_eq!(logged(&s, &inv).await, (joined, 0));
    // The file is sound, and the store goes on.
    let ok: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(s.pool())
        .await
        .unwrap();
    assert_eq!(ok, "ok");
    s.redeem(&inv, "after").await.unwrap();
}
