//! The event log on Redis: one stream per control hash (one on a single node; on a cluster, one
//! in each slot that holds a control hash), each event appended by the script that makes its
//! fact true. A single node's stream is the log, in stream-ID order. A cluster's streams are
//! merged by stream ID time, then by the stream's rank, then by the ID's sequence, and read only
//! below the earliest clock of the masters, so no event can later appear behind a cursor.

use std::collections::HashMap;

use redis::Value;

use super::RedisStore;
use super::conn::{bad_reply, each, every_primary, unavailable, within};
use crate::error::Error;
use crate::store::events::Row;
use crate::store::settle::Settle;
use crate::store::{Event, EventCursor, EventFilter};

/// Bits of a cluster cursor's second number that hold the stream ID's sequence; the stream's
/// rank is above them.
const SEQ_BITS: u32 = 40;

/// A stream entry: its ID as `(ms, seq)`, and its fields.
type Entry = ((u64, u64), HashMap<String, String>);

fn parse_id(id: &str) -> Result<(u64, u64), Error> {
    let (ms, seq) = id.split_once('-').ok_or_else(bad_reply)?;
    Ok((
        ms.parse().map_err(|_| bad_reply())?,
        seq.parse().map_err(|_| bad_reply())?,
    ))
}

/// An `XRANGE` reply.
fn entries(reply: Value) -> Result<Vec<Entry>, Error> {
    let raw: Vec<(String, HashMap<String, String>)> =
        redis::from_redis_value(reply).map_err(|_| bad_reply())?;
    raw.into_iter()
        .map(|(id, fields)| Ok((parse_id(&id)?, fields)))
        .collect()
}

/// An entry's event row, or `None` when its time has passed (the script that drops it has not
/// come by yet).
fn row(fields: &HashMap<String, String>, now_ms: i64) -> Result<Option<Row>, Error> {
    let text = |name: &str| fields.get(name).filter(|v| !v.is_empty()).cloned();
    let number = |name: &str| {
        text(name)
            .map(|v| v.parse::<i64>().map_err(|_| bad_reply()))
            .transpose()
    };
    let forget_ms = number("f")?;
    if forget_ms.is_some_and(|forget| forget <= now_ms) {
        return Ok(None);
    }
    let invitation = text("i")
        .map(|hex| hex.parse().map_err(|_| bad_reply()))
        .transpose()?;
    Ok(Some(Row {
        code: number("k")?.ok_or_else(bad_reply)?,
        at_ms: number("w")?.ok_or_else(bad_reply)?,
        invitation,
        inviter: text("v"),
        actor: text("a"),
        joiner: text("j"),
        uses: number("u")?,
        max_uses: number("m")?,
        time_ms: number("t")?,
        email: text("e"),
        note: text("n"),
        forget_ms,
    }))
}

/// `XRANGE stream start end COUNT n`.
fn xrange(stream: &str, start: String, end: &str, count: usize) -> redis::Cmd {
    let mut cmd = redis::cmd("XRANGE");
    cmd.arg(stream).arg(start).arg(end).arg("COUNT").arg(count);
    cmd
}

/// The first stream ID after `(ms, seq)`.
fn after(ms: u64, seq: u64) -> String {
    match seq.checked_add(1) {
        Some(next) => format!("{ms}-{next}"),
        None => format!("{}-0", ms.saturating_add(1)),
    }
}

impl RedisStore {
    /// A page of the log.
    pub(super) async fn event_page(
        &self,
        filter: &EventFilter,
        now_ms: i64,
    ) -> Result<Vec<Event>, Error> {
        self.watch.guard.check()?;
        let streams = self.keys.all_event_streams();
        let work = async {
            match streams.as_slice() {
                [one] => self.single_page(one, filter, now_ms).await,
                many => self.merged_page(many, filter, now_ms).await,
            }
        };
        within(self.settings.deadline.saturating_mul(4), work).await
    }

    /// One stream: read it in order from the cursor until the page is full or the stream ends.
    async fn single_page(
        &self,
        stream: &str,
        filter: &EventFilter,
        now_ms: i64,
    ) -> Result<Vec<Event>, Error> {
        let mut start = filter
            .after
            .map_or_else(|| "-".to_owned(), |c| after(c.major, c.minor));
        let narrowed = filter.types != 0
            || filter.invitation.is_some()
            || filter.inviter.is_some()
            || filter.since_ms != i64::MIN;
        let batch = if !narrowed { filter.limit } else { 1000 };
        let mut page = Vec::new();
        loop {
            let reply = each(&self.conn, vec![xrange(stream, start.clone(), "+", batch)]).await?;
            let reply = reply.into_iter().next().ok_or_else(bad_reply)?;
            let got = entries(reply.map_err(unavailable)?)?;
            let full = got.len() == batch;
            for ((ms, seq), fields) in &got {
                if let Some(row) = row(fields, now_ms)? {
                    let event = row.into_event(EventCursor::new(*ms, *seq))?;
                    if filter.admits(&event) {
                        page.push(event);
                        if page.len() == filter.limit {
                            return Ok(page);
                        }
                    }
                }
            }
            match got.last() {
                Some(((ms, seq), _)) if full => start = after(*ms, *seq),
                _ => return Ok(page),
            }
        }
    }

