//! Redis failing under load: killed with SIGKILL and restarted, or stalled. Calls fail within
//! the deadline, nothing acknowledged is lost, and the same store recovers by itself.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use admit::Invitation;
use admit::store::{RedisStore, Store};

use crate::support::redis_server::{self, RedisServer};

const DEADLINE: Duration = Duration::from_millis(800);
/// Scheduling slack on a loaded 2-core machine; the bound being tested is the deadline.
const SLACK: Duration = Duration::from_millis(700);

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn redis_kill9_under_load_loses_nothing_acknowledged() {
    if !redis_server::available() {
        return;
    }
    let mut server = tokio::task::spawn_blocking(RedisServer::durable)
        .await
        .unwrap();
    let store = RedisStore::builder()
        .deadline(DEADLINE)
        .create_if_missing()
        .connect(&server.url())
        .await
        .unwrap();
    let inv = Arc::new(
        crate::issuer()
            .mint(Invitation::builder())
            .unwrap()
            .invitation()
            .clone(),
    );

    let acked = Arc::new(Mutex::new(Vec::<String>::new()));
    let failures = Arc::new(AtomicUsize::new(0));
    let slow_failures = Arc::new(Mutex::new(Vec::<Duration>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let mut workers = tokio::task::JoinSet::new();
    for w in 0..8 {
        let (store, inv) = (store.clone(), inv.clone());
        let (acked, failures, slow, stop) = (
            acked.clone(),
            failures.clone(),
            slow_failures.clone(),
            stop.clone(),
        );
        workers.spawn(async move {
            let mut n = 0;
            while !stop.load(Ordering::SeqCst) {
                let joiner = format!("w{w}-{n}");
                n += 1;
                let start = Instant::now();
                match store.redeem(&inv, &joiner).await {
                    Ok(r) => {
                        assert!(!r.repeated);
                        acked.lock().unwrap().push(joiner);
                    }
                    Err(e) => {
                        assert!(
                            matches!(
                                e.code(),
                                "store_unavailable" | "store_connect" | "store_timeout"
                            ),
                            "unexpected {e}"
                        );
                        failures.fetch_add(1, Ordering::SeqCst);
                        let took = start.elapsed();
                        if took > DEADLINE + SLACK {
                            slow.lock().unwrap().push(took);
                        }
                        // Do not spin: a real client would back off too.
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                }
            }
        });
    }
    let acked_count = || acked.lock().unwrap().len();
    while acked_count() < 300 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // SIGKILL in the middle of the load.
    let before_kill = acked_count();
    server = tokio::task::spawn_blocking(move || {
        server.kill9();
        server
    })
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let during_outage = failures.load(Ordering::SeqCst);
    assert!(during_outage > 0, "the outage was not noticed");

    // Restart on the same port and directory: the AOF is replayed.
    let restarted_at = Instant::now();
    server = tokio::task::spawn_blocking(move || {
        server.restart();
        server
    })
    .await
    .unwrap();
    // The same store recovers by itself.
    let after_restart = acked_count();
    while acked_count() < after_restart + 300 {
        assert!(
            restarted_at.elapsed() < Duration::from_secs(20),
            "store did not recover within 20 s of the restart"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    stop.store(true, Ordering::SeqCst);
    while let Some(joined) = workers.join_next().await {
        joined.unwrap();
    }

    let slow = slow_failures.lock().unwrap().clone();
    assert!(
        slow.is_empty(),
        "calls failed later than the deadline: {slow:?}"
    );
    let status = store.status(inv.id()).await.unwrap();
    let stored: HashSet<String> = status.joiners.iter().map(|j| j.joiner.clone()).collect();
    let acked = acked.lock().unwrap().clone();
    let lost: Vec<&String> = acked.iter().filter(|j| !stored.contains(*j)).collect();
    assert!(lost.is_empty(), "acknowledged redemptions lost: {lost:?}");
    assert_eq!(status.uses as usize, stored.len());
    // One `redeemed` event per stored redemption, none for one that was not stored: the
    // event is written by the same script.
    let mut joined: Vec<String> = stored.iter().cloned().collect();
    joined.sort();
    assert_eq!(super::harness::logged(&store, &inv).await, (joined, 0));
    eprintln!(
        "kill -9 under load: {} acknowledged ({before_kill} before the kill), {} failed \
         during the outage, {} stored, none lost",
        acked.len(),
        failures.load(Ordering::SeqCst),
        stored.len()
    );
    drop(server);
}

/// Redis stalls (`CLIENT PAUSE`): calls give up at the deadline, then work again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_stall_times_out_at_the_deadline_then_recovers() {
    if !redis_server::available() {
        return;
    }
    let server = tokio::task::spawn_blocking(RedisServer::plain)
        .await
        .unwrap();
    let deadline = Duration::from_millis(300);
    let store = RedisStore::builder()
        .deadline(deadline)
        .create_if_missing()
        .connect(&server.url())
        .await
        .unwrap();
    let inv = crate::issuer()
        .mint(Invitation::builder().one_time())
        .unwrap()
        .invitation()
        .clone();
    store.check(&inv).await.unwrap();
    assert!(server.command("CLIENT PAUSE 2000 ALL").starts_with("+OK"));
    let start = Instant::now();
    let err = store.redeem(&inv, "alice").await.unwrap_err();
    assert_eq!(err, admit::Error::StoreTimeout { after: deadline });
    assert!(start.elapsed() < deadline + SLACK);
    let err = store.check(&inv).await.unwrap_err();
    assert_eq!(
        err.code(),
        "store_timeout",
        "a timeout is never 'not revoked'"
    );
    // After the pause the timed-out redeem may have gone through; retrying is safe either way.
    tokio::time::sleep(Duration::from_millis(2000)).await;
    let r = store.redeem(&inv, "alice").await.unwrap();
    assert_eq!(r.uses, 1);
    assert_eq!(
        store.redeem(&inv, "bob").await.unwrap_err().code(),
        "used_up"
    );
}
