//! Store operations on a real Redis, next to two floors on the same kind of connection (a
//! redis-rs `ConnectionManager` to the same server):
//!
//! - raw `PING` and `INCR`, one round trip with no script;
//! - a minimal one-round-trip join script (revoked? already joined? under the limit? then
//!   record), with no rules, no expiry and no initialization marker: what any atomic redeem
//!   on Redis has to pay.
//!
//! ```text
//! cargo bench -p admit-bench --bench store            # starts its own redis-server
//! ADMIT_REDIS_URL=redis://127.0.0.1:6379/ cargo bench -p admit-bench --bench store
//! ADMIT_BENCH_RATIOS=only cargo bench -p admit-bench --bench store   # the ratios alone
//! ```
//!
//! Groups: `redis_1_task` (one request at a time: latency) and `redis_64_tasks` (64 tasks at
//! once: throughput, reported per operation), plus `memory_1_task` for the embedded store. Every
//! sample of `redeem` and of the floor script starts on a fresh invitation (a fresh hash), so
//! both grow their hashes alike.
//!
//! After criterion, `ratios` measures the two ratios the store is held to, interleaved round by
//! round so that the drift of a shared machine hits both sides alike, and prints their medians:
//! `redeem` p50 ÷ `INCR` p50 (one task), and `redeem` ÷ floor script throughput (64 tasks).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use admit::store::{MemoryStore, RedisStore, Store};
use admit::{Invitation, Issuer, SigningKey};
use criterion::{Criterion, Throughput};
use redis::aio::ConnectionManager;

use admit_bench::timing::{median, p50, spread};

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

/// The floor for `redeem` now that every counted redemption publishes its event: the minimal
/// join script, plus what any atomic append of an event that expires on its own needs (an
/// `XADD` to a stream in the slot and a `ZADD` of its ID by expiry).
const FLOOR_EVENT_SCRIPT: &str = r"
local s = redis.call('HMGET', KEYS[1], 'rev', 'n', ARGV[1])
if s[1] then return -1 end
if s[3] then return -2 end
local n = tonumber(s[2] or '0')
if n >= tonumber(ARGV[3]) then return -3 end
redis.call('HSET', KEYS[1], 'n', n + 1, ARGV[1], ARGV[2])
local id = redis.call('XADD', KEYS[2], '*', 'k', 2, 'w', ARGV[2], 'j', ARGV[1], 'u', n + 1)
redis.call('ZADD', KEYS[3], ARGV[2], id)
return n + 1
";

/// Everything the benches share.
#[derive(Clone)]
struct Setup {
    store: RedisStore,
    raw: ConnectionManager,
    issuer: Arc<Issuer>,
    floor: Arc<redis::Script>,
    floor_event: Arc<redis::Script>,
    prefix: Arc<str>,
    counter: Arc<AtomicU64>,
}

impl Setup {
    fn next(&self) -> u64 {
        self.counter.fetch_add(1, Ordering::Relaxed)
    }

    /// A new unlimited invitation: its state hash starts empty.
    fn invitation(&self) -> Arc<Invitation> {
        Arc::new(
            self.issuer
                .mint(Invitation::builder())
                .expect("mint")
                .invitation()
                .clone(),
        )
    }

    /// A new key for the floor script.
    fn floor_key(&self) -> Arc<str> {
        format!("{}{{floor-{}}}:s", self.prefix, self.next()).into()
    }

    /// A new key for the floor with an event, in the slot of its stream.
    fn floor_event_key(&self) -> Arc<str> {
        format!("{}{{floor}}:{}:s", self.prefix, self.next()).into()
    }

    async fn incr(&self) {
        let mut raw = self.raw.clone();
        let key = format!("{}counter", self.prefix);
        let _: i64 = redis::cmd("INCR")
            .arg(key)
            .query_async(&mut raw)
            .await
            .expect("INCR");
    }

    async fn floor(&self, key: &str) {
        let mut raw = self.raw.clone();
        let n = self.next();
        let _: i64 = self
            .floor
            .key(key)
            .arg(format!("u{n}"))
            .arg(n)
            .arg(u64::MAX / 2)
            .invoke_async(&mut raw)
            .await
            .expect("floor script");
    }

