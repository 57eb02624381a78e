//! Redis Cluster key slots: which slot a key lives in, and a short hash tag for every slot.
//!
//! A Lua script may only touch keys of one slot. Revocation rules apply to every invitation, so
//! on a cluster each of the 64 slots that hold keys (the buckets, see `redis/keys.rs`) gets its
//! own copy of the rules, under a key whose hash tag maps to that slot; an invitation's script
//! then reads the copy in its own slot.

use std::sync::OnceLock;

/// Number of hash slots in Redis Cluster.
pub(crate) const SLOTS: usize = 16384;

/// CRC-16/XMODEM (polynomial 0x1021, initial value 0), as Redis Cluster uses it.
fn crc16(data: &[u8]) -> u16 {
    let mut crc: u16 = 0;
    for &byte in data {
        crc ^= u16::from(byte) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
        }
    }
    crc
}

/// The slot of a key whose hash tag is `tag`.
pub(crate) fn slot_of_tag(tag: &str) -> usize {
    usize::from(crc16(tag.as_bytes())) % SLOTS
}

/// The slot of a whole key, by Redis Cluster's rule: the hash tag between the first `{` and the
/// next `}` when it is not empty, else the whole key.
pub(crate) fn slot_of_key(key: &str) -> usize {
    let bytes = key.as_bytes();
    let tag = bytes
        .iter()
        .position(|&b| b == b'{')
        .and_then(|open| {
            let rest = bytes.get(open + 1..)?;
            let close = rest.iter().position(|&b| b == b'}')?;
            (close > 0).then(|| rest.get(..close)).flatten()
        })
        .unwrap_or(bytes);
    usize::from(crc16(tag)) % SLOTS
}

/// A hash tag that maps to `slot`, for every slot: the first string `r<n>` that lands there.
pub(crate) fn tag_for_slot(slot: usize) -> &'static str {
    static TAGS: OnceLock<Vec<String>> = OnceLock::new();
    let tags = TAGS.get_or_init(|| {
        let mut tags = vec![String::new(); SLOTS];
        let mut missing = SLOTS;
        let mut n: u64 = 0;
        while missing > 0 {
            let tag = format!("r{n}");
            let slot = slot_of_tag(&tag);
            if tags[slot].is_empty() {
                tags[slot] = tag;
                missing -= 1;
            }
            n += 1;
        }
        tags
    });
    tags.get(slot % SLOTS).map_or("", String::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc16_matches_the_redis_cluster_spec() {
        // The check value of CRC-16/XMODEM, and the example from the Redis Cluster spec.
        assert_eq!(crc16(b"123456789"), 0x31c3);
        assert_eq!(slot_of_tag("foo"), 12182);
        assert_eq!(slot_of_tag("bar"), 5061);
    }

    #[test]
    fn hash_tags_follow_the_cluster_spec() {
        // The examples of the Redis Cluster specification.
        assert_eq!(slot_of_key("{user1000}.following"), slot_of_tag("user1000"));
        assert_eq!(slot_of_key("foo{}{bar}"), slot_of_tag("foo{}{bar}"));
        assert_eq!(slot_of_key("foo{{bar}}zap"), slot_of_tag("{bar"));
        assert_eq!(slot_of_key("foo{bar}{zap}"), slot_of_tag("bar"));
        assert_eq!(slot_of_key("no tag"), slot_of_tag("no tag"));
        assert_eq!(slot_of_key("open{only"), slot_of_tag("open{only"));
    }

    #[test]
    fn every_slot_has_a_tag_that_maps_to_it() {
        for slot in 0..SLOTS {
            assert_eq!(slot_of_tag(tag_for_slot(slot)), slot);
        }
    }
}
