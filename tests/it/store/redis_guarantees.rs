//! The two promises on a Redis set up the way operators set it up: eviction refused (or
//! explicitly allowed), data loss failing closed until someone decides, clocks checked. Every
//! test here runs its own `redis-server` (or cluster), since it changes settings or wipes data.

use std::time::Duration as StdDuration;

use admit::store::{
    AttemptLimiter, Init, RedisStore, RedisStoreBuilder, ShortCodes, Store, Verdict, Visits,
};
use admit::{Error, Invitation};
use time::{Duration, OffsetDateTime};

use crate::support::redis_server::{self, RedisServer};

use super::mint;

/// Wipes a server's data: `restart` (no persistence: it comes back empty; a cluster node keeps
/// its slots, from nodes.conf) or `FLUSHALL`.
async fn wipe(mut server: RedisServer, how: &'static str) -> RedisServer {
    tokio::task::spawn_blocking(move || {
        match how {
            "restart" => server.restart(),
            _ => assert!(server.command("FLUSHALL").starts_with("+OK")),
        }
        server
    })
    .await
    .unwrap()
}

async fn server(args: &'static [&'static str]) -> Option<RedisServer> {
    if !redis_server::available() {
        return None;
    }
    Some(
        tokio::task::spawn_blocking(move || RedisServer::start(args))
            .await
            .unwrap(),
    )
}

fn builder() -> RedisStoreBuilder {
    RedisStore::builder().deadline(StdDuration::from_secs(5))
}

