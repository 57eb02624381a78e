//! Key names (the schema is in `docs/redis-keys.md`).
//!
//! Every script reads the *control hash* of its own slot: the initialization marker and the
//! revocation rules. On a single node there is one; on a cluster, one per slot, under a hash tag
//! chosen to land in that slot, because a script may only touch keys of one slot.

use crate::invitation::InvitationId;

#[derive(Clone, Debug)]
pub(super) struct Keys {
    pub(super) prefix: String,
    pub(super) cluster: bool,
}

impl Keys {
    /// `<prefix>{<id>}:<kind>`, built without the formatting machinery (it is on every call).
    fn of(&self, id: InvitationId, kind: &str) -> String {
        let mut key = String::with_capacity(self.prefix.len() + 2 * crate::ID_LEN + 2 + kind.len());
        key.push_str(&self.prefix);
        key.push('{');
        crate::hex::push(&mut key, id.as_bytes());
        key.push('}');
        key.push_str(kind);
        key
    }

    /// Uses, limit, revocation, registry details and joiners (`j:<joiner>`) of one invitation.
    pub(super) fn state(&self, id: InvitationId) -> String {
        self.of(id, ":s")
    }

    pub(super) fn visits(&self, id: InvitationId) -> String {
        self.of(id, ":v")
    }

    pub(super) fn code(&self, canonical: &str) -> String {
        format!("{}code:{{{canonical}}}", self.prefix)
    }

    pub(super) fn attempts(&self, client: &str, window_ms: i64, window: i64) -> String {
        format!("{}attempts:{{{client}}}:{window_ms}:{window}", self.prefix)
    }

    pub(super) fn index(&self, inviter: Option<&str>) -> String {
        match inviter {
            None => format!("{}issued", self.prefix),
            Some(inviter) => format!("{}issued:i:{inviter}", self.prefix),
        }
    }

    /// The control hash an invitation's scripts read: in its own slot on a cluster.
    pub(super) fn control_for(&self, id: InvitationId) -> String {
        #[cfg(feature = "cluster")]
        if self.cluster {
            let mut tag = String::with_capacity(2 * crate::ID_LEN);
            crate::hex::push(&mut tag, id.as_bytes());
            return self.control_in_slot(crate::store::slot::slot_of_tag(&tag));
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

    /// Every control hash: one, or one per slot on a cluster.
    pub(super) fn all_controls(&self) -> Vec<String> {
        #[cfg(feature = "cluster")]
        if self.cluster {
            return (0..crate::store::slot::SLOTS)
                .map(|slot| self.control_in_slot(slot))
                .collect();
        }
        vec![self.control_single()]
    }
}
