//! The initialization marker: how a wiped Redis is told apart from a working one.
//!
//! An empty restart, `FLUSHALL` or a failover to an empty replica would silently forget every
//! revocation, use count and rule. So an explicit initialization writes a marker (field `init`)
//! into each control hash, every script checks the marker of its slot in the same step as its
//! work, and where it is missing the call fails with [`Error::StoreNotInitialized`]. A new server
//! and a wiped one look the same, so only the application or an operator can say which it is.

use std::collections::BTreeMap;

use redis::Value;
use time::OffsetDateTime;

use super::conn::{Call, Conn, bad_reply, each, fan_out, slot_ranges};
use super::keys::Keys;
use super::scripts::Scripts;
use crate::error::Error;
use crate::store::{Cutoff, HealthCheck, RevocationRule, Verdict, unix_ms};

/// What [`RedisStoreBuilder::connect`](super::RedisStoreBuilder::connect) does about the
/// initialization marker ([`RedisStoreBuilder::init`](super::RedisStoreBuilder::init)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Init {
    /// Refuse to connect ([`Error::StoreNotInitialized`]) where the marker is missing: the
    /// default, and the right setting in production once the store was initialized.
    #[default]
    Require,
    /// Write the marker where it is missing: for a brand-new Redis (first deployment, tests,
    /// development). A Redis that lost its data is then taken for a new one, so revoked and
    /// used-up invitations work again: choose this knowingly.
    CreateIfMissing,
    /// After data loss: write the marker where it is missing and revoke every invitation issued
    /// before the cut-off (on every slot, in the same step as the marker), so nothing the lost
    /// data used to refuse can come back. Re-send the invitations that should still work.
    RecoverFromDataLoss {
        /// Usually the time the data was lost, or now.
        revoke_issued_before: OffsetDateTime,
    },
}

/// Each slot range's first slot, its primary, and the marker there (Unix ms), if any. Data is
/// lost a whole node at a time, so one slot per range tells each node's state.
pub(super) async fn markers(
    conn: &Conn,
    keys: &Keys,
) -> Result<Vec<(usize, Option<String>, Option<i64>)>, Error> {
    let ranges = slot_ranges(conn).await?;
    let cmds = ranges
        .iter()
        .map(|(slot, _)| {
            let mut cmd = redis::cmd("HGET");
            cmd.arg(keys.control_in_slot(*slot)).arg("init");
            cmd
        })
        .collect();
    let replies = each(conn, cmds).await?;
    ranges
        .into_iter()
        .zip(replies)
        .map(|((slot, node), reply)| {
            let marker: Option<i64> = redis::from_redis_value(reply?).map_err(|_| bad_reply())?;
            Ok((slot, node, marker))
        })
        .collect()
}

/// The rules in force, merged (latest cut-off per field) from one control hash per slot range
/// that has a marker, and whether any range lacks one. Field `*` is everyone's rule,
/// `i:<inviter>` one inviter's; values are cut-offs in Unix ms.
pub(super) async fn merged_rules(
    conn: &Conn,
    keys: &Keys,
) -> Result<(BTreeMap<String, i64>, bool), Error> {
    let ranges = slot_ranges(conn).await?;
    let cmds = ranges
        .iter()
        .map(|(slot, _)| {
            let mut cmd = redis::cmd("HGETALL");
            cmd.arg(keys.control_in_slot(*slot));
            cmd
        })
        .collect();
    let mut merged = BTreeMap::new();
    let mut missing = false;
    for reply in each(conn, cmds).await? {
        missing |= !merge_rules(&mut merged, reply?)?;
    }
    Ok((merged, missing))
}

