//! Grouped redemptions on Redis: concurrent `redeem` calls share script calls (fewer
//! `EVALSHA`s than redemptions), and every outcome is still exactly what it would be alone —
//! on a single node and on a Cluster, where each slot's redemptions group apart.

use std::time::Duration;

use admit::store::{RedisStore, Store};
use admit::{Error, Invitation};

use super::mint;
use crate::support::redis_server::{self, RedisServer};

/// A store on a private server, so that the server's command counts are this test's alone.
async fn private_store() -> Option<(RedisServer, RedisStore)> {
    if !redis_server::available() {
        return None;
    }
    let server = tokio::task::spawn_blocking(RedisServer::plain)
        .await
        .unwrap();
    let store = RedisStore::builder()
        .prefix("g:")
        .deadline(Duration::from_secs(10))
        .create_if_missing()
        .connect(&server.url())
        .await
        .unwrap();
    Some((server, store))
}

/// How many `EVALSHA` calls the server has run.
fn evalsha_calls(server: &RedisServer) -> u64 {
    let stats = server.command("INFO commandstats");
    stats
        .lines()
        .find_map(|l| l.strip_prefix("cmdstat_evalsha:calls="))
        .and_then(|rest| rest.split(',').next())
        .map_or(0, |n| n.parse().unwrap())
}

/// 220 calls at once — 100 joiners on a 5-use invitation, 5 on each of 20 others, and 20 calls
/// of one joiner on the first of those — then the counts, exactly. Returns how many counted.
async fn exact_under_concurrency(store: &RedisStore) -> u32 {
    let limited = mint(Invitation::builder().max_uses(5));
    let open: Vec<Invitation> = (0..20).map(|_| mint(Invitation::builder())).collect();
    let mut calls = tokio::task::JoinSet::new();
    for n in 0..220usize {
        let (inv, joiner) = match n {
            200.. => (open[0].clone(), "again".to_owned()),
            _ if n % 2 == 0 => (limited.clone(), format!("j{n}")),
            _ => (open[n / 2 % 20].clone(), format!("j{n}")),
        };
        let store = store.clone();
        calls.spawn(async move { (inv.id(), joiner.clone(), store.redeem(&inv, &joiner).await) });
    }
    let (mut counted_on_limited, mut used_up, mut again_counted, mut again_repeated) = (0, 0, 0, 0);
    let mut limited_uses = Vec::new();
    while let Some(done) = calls.join_next().await {
        match done.unwrap() {
            (_, joiner, Ok(r)) if joiner == "again" => match r.repeated {
                false => again_counted += 1,
                true => again_repeated += 1,
            },
            (id, joiner, Ok(r)) => {
                assert!(!r.repeated, "{joiner}: {r:?}");
                if id == limited.id() {
                    counted_on_limited += 1;
                    limited_uses.push(r.uses);
                }
            }
            (id, _, Err(Error::UsedUp { max_uses: 5 })) if id == limited.id() => used_up += 1,
            (_, joiner, Err(e)) => panic!("{joiner}: redeem failed: {e}"),
        }
    }
    limited_uses.sort_unstable();
    assert_eq!(limited_uses, [1, 2, 3, 4, 5]);
    assert_eq!((counted_on_limited, used_up), (5, 95));
    assert_eq!((again_counted, again_repeated), (1, 19));
    assert_eq!(store.status(open[0].id()).await.unwrap().uses, 6);
    for inv in &open[1..] {
        assert_eq!(store.status(inv.id()).await.unwrap().uses, 5);
    }
    assert_eq!(store.status(limited.id()).await.unwrap().uses, 5);
    // A call alone afterwards: a repeat is still a repeat.
    assert!(store.redeem(&open[3], "j7").await.unwrap().repeated);
    5 + 100 + 1
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn redis_concurrent_redemptions_share_script_calls_and_stay_exact() {
    let Some((server, store)) = private_store().await else {
        return;
    };
    let before = evalsha_calls(&server);
    let counted = exact_under_concurrency(&store).await;
    // The status reads above are script calls too (21), and so is the repeat alone.
    let calls = evalsha_calls(&server) - before - 21 - 1;
    assert!(
        calls < 220,
        "220 redemptions took {calls} script calls: none were grouped"
    );
    eprintln!("grouped: 220 redemptions in {calls} script calls");
    // Each counted redemption logged `redeemed`, and the limited one `exhausted` once.
    let events = server.command("XLEN g:events");
    assert!(
        events.contains(&format!(":{}", counted + 1)),
        "events: {events}"
    );
}

/// A redemption whose own step fails inside a grouped script call (its state key holds a
/// string) fails alone: the others in the call count, each exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn redis_a_failing_step_fails_alone() {
    let Some((server, store)) = private_store().await else {
        return;
    };
    let (good, broken) = (mint(Invitation::builder()), mint(Invitation::builder()));
    let reply = server.command(&format!("SET g:{{{}}}:s not-a-hash", broken.id()));
    assert!(reply.starts_with("+OK"), "{reply}");
    let before = evalsha_calls(&server);
    let mut calls = tokio::task::JoinSet::new();
    for n in 0..100usize {
        let inv = match n % 5 {
            0 => broken.clone(),
            _ => good.clone(),
        };
        let store = store.clone();
        calls.spawn(async move { (inv.id(), store.redeem(&inv, &format!("j{n}")).await) });
    }
    let mut uses = Vec::new();
    while let Some(done) = calls.join_next().await {
        match done.unwrap() {
            (id, Ok(r)) => {
                assert_eq!(id, good.id());
                assert!(!r.repeated);
                uses.push(r.uses);
            }
            (id, Err(Error::StoreUnavailable { reason })) => {
                assert_eq!(id, broken.id());
                assert!(reason.contains("WRONGTYPE"), "{reason}");
            }
            (_, Err(e)) => panic!("{e}"),
        }
    }
    uses.sort_unstable();
    assert_eq!(uses, (1..=80).collect::<Vec<u32>>());
    assert!(evalsha_calls(&server) - before < 100, "nothing was grouped");
    assert_eq!(store.status(good.id()).await.unwrap().uses, 80);
    // Alone, the broken one fails the same way.
    match store.redeem(&broken, "alone").await {
        Err(Error::StoreUnavailable { reason }) => assert!(reason.contains("WRONGTYPE")),
        other => panic!("{other:?}"),
    }
}

/// On a Cluster, redemptions group by slot: calls on invitations in many buckets at once stay
/// exact.
#[cfg(feature = "cluster")]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cluster_grouped_redemptions_are_exact() {
    use super::harness::{Harness as _, RedisHarness};
    let Some(h) = RedisHarness::cluster().await else {
        return;
    };
    exact_under_concurrency(h.store()).await;
}
