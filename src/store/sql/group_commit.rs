//! Group commit: concurrent store-owned redemptions share one transaction, so one flush to disk
//! acknowledges many of them.
//!
//! Every commit waits for its flush (PostgreSQL's WAL, SQLite's `synchronous = FULL`), and a
//! redemption is little more than that wait. So `redeem` (not `redeem_in`, which lives in the
//! application's transaction) queues its row; whichever call finds no batch running starts a
//! task that takes everything queued, runs each redemption in order in one write transaction,
//! commits, and only then hands every caller its outcome; then it takes what queued meanwhile.
//! PostgreSQL runs two such batches at once (one executes while the other waits for its flush);
//! SQLite, with its single writer, one. A call that finds nothing waiting or running runs at
//! once in its own task, exactly as before (one statement on PostgreSQL).
//!
//! What each caller gets is exactly what it would get alone: the redemptions run one after the
//! other, as if the calls had arrived in that order, each seeing the ones before it. Rows are
//! sorted by invitation ID, so two batches (or a batch and an application's `redeem_in`, which
//! locks one row) always lock rows in one order. If a statement fails (a deadlock with an
//! application's transaction, say), the batch rolls back and each redemption runs alone; if
//! the commit itself fails or the deadline passes, every caller gets that error, as a lone
//! redemption whose commit failed would: it may or may not have taken effect.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};

use tokio::sync::oneshot;

use super::dialect::Dialect;
use super::{RedeemRow, SqlStore, Stop};
use crate::error::Error;

/// The most redemptions one transaction takes: enough to amortize a flush, few enough that the
/// transaction's locks and its time stay small.
const MOST: usize = 128;

/// A redemption's `(outcome, uses, joined_at)`, or why there is none.
type Outcome = Result<(i32, i32, i64), Error>;

/// Redemptions waiting for a batch, and how many batches are running.
#[derive(Default)]
pub(crate) struct Batches {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    waiting: Vec<Waiting>,
    /// Batches running (a lone redemption in its caller's task counts as one).
    running: usize,
}

struct Waiting {
    row: RedeemRow,
    reply: oneshot::Sender<Outcome>,
}

