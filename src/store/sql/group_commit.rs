//! Group commit: concurrent store-owned redemptions share one transaction, so one flush to disk
//! acknowledges many of them.
//!
//! Every commit waits for its flush (PostgreSQL's WAL, SQLite's `synchronous = FULL`), and a
//! redemption is little more than that wait. So `redeem` (not `redeem_in`, which lives in the
//! application's transaction) queues its row; whichever call finds no batch running starts a
//! task that takes everything queued, runs each redemption in order in one write transaction,
//! commits, and only then hands every caller its outcome; then it takes what queued meanwhile.
//! One waiting call runs alone, exactly as before (one statement on PostgreSQL).
//!
//! What each caller gets is exactly what it would get alone: the redemptions run one after the
//! other, as if the calls had arrived in that order, each seeing the ones before it. Rows are
//! sorted by invitation ID, so two batches (or a batch and an application's `redeem_in`, which
//! locks one row) always lock rows in one order. If a statement fails (a deadlock with an
//! application's transaction, say), the batch rolls back and each redemption runs alone; if
//! the commit itself fails or the deadline passes, every caller gets that error, as a lone
//! redemption whose commit failed would: it may or may not have taken effect.

use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::oneshot;

use super::dialect::Dialect;
use super::{RedeemRow, SqlStore, Stop};
use crate::error::Error;

/// The most redemptions one transaction takes: enough to amortize a flush, few enough that the
/// transaction's locks and its time stay small.
const MOST: usize = 128;

/// A redemption's `(outcome, uses, joined_at)`, or why there is none.
type Outcome = Result<(i32, i32, i64), Error>;

/// Redemptions waiting for a batch, and whether one is running.
#[derive(Default)]
pub(crate) struct Batches {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    waiting: Vec<Waiting>,
    running: bool,
}

struct Waiting {
    row: RedeemRow,
    reply: oneshot::Sender<Outcome>,
}

impl Batches {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        // The state is a queue and a flag, consistent after every statement that touches it.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl<DB: Dialect> SqlStore<DB> {
    /// Redeems `row` in the next batch, within the deadline.
    pub(super) async fn redeem_grouped(&self, row: RedeemRow) -> Outcome {
        let (reply, answer) = oneshot::channel();
        let start = {
            let mut state = self.shared.batches.state();
            state.waiting.push(Waiting { row, reply });
            !std::mem::replace(&mut state.running, true)
        };
        if start {
            // A task of its own: a caller that gives up (a timeout, a dropped request) must not
            // take the others' batch with it.
            let store = self.clone();
            tokio::spawn(async move { store.drain().await });
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

    /// Runs batches until none is waiting.
    async fn drain(&self) {
        loop {
            let batch: Vec<Waiting> = {
                let mut state = self.shared.batches.state();
                if state.waiting.is_empty() {
                    state.running = false;
                    return;
                }
                let n = state.waiting.len().min(MOST);
                state.waiting.drain(..n).collect()
            };
            self.run_batch(batch).await;
        }
    }

    async fn run_batch(&self, mut batch: Vec<Waiting>) {
        if batch.len() == 1 {
            for w in batch {
                let outcome = self.redeem_alone(&w.row).await;
                let _ = w.reply.send(outcome);
            }
            return;
        }
        // One lock order for every batch; a stable sort keeps one invitation's calls in order.
        batch.sort_by_key(|w| w.row.id);
        let rows: Vec<&RedeemRow> = batch.iter().map(|w| &w.row).collect();
        let writer = &self.shared.writer;
        let q = &self.shared.queries;
        let committing = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let reached_commit = Arc::clone(&committing);
        let together = self
            .within("redeeming", async move {
                let mut tx = DB::begin_write(writer).await?;
                let mut outcomes = Vec::with_capacity(rows.len());
                for row in rows {
                    outcomes.push(DB::redeem(&mut tx, q, row).await?);
                }
                reached_commit.store(true, std::sync::atomic::Ordering::Relaxed);
                tx.commit().await.map_err(Stop::Db)?;
                Ok(outcomes)
            })
            .await;
        match together {
            Ok(outcomes) => {
                for (w, outcome) in batch.into_iter().zip(outcomes) {
                    let _ = w.reply.send(Ok(outcome));
                }
            }
            // Failed before its commit: nothing of it was written; each runs alone.
            Err(Error::StoreUnavailable { .. })
                if !committing.load(std::sync::atomic::Ordering::Relaxed) =>
            {
                for w in batch {
                    let outcome = self.redeem_alone(&w.row).await;
                    let _ = w.reply.send(outcome);
                }
            }
            // The commit failed, or the deadline passed: it may or may not have taken effect,
            // for every redemption in it alike.
            Err(e) => {
                for w in batch {
                    let _ = w.reply.send(Err(e.clone()));
                }
            }
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
