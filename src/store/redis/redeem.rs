//! Redemptions on Redis, grouped by slot.
//!
//! A redemption is one script (`lua/redeem.lua`): the slot's initialization marker and rules,
//! the invitation's state, the count, the joiner and the event, atomically. With many calls at
//! once, what Redis spends on each script call — parsing the command, dispatching the script,
//! reading the slot's control hash — is a third of a redemption's cost. So calls that arrive
//! while others are running queue up (`store/grouped.rs`, the queue the SQL stores' group
//! commit uses) and go in one script call per slot: the script runs them one after the other,
//! each seeing the ones before it, so each caller gets exactly what it would have alone. A call
//! that finds nothing running runs at once, as a script call of one.
//!
//! If one redemption's step fails inside the script (a key of the wrong type, say), the script
//! reports that error for it alone and carries on with the others. If the script call fails as
//! a whole (the store is not initialized, the connection is lost, the deadline passes), every
//! caller in it gets that error, as each would have alone.

use redis::Value;
use time::OffsetDateTime;

use super::conn::{Call, bad_reply, step_failed};
use super::{RedisStore, from_unix_ms, inviter_field, opt_num, unix_ms};
use crate::error::Error;
use crate::store::Redemption;
use crate::store::backend::Redeem;
use crate::store::grouped::{Grouping, Queue, Waiting, grouped};

/// How many script calls of grouped redemptions run at once: one runs on the server, one waits
/// there behind it, one is being answered and filled again. (Measured with 64 tasks: two or
/// four lanes keep Redis less busy.)
const LANES: usize = 3;

/// The most redemptions one script call takes: enough that the call's own cost is small next
/// to theirs, few enough that the lanes share the waiting calls (a script of 24 runs for about
/// 0.2 ms, during which Redis serves no one else).
const MOST: usize = 24;

/// How many arguments each redemption takes (`lua/redeem.lua`).
const ARGS: usize = 10;

/// Redemptions waiting for a script call.
pub(super) type Queued = Queue<Pending, Redemption>;

/// One redemption, ready for the script.
pub(crate) struct Pending {
    /// The slot's control hash: redemptions group by it.
    control: String,
    state: String,
    args: [String; ARGS],
    max_uses: Option<u32>,
    now: OffsetDateTime,
}

impl RedisStore {
    /// Redeems in the next script call of its slot, or at once, alone.
    pub(super) async fn redeem_grouped(&self, call: Redeem<'_>) -> Result<Redemption, Error> {
        grouped(self, self.pending(&call)).await
    }

    fn pending(&self, call: &Redeem<'_>) -> Pending {
        let (invitation, now) = (call.invitation, call.now);
        let id = invitation.id();
        let inviter = invitation.inviter();
        Pending {
            control: self.keys.control_for(id),
            state: self.keys.state(id),
            args: [
                format!("j:{}", call.joiner),
                unix_ms(now).to_string(),
                opt_num(invitation.max_uses()),
                Self::keep_for(call.forget_at, now),
                invitation.issued_at().unix_timestamp().to_string(),
                inviter_field(inviter),
                inviter.unwrap_or_default().to_owned(),
                super::events::forget_arg(self, now, call.forget_at).to_string(),
                id.to_string(),
                self.actor_arg().to_owned(),
            ],
            max_uses: invitation.max_uses(),
            now,
        }
    }

    /// One script call for `group` (all in the slot of `group[0].control`): each redemption's
    /// outcome, or the error that stopped the whole call.
    async fn redeem_in_slot(
        &self,
        group: &[&Pending],
    ) -> Result<Vec<Result<Redemption, Error>>, Error> {
        let Some(first) = group.first() else {
            return Ok(Vec::new());
        };
        let (stream, index) = self.keys.events_beside(&first.control);
        let mut keys: Vec<&str> = Vec::with_capacity(3 + group.len());
        keys.extend([first.control.as_str(), &stream, &index]);
        keys.extend(group.iter().map(|p| p.state.as_str()));
        let bytes: usize = keys.iter().map(|k| k.len() + 16).sum::<usize>()
            + group
                .iter()
                .flat_map(|p| p.args.iter())
                .map(|a| a.len() + 16)
                .sum::<usize>();
        let mut call = Call::sized(&self.scripts.redeem, &keys, ARGS * group.len(), bytes);
        for p in group {
            for arg in &p.args {
                call = call.arg(arg.as_str());
            }
        }
        let Value::Array(reply) = self.call(call).await? else {
            return Err(bad_reply());
        };
        if reply.len() != 2 * group.len() {
            return Err(bad_reply());
        }
        Ok(group
            .iter()
            .zip(reply.chunks_exact(2))
            .map(|(p, pair)| outcome(p, &pair[0], &pair[1]))
            .collect())
    }
}

/// One redemption's pair of values from the script.
fn outcome(p: &Pending, code: &Value, joined: &Value) -> Result<Redemption, Error> {
    let uses = |n: i64| u32::try_from(n).map_err(|_| bad_reply());
    match (code, joined) {
        (Value::Int(-1), _) => Err(Error::Revoked),
        (Value::Int(-2), _) => Err(Error::UsedUp {
            max_uses: p.max_uses.ok_or_else(bad_reply)?,
        }),
        (Value::Int(n), Value::Int(-1)) => Ok(Redemption {
            uses: uses(*n)?,
            joined_at: p.now,
            repeated: false,
        }),
        (Value::Int(n), Value::Int(at)) => Ok(Redemption {
            uses: uses(*n)?,
            joined_at: from_unix_ms(*at)?,
            repeated: true,
        }),
        (Value::BulkString(e), Value::BulkString(text)) if e == b"E" => {
            Err(step_failed(&String::from_utf8_lossy(text)))
        }
        _ => Err(bad_reply()),
    }
}

impl Grouping for RedisStore {
    type Call = Pending;
    type Out = Redemption;

    fn queue(&self) -> &Queued {
        &self.redemptions
    }

    fn lanes(&self) -> usize {
        LANES
    }

    fn most(&self) -> usize {
        MOST
    }

    fn deadline(&self) -> std::time::Duration {
        self.settings.deadline
    }

    async fn alone(&self, p: &Pending) -> Result<Redemption, Error> {
        self.redeem_in_slot(&[p])
            .await?
            .pop()
            .ok_or_else(bad_reply)?
    }

    /// One script call per slot (a single node has one), run at once.
    async fn together(&self, group: Vec<Waiting<Pending, Redemption>>) {
        let mut slots: Vec<Vec<Waiting<Pending, Redemption>>> = Vec::new();
        for w in group {
            match slots
                .iter_mut()
                .find(|s| s[0].call.control == w.call.control)
            {
                Some(slot) => slot.push(w),
                None => slots.push(vec![w]),
            }
        }
        let mut last = slots.pop();
        let mut others = tokio::task::JoinSet::new();
        for slot in slots {
            let store = self.clone();
            others.spawn(async move { store.answer(slot).await });
        }
        if let Some(slot) = last.take() {
            self.answer(slot).await;
        }
        while others.join_next().await.is_some() {}
    }
}

impl RedisStore {
    /// Runs one slot's script call and answers each of its callers.
    async fn answer(&self, slot: Vec<Waiting<Pending, Redemption>>) {
        let calls: Vec<&Pending> = slot.iter().map(|w| &w.call).collect();
        match self.redeem_in_slot(&calls).await {
            Ok(outcomes) => {
                for (w, outcome) in slot.into_iter().zip(outcomes) {
                    w.answer(outcome);
                }
            }
            Err(e) => {
                for w in slot {
                    w.answer(Err(e.clone()));
                }
            }
        }
    }
}