fn misconfigured(result: Result<RedisStore, Error>) -> (String, String) {
    match result {
        Err(Error::StoreMisconfigured { setting, found, .. }) => (setting.to_owned(), found),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_evicting_settings_are_refused_unless_allowed() {
    let Some(server) = server(&["--save", "", "--appendonly", "no"]).await else {
        return;
    };
    let url = server.url();
    for policy in [
        "allkeys-lru",
        "volatile-lru",
        "allkeys-random",
        "volatile-ttl",
    ] {
        assert!(
            server
                .command("CONFIG SET maxmemory 64mb")
                .starts_with("+OK")
        );
        let set = format!("CONFIG SET maxmemory-policy {policy}");
        assert!(server.command(&set).starts_with("+OK"));
        let (setting, found) = misconfigured(builder().create_if_missing().connect(&url).await);
        assert_eq!(setting, "maxmemory-policy");
        assert!(found.contains(policy), "{found}");
        let err = builder().connect(&url).await.unwrap_err();
        assert!(
            err.to_string().contains("noeviction"),
            "the fix is named: {err}"
        );

        // The application may accept the risk, and the health report says what it accepted.
        let store = builder()
            .create_if_missing()
            .allow_eviction()
            .connect(&url)
            .await
            .unwrap();
        let health = store.health().await.unwrap();
        let eviction = health.checks.iter().find(|c| c.name == "eviction").unwrap();
        assert_eq!(eviction.verdict, Verdict::Unsafe);
        assert!(eviction.advice.contains("allow_eviction"), "{eviction:?}");
    }
    // No limit, or a limit without eviction: safe.
    assert!(server.command("CONFIG SET maxmemory 0").starts_with("+OK"));
    builder().create_if_missing().connect(&url).await.unwrap();
    assert!(
        server
            .command("CONFIG SET maxmemory 64mb")
            .starts_with("+OK")
    );
    assert!(
        server
            .command("CONFIG SET maxmemory-policy noeviction")
            .starts_with("+OK")
    );
    let store = builder()
        .create_if_missing()
        .recheck(Some(StdDuration::from_millis(100)))
        .connect(&url)
        .await
        .unwrap();
    let inv = mint(Invitation::builder().max_uses(10));
    store.redeem(&inv, "alice").await.unwrap();

    // Changed after connecting: the re-check notices, and every call fails until it is fixed.
    assert!(
        server
            .command("CONFIG SET maxmemory-policy allkeys-lru")
            .starts_with("+OK")
    );
    tokio::time::sleep(StdDuration::from_millis(600)).await;
    for result in [
        store.redeem(&inv, "bob").await.map(drop),
        store.check(&inv).await,
        store.revoke(inv.id(), None).await.map(drop),
    ] {
        assert!(
            matches!(
                result,
                Err(Error::StoreMisconfigured {
                    setting: "maxmemory-policy",
                    ..
                })
            ),
            "{result:?}"
        );
    }
    assert!(
        server
            .command("CONFIG SET maxmemory-policy noeviction")
            .starts_with("+OK")
    );
    tokio::time::sleep(StdDuration::from_millis(600)).await;
    assert_eq!(store.redeem(&inv, "bob").await.unwrap().uses, 2);

    // Like managed services: CONFIG hidden, INFO answered. The store does not need CONFIG.
    let acl = "ACL SETUSER app on >secret ~* &* +@all -config";
    assert!(server.command(acl).starts_with("+OK"));
    let app_url = format!("redis://app:secret@127.0.0.1:{}/", server.port);
    let store = builder().connect(&app_url).await.unwrap();
    let health = store.health().await.unwrap();
    let persistence = health
        .checks
        .iter()
        .find(|c| c.name == "persistence")
        .unwrap();
    assert!(
        persistence.found.contains("CONFIG GET refused"),
        "{persistence:?}"
    );
    // Without INFO, eviction cannot be checked: refused like an evicting Redis.
    let acl = "ACL SETUSER blind on >secret ~* &* +@all -info";
    assert!(server.command(acl).starts_with("+OK"));
    let blind = format!("redis://blind:secret@127.0.0.1:{}/", server.port);
    let (setting, found) = misconfigured(builder().connect(&blind).await);
    assert_eq!(setting, "INFO");
    assert!(found.contains("NOPERM"), "{found}");
    builder().allow_eviction().connect(&blind).await.unwrap();
}

/// Under `noeviction`, a full Redis refuses writes: an error, never a lost revocation.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_out_of_memory_fails_closed() {
    let Some(server) = server(&["--save", "", "--appendonly", "no"]).await else {
        return;
    };
    let store = builder()
        .create_if_missing()
        .connect(&server.url())
        .await
        .unwrap();
    let inv = mint(Invitation::builder());
    store.revoke_invitation(&inv).await.unwrap();
    assert!(server.command("CONFIG SET maxmemory 1").starts_with("+OK"));
    let other = mint(Invitation::builder());
    let err = store.redeem(&other, "alice").await.unwrap_err();
    assert!(
        matches!(&err, Error::StoreUnavailable { reason } if reason.contains("out of memory")),
        "{err:?}"
    );
    assert_eq!(store.check(&inv).await, Err(Error::Revoked));
}

/// Waits until the store's connection is back after a restart (the first calls may fail with
/// a lost connection before it reconnects).
async fn settle(store: &RedisStore, inv: &Invitation) {
    let start = std::time::Instant::now();
    while let Err(
        Error::StoreUnavailable { .. } | Error::StoreConnect { .. } | Error::StoreTimeout { .. },
    ) = store.check(inv).await
    {
        assert!(start.elapsed() < StdDuration::from_secs(10), "no reconnect");
        tokio::time::sleep(StdDuration::from_millis(50)).await;
    }
}

/// Every store call, as the result's error code.
async fn every_call(
    store: &RedisStore,
    inv: &Invitation,
    token: &str,
) -> Vec<(&'static str, String)> {
    let code = |r: Result<(), Error>| r.err().map_or("ok".to_owned(), |e| e.code().to_owned());
    let limit = admit::store::RateLimit::per_hour(5);
    vec![
        ("redeem", code(store.redeem(inv, "bob").await.map(drop))),
        ("check", code(store.check(inv).await)),
        (
            "is_revoked",
            code(store.is_revoked(inv.id()).await.map(drop)),
        ),
        ("revoke", code(store.revoke_invitation(inv).await.map(drop))),
        (
            "revoke_issued_before",
            code(
                store
                    .revoke_issued_before(OffsetDateTime::now_utc(), None)
                    .await
                    .map(drop),
            ),
        ),
        (
            "revocation_rules",
            code(store.revocation_rules().await.map(drop)),
        ),
        ("status", code(store.status(inv.id()).await.map(drop))),
        ("record_issued", code(store.record_issued(inv, None).await)),
        (
            "list",
            code(store.list(&admit::store::ListFilter::new()).await.map(drop)),
        ),
        ("record_visit", code(store.record_visit(inv, "ua").await)),
        ("visits", code(store.visits(inv.id()).await.map(drop))),
        (
            "create_code",
            code(
                store
                    .create_code(token, &admit::store::CodeSpec::vanity("SPRING-SALE-24"))
                    .await
                    .map(drop),
            ),
        ),
        (
            "resolve_code",
            code(store.resolve_code("SPRING-SALE-24").await.map(drop)),
        ),
        (
            "count_attempt",
            code(store.count_attempt("203.0.113.9", &limit).await.map(drop)),
        ),
    ]
}

/// Redis restarted without persistence (or flushed): every call fails closed until an operator
/// initializes the store again; recovery revokes what was issued before the loss.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_empty_restart_and_flushall_fail_closed_until_initialized() {
    let Some(mut server) = server(&["--save", "", "--appendonly", "no"]).await else {
        return;
    };
    let url = server.url();
    let store = builder().create_if_missing().connect(&url).await.unwrap();
    let issuer = crate::issuer();
    let once = issuer.mint(Invitation::builder().one_time()).unwrap();
    let revoked = mint(Invitation::builder());
    store.redeem(once.invitation(), "alice").await.unwrap();
    store.revoke_invitation(&revoked).await.unwrap();

    for how in ["restart", "FLUSHALL"] {
        server = wipe(server, how).await;
        settle(&store, &revoked).await;
        // Whatever the call, it fails with the distinct error: nothing reads as "not revoked"
        // or "not used", and nothing is written.
        let results = every_call(&store, once.invitation(), once.as_str()).await;
        for (call, code) in &results {
            assert_eq!(code, "store_not_initialized", "{how}: {call}");
        }
        assert_eq!(
            store.check(&revoked).await.unwrap_err(),
            Error::StoreNotInitialized
        );
        assert!(
            server.command("DBSIZE").contains(":0"),
            "{how}: nothing written"
        );
        // A new connection refuses too, and says how to recover.
        let err = builder().connect(&url).await.unwrap_err();
        assert_eq!(err, Error::StoreNotInitialized);
        assert!(err.to_string().contains("admit store init"));
        // The health report names it.
        let init = super::harness::initialized_check(&store).await;
        assert_eq!(init.verdict, Verdict::Unsafe);
    }

    // Recovery: initialize, revoking everything issued before the loss, in one step.
    let loss = OffsetDateTime::now_utc();
    let recovered = builder()
        .init(Init::RecoverFromDataLoss {
            revoke_issued_before: loss,
        })
        .connect(&url)
        .await
        .unwrap();
    for s in [&store, &recovered] {
        assert_eq!(
            s.redeem(once.invitation(), "bob").await,
            Err(Error::Revoked)
        );
        assert_eq!(s.check(&revoked).await, Err(Error::Revoked));
    }
    // Invitations minted after the recovery work.
    tokio::time::sleep(StdDuration::from_millis(1100)).await;
    let fresh = mint(Invitation::builder().one_time());
    assert_eq!(store.redeem(&fresh, "carol").await.unwrap().uses, 1);
    let init = super::harness::initialized_check(&store).await;
    assert_eq!(init.verdict, Verdict::Ok);
    // Connecting normally works again.
    builder().connect(&url).await.unwrap();
}

