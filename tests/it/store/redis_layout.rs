//! What only a real Redis can show: the key schema and TTLs, prefixes, script reloading, bad
//! settings, and (with the cluster) rules reaching every bucket.

use admit::store::{Cutoff, RedisStore, Store, Visits};
use admit::{Error, Invitation};
use redis::AsyncCommands;
use time::Duration;

use super::harness::{single_url, unique_prefix};

async fn raw(url: &str) -> redis::aio::MultiplexedConnection {
    redis::Client::open(url)
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap()
}

use super::mint;

#[tokio::test]
async fn redis_key_schema_and_ttls() {
    let Some(url) = tokio::task::spawn_blocking(single_url).await.unwrap() else {
        return;
    };
    let prefix = unique_prefix();
    let store = RedisStore::builder()
        .prefix(&prefix)
        .margin(Duration::minutes(10))
        .create_if_missing()
        .connect(&url)
        .await
        .unwrap();
    let inv = mint(
        Invitation::builder()
            .inviter("grace")
            .ttl(Duration::hours(2)),
    );
    store.record_issued(&inv, Some("d")).await.unwrap();
    store.redeem(&inv, "alice").await.unwrap();
    store.record_visit(&inv, "v").await.unwrap();
    store
        .revoke_issued_before(inv.issued_at() - Duration::days(1), None)
        .await
        .unwrap();

    let mut c = raw(&url).await;
    let mut keys: Vec<String> = c.keys(format!("{prefix}*")).await.unwrap();
    keys.sort();
    let id = inv.id();
    let mut want = vec![
        format!("{prefix}events"),
        format!("{prefix}events:ttl"),
        format!("{prefix}issued"),
        format!("{prefix}issued:i:grace"),
        format!("{prefix}newest:issued"),
        format!("{prefix}newest:issued:i:grace"),
        format!("{prefix}rules"),
        format!("{prefix}{{{id}}}:s"),
        format!("{prefix}{{{id}}}:v"),
    ];
    want.sort();
    assert_eq!(keys, want);

    // Every per-invitation key lives until expiry + margin (2 h + 10 min), to within a minute.
    let expected_ms = (Duration::hours(2) + Duration::minutes(10)).whole_milliseconds() as i64;
    for key in &want[7..] {
        let ttl: i64 = c.pttl(key).await.unwrap();
        assert!(
            (expected_ms - 60_000..=expected_ms).contains(&ttl),
            "{key}: pttl {ttl}, want about {expected_ms}"
        );
    }
    let index_ttl: i64 = c.pttl(format!("{prefix}issued")).await.unwrap();
    assert!(index_ttl > 0 && index_ttl <= expected_ms);
    // The event stream has no expiry of its own: each entry goes at its own time, through
    // the index, which holds one entry per event but the rule's (kept until deleted).
    let stream_ttl: i64 = c.pttl(format!("{prefix}events")).await.unwrap();
    assert_eq!(stream_ttl, -1);
    let logged: usize = redis::cmd("XLEN")
        .arg(format!("{prefix}events"))
        .query_async(&mut c)
        .await
        .unwrap();
    let indexed: usize = c.zcard(format!("{prefix}events:ttl")).await.unwrap();
    assert_eq!(
        (logged, indexed),
        (4, 3),
        "issued, redeemed, visited; rule_added"
    );
    // The control hash (marker and rules) is kept until deleted.
    let rules_ttl: i64 = c.pttl(format!("{prefix}rules")).await.unwrap();
    assert_eq!(rules_ttl, -1);
    let control: std::collections::HashMap<String, String> =
        c.hgetall(format!("{prefix}rules")).await.unwrap();
    let mut fields: Vec<&str> = control.keys().map(String::as_str).collect();
    fields.sort();
    assert_eq!(fields, ["*", "init"]);
    let cutoff = inv.issued_at() - Duration::days(1);
    assert_eq!(control["*"], (cutoff.unix_timestamp() * 1000).to_string());
    // The state hash holds what the docs say, joiners included.
    let state: std::collections::HashMap<String, String> =
        c.hgetall(format!("{prefix}{{{id}}}:s")).await.unwrap();
    assert_eq!(state.get("n").map(String::as_str), Some("1"));
    assert_eq!(state.get("inv").map(String::as_str), Some("grace"));
    assert_eq!(state.get("desc").map(String::as_str), Some("d"));
    assert_eq!(
        state.get("iat"),
        Some(&inv.issued_at().unix_timestamp().to_string())
    );
    assert!(state.contains_key("j:alice"), "{state:?}");
}

