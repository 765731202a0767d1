//! A small interner: each distinct value stored once, referred to by a 32-bit index.

use std::borrow::Borrow;
use std::cmp::Ordering;
// Fx hashing: the keys are our own small integers and ids; no untrusted-collision concern
// worth SipHash's cost on a million-grant graph.
use rustc_hash::FxHashMap as HashMap;
use std::hash::Hash;

#[derive(Clone, Debug)]
pub(super) struct Interner<T> {
    index: HashMap<T, u32>,
    items: Vec<T>,
}

impl<T> Default for Interner<T> {
    fn default() -> Self {
        Self {
            index: HashMap::default(),
            items: Vec::new(),
        }
    }
}

impl<T: Clone + Eq + Hash> Interner<T> {
    pub(super) fn intern(&mut self, value: &T) -> u32 {
        if let Some(i) = self.index.get(value) {
            return *i;
        }
        let i = self.items.len() as u32;
        self.items.push(value.clone());
        self.index.insert(value.clone(), i);
        i
    }

    pub(super) fn get<Q: Hash + Eq + ?Sized>(&self, value: &Q) -> Option<u32>
    where
        T: Borrow<Q>,
    {
        self.index.get(value).copied()
    }

    /// The value of an index this interner handed out.
    pub(super) fn resolve(&self, i: u32) -> &T {
        &self.items[i as usize]
    }

    /// For each index, whether its value has property `f` (one test per distinct value, so a
    /// million grants over a hundred thousand keys hash each key once, not once per grant).
    pub(super) fn flags(&self, f: impl Fn(&T) -> bool) -> Vec<bool> {
        self.items.iter().map(f).collect()
    }

    /// For each index, its rank in the order of `key` (computed once per value).
    pub(super) fn ranks_by_key<K: Ord>(&self, key: impl Fn(&T) -> K) -> Vec<u32> {
        let keys: Vec<K> = self.items.iter().map(key).collect();
        let mut order: Vec<u32> = (0..self.items.len() as u32).collect();
        order.sort_unstable_by(|a, b| keys[*a as usize].cmp(&keys[*b as usize]));
        let mut rank = vec![0; order.len()];
        for (r, i) in order.into_iter().enumerate() {
            rank[i as usize] = r as u32;
        }
        rank
    }

    /// For each index, its rank in the order `cmp` defines.
    pub(super) fn ranks_by(&self, cmp: impl Fn(&T, &T) -> Ordering) -> Vec<u32> {
        let mut order: Vec<u32> = (0..self.items.len() as u32).collect();
        order.sort_unstable_by(|a, b| cmp(&self.items[*a as usize], &self.items[*b as usize]));
        let mut rank = vec![0; order.len()];
        for (r, i) in order.into_iter().enumerate() {
            rank[i as usize] = r as u32;
        }
        rank
    }
}