    /// Many streams (a cluster): merged in `(ms, rank, seq)` order, below the masters' earliest
    /// clock. Each round reads a few entries of every stream from the cursor on, keeps those
    /// no unread entry can precede, and reads on from there while the page is not full.
    async fn merged_page(
        &self,
        streams: &[String],
        filter: &EventFilter,
        now_ms: i64,
    ) -> Result<Vec<Event>, Error> {
        let horizon = self.settled_horizon().await?;
        let Some(end_ms) = horizon.checked_sub(1).filter(|&ms| ms >= 0) else {
            return Ok(Vec::new());
        };
        let end = end_ms.to_string();
        let rank_mask = (1u64 << SEQ_BITS) - 1;
        // The position as (ms, rank, seq): everything at or before it is read.
        let mut at = filter
            .after
            .map(|c| (c.major, c.minor >> SEQ_BITS, c.minor & rank_mask));
        let per = (2 * filter.limit / streams.len().max(1)).clamp(8, 1000);
        let mut page = Vec::new();
        loop {
            let cmds = streams
                .iter()
                .enumerate()
                .map(|(rank, stream)| {
                    let start = match at {
                        None => "-".to_owned(),
                        Some((ms, r, seq)) => match (rank as u64).cmp(&r) {
                            core::cmp::Ordering::Greater => format!("{ms}-0"),
                            core::cmp::Ordering::Equal => after(ms, seq),
                            core::cmp::Ordering::Less => format!("{}-0", ms.saturating_add(1)),
                        },
                    };
                    xrange(stream, start, &end, per)
                })
                .collect();
            let replies = each(&self.conn, cmds).await?;
            let mut fetched = Vec::new();
            // The earliest last entry of a stream that may hold more: nothing past it is sure.
            let mut bound: Option<(u64, u64, u64)> = None;
            for (rank, reply) in replies.into_iter().enumerate() {
                let got = entries(reply.map_err(unavailable)?)?;
                if got.len() == per
                    && let Some(((ms, seq), _)) = got.last()
                {
                    let last = (*ms, rank as u64, *seq);
                    bound = Some(bound.map_or(last, |b| b.min(last)));
                }
                fetched.extend(
                    got.into_iter()
                        .map(|((ms, seq), f)| ((ms, rank as u64, seq), f)),
                );
            }
            fetched.sort_by_key(|entry| entry.0);
            for (pos, fields) in fetched {
                if bound.is_some_and(|b| pos > b) {
                    break;
                }
                at = Some(pos);
                let Some(row) = row(&fields, now_ms)? else {
                    continue;
                };
                let (ms, rank, seq) = pos;
                let event = row.into_event(EventCursor::new(ms, (rank << SEQ_BITS) | seq))?;
                if filter.admits(&event) {
                    page.push(event);
                    if page.len() == filter.limit {
                        return Ok(page);
                    }
                }
            }
            if bound.is_none() {
                return Ok(page);
            }
        }
    }

    /// Where a merged read stops: every event written before the read began is below it, and
    /// no event written later can be. The masters' clocks are read, then read again until the
    /// slowest has passed the fastest's first reading (a millisecond or two when they are in
    /// step; at most a quarter of a second, after which the read shows only what is final).
    async fn settled_horizon(&self) -> Result<i64, Error> {
        let (mut earliest, latest) = self.master_clocks().await?;
        let target = latest.saturating_add(1);
        let mut wait = Settle::new();
        while wait.pending(earliest, target).await {
            earliest = self.master_clocks().await?.0;
        }
        Ok(earliest.min(target))
    }

    /// The earliest and the latest clock of the masters, in Unix ms: every later append on any
    /// of them gets a stream ID at or past the earliest.
    async fn master_clocks(&self) -> Result<(i64, i64), Error> {
        let replies = every_primary(&self.conn, redis::cmd("TIME")).await?;
        let (mut earliest, mut latest) = (i64::MAX, 0);
        for (_, reply) in replies {
            let (secs, micros): (i64, i64) =
                redis::from_redis_value(reply.map_err(unavailable)?).map_err(|_| bad_reply())?;
            let ms = secs.saturating_mul(1000) + micros / 1000;
            earliest = earliest.min(ms);
            latest = latest.max(ms);
        }
        Ok((earliest, latest))
    }
}

/// When an event written at `now` about state kept until `state` may go, as the scripts take
/// it (Unix ms; `-1`: never).
pub(super) fn forget_arg(
    store: &RedisStore,
    now: time::OffsetDateTime,
    state: Option<time::OffsetDateTime>,
) -> i64 {
    store
        .settings
        .event_forget_at(now, state)
        .map_or(-1, crate::store::unix_ms)
}
