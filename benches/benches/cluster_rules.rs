//! Revocation rules on a 3-master Redis Cluster: how long "revoke everything issued before
//! now" takes, on an idle machine and with every core busy, against the deadline and a floor.
//!
//! ```text
//! cargo bench -p admit-bench --bench cluster_rules
//! ```
//!
//! The cluster is started for the bench (or named by `ADMIT_REDIS_CLUSTER_URLS`). A rule is
//! written to each of the store's 64 buckets (docs/redis-keys.md). Group `cluster_rule`:
//! - `raise_rule_idle`: `Store::revoke_issued_before` with a cut-off one millisecond later each
//!   time (so every call moves the rule and writes it everywhere);
//! - `raise_rule_busy`: the same while a CPU burner keeps one thread spinning per core (the
//!   bench starts it, and stops it after the group);
//! - `floor_64_writes_idle`, `floor_64_writes_busy`: 64 concurrent `HSET`s to keys in 64
//!   slots of their own, through the same kind of cluster connection: what any rule written
//!   per bucket costs, without the script.
//!
//! After criterion, the medians and their ratios to the floors and to the store's deadline
//! (2 s by default; a rule gets 4 deadlines) are printed.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::{Duration as StdDuration, Instant};

use admit::store::{Cutoff, RedisStore, Store};
use time::{Duration, OffsetDateTime};

/// One spinning thread per core until dropped.
struct Burner {
    stop: Arc<AtomicBool>,
    threads: Vec<std::thread::JoinHandle<u64>>,
}

impl Burner {
    fn start() -> Burner {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let stop = Arc::new(AtomicBool::new(false));
        let threads = (0..cores)
            .map(|_| {
                let stop = Arc::clone(&stop);
                std::thread::spawn(move || {
                    let mut x = 0u64;
                    while !stop.load(Ordering::Relaxed) {
                        for _ in 0..10_000 {
                            x = std::hint::black_box(x.wrapping_mul(6364136223846793005) + 1);
                        }
                    }
                    x
                })
            })
            .collect();
        Burner { stop, threads }
    }
}

impl Drop for Burner {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

/// 64 keys with hash tags of their own: 64 slots spread over the masters as the store's
/// buckets are.
fn bucket_keys() -> Vec<String> {
    (0..64).map(|n| format!("bench:{{b{n}}}:rules")).collect()
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let Some(urls) = admit_test_servers::redis_cluster_urls() else {
        eprintln!("cluster_rules: no Redis Cluster (redis-server and redis-cli needed); skipped");
        return;
    };
    let store = rt
        .block_on(
            RedisStore::builder()
                .prefix(admit_test_servers::unique_prefix())
                .create_if_missing()
                .connect_cluster(&urls),
        )
        .expect("connect to the cluster");
    let raw = rt
        .block_on(async {
            redis::cluster::ClusterClient::new(urls.clone())?
                .get_async_connection()
                .await
        })
        .expect("raw cluster connection");
    let keys = bucket_keys();
    let base = OffsetDateTime::now_utc() - Duration::days(1);
    let step = Arc::new(AtomicI64::new(0));
    let raise = || {
        let (store, step) = (store.clone(), Arc::clone(&step));
        async move {
            let ms = step.fetch_add(1, Ordering::Relaxed);
            let cutoff = Cutoff::new(base + Duration::milliseconds(ms));
            store
                .revoke_issued_before(cutoff, None)
                .await
                .expect("rule");
        }
    };
    let floor = || {
        let (mut c, keys) = (raw.clone(), keys.clone());
        async move {
            let writes = keys.into_iter().map(|key| {
                let mut c = c.clone();
                async move {
                    redis::cmd("HSET")
                        .arg(key)
                        .arg("*")
                        .arg(1)
                        .query_async::<i64>(&mut c)
                        .await
                }
            });
            for done in futures_join(writes).await {
                done.expect("write");
            }
            let _: Option<String> = redis::cmd("PING").query_async(&mut c).await.ok();
        }
    };

    let mut c = admit_bench::criterion();
    let mut g = c.benchmark_group("cluster_rule");
    g.bench_function("raise_rule_idle", |b| b.to_async(&rt).iter(raise));
    g.bench_function("floor_64_writes_idle", |b| b.to_async(&rt).iter(floor));
    {
        let _burn = Burner::start();
        g.bench_function("raise_rule_busy", |b| b.to_async(&rt).iter(raise));
        g.bench_function("floor_64_writes_busy", |b| b.to_async(&rt).iter(floor));
    }
    g.finish();
    c.final_summary();

    // Medians of 101 calls each, interleaved, for the ratios.
    let median_of = |busy: bool| {
        let _burn = busy.then(Burner::start);
        let mut rule = Vec::new();
        let mut bare = Vec::new();
        rt.block_on(async {
            for _ in 0..101 {
                let start = Instant::now();
                raise().await;
                rule.push(start.elapsed().as_secs_f64());
                let start = Instant::now();
                floor().await;
                bare.push(start.elapsed().as_secs_f64());
            }
        });
        (
            admit_bench::timing::median(rule),
            admit_bench::timing::median(bare),
        )
    };
    let deadline = StdDuration::from_secs(2).as_secs_f64() * 4.0;
    for (label, busy) in [("idle", false), ("both cores busy", true)] {
        let (rule, bare) = median_of(busy);
        eprintln!(
            "cluster rule, {label}: {:.2} ms (floor {:.2} ms, {:.2}x); {:.4} of the rule's \
             deadline (4 x 2 s)",
            rule * 1e3,
            bare * 1e3,
            rule / bare,
            rule / deadline
        );
    }
}

/// Runs the futures at once and collects their results in order.
async fn futures_join<F>(futures: impl IntoIterator<Item = F>) -> Vec<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let mut set = tokio::task::JoinSet::new();
    for (i, f) in futures.into_iter().enumerate() {
        set.spawn(async move { (i, f.await) });
    }
    let mut out: Vec<(usize, F::Output)> = Vec::new();
    while let Some(done) = set.join_next().await {
        out.push(done.expect("task"));
    }
    out.sort_by_key(|(i, _)| *i);
    out.into_iter().map(|(_, v)| v).collect()
}
