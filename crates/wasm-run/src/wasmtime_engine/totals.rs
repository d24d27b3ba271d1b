//! The counts over all instances of a wasmtime run, and per test.

use std::collections::HashMap;

use crate::direct::RawTestHits;

/// The counts over all instances, and per test, exactly: the per-test
/// counts add up to the totals (docs/formats.md §3c), the running tests'
/// last flushed counters included in both.
pub(super) struct Totals {
    n: usize,
    done: Vec<u64>,
    /// Each test's non-zero counters, ascending by index.
    per_test: HashMap<String, Vec<(u32, u64)>>,
    /// Running jobs: their test and last counters.
    running: HashMap<usize, (String, Vec<u64>)>,
}

impl Totals {
    pub(super) fn new(n: usize) -> Totals {
        Totals {
            n,
            done: vec![0; n],
            per_test: HashMap::new(),
            running: HashMap::new(),
        }
    }

    pub(super) fn live(&mut self, id: usize, name: &str, counts: Vec<u64>) {
        self.running.insert(id, (name.to_owned(), counts));
    }

    pub(super) fn end(&mut self, id: usize) {
        self.running.remove(&id);
    }

    /// An instance that will count no more.
    pub(super) fn finish(&mut self, counts: Option<&[u64]>, name: &str) {
        let Some(counts) = counts else { return };
        let sparse = sparse(counts, self.n);
        for &(k, c) in &sparse {
            let slot = &mut self.done[k as usize];
            *slot = slot.saturating_add(c);
        }
        let had = self.per_test.entry(name.to_owned()).or_default();
        *had = merge(had, &sparse);
    }

    /// The totals and each test's counters, as the runner writes them.
    pub(super) fn dump(&self) -> (Vec<u64>, Vec<RawTestHits>) {
        let mut all = self.done.clone();
        let mut tests = self.per_test.clone();
        for (name, counts) in self.running.values() {
            let s = sparse(counts, self.n);
            for &(k, c) in &s {
                let slot = &mut all[k as usize];
                *slot = slot.saturating_add(c);
            }
            let had = tests.entry(name.clone()).or_default();
            *had = merge(had, &s);
        }
        let mut names: Vec<_> = tests.into_iter().collect();
        names.sort_by(|a, b| a.0.cmp(&b.0));
        let hits = names
            .into_iter()
            .map(|(name, s)| RawTestHits {
                name,
                hits: s.into_iter().flat_map(|(k, c)| [u64::from(k), c]).collect(),
            })
            .collect();
        (all, hits)
    }
}

fn sparse(counts: &[u64], n: usize) -> Vec<(u32, u64)> {
    counts
        .iter()
        .take(n)
        .enumerate()
        .filter(|(_, &c)| c != 0)
        .map(|(k, &c)| (k as u32, c))
        .collect()
}

/// Two sparse lists added, saturating.
fn merge(a: &[(u32, u64)], b: &[(u32, u64)]) -> Vec<(u32, u64)> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        match (a.get(i), b.get(j)) {
            (Some(&x), Some(&y)) if x.0 == y.0 => {
                out.push((x.0, x.1.saturating_add(y.1)));
                i += 1;
                j += 1;
            }
            (Some(&x), Some(&y)) if x.0 < y.0 => {
                out.push(x);
                i += 1;
            }
            (Some(&x), None) => {
                out.push(x);
                i += 1;
            }
            (_, Some(&y)) => {
                out.push(y);
                j += 1;
            }
            (None, None) => break,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wasmtime_engine::NO_TEST;

    #[test]
    fn sparse_counts_merge_and_saturate() {
        let a = [(0, 5), (3, u64::MAX - 1)];
        let b = [(1, 2), (3, 7), (9, 1)];
        assert_eq!(merge(&a, &b), [(0, 5), (1, 2), (3, u64::MAX), (9, 1)]);
        assert_eq!(sparse(&[0, 4, 0, 2], 3), [(1, 4)]);
    }

    #[test]
    fn the_totals_and_the_per_test_counts_add_up() {
        let mut t = Totals::new(3);
        t.finish(Some(&[1, 0, 2]), NO_TEST);
        t.finish(Some(&[0, 5, 1]), "a");
        t.live(7, "b", vec![3, 0, 0]);
        let (all, tests) = t.dump();
        assert_eq!(all, [4, 5, 3]);
        let hits: Vec<(&str, &[u64])> = tests
            .iter()
            .map(|t| (t.name.as_str(), t.hits.as_slice()))
            .collect();
        assert_eq!(
            hits,
            [
                ("<no test>", &[0, 1, 2, 2][..]),
                ("a", &[1, 5, 2, 1][..]),
                ("b", &[0, 3][..])
            ]
        );
        t.end(7);
        assert_eq!(t.dump().0, [1, 5, 3]);
    }
}