#[tokio::test]
async fn redis_prefixes_keep_apps_apart() {
    let Some(url) = tokio::task::spawn_blocking(single_url).await.unwrap() else {
        return;
    };
    let a = RedisStore::builder()
        .prefix(unique_prefix())
        .create_if_missing()
        .connect(&url)
        .await
        .unwrap();
    let b = RedisStore::builder()
        .prefix(unique_prefix())
        .create_if_missing()
        .connect(&url)
        .await
        .unwrap();
    let inv = mint(Invitation::builder().one_time());
    a.redeem(&inv, "alice").await.unwrap();
    a.revoke(inv.id(), inv.expires_at()).await.unwrap();
    assert_eq!(b.redeem(&inv, "bob").await.unwrap().uses, 1);
    assert!(!b.is_revoked(inv.id()).await.unwrap());
}

#[tokio::test]
async fn redis_scripts_are_reloaded_after_a_flush() {
    let Some(url) = tokio::task::spawn_blocking(single_url).await.unwrap() else {
        return;
    };
    let store = RedisStore::builder()
        .prefix(unique_prefix())
        .create_if_missing()
        .connect(&url)
        .await
        .unwrap();
    let inv = mint(Invitation::builder().inviter("grace"));
    let mut c = raw(&url).await;
    let _: () = redis::cmd("SCRIPT")
        .arg("FLUSH")
        .query_async(&mut c)
        .await
        .unwrap();
    store.redeem(&inv, "alice").await.unwrap();
    let _: () = redis::cmd("SCRIPT")
        .arg("FLUSH")
        .query_async(&mut c)
        .await
        .unwrap();
    store.check(&inv).await.unwrap();
    let _: () = redis::cmd("SCRIPT")
        .arg("FLUSH")
        .query_async(&mut c)
        .await
        .unwrap();
    store
        .revoke_issued_before(
            Cutoff::allow_future(inv.issued_at() + Duration::seconds(1)),
            Some("grace"),
        )
        .await
        .unwrap();
    assert_eq!(store.check(&inv).await, Err(Error::Revoked));
}

#[tokio::test]
async fn redis_bad_settings_are_refused() {
    for prefix in ["a{b", "a}b", "has space", &"p".repeat(65)] {
        let err = RedisStore::builder()
            .prefix(prefix)
            .connect("redis://127.0.0.1:1/")
            .await
            .unwrap_err();
        assert!(
            matches!(err, Error::InvalidArgument { name: "prefix", .. }),
            "{prefix}: {err}"
        );
    }
    let err = RedisStore::connect("http://example.com/")
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::InvalidArgument { name: "url", .. }),
        "{err}"
    );
    let err = RedisStore::builder()
        .deadline(std::time::Duration::ZERO)
        .connect("redis://127.0.0.1:1/")
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        Error::InvalidArgument {
            name: "deadline",
            ..
        }
    ));
    let err = RedisStore::builder()
        .margin(Duration::seconds(30))
        .connect("redis://127.0.0.1:1/")
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::InvalidArgument { name: "margin", .. }),
        "a margin under the leeway: {err}"
    );
    let err = RedisStore::builder()
        .recheck(Some(std::time::Duration::ZERO))
        .connect("redis://127.0.0.1:1/")
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        Error::InvalidArgument {
            name: "recheck",
            ..
        }
    ));
}

