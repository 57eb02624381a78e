//! Store operations on a real Redis, next to raw `PING` and `INCR` on the same kind of
//! connection (a redis-rs `ConnectionManager` to the same server) as the floor.
//!
//! ```text
//! cargo bench --features redis --bench store            # starts its own redis-server
//! ADMIT_REDIS_URL=redis://127.0.0.1:6379/ cargo bench --features redis --bench store
//! ```
//!
//! Groups: `redis_1_task` (one request at a time: latency) and `redis_64_tasks` (64 tasks at
//! once: throughput, reported per operation), plus `memory_1_task` for the embedded store.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use admit::store::{MemoryStore, RedisStore, Store};
use admit::{Invitation, Issuer, SigningKey};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use redis::aio::ConnectionManager;

#[path = "../tests/support/redis_server.rs"]
mod redis_server;

const TASKS: u64 = 64;

/// The floor for `redeem`: the least a one-round-trip join can do (revoked? already joined?
/// under the limit? then record), with no rules, no expiry and no initialization marker.
const FLOOR_SCRIPT: &str = r"
local s = redis.call('HMGET', KEYS[1], 'rev', 'n', ARGV[1])
if s[1] then return -1 end
if s[3] then return -2 end
local n = tonumber(s[2] or '0')
if n >= tonumber(ARGV[3]) then return -3 end
redis.call('HSET', KEYS[1], 'n', n + 1, ARGV[1], ARGV[2])
return n + 1
";

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let mut _server = None;
    let url = match std::env::var("ADMIT_REDIS_URL") {
        Ok(url) => url,
        Err(_) => {
            assert!(
                redis_server::available(),
                "the store bench needs redis-server"
            );
            let server = redis_server::RedisServer::plain();
            let url = server.url();
            _server = Some(server);
            url
        }
    };
    let prefix = format!("bench-{}:", std::process::id());
    let store = rt
        .block_on(RedisStore::builder().prefix(&prefix).connect(&url))
        .expect("connect the store");
    let raw = rt
        .block_on(ConnectionManager::new(
            redis::Client::open(url.as_str()).unwrap(),
        ))
        .expect("connect a raw connection");
    let issuer = Issuer::new(SigningKey::generate().unwrap(), "bench/invite").unwrap();
    let invitation = Arc::new(
        issuer
            .mint(Invitation::builder())
            .unwrap()
            .invitation()
            .clone(),
    );
    let counter_key = format!("{prefix}counter");
    let floor_key = format!("{prefix}{{floor}}:s");
    let floor = Arc::new(redis::Script::new(FLOOR_SCRIPT));
    let joiner = Arc::new(AtomicU64::new(0));

    let mut g = c.benchmark_group("redis_1_task");
    g.bench_function("ping", |b| {
        b.to_async(&rt).iter(|| {
            let mut raw = raw.clone();
            async move {
                let _: String = redis::cmd("PING").query_async(&mut raw).await.unwrap();
            }
        })
    });
    g.bench_function("incr", |b| {
        b.to_async(&rt).iter(|| {
            let mut raw = raw.clone();
            let key = counter_key.clone();
            async move {
                let _: i64 = redis::cmd("INCR")
                    .arg(key)
                    .query_async(&mut raw)
                    .await
                    .unwrap();
            }
        })
    });
    g.bench_function("redeem", |b| {
        b.to_async(&rt).iter(|| {
            let (store, inv, joiner) = (&store, &invitation, &joiner);
            async move {
                let n = joiner.fetch_add(1, Ordering::Relaxed);
                store.redeem(inv, &format!("u{n}")).await.unwrap();
            }
        })
    });
    g.bench_function("redeem_repeat", |b| {
        b.to_async(&rt).iter(|| async {
            store.redeem(&invitation, "u0").await.unwrap();
        })
    });
    g.bench_function("check", |b| {
        b.to_async(&rt).iter(|| async {
            store.check(&invitation).await.unwrap();
        })
    });
    g.finish();

    let mut g = c.benchmark_group("redis_64_tasks");
    g.throughput(Throughput::Elements(1));
    g.bench_function("incr", |b| {
        b.iter_custom(|iters| {
            rt.block_on(spread(iters, |_| {
                let mut raw = raw.clone();
                let key = counter_key.clone();
                async move {
                    let _: i64 = redis::cmd("INCR")
                        .arg(key)
                        .query_async(&mut raw)
                        .await
                        .unwrap();
                }
            }))
        })
    });
    g.bench_function("floor_join_script", |b| {
        b.iter_custom(|iters| {
            rt.block_on(spread(iters, |_| {
                let (mut raw, floor, key) = (raw.clone(), floor.clone(), floor_key.clone());
                let n = joiner.fetch_add(1, Ordering::Relaxed);
                async move {
                    let mut call = floor.prepare_invoke();
                    call.key(key).arg(format!("u{n}")).arg(n).arg(u64::MAX / 2);
                    let _: i64 = call.invoke_async(&mut raw).await.unwrap();
                }
            }))
        })
    });
    g.bench_function("redeem", |b| {
        b.iter_custom(|iters| {
            rt.block_on(spread(iters, |_| {
                let (store, inv) = (store.clone(), invitation.clone());
                let n = joiner.fetch_add(1, Ordering::Relaxed);
                async move {
                    store.redeem(&inv, &format!("u{n}")).await.unwrap();
                }
            }))
        })
    });
    g.bench_function("check", |b| {
        b.iter_custom(|iters| {
            rt.block_on(spread(iters, |_| {
                let (store, inv) = (store.clone(), invitation.clone());
                async move {
                    store.check(&inv).await.unwrap();
                }
            }))
        })
    });
    g.finish();

    let memory = MemoryStore::new();
    let mut g = c.benchmark_group("memory_1_task");
    g.bench_function("redeem", |b| {
        b.to_async(&rt).iter(|| {
            let (memory, inv, joiner) = (&memory, &invitation, &joiner);
            async move {
                let n = joiner.fetch_add(1, Ordering::Relaxed);
                memory.redeem(inv, &format!("u{n}")).await.unwrap();
            }
        })
    });
    g.bench_function("check", |b| {
        b.to_async(&rt).iter(|| async {
            memory.check(&invitation).await.unwrap();
        })
    });
    g.finish();
}

/// Runs `iters` operations spread over 64 concurrent tasks; returns the wall time.
async fn spread<F, Fut>(iters: u64, op: F) -> Duration
where
    F: Fn(u64) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let per_task = iters.div_ceil(TASKS);
    let mut ops: Vec<Vec<Fut>> = (0..TASKS).map(|_| Vec::new()).collect();
    let mut made = 0;
    'outer: for _ in 0..per_task {
        for task in ops.iter_mut() {
            if made == iters {
                break 'outer;
            }
            task.push(op(made));
            made += 1;
        }
    }
    let start = Instant::now();
    let mut set = tokio::task::JoinSet::new();
    for task in ops {
        set.spawn(async move {
            for op in task {
                op.await;
            }
        });
    }
    while set.join_next().await.is_some() {}
    start.elapsed()
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(30)
        .measurement_time(Duration::from_secs(4))
        .warm_up_time(Duration::from_secs(1));
    targets = bench
}
criterion_main!(benches);
