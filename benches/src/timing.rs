//! Timing helpers shared by the store benches: many operations spread over 64 tasks, the
//! median latency of calls made one at a time, and a median.

use std::time::{Duration, Instant};

/// How many tasks run at once in the throughput groups.
pub const TASKS: u64 = 64;

/// Runs `iters` operations spread over 64 concurrent tasks; returns the wall time.
///
/// The operations are made before the clock starts, each in a box of its own, so that a task
/// awaits each where it lies: a future is not moved (nor its size paid for) on the clock, and
/// large futures do not make the queues of unstarted operations large.
pub async fn spread<F, Fut>(iters: u64, op: F) -> Duration
where
    F: Fn(u64) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let per_task = iters.div_ceil(TASKS);
    let mut ops: Vec<Vec<std::pin::Pin<Box<Fut>>>> = (0..TASKS).map(|_| Vec::new()).collect();
    let mut made = 0;
    'outer: for _ in 0..per_task {
        for task in ops.iter_mut() {
            if made == iters {
                break 'outer;
            }
            task.push(Box::pin(op(made)));
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

/// The median latency of `n` calls, one at a time.
pub async fn p50<F: Future<Output = ()>>(n: usize, mut op: impl FnMut() -> F) -> Duration {
    let mut times = Vec::with_capacity(n);
    for _ in 0..n {
        let start = Instant::now();
        op().await;
        times.push(start.elapsed());
    }
    times.sort();
    times[n / 2]
}

pub fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}
