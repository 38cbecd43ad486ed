//! Positions in an ordered list by key: a scan while the list is short, a hash index once it
//! is long. A request's attributes and failures number a handful, where a scan costs less
//! than hashing and copying keys; a hostile body's number tens of thousands.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;

/// Lists up to this many entries are scanned; longer ones get the index.
const INDEXED_FROM: usize = 32;

/// The index of a list whose entries each hold a key of type `K` (the list itself stays
/// with its owner, which reports every push).
#[derive(Clone, Debug)]
pub(super) struct LateIndex<K> {
    index: Option<HashMap<K, usize, foldhash::fast::RandomState>>,
}

impl<K> Default for LateIndex<K> {
    fn default() -> Self {
        LateIndex { index: None }
    }
}

impl<K: Hash + Eq> LateIndex<K> {
    /// Where the entry with `key` is in `list`; `key_of` reads an entry's key.
    pub(super) fn position<T, Q>(
        &self,
        list: &[T],
        key: &Q,
        key_of: impl Fn(&T) -> &Q,
    ) -> Option<usize>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        match &self.index {
            Some(index) => index.get(key).copied(),
            None => list.iter().position(|entry| key_of(entry) == key),
        }
    }

    /// Notes that `list`'s last entry was just pushed; `owned_key` copies an entry's key.
    pub(super) fn pushed<T>(&mut self, list: &[T], owned_key: impl Fn(&T) -> K) {
        match &mut self.index {
            Some(index) => {
                if let Some(last) = list.len().checked_sub(1) {
                    index.insert(owned_key(&list[last]), last);
                }
            }
            None if list.len() >= INDEXED_FROM => {
                self.index = Some(
                    list.iter()
                        .enumerate()
                        .map(|(i, entry)| (owned_key(entry), i))
                        .collect(),
                );
            }
            None => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_the_same_scanned_and_indexed() {
        let mut list: Vec<String> = Vec::new();
        let mut index = LateIndex::<String>::default();
        for i in 0..100 {
            list.push(format!("k{i}"));
            index.pushed(&list, Clone::clone);
            for j in [0, i / 2, i] {
                let key = format!("k{j}");
                assert_eq!(index.position(&list, key.as_str(), String::as_str), Some(j));
            }
            assert_eq!(index.position(&list, "missing", String::as_str), None);
        }
        assert!(index.index.is_some());
    }
}