impl Batches {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        // The state is a queue and a count, consistent after every statement that touches it.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl<DB: Dialect> SqlStore<DB> {
    /// Redeems `row` in the next batch, within the deadline; at once, in this task, when
    /// nothing else is waiting or running (no hop to another task for a lone call).
    pub(super) async fn redeem_grouped(&self, row: RedeemRow) -> Outcome {
        // Batches run on Tokio (as sqlx does); polled elsewhere, every call runs alone.
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return self.redeem_alone(&row).await;
        };
        let alone = {
            let mut state = self.shared.batches.state();
            let idle = state.running == 0 && state.waiting.is_empty();
            if idle {
                state.running = 1;
            }
            idle
        };
        if alone {
            let leading = Leading(self);
            let outcome = self.redeem_alone(&row).await;
            drop(leading);
            return outcome;
        }
        let (reply, answer) = oneshot::channel();
        let start = {
            let mut state = self.shared.batches.state();
            state.waiting.push(Waiting { row, reply });
            let start = state.running < DB::BATCH_LANES;
            if start {
                state.running += 1;
            }
            start
        };
        if start {
            self.spawn_drain(&runtime);
        }
        let deadline = self.shared.settings.deadline;
        match tokio::time::timeout(deadline, answer).await {
            Err(_) => Err(Error::StoreTimeout { after: deadline }),
            Ok(Err(_)) => Err(Error::StoreUnavailable {
                reason: "redeeming: the batch stopped before answering".into(),
            }),
            Ok(Ok(outcome)) => outcome,
        }
    }

    /// Hands the calls that queued behind a lone redemption to a batch task, or marks the
    /// store idle.
    fn release(&self) {
        let mut state = self.shared.batches.state();
        if state.waiting.is_empty() {
            state.running -= 1;
            return;
        }
        drop(state);
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => self.spawn_drain(&runtime),
            // Dropped outside a runtime: the next call starts the batch; until then the
            // waiting calls wait (within their deadline).
            Err(_) => self.shared.batches.state().running -= 1,
        }
    }

    /// Runs [`drain`](Self::drain) in a task of its own: a caller that gives up (a timeout, a
    /// dropped request) must not take the others' batch with it.
    fn spawn_drain(&self, runtime: &tokio::runtime::Handle) {
        let store = self.clone();
        runtime.spawn(async move { store.drain().await });
    }

    /// Runs batches until none is waiting.
    async fn drain(&self) {
        loop {
            let mut batch: Vec<Waiting> = {
                let mut state = self.shared.batches.state();
                if state.waiting.is_empty() {
                    state.running -= 1;
                    return;
                }
                let n = state.waiting.len().min(MOST);
                state.waiting.drain(..n).collect()
            };
            // A caller that stopped waiting (its deadline passed, its request was dropped) has
            // been told nothing was certain; its redemption is not run at all.
            batch.retain(|w| !w.reply.is_closed());
            if !batch.is_empty() {
                self.run_batch(batch).await;
            }
        }
    }

    async fn run_batch(&self, mut batch: Vec<Waiting>) {
        if batch.len() == 1 {
            return self.each_alone(batch).await;
        }
        // One lock order for every batch; a stable sort keeps one invitation's calls in order.
        batch.sort_by_key(|w| w.row.id);
        let rows: Vec<&RedeemRow> = batch.iter().map(|w| &w.row).collect();
        // Whether the database refused the batch (an error it reported, such as a deadlock):
        // then nothing of it was written. A lost connection or a passed deadline says nothing
        // about the commit.
        let refused = AtomicBool::new(false);
        let together = self
            .within("redeeming", self.batch_step(&rows, &refused))
            .await;
        match together {
            Ok(outcomes) => {
                for (w, outcome) in batch.into_iter().zip(outcomes) {
                    let _ = w.reply.send(Ok(outcome));
                }
            }
            // Nothing of it was written: each runs alone, and gets what it would have alone.
            Err(_) if refused.load(Ordering::Relaxed) => self.each_alone(batch).await,
            // It may or may not have taken effect, for every redemption in it alike: what a
            // lone redemption whose commit was not acknowledged reports.
            Err(e) => {
                for w in batch {
                    let _ = w.reply.send(Err(e.clone()));
                }
            }
        }
    }

    /// The batch on the database: one statement (PostgreSQL) or one write transaction
    /// (SQLite), committed before it returns. `refused` tells an error the database reported
    /// for the redemptions themselves (the statement or the transaction then rolled back) from
    /// one at the commit or on the way, after which the outcome is unknown.
    async fn batch_step(
        &self,
        rows: &[&RedeemRow],
        refused: &AtomicBool,
    ) -> super::Step<Vec<(i32, i32, i64)>> {
        let (writer, q) = (&self.shared.writer, &self.shared.queries);
        let note = |e: sqlx::Error| {
            if matches!(e, sqlx::Error::Database(_)) {
                refused.store(true, Ordering::Relaxed);
            }
            Stop::Db(e)
        };
        if DB::BATCH == super::dialect::Mode::Single {
            let mut conn = writer.acquire().await?;
            return DB::redeem_many(&mut conn, q, rows).await.map_err(note);
        }
        let mut tx = DB::begin_write(writer).await?;
        let outcomes = DB::redeem_many(&mut tx, q, rows).await.map_err(note)?;
        tx.commit().await?;
        Ok(outcomes)
    }

    /// Each waiting redemption in its own transaction, answered as it ends.
    async fn each_alone(&self, batch: Vec<Waiting>) {
        for w in batch {
            let outcome = self.redeem_alone(&w.row).await;
            let _ = w.reply.send(outcome);
        }
    }

    /// One redemption in its own transaction (one statement on PostgreSQL).
    async fn redeem_alone(&self, row: &RedeemRow) -> Outcome {
        self.run("redeeming", DB::REDEEM, async |c, q| {
            Ok(DB::redeem(c, q, row).await?)
        })
        .await
    }
}

/// A lone redemption running in its caller's task. However it ends — an answer, an error, the
/// caller dropping it — what queued meanwhile is handed on.
struct Leading<'a, DB: Dialect>(&'a SqlStore<DB>);

impl<DB: Dialect> Drop for Leading<'_, DB> {
    fn drop(&mut self) {
        self.0.release();
    }
}