/// The first signed number of seconds in a report ("… +30.000 s …", "-7199.999 s …").
fn offset_in(text: &str) -> f64 {
    text.split_whitespace()
        .filter(|t| t.starts_with(['+', '-']))
        .find_map(|t| t.parse().ok())
        .unwrap_or_else(|| panic!("no offset in {text:?}"))
}

/// With the application's own clock far from Redis's, connecting is refused; a small offset
/// is tolerated and reported.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_clock_offset_is_checked() {
    let Some(server) = server(&["--save", "", "--appendonly", "no"]).await else {
        return;
    };
    let url = server.url();
    let shifted = |by: Duration| move || OffsetDateTime::now_utc() + by;

    let store = builder()
        .create_if_missing()
        .clock(shifted(Duration::seconds(30)))
        .connect(&url)
        .await
        .unwrap();
    let health = store.health().await.unwrap();
    let clock = health.checks.iter().find(|c| c.name == "clock").unwrap();
    assert_eq!(clock.verdict, Verdict::Warning, "{clock:?}");
    assert!((offset_in(&clock.found) - 30.0).abs() < 1.0, "{clock:?}");

    for by in [Duration::hours(2), -Duration::hours(2)] {
        let (setting, found) = misconfigured(
            builder()
                .create_if_missing()
                .clock(shifted(by))
                .connect(&url)
                .await,
        );
        assert_eq!(setting, "clock offset");
        // ±7200 s, give or take the milliseconds the measurement takes.
        assert!((offset_in(&found).abs() - 7200.0).abs() < 1.0, "{found}");
    }
    // Beyond margin minus leeway is what counts: a 3-hour margin tolerates 2 hours.
    let store = builder()
        .create_if_missing()
        .margin(Duration::hours(3))
        .clock(shifted(Duration::hours(2)))
        .connect(&url)
        .await
        .unwrap();
    let health = store.health().await.unwrap();
    let clock = health.checks.iter().find(|c| c.name == "clock").unwrap();
    assert_eq!(clock.verdict, Verdict::Warning);
    // In step: ok.
    let store = builder().create_if_missing().connect(&url).await.unwrap();
    let health = store.health().await.unwrap();
    let clock = health.checks.iter().find(|c| c.name == "clock").unwrap();
    assert_eq!(clock.verdict, Verdict::Ok, "{clock:?}");
}

