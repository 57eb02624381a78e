//! `SqliteStore` on a file in a temporary directory, next to a floor on the same connection: one
//! single-statement `UPDATE … RETURNING` on a one-row table, committed as durably as the store
//! commits (write-ahead log, `synchronous = FULL`): the least any durable counter costs there.
//!
//! ```text
//! cargo bench --features sqlite --bench sqlite_store
//! ```
//!
//! Groups: `sqlite_1_task` (latency) and `sqlite_64_tasks` (throughput). Each `redeem`
//! counts a new joiner on an invitation without a limit, so every call writes. After criterion,
//! a full run measures `redeem` p50 ÷ floor p50 (one task) and `redeem` ÷ floor throughput
//! (64 tasks), interleaved round by round, and prints their medians.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use admit::store::{SqliteStore, Store};
use admit::{Invitation, Issuer, SigningKey};
use criterion::{Criterion, Throughput};

// For its `TempDir`.
#[path = "../tests/support/redis_server.rs"]
mod redis_server;
#[path = "support/timing.rs"]
mod timing;

use timing::{median, p50, spread};

#[derive(Clone)]
struct Setup {
    store: SqliteStore,
    issuer: Arc<Issuer>,
    counter: Arc<AtomicU64>,
}

impl Setup {
    fn invitation(&self) -> Invitation {
        self.issuer
            .mint(Invitation::builder())
            .expect("mint")
            .invitation()
            .clone()
    }

    async fn redeem(&self, inv: &Invitation) {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        self.store
            .redeem(inv, &format!("joiner-{n}"))
            .await
            .expect("redeem");
    }

    async fn check(&self, inv: &Invitation) {
        self.store.check(inv).await.expect("check");
    }

    /// The floor: one autocommit `UPDATE … RETURNING` on the store's writer connection.
    async fn floor(&self) {
        let _: i64 =
            sqlx::query_scalar("UPDATE bench_floor SET n = n + 1 WHERE id = 1 RETURNING n")
                .fetch_one(self.store.pool())
                .await
                .expect("floor");
    }
}

fn setup(rt: &tokio::runtime::Runtime, path: &std::path::Path) -> Setup {
    rt.block_on(async {
        let store = SqliteStore::builder()
            .create_if_missing()
            .prefix("bench_")
            .deadline(Duration::from_secs(30))
            .open(path)
            .await
            .expect("open");
        store.migrate().await.expect("migrate");
        sqlx::raw_sql(
            "CREATE TABLE IF NOT EXISTS bench_floor (id INTEGER PRIMARY KEY, n BIGINT NOT NULL); \
             INSERT INTO bench_floor VALUES (1, 0) ON CONFLICT DO NOTHING",
        )
        .execute(store.pool())
        .await
        .expect("floor table");
        Setup {
            store,
            issuer: Arc::new(
                Issuer::new(SigningKey::generate().expect("key"), "bench").expect("issuer"),
            ),
            counter: Arc::new(AtomicU64::new(0)),
        }
    })
}

fn bench(c: &mut Criterion, rt: &tokio::runtime::Runtime, s: &Setup) {
    let mut g = c.benchmark_group("sqlite_1_task");
    g.bench_function("floor_update_returning", |b| {
        b.to_async(rt).iter(|| s.floor())
    });
    let inv = s.invitation();
    g.bench_function("redeem", |b| b.to_async(rt).iter(|| s.redeem(&inv)));
    g.bench_function("check", |b| b.to_async(rt).iter(|| s.check(&inv)));
    g.finish();

    let mut g = c.benchmark_group("sqlite_64_tasks");
    g.throughput(Throughput::Elements(1));
    g.bench_function("floor_update_returning", |b| {
        b.to_async(rt).iter_custom(|iters| {
            spread(iters, |_| {
                let s = s.clone();
                async move { s.floor().await }
            })
        })
    });
    g.bench_function("redeem", |b| {
        let inv = s.invitation();
        b.to_async(rt).iter_custom(|iters| {
            spread(iters, |_| {
                let (s, inv) = (s.clone(), inv.clone());
                async move { s.redeem(&inv).await }
            })
        })
    });
    g.finish();
}

fn ratios(rt: &tokio::runtime::Runtime, s: &Setup) {
    const ROUNDS: usize = 9;
    let (mut latency, mut throughput) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        rt.block_on(async {
            let floor = p50(1000, || s.floor()).await;
            let inv = s.invitation();
            let redeem = p50(1000, || s.redeem(&inv)).await;
            latency.push(redeem.as_secs_f64() / floor.as_secs_f64());
        });
        let floor = rt.block_on(spread(10_000, |_| {
            let s = s.clone();
            async move { s.floor().await }
        }));
        let inv = s.invitation();
        let redeem = rt.block_on(spread(10_000, |_| {
            let (s, inv) = (s.clone(), inv.clone());
            async move { s.redeem(&inv).await }
        }));
        throughput.push(floor.as_secs_f64() / redeem.as_secs_f64());
    }
    println!(
        "\nratios (median of {ROUNDS} interleaved rounds):\n  \
         redeem p50 / UPDATE … RETURNING p50, 1 task:   {:.3}\n  \
         redeem / UPDATE … RETURNING throughput, 64 tasks: {:.3}",
        median(latency),
        median(throughput)
    );
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let dir = redis_server::TempDir::new("bench-sqlite");
    let path = dir.path().join("bench.db");
    let s = setup(&rt, &path);
    let mut c = Criterion::default()
        .sample_size(30)
        .measurement_time(Duration::from_secs(4))
        .warm_up_time(Duration::from_secs(1))
        .configure_from_args();
    bench(&mut c, &rt, &s);
    c.final_summary();
    if std::env::args().skip(1).all(|a| a == "--bench") {
        ratios(&rt, &s);
    }
}
