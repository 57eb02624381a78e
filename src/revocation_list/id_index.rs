//! A sorted set of invitation IDs with an index on their first two bytes: a membership check
//! reads the index and then one or two IDs, however many are held (a binary search over
//! 100,000 IDs would touch 17 places spread over 1.2 MB).

use crate::invitation::ID_LEN;

/// Below this many IDs the set fits in cache and a binary search is as fast as the index.
const INDEXED_FROM: usize = 4096;

pub(crate) struct IdIndex {
    ids: Vec<[u8; ID_LEN]>,
    /// `starts[b]`: where the IDs whose first two bytes are `b` begin (65,537 entries), or
    /// empty for a small set.
    starts: Vec<u32>,
}

fn bucket(id: &[u8; ID_LEN]) -> usize {
    (usize::from(id[0]) << 8) | usize::from(id[1])
}

impl IdIndex {
    /// `ids` sorted and without repeats (as decoded, or merged).
    pub(crate) fn new(ids: Vec<[u8; ID_LEN]>) -> IdIndex {
        let mut starts = Vec::new();
        if ids.len() >= INDEXED_FROM && u32::try_from(ids.len()).is_ok() {
            starts.reserve(65_537);
            let mut at = 0usize;
            for b in 0..=65_536usize {
                while at < ids.len() && bucket(&ids[at]) < b {
                    at += 1;
                }
                starts.push(u32::try_from(at).unwrap_or(u32::MAX));
            }
        }
        IdIndex { ids, starts }
    }

    pub(crate) fn contains(&self, id: &[u8; ID_LEN]) -> bool {
        let b = bucket(id);
        let range = match (self.starts.get(b), self.starts.get(b + 1)) {
            (Some(&lo), Some(&hi)) => lo as usize..hi as usize,
            _ => 0..self.ids.len(),
        };
        self.ids
            .get(range)
            .is_some_and(|slice| slice.binary_search(id).is_ok())
    }

    pub(crate) fn ids(&self) -> &[[u8; ID_LEN]] {
        &self.ids
    }

    pub(crate) fn len(&self) -> usize {
        self.ids.len()
    }
}

#[cfg(test)]
mod tests {
    use super::IdIndex;

    #[test]
    fn finds_exactly_what_it_holds_small_and_large() {
        for n in [0u32, 1, 100, 5000, 70_000] {
            let mut ids: Vec<[u8; 12]> = (0..n)
                .map(|i| {
                    let mut id = [0u8; 12];
                    id[..4].copy_from_slice(&i.wrapping_mul(0x9e37_79b9).to_be_bytes());
                    id[11] = 1;
                    id
                })
                .collect();
            ids.sort_unstable();
            let set = IdIndex::new(ids.clone());
            for id in &ids {
                assert!(set.contains(id));
                let mut other = *id;
                other[11] = 2;
                assert!(!set.contains(&other));
            }
            assert!(!set.contains(&[0xff; 12]) || ids.contains(&[0xff; 12]));
            assert_eq!(set.len(), n as usize);
        }
    }
}
