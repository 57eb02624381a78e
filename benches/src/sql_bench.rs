//! What the PostgreSQL and SQLite benches share: `redeem` and `check` on a store next to a
//! floor (one autocommit `UPDATE … RETURNING` on a one-row table, on the same connections), in
//! criterion groups `<name>_1_task` and `<name>_64_tasks`, then the ratios of interleaved rounds.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use admit::store::Store;
use admit::{Invitation, Issuer, SigningKey};
use criterion::{Criterion, Throughput};

use crate::timing::{median, p50, spread};

/// The least a durable write costs on the store's database.
pub trait Floor: Clone + Send + Sync + 'static {
    /// One autocommit `UPDATE … RETURNING` on a one-row table.
    fn floor(&self) -> impl Future<Output = ()> + Send;

    /// The three rows a counted redemption writes (its invitation's count, its joiner, its
    /// event), in the store's own tables with their indexes, by plain SQL in one transaction
    /// and one round trip, deciding nothing: the least a redemption that records who joined
    /// and publishes its event in the same commit costs. `n` makes the joiner new.
    fn three_rows(&self, n: u64) -> impl Future<Output = ()> + Send;
}

/// The invitation the three-row floor counts on (its row is made by the bench's setup).
pub const FLOOR_ID_HEX: &str = "00000000000000000000000000000001";

#[derive(Clone)]
pub struct Setup<S, F> {
    pub store: S,
    floor: F,
    issuer: Arc<Issuer>,
    counter: Arc<AtomicU64>,
}

impl<S: Store + Clone + 'static, F: Floor> Setup<S, F> {
    pub fn new(store: S, floor: F) -> Setup<S, F> {
        Setup {
            store,
            floor,
            issuer: Arc::new(
                Issuer::new(SigningKey::generate().expect("key"), "bench").expect("issuer"),
            ),
            counter: Arc::new(AtomicU64::new(0)),
        }
    }

    fn invitation(&self) -> Invitation {
        self.issuer
            .mint(Invitation::builder())
            .expect("mint")
            .invitation()
            .clone()
    }

    /// A new joiner on an invitation without a limit: every call writes.
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

    async fn floor(&self) {
        self.floor.floor().await;
    }

    async fn three_rows(&self) {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        self.floor.three_rows(n).await;
    }
}

fn bench<S: Store + Clone + 'static, F: Floor>(
    c: &mut Criterion,
    rt: &tokio::runtime::Runtime,
    name: &str,
    s: &Setup<S, F>,
) {
    let mut g = c.benchmark_group(format!("{name}_1_task"));
    g.bench_function("floor_update_returning", |b| {
        b.to_async(rt).iter(|| s.floor())
    });
    let inv = s.invitation();
    g.bench_function("floor_three_rows", |b| {
        b.to_async(rt).iter(|| s.three_rows())
    });
    g.bench_function("redeem", |b| b.to_async(rt).iter(|| s.redeem(&inv)));
    g.bench_function("check", |b| b.to_async(rt).iter(|| s.check(&inv)));
    g.finish();

    let mut g = c.benchmark_group(format!("{name}_64_tasks"));
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

/// The criterion groups of a SQL store named `name`, then, on a full run, its ratios.
pub fn run<S: Store + Clone + 'static, F: Floor>(
    rt: &tokio::runtime::Runtime,
    name: &str,
    s: &Setup<S, F>,
) {
    let mut c = crate::criterion();
    bench(&mut c, rt, name, s);
    c.final_summary();
    if crate::full_run() {
        ratios(rt, s);
    }
}

/// `redeem` p50 ÷ each floor's p50 (one task) and `redeem` ÷ floor throughput (64 tasks),
/// round by round, interleaved; prints their medians.
fn ratios<S: Store + Clone + 'static, F: Floor>(rt: &tokio::runtime::Runtime, s: &Setup<S, F>) {
    const ROUNDS: usize = 9;
    let (mut latency, mut throughput) = (Vec::new(), Vec::new());
    let (mut rows_latency, mut rows_floor) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        rt.block_on(async {
            let floor = p50(1000, || s.floor()).await;
            let rows = p50(1000, || s.three_rows()).await;
            let inv = s.invitation();
            let redeem = p50(1000, || s.redeem(&inv)).await;
            latency.push(redeem.as_secs_f64() / floor.as_secs_f64());
            rows_latency.push(redeem.as_secs_f64() / rows.as_secs_f64());
            rows_floor.push(rows.as_secs_f64() / floor.as_secs_f64());
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
         redeem p50 / UPDATE … RETURNING p50, 1 task:       {:.3}\n  \
         three-row floor p50 / UPDATE … RETURNING p50, 1 task: {:.3}\n  \
         redeem p50 / three-row floor p50, 1 task:          {:.3}\n  \
         redeem / UPDATE … RETURNING throughput, 64 tasks:  {:.3}",
        median(latency),
        median(rows_floor),
        median(rows_latency),
        median(throughput)
    );
}
