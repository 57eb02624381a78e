//! Key names (the schema is in `docs/redis-keys.md`).
//!
//! Every script reads the *control hash* of its own slot: the initialization marker and the
//! revocation rules; every script that records a fact appends to the *event stream* beside it.
//! On a single node there is one of each. On a cluster, a script may only touch keys of one
//! slot, so every key lives in one of [`BUCKETS`] slots spread evenly over the slot space (its
//! hash tag is the bucket's), and each of those slots has its own control hash and event
//! stream: a rule is written 64 times, not once per slot, and the log is 64 streams to merge.

use crate::invitation::InvitationId;

/// How many slots of a cluster hold keys (one in every 256): rules are copied into each, and
/// the event log is one stream in each. A cluster spreads its keys over at most this many
/// primaries.
#[cfg(feature = "cluster")]
pub(super) const BUCKETS: usize = 64;
#[cfg(feature = "cluster")]
const STRIDE: usize = crate::store::slot::SLOTS / BUCKETS;

/// The slot of the bucket that `name` (an invitation ID in hex, a code, a client) falls in.
#[cfg(feature = "cluster")]
pub(super) fn bucket_slot(name: &str) -> usize {
    crate::store::slot::slot_of_tag(name) % BUCKETS * STRIDE
}

/// The first bucket slot in `start..=end`, if any.
#[cfg(feature = "cluster")]
pub(super) fn bucket_in(start: usize, end: usize) -> Option<usize> {
    let first = start.div_ceil(STRIDE) * STRIDE;
    (first <= end).then_some(first)
}

#[derive(Clone, Debug)]
pub(super) struct Keys {
    pub(super) prefix: String,
    pub(super) cluster: bool,
}

impl Keys {
    /// `<prefix>{<id>}:<kind>` (on a cluster `<prefix>{<bucket tag>}:<id>:<kind>`), built
    /// without the formatting machinery (it is on every call).
    fn of(&self, id: InvitationId, kind: &str) -> String {
        let mut key =
            String::with_capacity(self.prefix.len() + 2 * crate::ID_LEN + 12 + kind.len());
        key.push_str(&self.prefix);
        key.push('{');
        #[cfg(feature = "cluster")]
        if self.cluster {
            let mut hex = String::with_capacity(2 * crate::ID_LEN);
            crate::hex::push(&mut hex, id.as_bytes());
            key.push_str(crate::store::slot::tag_for_slot(bucket_slot(&hex)));
            key.push_str("}:");
            key.push_str(&hex);
            key.push_str(kind);
            return key;
        }
        crate::hex::push(&mut key, id.as_bytes());
        key.push('}');
        key.push_str(kind);
        key
    }

    /// `{name}`, or on a cluster `{<bucket tag>}:name`: a key part that lands in a bucket.
    fn tagged(&self, name: &str) -> String {
        #[cfg(feature = "cluster")]
        if self.cluster {
            let tag = crate::store::slot::tag_for_slot(bucket_slot(name));
            return format!("{{{tag}}}:{name}");
        }
        format!("{{{name}}}")
    }

    /// Uses, limit, revocation, registry details and joiners (`j:<joiner>`) of one invitation.
    pub(super) fn state(&self, id: InvitationId) -> String {
        self.of(id, ":s")
    }

    pub(super) fn visits(&self, id: InvitationId) -> String {
        self.of(id, ":v")
    }

    /// A short code's entry, by the code's lookup hash (never the code itself).
    pub(super) fn code(&self, lookup: &str) -> String {
        format!("{}code:{}", self.prefix, self.tagged(lookup))
    }

    /// The record of a follower of the log.
    pub(super) fn consumer(&self, name: &str) -> String {
        format!("{}consumer:{}", self.prefix, self.tagged(name))
    }

    pub(super) fn attempts(&self, client: &str, window_ms: i64, window: i64) -> String {
        let client = self.tagged(client);
        format!("{}attempts:{client}:{window_ms}:{window}", self.prefix)
    }

    pub(super) fn index(&self, inviter: Option<&str>) -> String {
        let name = Self::index_name(inviter);
        #[cfg(feature = "cluster")]
        if self.cluster {
            return format!("{}{}", self.prefix, self.tagged(&name));
        }
        format!("{}{name}", self.prefix)
    }

    /// The same invitations as [`index`](Keys::index), scored by issue time for newest-first
    /// pages: in the index's slot (one script keeps both), under a name no inviter's index can
    /// take (those all start with `issued`).
    pub(super) fn newest(&self, inviter: Option<&str>) -> String {
        let name = Self::index_name(inviter);
        #[cfg(feature = "cluster")]
        if self.cluster {
            let tag = crate::store::slot::tag_for_slot(bucket_slot(&name));
            return format!("{}{{{tag}}}:newest:{name}", self.prefix);
        }
        format!("{}newest:{name}", self.prefix)
    }

    fn index_name(inviter: Option<&str>) -> String {
        match inviter {
            None => "issued".to_owned(),
            Some(inviter) => format!("issued:i:{inviter}"),
        }
    }

    /// The control hash an invitation's scripts read: in its own slot on a cluster.
    pub(super) fn control_for(&self, id: InvitationId) -> String {
        #[cfg(feature = "cluster")]
        if self.cluster {
            let mut hex = String::with_capacity(2 * crate::ID_LEN);
            crate::hex::push(&mut hex, id.as_bytes());
            return self.control_in_slot(bucket_slot(&hex));
        }
        let _ = id;
        self.control_single()
    }

    /// The control hash in the slot of `key` (a code, a counter, an index).
    pub(super) fn control_near(&self, key: &str) -> String {
        #[cfg(feature = "cluster")]
        if self.cluster {
            return self.control_in_slot(crate::store::slot::slot_of_key(key));
        }
        let _ = key;
        self.control_single()
    }

    fn control_single(&self) -> String {
        format!("{}rules", self.prefix)
    }

    /// The control hash of one slot (the single one, off a cluster).
    pub(super) fn control_in_slot(&self, slot: usize) -> String {
        #[cfg(feature = "cluster")]
        if self.cluster {
            return format!(
                "{}{{{}}}:rules",
                self.prefix,
                crate::store::slot::tag_for_slot(slot)
            );
        }
        let _ = slot;
        self.control_single()
    }

    /// The event stream and its expiry index in the slot of `control` (a control hash).
    pub(super) fn events_beside(&self, control: &str) -> (String, String) {
        let base = control.strip_suffix("rules").unwrap_or(control);
        (format!("{base}events"), format!("{base}events:ttl"))
    }

    /// Every event stream, in rank order: one per control hash.
    pub(super) fn all_event_streams(&self) -> Vec<String> {
        self.all_controls()
            .iter()
            .map(|control| self.events_beside(control).0)
            .collect()
    }

    /// The slot of the first control hash in `start..=end`, if any.
    pub(super) fn first_control_slot(&self, start: usize, end: usize) -> Option<usize> {
        #[cfg(feature = "cluster")]
        if self.cluster {
            return bucket_in(start, end);
        }
        let _ = end;
        Some(start)
    }

    /// Every control hash: one, or one per bucket on a cluster.
    pub(super) fn all_controls(&self) -> Vec<String> {
        #[cfg(feature = "cluster")]
        if self.cluster {
            return (0..BUCKETS)
                .map(|bucket| self.control_in_slot(bucket * STRIDE))
                .collect();
        }
        vec![self.control_single()]
    }
}