/// Adds a control hash's rules (an `HGETALL` reply) to `merged`; returns whether it holds the
/// marker.
pub(super) fn merge_rules(merged: &mut BTreeMap<String, i64>, hash: Value) -> Result<bool, Error> {
    let fields: std::collections::HashMap<String, String> = match hash {
        Value::Nil => Default::default(),
        v => redis::from_redis_value(v).map_err(|_| bad_reply())?,
    };
    for (field, value) in &fields {
        if field == "*" || field.starts_with("i:") {
            let ms: i64 = value.parse().map_err(|_| bad_reply())?;
            let slot = merged.entry(field.clone()).or_insert(ms);
            *slot = (*slot).max(ms);
        }
    }
    Ok(fields.contains_key("init"))
}

/// The rules as [`RevocationRule`]s, the everyone-rule first.
pub(super) fn as_rules(merged: &BTreeMap<String, i64>) -> Result<Vec<RevocationRule>, Error> {
    let mut rules: Vec<RevocationRule> = merged
        .iter()
        .map(|(field, ms)| {
            let at = super::from_unix_ms(*ms)?;
            Ok(RevocationRule::new(at, field.strip_prefix("i:")))
        })
        .collect::<Result<_, Error>>()?;
    rules.sort_by(|a, b| (a.inviter.is_some(), &a.inviter).cmp(&(b.inviter.is_some(), &b.inviter)));
    Ok(rules)
}

/// Applies `init` at connect.
pub(super) async fn apply(
    conn: &Conn,
    keys: &Keys,
    init: Init,
    now: OffsetDateTime,
) -> Result<(), Error> {
    let missing = markers(conn, keys)
        .await?
        .iter()
        .any(|(_, _, marker)| marker.is_none());
    let cutoff = match init {
        Init::Require if missing => return Err(Error::StoreNotInitialized),
        Init::Require => return Ok(()),
        Init::CreateIfMissing if !missing => return Ok(()),
        Init::CreateIfMissing => None,
        Init::RecoverFromDataLoss {
            revoke_issued_before,
        } => Some(Cutoff::new(revoke_issued_before).checked_ms(now)?),
    };
    // Slots that lost their data get the rules the others still have (rules are global).
    let (mut rules, _) = merged_rules(conn, keys).await?;
    if let Some(cutoff) = cutoff {
        let all = rules.entry("*".to_owned()).or_insert(cutoff);
        *all = (*all).max(cutoff);
    }
    write(conn, keys, &rules, now).await
}

/// Runs the init script on every control hash: marker where missing, rules raised.
async fn write(
    conn: &Conn,
    keys: &Keys,
    rules: &BTreeMap<String, i64>,
    now: OffsetDateTime,
) -> Result<(), Error> {
    let lua = &Scripts::get().init;
    let cmds = keys
        .all_controls()
        .iter()
        .map(|control| {
            let mut call = Call::new(lua, [control.as_str()]).arg(unix_ms(now));
            for (field, ms) in rules {
                call = call.arg(field).arg(*ms);
            }
            call.into_cmd()
        })
        .collect();
    for reply in fan_out(conn, lua, cmds).await? {
        reply?;
    }
    Ok(())
}

/// The `initialized` lines of a health report, one per slot range.
pub(super) async fn checks(conn: &Conn, keys: &Keys) -> Result<Vec<HealthCheck>, Error> {
    let markers = markers(conn, keys).await?;
    let ranges = markers.len();
    markers
        .into_iter()
        .map(|(slot, node, marker)| {
            let what = if ranges > 1 {
                format!("slots from {slot}: ")
            } else {
                String::new()
            };
            Ok(match marker {
                Some(ms) => HealthCheck::new(
                    "initialized",
                    node.as_deref(),
                    format!("{what}yes, since {}", super::fmt_ms(ms)?),
                    Verdict::Ok,
                    "a loss of this server's data would be noticed: calls would fail until it \
                     is initialized again",
                ),
                None => HealthCheck::new(
                    "initialized",
                    node.as_deref(),
                    format!("{what}no marker"),
                    Verdict::Unsafe,
                    "every call fails: a new server needs `admit store init`; one that had data \
                     lost it (recover with `admit store init --revoke-issued-before <time of the \
                     loss>`)",
                ),
            })
        })
        .collect()
}