/// The health report on a server with AOF and `appendfsync always`: every check ok; then
/// snapshots alone (unsafe) and no persistence at all (a warning).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_health_reports_each_setting() {
    let Some(server) = server(&[
        "--save",
        "",
        "--appendonly",
        "yes",
        "--appendfsync",
        "always",
    ])
    .await
    else {
        return;
    };
    let store = builder()
        .create_if_missing()
        .connect(&server.url())
        .await
        .unwrap();
    let health = store.health().await.unwrap();
    assert_eq!(health.backend, "redis");
    let names: Vec<&str> = health.checks.iter().map(|c| c.name).collect();
    assert_eq!(
        names,
        [
            "eviction",
            "persistence",
            "replication",
            "clock",
            "initialized"
        ]
    );
    let verdict = |name: &str| {
        health
            .checks
            .iter()
            .find(|c| c.name == name)
            .unwrap()
            .verdict
    };
    assert_eq!(verdict("eviction"), Verdict::Ok);
    assert_eq!(verdict("persistence"), Verdict::Ok);
    assert_eq!(verdict("replication"), Verdict::Ok);
    assert_eq!(health.verdict(), Verdict::Ok, "{health:?}");

    // Snapshots alone: a restart would go back in time silently.
    assert!(
        server
            .command("CONFIG SET appendonly no")
            .starts_with("+OK")
    );
    assert!(
        server
            .command("CONFIG SET save \"3600 1\"")
            .starts_with("+OK")
    );
    let health = store.health().await.unwrap();
    let persistence = health
        .checks
        .iter()
        .find(|c| c.name == "persistence")
        .unwrap();
    assert_eq!(persistence.verdict, Verdict::Unsafe, "{persistence:?}");
    assert_eq!(health.verdict(), Verdict::Unsafe);
    // No persistence at all: a restart starts empty, which the marker catches.
    assert!(server.command("CONFIG SET save \"\"").starts_with("+OK"));
    let health = store.health().await.unwrap();
    let persistence = health
        .checks
        .iter()
        .find(|c| c.name == "persistence")
        .unwrap();
    assert_eq!(persistence.verdict, Verdict::Warning, "{persistence:?}");
}

#[cfg(feature = "cluster")]
mod cluster {
    use super::*;
    use crate::support::redis_server::RedisCluster;

    /// The slot ranges a node serves, from `CLUSTER NODES`.
    fn slots_of(node: &RedisServer) -> Vec<std::ops::RangeInclusive<usize>> {
        let nodes = node.command("CLUSTER NODES");
        let mine = nodes
            .lines()
            .find(|l| l.contains("myself"))
            .expect("CLUSTER NODES lists this node");
        mine.split_whitespace()
            .skip(8)
            .filter_map(|r| {
                let (a, b) = r.split_once('-').unwrap_or((r, r));
                Some(a.parse().ok()?..=b.parse().ok()?)
            })
            .collect()
    }

