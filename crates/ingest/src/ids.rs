//! MovieLens user and movie ids as dense indexes, without a table sized by the largest id.
//!
//! MovieLens numbers users and movies from 1, almost without gaps, but a MovieLens-format folder
//! may use any `u32` ids (hashed ids near 2^32): a vector indexed by the id would then take
//! gigabytes. [`IdIndex`] maps each id to a value (its row, its rank) with a direct table only
//! when the ids' range is at most a few times their number (so the table is sized by the number
//! of ids, as MovieLens's compact ids allow), and by binary search over the sorted ids
//! otherwise. Either way a lookup gives the same answer.

/// The largest ratio of the ids' range to their number for which [`IdIndex`] keeps a direct
/// table (the range of ML-32M's movie ids is 3.3 times their number).
const DIRECT_RANGE_PER_ID: usize = 8;

/// A map from `u32` ids to `u32` values (a row or a dense rank).
#[derive(Debug, Clone, PartialEq)]
pub struct IdIndex {
    /// The ids, sorted and distinct.
    ids: Vec<u32>,
    /// The value of `ids[i]`.
    values: Vec<u32>,
    /// With compact ids: the smallest id and, for each id from it, its value (`u32::MAX`
    /// where the id is absent).
    direct: Option<(u32, Vec<u32>)>,
}

impl IdIndex {
    /// The index of `pairs` of (id, value); a repeated id keeps its first value.
    pub fn new(mut pairs: Vec<(u32, u32)>) -> IdIndex {
        pairs.sort_by_key(|(id, _)| *id);
        pairs.dedup_by_key(|(id, _)| *id);
        let (ids, values): (Vec<u32>, Vec<u32>) = pairs.into_iter().unzip();
        let direct = match (ids.first(), ids.last()) {
            (Some(lo), Some(hi))
                if ((hi - lo) as usize) < DIRECT_RANGE_PER_ID * ids.len() + 1024 =>
            {
                let mut table = vec![u32::MAX; (hi - lo) as usize + 1];
                for (id, value) in ids.iter().zip(&values) {
                    table[(id - lo) as usize] = *value;
                }
                Some((*lo, table))
            }
            _ => None,
        };
        IdIndex {
            ids,
            values,
            direct,
        }
    }

    /// Each distinct id of `ids` mapped to its rank among them (dense codes in id order).
    pub fn ranks(ids: &[u32]) -> IdIndex {
        let mut distinct = ids.to_vec();
        distinct.sort_unstable();
        distinct.dedup();
        IdIndex::new(distinct.into_iter().zip(0..).collect())
    }

    /// Each id of `ids` mapped to its position in `ids` (the first, if repeated).
    pub fn rows(ids: &[u32]) -> IdIndex {
        let mut pairs: Vec<(u32, u32)> = ids.iter().copied().zip(0..).collect();
        // A stable sort keeps the first row of a repeated id first.
        pairs.sort_by_key(|(id, _)| *id);
        IdIndex::new(pairs)
    }

    /// The value of `id`, if it is in the index.
    #[inline]
    pub fn get(&self, id: u32) -> Option<u32> {
        match &self.direct {
            Some((lo, table)) => id
                .checked_sub(*lo)
                .and_then(|offset| table.get(offset as usize))
                .copied()
                .filter(|v| *v != u32::MAX),
            None => self.ids.binary_search(&id).ok().map(|i| self.values[i]),
        }
    }

    /// Whether `id` is in the index.
    #[inline]
    pub fn contains(&self, id: u32) -> bool {
        self.get(id).is_some()
    }

    /// Number of distinct ids.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether there are no ids.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Whether lookups use a direct table (compact ids).
    pub fn is_direct(&self) -> bool {
        self.direct.is_some()
    }
}

/// How many times each distinct id occurs in `ids`, in id order: a direct count over the ids'
/// range when it is at most a few times their number, else a sort of a copy.
pub fn counts_by_id(ids: &[u32]) -> Vec<u32> {
    let (Some(lo), Some(hi)) = (ids.iter().min(), ids.iter().max()) else {
        return Vec::new();
    };
    if ((hi - lo) as usize) < DIRECT_RANGE_PER_ID * ids.len() + 1024 {
        let mut counts = vec![0u32; (hi - lo) as usize + 1];
        for id in ids {
            counts[(id - lo) as usize] += 1;
        }
        counts.retain(|n| *n > 0);
        return counts;
    }
    let mut sorted = ids.to_vec();
    sorted.sort_unstable();
    sorted
        .chunk_by(|a, b| a == b)
        .map(|run| run.len() as u32)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_and_sparse_ids_give_the_same_answers() {
        let compact: Vec<u32> = vec![7, 3, 5, 4, 3];
        let sparse: Vec<u32> = vec![u32::MAX, 3, 4_000_000_000, 4, 3];
        for ids in [&compact, &sparse] {
            let ranks = IdIndex::ranks(ids);
            let rows = IdIndex::rows(ids);
            assert_eq!(ranks.len(), 4);
            assert_eq!(ranks.get(3), Some(0));
            assert_eq!(ranks.get(4), Some(1));
            assert_eq!(rows.get(3), Some(1), "the first row of a repeated id");
            assert_eq!(rows.get(ids[0]), Some(0));
            assert!(!ranks.contains(6) && !ranks.contains(0) && !ranks.contains(1 << 31));
        }
        assert!(IdIndex::ranks(&compact).is_direct());
        assert!(!IdIndex::ranks(&sparse).is_direct());
        assert_eq!(IdIndex::ranks(&sparse).get(u32::MAX), Some(3));
        assert!(IdIndex::ranks(&[]).is_empty());
    }

    #[test]
    fn counts_are_the_same_for_compact_and_sparse_ids() {
        assert_eq!(counts_by_id(&[5, 3, 5, 9, 5]), vec![1, 3, 1]);
        assert_eq!(
            counts_by_id(&[u32::MAX, 3, u32::MAX, 2_000_000_000, u32::MAX]),
            vec![1, 1, 3]
        );
        assert!(counts_by_id(&[]).is_empty());
    }
}
