//! PostgreSQL failing under the store: killed with `SIGKILL` under load, stalled, or with every
//! pooled connection taken. Each test that breaks a server starts its own.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration as StdDuration, Instant};

use admit::store::{PgStore, Store};
use admit::{Error, Invitation};
use tokio::sync::Mutex;

use super::harness::unique_table_prefix;
use crate::support::postgres_server::{self, PostgresServer};

/// A server of this test's own (these tests kill and stop it), or `None` with a loud skip.
async fn own_server() -> Option<PostgresServer> {
    tokio::task::spawn_blocking(|| postgres_server::available().then(PostgresServer::start))
        .await
        .ok()?
}

async fn store(url: &str, deadline: StdDuration, connections: u32) -> PgStore {
    let store = PgStore::builder()
        .prefix(unique_table_prefix())
        .deadline(deadline)
        .max_connections(connections)
        .connect(url)
        .await
        .expect("connect");
    store.migrate().await.expect("migrate");
    store
}

/// Every redemption PostgreSQL acknowledged is there after it was killed mid-load and
/// restarted; calls while it is down fail (never "ok"); the same store object recovers.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_under_load_loses_no_acknowledged_redemption() {
    let Some(mut server) = own_server().await else {
        return;
    };
    let url = server.url();
    let store = Arc::new(store(&url, StdDuration::from_secs(2), 16).await);
    let invitations: Arc<Vec<Invitation>> =
        Arc::new((0..8).map(|_| super::mint(Invitation::builder())).collect());
    let acknowledged = Arc::new(Mutex::new(Vec::<(usize, String)>::new()));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let workers: Vec<_> = (0..16)
        .map(|w| {
            let (store, invitations, acknowledged, stop) = (
                store.clone(),
                invitations.clone(),
                acknowledged.clone(),
                stop.clone(),
            );
            tokio::spawn(async move {
                let mut n = 0u32;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let which = (w + n as usize) % invitations.len();
                    let joiner = format!("w{w}-{n}");
                    if store.redeem(&invitations[which], &joiner).await.is_ok() {
                        acknowledged.lock().await.push((which, joiner));
                    }
                    n += 1;
                }
            })
        })
        .collect();
    tokio::time::sleep(StdDuration::from_millis(700)).await;
    tokio::task::block_in_place(|| server.kill9());
    // Down: every call fails, none succeeds.
    let inv = super::mint(Invitation::builder());
    assert!(store.redeem(&inv, "during").await.is_err());
    tokio::time::sleep(StdDuration::from_millis(300)).await;
    tokio::task::block_in_place(|| server.restart());
    tokio::time::sleep(StdDuration::from_millis(500)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for w in workers {
        w.await.unwrap();
    }

    let acknowledged = acknowledged.lock().await.clone();
    assert!(
        acknowledged.len() > 20,
        "{} acknowledged",
        acknowledged.len()
    );
    let start = Instant::now();
    let mut seen: Vec<HashSet<String>> = Vec::new();
    for inv in invitations.iter() {
        // The pool reconnects by itself: retry while the server finishes recovery.
        let status = loop {
            match store.status(inv.id()).await {
                Ok(status) => break status,
                Err(e) if start.elapsed() < StdDuration::from_secs(20) => {
                    eprintln!("waiting for recovery: {e}");
                    tokio::time::sleep(StdDuration::from_millis(200)).await;
                }
                Err(e) => panic!("the store did not recover: {e}"),
            }
        };
        assert_eq!(status.uses as usize, status.joiners.len());
        // One `redeemed` event per stored redemption, none for one that did not commit.
        let mut joined: Vec<String> = status.joiners.iter().map(|j| j.joiner.clone()).collect();
        joined.sort();
        assert_eq!(super::harness::logged(&*store, inv).await, (joined, 0));
        seen.push(status.joiners.into_iter().map(|j| j.joiner).collect());
    }
    let lost: Vec<_> = acknowledged
        .iter()
        .filter(|(which, joiner)| !seen[*which].contains(joiner))
        .collect();
    assert!(lost.is_empty(), "lost acknowledged redemptions: {lost:?}");
    eprintln!(
        "sigkill: {} acknowledged redemptions, all present after restart",
        acknowledged.len()
    );
}

/// A stalled server (every process stopped): each call returns within its deadline with
/// `StoreTimeout`, and the store works again once the server resumes.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_stalled_server_times_out_within_the_deadline() {
    let Some(server) = own_server().await else {
        return;
    };
    let deadline = StdDuration::from_millis(800);
    let store = store(&server.url(), deadline, 4).await;
    let inv = super::mint(Invitation::builder().max_uses(3));
    store.redeem(&inv, "alice").await.unwrap();
    server.signal_all("STOP");
    for _ in 0..3 {
        let started = Instant::now();
        let got = store.redeem(&inv, "bob").await;
        let took = started.elapsed();
        assert!(
            matches!(
                got,
                Err(Error::StoreTimeout { .. } | Error::StoreUnavailable { .. })
            ),
            "{got:?}"
        );
        assert!(
            took < deadline + StdDuration::from_millis(400),
            "took {took:?}"
        );
        let started = Instant::now();
        assert!(store.check(&inv).await.is_err());
        assert!(started.elapsed() < deadline + StdDuration::from_millis(400));
    }
    server.signal_all("CONT");
    let start = Instant::now();
    loop {
        match store.redeem(&inv, "carol").await {
            Ok(r) => {
                assert!(r.uses >= 2);
                break;
            }
            Err(e) if start.elapsed() < StdDuration::from_secs(15) => {
                eprintln!("waiting after SIGCONT: {e}");
                tokio::time::sleep(StdDuration::from_millis(200)).await;
            }
            Err(e) => panic!("the store did not recover: {e}"),
        }
    }
}

/// Every pooled connection is taken: a call fails with a clear error before its deadline,
/// and works again once one is free.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_exhausted_pool_fails_clearly_within_the_deadline() {
    let Some(url) = tokio::task::spawn_blocking(super::harness::postgres_url)
        .await
        .ok()
        .flatten()
    else {
        return;
    };
    let deadline = StdDuration::from_millis(600);
    let store = store(&url, deadline, 2).await;
    let inv = super::mint(Invitation::builder());
    let held = (
        store.pool().acquire().await.unwrap(),
        store.pool().acquire().await.unwrap(),
    );
    let started = Instant::now();
    let got = store.redeem(&inv, "alice").await;
    let took = started.elapsed();
    match &got {
        Err(Error::StoreUnavailable { reason }) => assert!(reason.contains("busy"), "{reason}"),
        other => panic!("expected the pool to be reported busy: {other:?}"),
    }
    assert!(
        took <= deadline + StdDuration::from_millis(200),
        "took {took:?}"
    );
    drop(held);
    assert_eq!(store.redeem(&inv, "alice").await.unwrap().uses, 1);
}