    /// The floor with an event: the stream and its index share the key's hash tag.
    async fn floor_event(&self, key: &str) {
        let mut raw = self.raw.clone();
        let n = self.next();
        let _: i64 = self
            .floor_event
            .key(key)
            .key(format!("{}{{floor}}:events", self.prefix))
            .key(format!("{}{{floor}}:events:ttl", self.prefix))
            .arg(format!("u{n}"))
            .arg(n)
            .arg(u64::MAX / 2)
            .invoke_async(&mut raw)
            .await
            .expect("floor script with an event");
    }

    async fn redeem(&self, invitation: &Invitation) {
        let n = self.next();
        self.store
            .redeem(invitation, &format!("u{n}"))
            .await
            .expect("redeem");
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
}

fn setup(rt: &tokio::runtime::Runtime, url: &str) -> Setup {
    let prefix = format!("bench-{}:", std::process::id());
    let store = rt
        .block_on(
            RedisStore::builder()
                .prefix(&prefix)
                .create_if_missing()
                .connect(url),
        )
        .expect("connect the store");
    let raw = rt
        .block_on(ConnectionManager::new(
            redis::Client::open(url).expect("a Redis URL"),
        ))
        .expect("connect a raw connection");
    Setup {
        store,
        raw,
        issuer: Arc::new(Issuer::new(SigningKey::generate().unwrap(), "bench/invite").unwrap()),
        floor: Arc::new(redis::Script::new(FLOOR_SCRIPT)),
        floor_event: Arc::new(redis::Script::new(FLOOR_EVENT_SCRIPT)),
        prefix: prefix.into(),
        counter: Arc::new(AtomicU64::new(0)),
    }
}

fn bench(c: &mut Criterion, rt: &tokio::runtime::Runtime, s: &Setup) {
    // `u0` joins first: `redeem_repeat` is then the same joiner again, and `check` finds state.
    let invitation = s.invitation();
    rt.block_on(s.store.redeem(&invitation, "u0"))
        .expect("first redemption");

    let mut g = c.benchmark_group("redis_1_task");
    g.bench_function("ping", |b| {
        b.to_async(rt).iter(|| {
            let mut raw = s.raw.clone();
            async move {
                let _: String = redis::cmd("PING").query_async(&mut raw).await.unwrap();
            }
        })
    });
    g.bench_function("incr", |b| b.to_async(rt).iter(|| s.incr()));
    g.bench_function("floor_join_script", |b| {
        b.to_async(rt).iter_custom(|iters| async move {
            let key = s.floor_key();
            let start = Instant::now();
            for _ in 0..iters {
                s.floor(&key).await;
            }
            start.elapsed()
        })
    });
    g.bench_function("floor_join_script_with_event", |b| {
        b.to_async(rt).iter_custom(|iters| async move {
            let key = s.floor_event_key();
            let start = Instant::now();
            for _ in 0..iters {
                s.floor_event(&key).await;
            }
            start.elapsed()
        })
    });
    g.bench_function("redeem", |b| {
        b.to_async(rt).iter_custom(|iters| async move {
            let inv = s.invitation();
            let start = Instant::now();
            for _ in 0..iters {
                s.redeem(&inv).await;
            }
            start.elapsed()
        })
    });
    g.bench_function("redeem_repeat", |b| {
        b.to_async(rt).iter(|| async {
            let again = s.store.redeem(&invitation, "u0").await.unwrap();
            assert_eq!(again.uses, 1);
        })
    });
    g.bench_function("check", |b| {
        b.to_async(rt).iter(|| async {
            s.store.check(&invitation).await.unwrap();
        })
    });
    g.finish();

    let mut g = c.benchmark_group("redis_64_tasks");
    g.throughput(Throughput::Elements(1));
    g.bench_function("incr", |b| {
        b.iter_custom(|iters| {
            rt.block_on(spread(iters, |_| {
                let s = s.clone();
                async move { s.incr().await }
            }))
        })
    });
    g.bench_function("floor_join_script", |b| {
        b.iter_custom(|iters| {
            let key = s.floor_key();
            rt.block_on(spread(iters, |_| {
                let (s, key) = (s.clone(), key.clone());
                async move { s.floor(&key).await }
            }))
        })
    });
    g.bench_function("floor_join_script_with_event", |b| {
        b.iter_custom(|iters| {
            let key = s.floor_event_key();
            rt.block_on(spread(iters, |_| {
                let (s, key) = (s.clone(), key.clone());
                async move { s.floor_event(&key).await }
            }))
        })
    });
    g.bench_function("redeem", |b| {
        b.iter_custom(|iters| {
            let inv = s.invitation();
            rt.block_on(spread(iters, |_| {
                let (s, inv) = (s.clone(), inv.clone());
                async move { s.redeem(&inv).await }
            }))
        })
    });
    g.bench_function("check", |b| {
        b.iter_custom(|iters| {
            rt.block_on(spread(iters, |_| {
                let (store, inv) = (s.store.clone(), invitation.clone());
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
        b.to_async(rt).iter(|| {
            let (memory, inv) = (&memory, &invitation);
            let n = s.next();
            async move {
                memory.redeem(inv, &format!("u{n}")).await.unwrap();
            }
        })
    });
    g.bench_function("check", |b| {
        b.to_async(rt).iter(|| async {
            memory.check(&invitation).await.unwrap();
        })
    });
    g.finish();
}

/// The two ratios, interleaved: each round measures both sides back to back.
fn ratios(rt: &tokio::runtime::Runtime, s: &Setup) {
    const ROUNDS: usize = 15;
    let (mut latency, mut floor_latency, mut throughput) = (Vec::new(), Vec::new(), Vec::new());
    let (mut event_latency, mut event_throughput) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        rt.block_on(async {
            let incr = p50(2000, || s.incr()).await;
            let key = s.floor_key();
            let floor = p50(2000, || s.floor(&key)).await;
            let key = s.floor_event_key();
            let floor_event = p50(2000, || s.floor_event(&key)).await;
            let inv = s.invitation();
            let redeem = p50(2000, || s.redeem(&inv)).await;
            latency.push(redeem.as_secs_f64() / incr.as_secs_f64());
            floor_latency.push(floor.as_secs_f64() / incr.as_secs_f64());
            event_latency.push(redeem.as_secs_f64() / floor_event.as_secs_f64());
        });
        let key = s.floor_event_key();
        let floor_event = rt.block_on(spread(20_000, |_| {
            let (s, key) = (s.clone(), key.clone());
            async move { s.floor_event(&key).await }
        }));
        let key = s.floor_key();
        let floor = rt.block_on(spread(20_000, |_| {
            let (s, key) = (s.clone(), key.clone());
            async move { s.floor(&key).await }
        }));
        let inv = s.invitation();
        let redeem = rt.block_on(spread(20_000, |_| {
            let (s, inv) = (s.clone(), inv.clone());
            async move { s.redeem(&inv).await }
        }));
        throughput.push(floor.as_secs_f64() / redeem.as_secs_f64());
        event_throughput.push(floor_event.as_secs_f64() / redeem.as_secs_f64());
    }
    println!(
        "\nratios (median of {ROUNDS} interleaved rounds):\n  \
         redeem p50 / INCR p50, 1 task:                     {:.3}\n  \
         floor join script p50 / INCR p50, 1 task:          {:.3}\n  \
         redeem / floor join script throughput, 64 tasks:   {:.3}\n  \
         redeem p50 / floor with event p50, 1 task:         {:.3}\n  \
         redeem / floor with event throughput, 64 tasks:    {:.3}",
        median(latency),
        median(floor_latency),
        median(throughput),
        median(event_latency),
        median(event_throughput)
    );
}

fn main() {
    let rt = runtime();
    // `ADMIT_REDIS_URL`, or a server started for this process.
    let url = admit_test_servers::redis_url().expect("the store bench needs redis-server");
    let s = setup(&rt, &url);
    // `ADMIT_BENCH_RATIOS=only`: the interleaved ratios alone, without criterion's groups.
    if std::env::var("ADMIT_BENCH_RATIOS").as_deref() == Ok("only") {
        return ratios(&rt, &s);
    }
    let mut c = admit_bench::criterion();
    bench(&mut c, &rt, &s);
    c.final_summary();
    // `cargo bench -- <filter>` and `--test` runs skip the ratios; a full run prints them.
    if admit_bench::full_run() {
        ratios(&rt, &s);
    }
}