/// Nothing listening, and a peer that accepts but never answers: both fail, within the
/// deadline, with a store error.
#[tokio::test]
async fn redis_unreachable_fails_within_the_deadline() {
    let deadline = std::time::Duration::from_millis(400);
    let port = crate::support::redis_server::free_port();
    let start = std::time::Instant::now();
    let err = RedisStore::builder()
        .deadline(deadline)
        .connect(&format!("redis://127.0.0.1:{port}/"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err.code(),
            "store_unavailable" | "store_connect" | "store_timeout"
        ),
        "{err}"
    );
    assert!(start.elapsed() < deadline + std::time::Duration::from_millis(500));

    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let _keep = std::thread::spawn(move || {
        let mut held = Vec::new();
        for conn in silent.incoming().take(4) {
            held.push(conn);
        }
        std::thread::sleep(std::time::Duration::from_secs(5));
    });
    let start = std::time::Instant::now();
    let err = RedisStore::builder()
        .deadline(deadline)
        .connect(&format!("redis://127.0.0.1:{port}/"))
        .await
        .unwrap_err();
    assert_eq!(err, Error::StoreTimeout { after: deadline });
    assert!(start.elapsed() < deadline + std::time::Duration::from_millis(500));
}

#[cfg(feature = "cluster")]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cluster_rules_reach_every_bucket() {
    use super::harness::cluster_urls;
    let Some(urls) = tokio::task::spawn_blocking(cluster_urls).await.unwrap() else {
        return;
    };
    let store = RedisStore::builder()
        .prefix(unique_prefix())
        .create_if_missing()
        .connect_cluster(&urls)
        .await
        .unwrap();
    assert!(store.is_cluster());
    // 300 invitations land in the 64 buckets (slots) spread over the three masters.
    let invs: Vec<Invitation> = (0..300).map(|_| mint(Invitation::builder())).collect();
    for inv in &invs {
        store.check(inv).await.unwrap();
    }
    let cutoff = invs.iter().map(|i| i.issued_at()).max().unwrap() + Duration::seconds(1);
    let start = std::time::Instant::now();
    store
        .revoke_issued_before(Cutoff::allow_future(cutoff), None)
        .await
        .unwrap();
    eprintln!(
        "cluster: revoke_issued_before wrote 64 rule keys in {:?}",
        start.elapsed()
    );
    for inv in &invs {
        assert_eq!(store.check(inv).await, Err(Error::Revoked));
        assert_eq!(store.redeem(inv, "x").await, Err(Error::Revoked));
    }
    // Every bucket holds its copy of the rules.
    let mut keys = 0usize;
    for url in &urls {
        let mut c = raw(url).await;
        let n: Vec<String> = c.keys(format!("{}*:rules", store.prefix())).await.unwrap();
        keys += n.len();
    }
    assert_eq!(keys, 64);

    // One master refuses writes (out of memory under `noeviction`): the rule reaches the
    // buckets of the other two, and the error says how far it got and to retry.
    let mut full = raw(&urls[0]).await;
    let mut maxmemory = async |bytes: &str| {
        let mut set = redis::cmd("CONFIG");
        set.arg("SET").arg("maxmemory").arg(bytes);
        set.query_async::<()>(&mut full).await.unwrap();
    };
    maxmemory("1").await;
    let later = Cutoff::allow_future(cutoff + Duration::seconds(1));
    let partial = store.revoke_issued_before(later, None).await;
    maxmemory("0").await;
    let Err(Error::StoreUnavailable { reason }) = partial else {
        panic!("a rule one master refused: {partial:?}");
    };
    assert!(reason.contains("of 64 buckets"), "{reason}");
    assert!(reason.contains("retry the same call"), "{reason}");
    assert!(!reason.starts_with("the rule reached 64 "), "{reason}");
    // The retry finishes it.
    let rule = store.revoke_issued_before(later, None).await.unwrap();
    assert_eq!(rule.issued_before, cutoff + Duration::seconds(1));
}