    /// The slot of an invitation's bucket (docs/redis-keys.md): the slot of its hex ID, modulo
    /// the 64 buckets, times 256.
    fn slot_of_state(_store: &RedisStore, inv: &Invitation, node: &RedisServer) -> usize {
        // Any node answers CLUSTER KEYSLOT.
        let reply = node.command(&format!("CLUSTER KEYSLOT {{{}}}", inv.id()));
        let slot: usize = reply.trim().trim_start_matches(':').parse().unwrap();
        slot % 64 * 256
    }

    /// Checks every invitation: those whose state lives on `wiped` fail closed, the others
    /// are still refused by the rule; both kinds must occur.
    async fn after_wipe(store: &RedisStore, invs: &[Invitation], wiped: &RedisServer) {
        let ranges = slots_of(wiped);
        let (mut failed, mut fine) = (0, 0);
        let start = std::time::Instant::now();
        for inv in invs {
            let on_wiped = ranges
                .iter()
                .any(|r| r.contains(&slot_of_state(store, inv, wiped)));
            let result = loop {
                match store.check(inv).await {
                    // The client reconnects to a restarted node by itself.
                    Err(
                        Error::StoreUnavailable { .. }
                        | Error::StoreConnect { .. }
                        | Error::StoreTimeout { .. },
                    ) if start.elapsed() < StdDuration::from_secs(20) => {
                        tokio::time::sleep(StdDuration::from_millis(100)).await;
                    }
                    other => break other,
                }
            };
            match result {
                Err(Error::StoreNotInitialized) if on_wiped => failed += 1,
                Err(Error::Revoked) if !on_wiped => fine += 1,
                other => panic!("on the wiped node: {on_wiped}; got {other:?}"),
            }
        }
        assert!(failed > 0 && fine > 0, "{failed} failed, {fine} fine");
    }

    /// A primary restarted empty, or flushed: calls in its slots fail closed while the others go
    /// on; connecting is refused until the store is initialized again, which copies the rules
    /// the other slots still hold. A primary with an evicting policy: connecting is refused,
    /// naming it.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn cluster_node_wiped_or_evicting_is_refused() {
        if !redis_server::available() {
            return;
        }
        let mut cluster = tokio::task::spawn_blocking(RedisCluster::start)
            .await
            .unwrap();
        let urls = cluster.urls();
        let connect = |init: Init| builder().init(init).connect_cluster(&urls);
        let store = connect(Init::CreateIfMissing).await.unwrap();
        let invs: Vec<Invitation> = (0..60)
            .map(|_| mint(Invitation::builder().inviter("grace")))
            .collect();
        for inv in &invs {
            store.redeem(inv, "alice").await.unwrap();
        }
        tokio::time::sleep(StdDuration::from_millis(1100)).await;
        store
            .revoke_issued_before(OffsetDateTime::now_utc(), Some("grace"))
            .await
            .unwrap();

        for (node, how) in [(1, "restart"), (0, "FLUSHALL")] {
            let server = wipe(cluster.nodes.remove(node), how).await;
            cluster.nodes.insert(node, server);
            after_wipe(&store, &invs, &cluster.nodes[node]).await;
            assert_eq!(
                connect(Init::Require).await.unwrap_err(),
                Error::StoreNotInitialized,
                "{how}"
            );
            let health = store.health().await.unwrap();
            let missing = health
                .checks
                .iter()
                .filter(|c| c.name == "initialized" && c.verdict == Verdict::Unsafe)
                .count();
            assert_eq!(missing, 1, "{how}: {health:?}");

            // Initialized again as new: the rule the other slots still hold comes back too.
            connect(Init::CreateIfMissing).await.unwrap();
            for inv in &invs {
                assert_eq!(store.check(inv).await, Err(Error::Revoked), "{how}");
            }
            connect(Init::Require).await.unwrap();
        }

        // An evicting policy on one primary: refused, and the message names the node.
        let node = &cluster.nodes[2];
        assert!(node.command("CONFIG SET maxmemory 64mb").starts_with("+OK"));
        assert!(
            node.command("CONFIG SET maxmemory-policy allkeys-lru")
                .starts_with("+OK")
        );
        let (setting, found) = misconfigured(connect(Init::Require).await);
        assert_eq!(setting, "maxmemory-policy");
        assert!(found.contains(&node.port.to_string()), "{found}");
        builder()
            .allow_eviction()
            .connect_cluster(&urls)
            .await
            .unwrap();
    }
}
