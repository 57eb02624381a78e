//! A set of invitation IDs in a revocation list, each with how long it matters: sorted,
//! bucketed by its first bytes, each ID written as the bytes after them (FORMAT.md, R.5).

use super::wire::{Reader, Writer};
use super::{MAX_IDS, bad};
use crate::error::{Error, ListProblem};
use crate::invitation::ID_LEN;

/// How many leading bytes of each ID the bucket counts stand for: none under 256 IDs, one
/// under 65,536, two from there on. A function of the count alone, so a set has one encoding.
pub(crate) fn prefix_len(count: usize) -> usize {
    match count {
        0..256 => 0,
        256..65_536 => 1,
        _ => 2,
    }
}

/// An ID and its `keep` (hours after the list's issue time that it matters; 0: always).
pub(crate) type Raw = ([u8; ID_LEN], u64);

/// Writes `entries` (sorted by ID, no two alike: the builder sees to it).
pub(crate) fn write(out: &mut Writer, entries: &[Raw]) {
    out.varint(entries.len() as u64);
    let p = prefix_len(entries.len());
    if p > 0 {
        let mut counts = vec![0u64; 1 << (8 * p)];
        for e in entries {
            counts[bucket(&e.0, p)] += 1;
        }
        for count in counts {
            out.varint(count);
        }
    }
    for e in entries {
        out.bytes(&e.0[p..]);
        out.varint(e.1);
    }
}

fn bucket(id: &[u8; ID_LEN], p: usize) -> usize {
    id[..p].iter().fold(0, |n, b| (n << 8) | usize::from(*b))
}

/// Reads a set, checking every rule: the count within the limit, bucket counts that add up,
/// IDs strictly ascending.
/// `issued_s` is the list's issue time: an entry's `keep` may not reach past the year 9999.
pub(crate) fn read(r: &mut Reader<'_>, issued_s: u64) -> Result<Vec<Raw>, Error> {
    let keep_max = (super::MAX_UNIX - issued_s.min(super::MAX_UNIX)) / 3600;
    let count = r.varint()?;
    let count = usize::try_from(count)
        .ok()
        .filter(|&n| n <= MAX_IDS)
        .ok_or(Error::RevocationListRefused {
            problem: ListProblem::TooLarge,
        })?;
    let p = prefix_len(count);
    // Each entry takes at least 12 - p + 1 bytes: refuse a count the rest cannot hold before
    // allocating for it.
    if count.saturating_mul(ID_LEN - p + 1) > r.left() {
        return Err(bad("an ID set runs past the end of the list"));
    }
    let mut buckets = Vec::new();
    if p > 0 {
        let mut total = 0u64;
        buckets.reserve(1 << (8 * p));
        for _ in 0..(1usize << (8 * p)) {
            let n = r.varint()?;
            total = total.saturating_add(n);
            buckets.push(n);
        }
        if total != count as u64 {
            return Err(bad(
                "the bucket counts of an ID set do not add up to its count",
            ));
        }
    }
    let mut entries = Vec::with_capacity(count);
    let mut prefix = 0usize;
    let mut left_in_bucket = if p > 0 { buckets[0] } else { count as u64 };
    let mut previous: Option<[u8; ID_LEN]> = None;
    for _ in 0..count {
        while left_in_bucket == 0 {
            prefix += 1;
            left_in_bucket = buckets.get(prefix).copied().unwrap_or(u64::MAX);
        }
        left_in_bucket -= 1;
        let mut id = [0u8; ID_LEN];
        for (i, byte) in id[..p].iter_mut().enumerate() {
            *byte = (prefix >> (8 * (p - 1 - i))) as u8;
        }
        id[p..].copy_from_slice(r.bytes(ID_LEN - p)?);
        if previous.is_some_and(|before| before >= id) {
            return Err(bad(
                "the IDs of a set are not in ascending order, or repeat",
            ));
        }
        previous = Some(id);
        let keep = r.varint()?;
        if keep > keep_max {
            return Err(bad("an entry's keep reaches past the year 9999"));
        }
        entries.push((id, keep));
    }
    Ok(entries)
}
