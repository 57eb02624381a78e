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
//!
//! The queue itself (lone calls, lanes, callers that gave up) is `store/grouped.rs`, which
//! `RedisStore` shares; this file is what a batch is on a SQL database.

use std::sync::atomic::{AtomicBool, Ordering};

use super::dialect::Dialect;
use super::{RedeemRow, SqlStore, Stop};
use crate::error::Error;
use crate::store::grouped::{Grouping, Queue, Waiting, grouped};

/// The most redemptions one transaction takes: enough to amortize a flush, few enough that the
/// transaction's locks and its time stay small.
const MOST: usize = 128;

/// A redemption's `(outcome, uses, joined_at)`.
type Counted = (i32, i32, i64);

/// A redemption's outcome, or why there is none.
type Outcome = Result<Counted, Error>;

/// Store-owned redemptions waiting to share a transaction.
pub(crate) type Batches = Queue<RedeemRow, Counted>;

impl<DB: Dialect> Grouping for SqlStore<DB> {
    type Call = RedeemRow;
    type Out = Counted;

    fn queue(&self) -> &Batches {
        &self.shared.batches
    }

    fn lanes(&self) -> usize {
        DB::BATCH_LANES
    }

    fn most(&self) -> usize {
        MOST
    }

    fn deadline(&self) -> std::time::Duration {
        self.shared.settings.deadline
    }

    async fn alone(&self, row: &RedeemRow) -> Outcome {
        self.redeem_alone(row).await
    }

    async fn together(&self, batch: Vec<Waiting<RedeemRow, Counted>>) {
        self.run_batch(batch).await;
    }
}

impl<DB: Dialect> SqlStore<DB> {
    /// Redeems `row` in the next batch, within the deadline; at once, in this task, when
    /// nothing else is waiting or running.
    pub(super) async fn redeem_grouped(&self, row: RedeemRow) -> Outcome {
        grouped(self, row).await
    }

    async fn run_batch(&self, mut batch: Vec<Waiting<RedeemRow, Counted>>) {
        if batch.len() == 1 {
            return self.each_alone(batch).await;
        }
        // One lock order for every batch; a stable sort keeps one invitation's calls in order.
        batch.sort_by_key(|w| w.call.id);
        let rows: Vec<&RedeemRow> = batch.iter().map(|w| &w.call).collect();
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
                    w.answer(Ok(outcome));
                }
            }
            // Nothing of it was written: each runs alone, and gets what it would have alone.
            Err(_) if refused.load(Ordering::Relaxed) => self.each_alone(batch).await,
            // It may or may not have taken effect, for every redemption in it alike: what a
            // lone redemption whose commit was not acknowledged reports.
            Err(e) => {
                for w in batch {
                    w.answer(Err(e.clone()));
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
    ) -> super::Step<Vec<Counted>> {
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
    async fn each_alone(&self, batch: Vec<Waiting<RedeemRow, Counted>>) {
        for w in batch {
            let outcome = self.redeem_alone(&w.call).await;
            w.answer(outcome);
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
