//! The initialization marker: how a wiped Redis is told apart from a working one, and what
//! [`Init`] does with it at connect.
//!
//! An empty restart, `FLUSHALL` or a failover to an empty replica would silently forget every
//! revocation, use count and rule. So an explicit initialization writes a marker (field `init`)
//! into each control hash, every script checks the marker of its slot in the same step as its
//! work, and where it is missing the call fails with [`Error::StoreNotInitialized`]. A new server
//! and a wiped one look the same, so only the application or an operator can say which it is.

use std::collections::BTreeMap;

use redis::Value;
use time::OffsetDateTime;

use super::conn::{Call, Conn, bad_reply, each, fan_out, slot_ranges, unavailable};
use super::keys::Keys;
use super::scripts::Scripts;
use crate::error::Error;
use crate::store::{Cutoff, HealthCheck, Init, RevocationRule, Verdict, unix_ms};

/// One control hash per slot range: data is lost a whole node at a time, so the first control
/// hash of each range tells each node's state.
pub(super) struct Control {
    slot: usize,
    /// The primary serving the range (`host:port`; `None` on a single node).
    node: Option<String>,
    /// When the store was initialized there (Unix ms), if it was.
    marker: Option<i64>,
    /// Rule field (`*`, `i:<inviter>`) → cut-off (Unix ms).
    rules: BTreeMap<String, i64>,
}

/// Reads the first control hash of every slot range (a range holding none holds no keys of
/// this store).
pub(super) async fn controls(conn: &Conn, keys: &Keys) -> Result<Vec<Control>, Error> {
    let ranges: Vec<(usize, Option<String>)> = slot_ranges(conn)
        .await?
        .into_iter()
        .filter_map(|(start, end, node)| Some((keys.first_control_slot(start, end)?, node)))
        .collect();
    let cmds = ranges
        .iter()
        .map(|(slot, _)| {
            let mut cmd = redis::cmd("HGETALL");
            cmd.arg(keys.control_in_slot(*slot));
            cmd
        })
        .collect();
    let replies = each(conn, cmds).await?;
    ranges
        .into_iter()
        .zip(replies)
        .map(|((slot, node), reply)| {
            let (marker, rules) = parse_control(reply.map_err(unavailable)?)?;
            Ok(Control {
                slot,
                node,
                marker,
                rules,
            })
        })
        .collect()
}

/// The rules of all `controls`, merged (the latest cut-off per field), and whether any of them
/// lacks the marker.
pub(super) fn merged(controls: &[Control]) -> (BTreeMap<String, i64>, bool) {
    let mut merged = BTreeMap::new();
    for control in controls {
        merge(&mut merged, &control.rules);
    }
    (merged, controls.iter().any(|c| c.marker.is_none()))
}

fn merge(into: &mut BTreeMap<String, i64>, rules: &BTreeMap<String, i64>) {
    for (field, ms) in rules {
        let slot = into.entry(field.clone()).or_insert(*ms);
        *slot = (*slot).max(*ms);
    }
}

/// A control hash (an `HGETALL` reply): its marker and its rules.
pub(super) fn parse_control(hash: Value) -> Result<(Option<i64>, BTreeMap<String, i64>), Error> {
    let fields: std::collections::HashMap<String, String> = match hash {
        Value::Nil => Default::default(),
        v => redis::from_redis_value(v).map_err(|_| bad_reply())?,
    };
    let mut rules = BTreeMap::new();
    let mut marker = None;
    for (field, value) in fields {
        let ms: i64 = value.parse().map_err(|_| bad_reply())?;
        if field == "init" {
            marker = Some(ms);
        } else if field == "*" || field.starts_with("i:") {
            rules.insert(field, ms);
        }
    }
    Ok((marker, rules))
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
    // Slots that lost their data get the rules the others still have (rules are global).
    let (mut rules, missing) = merged(&controls(conn, keys).await?);
    let cutoff = match init {
        Init::Require if missing => return Err(Error::StoreNotInitialized),
        Init::Require => return Ok(()),
        Init::CreateIfMissing if !missing => return Ok(()),
        Init::CreateIfMissing => None,
        Init::RecoverFromDataLoss {
            revoke_issued_before,
        } => Some(Cutoff::new(revoke_issued_before).checked_ms(now)?),
    };
    if let Some(cutoff) = cutoff {
        merge(&mut rules, &BTreeMap::from([("*".to_owned(), cutoff)]));
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
pub(super) fn checks(controls: &[Control]) -> Result<Vec<HealthCheck>, Error> {
    controls
        .iter()
        .map(|control| {
            let what = if controls.len() > 1 {
                format!("slots from {}: ", control.slot)
            } else {
                String::new()
            };
            let node = control.node.as_deref();
            Ok(match control.marker {
                Some(ms) => HealthCheck::new(
                    "initialized",
                    node,
                    format!("{what}yes, since {}", super::fmt_ms(ms)?),
                    Verdict::Ok,
                    "a loss of this server's data would be noticed: calls would fail until it \
                     is initialized again",
                ),
                None => HealthCheck::new(
                    "initialized",
                    node,
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
