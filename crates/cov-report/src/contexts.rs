//! Per-test contexts: which tests ran each line. Read from the mapper
//! JSON's `tests`/`testSets`/`testLines` (`docs/formats.md` §6) and from
//! the `TN:` sections of an LCOV tracefile (§7), merged across inputs by
//! test name, and kept beside the [`Coverage`] the totals come from, so a
//! report without per-test data is made exactly as before.

use std::collections::{BTreeMap, HashMap};

use wasm_cov_format::Coverage;

use crate::paths::PathRewriter;

/// Which tests ran which lines of the report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Contexts {
    /// Test names, sorted (byte order), each once.
    pub names: Vec<String>,
    /// Per path: each line some test ran, with the indices (into `names`,
    /// ascending) of the tests that ran it.
    pub files: BTreeMap<String, BTreeMap<u32, Vec<u32>>>,
}

impl Contexts {
    /// Keeps only what the report shows: files still in `cov` (after
    /// filters), lines it counts as run (not excluded by a marker).
    pub fn prune(&mut self, cov: &Coverage) {
        self.files.retain(|path, lines| {
            let Some(f) = cov.files.get(path) else {
                return false;
            };
            lines.retain(|l, _| f.lines.get(l).is_some_and(|&c| c > 0));
            !lines.is_empty()
        });
    }

    /// Per test (index into `names`): the lines of the report it ran.
    pub fn lines_per_test(&self) -> Vec<u64> {
        let mut n = vec![0u64; self.names.len()];
        for tests in self.files.values().flat_map(BTreeMap::values) {
            for &t in tests {
                n[t as usize] += 1;
            }
        }
        n
    }

    /// One file's data as the HTML pages carry it: the tests that ran any
    /// of its lines, the distinct sets of them (as flat inclusive ranges of
    /// indices into those tests, see [`compress_ranges`]) and, per line,
    /// the index of its set.
    pub fn file_sets(&self, path: &str) -> Option<FileSets> {
        let lines = self.files.get(path)?;
        let mut tests: Vec<u32> = lines.values().flatten().copied().collect();
        tests.sort_unstable();
        tests.dedup();
        let local = |t: &u32| tests.binary_search(t).unwrap_or_default() as u32;
        let mut ids: HashMap<&[u32], u32> = HashMap::new();
        let mut sets: Vec<Vec<u32>> = Vec::new();
        let mut by_line = Vec::with_capacity(lines.len());
        let mut buf = Vec::new();
        for (&l, set) in lines {
            let id = match ids.get(set.as_slice()) {
                Some(&id) => id,
                None => {
                    buf.clear();
                    buf.extend(set.iter().map(local));
                    sets.push(compress_ranges(&buf));
                    ids.insert(set, (sets.len() - 1) as u32);
                    (sets.len() - 1) as u32
                }
            };
            by_line.push((l, id));
        }
        Some(FileSets {
            tests,
            sets,
            lines: by_line,
        })
    }
}

/// One file's per-test data, compact: see [`Contexts::file_sets`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSets {
    /// The tests that ran a line of the file: indices into
    /// [`Contexts::names`], ascending.
    pub tests: Vec<u32>,
    /// Distinct sets, in order of first use, as `[first, last, ...]` of
    /// indices into `tests`.
    pub sets: Vec<Vec<u32>>,
    /// `(line, set)`, ascending by line.
    pub lines: Vec<(u32, u32)>,
}

/// Ascending indices as flat inclusive ranges, `[0, 2, 5, 5]` for 0, 1,
/// 2, 5 (the shape of the mapper JSON's `testSets`).
pub fn compress_ranges(tests: &[u32]) -> Vec<u32> {
    let mut out: Vec<u32> = Vec::new();
    for &t in tests {
        match out.last_mut() {
            Some(last) if last.checked_add(1) == Some(t) => *last = t,
            _ => out.extend([t, t]),
        }
    }
    out
}

/// Collects contexts from many inputs; names are interned as they come
/// and sorted at the end.
#[derive(Debug, Default)]
pub(crate) struct ContextsBuilder {
    ids: HashMap<String, u32>,
    names: Vec<String>,
    files: BTreeMap<String, BTreeMap<u32, Vec<u32>>>,
}

impl ContextsBuilder {
    pub(crate) fn test(&mut self, name: &str) -> u32 {
        if let Some(&id) = self.ids.get(name) {
            return id;
        }
        let id = self.names.len() as u32;
        self.names.push(name.to_owned());
        self.ids.insert(name.to_owned(), id);
        id
    }

    /// Test `test` ran `line` of `path` (already rewritten).
    pub(crate) fn add(&mut self, path: &str, line: u32, test: u32) {
        let lines = match self.files.get_mut(path) {
            Some(lines) => lines,
            None => self.files.entry(path.to_owned()).or_default(),
        };
        lines.entry(line).or_default().push(test);
    }

    /// The lines of `path` (already rewritten), to add to.
    pub(crate) fn lines_of(&mut self, path: String) -> &mut BTreeMap<u32, Vec<u32>> {
        self.files.entry(path).or_default()
    }

    /// Adds what `other` collected, matching tests by name.
    pub(crate) fn absorb(&mut self, other: ContextsBuilder) {
        let ids: Vec<u32> = other.names.iter().map(|n| self.test(n)).collect();
        for (path, lines) in other.files {
            for (line, tests) in lines {
                for t in tests {
                    self.add(&path, line, ids[t as usize]);
                }
            }
        }
    }

    /// How many tests were named.
    pub(crate) fn tests(&self) -> usize {
        self.names.len()
    }

    /// Sorted names, indices remapped; `None` when no input had per-test
    /// data (plain LCOV, mapper JSON without `tests`).
    pub(crate) fn finish(self) -> Option<Contexts> {
        if self.names.is_empty() {
            return None;
        }
        let mut order: Vec<u32> = (0..self.names.len() as u32).collect();
        order.sort_by(|&a, &b| self.names[a as usize].cmp(&self.names[b as usize]));
        let mut remap = vec![0u32; order.len()];
        for (new, &old) in order.iter().enumerate() {
            remap[old as usize] = new as u32;
        }
        let mut files = self.files;
        for tests in files.values_mut().flat_map(BTreeMap::values_mut) {
            for t in tests.iter_mut() {
                *t = remap[*t as usize];
            }
            tests.sort_unstable();
            tests.dedup();
        }
        let mut names = self.names;
        names.sort();
        Some(Contexts { names, files })
    }
}

/// Watches the lines an LCOV parser reads ([`read_lcov_with`]) for `TN:`
/// sections, so the one pass that reads the coverage also collects which
/// named test ran which line (`DA` with a count above 0). Sections without
/// a name add nothing. Malformed lines are left to the parser, which
/// reports them.
///
/// [`read_lcov_with`]: wasm_cov_format::read_lcov_with
pub(crate) struct TnWatcher<'a> {
    rewriter: &'a PathRewriter,
    into: &'a mut ContextsBuilder,
    test: Option<u32>,
    path: Option<String>,
}

/// Longer lines are not watched (a `DA` line is short; a name that long is
/// not one people read).
const WATCH_LINE: usize = 64 << 10;

impl<'a> TnWatcher<'a> {
    pub(crate) fn new(rewriter: &'a PathRewriter, into: &'a mut ContextsBuilder) -> Self {
        TnWatcher {
            rewriter,
            into,
            test: None,
            path: None,
        }
    }

    /// Sees one line of the tracefile, `\n` not included.
    pub(crate) fn line(&mut self, line: &[u8]) {
        if line.len() <= WATCH_LINE {
            self.on_line(line);
        }
    }

    fn on_line(&mut self, line: &[u8]) {
        // Until a section is named (plain LCOV: always), only the keys that
        // can change that matter; most lines are `DA`.
        if self.test.is_none() {
            let t = line.trim_ascii_start();
            if !(t.starts_with(b"TN") || t.starts_with(b"SF") || t.starts_with(b"end_of_record")) {
                return;
            }
        }
        let Ok(text) = std::str::from_utf8(line) else {
            return;
        };
        let text = text.trim_end_matches('\r').trim();
        let (key, val) = text.split_once(':').unwrap_or((text, ""));
        match key {
            "TN" => {
                let name = val.trim();
                self.test = (!name.is_empty()).then(|| self.into.test(name));
            }
            "SF" => self.path = Some(self.rewriter.rewrite(val)),
            "end_of_record" => self.path = None,
            "DA" => {
                let (Some(test), Some(path)) = (self.test, &self.path) else {
                    return;
                };
                let mut f = val.split(',');
                let (Some(Ok(line)), Some(Ok(count))) = (
                    f.next().map(|s| s.trim().parse::<u32>()),
                    f.next().map(|s| s.trim().parse::<u64>()),
                ) else {
                    return;
                };
                if count > 0 {
                    self.into.add(path, line, test);
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]
mod tests {
    use super::*;

    #[test]
    fn ranges_compress() {
        assert_eq!(compress_ranges(&[0, 1, 2, 5]), [0, 2, 5, 5]);
        assert_eq!(compress_ranges(&[]), Vec::<u32>::new());
    }

    #[test]
    fn tn_sections_become_contexts() {
        let lcov = "TN:b_test\nSF:./src/a.rs\nDA:1,2\nDA:2,0\nend_of_record\nTN:\nSF:src/a.rs\nDA:3,1\nend_of_record\nTN:a_test\nSF:src/a.rs\nDA:1,1\nDA:4,1,abc\nend_of_record";
        let rw = PathRewriter::default();
        let mut b = ContextsBuilder::default();
        let mut w = TnWatcher::new(&rw, &mut b);
        let cov = wasm_cov_format::read_lcov_with(lcov.as_bytes(), |l| w.line(l)).unwrap();
        assert_eq!(cov.files["./src/a.rs"].lines.len(), 2);
        let c = b.finish().unwrap();
        assert_eq!(c.names, ["a_test", "b_test"]);
        let f = &c.files["src/a.rs"];
        assert_eq!(f[&1], [0, 1]);
        assert_eq!(f[&4], [0]);
        assert!(!f.contains_key(&2) && !f.contains_key(&3));
        let sets = c.file_sets("src/a.rs").unwrap();
        assert_eq!(sets.tests, [0, 1]);
        assert_eq!(sets.sets, [vec![0, 1], vec![0, 0]]);
        assert_eq!(sets.lines, [(1, 0), (4, 1)]);
        assert_eq!(c.lines_per_test(), [2, 1]);
    }

    #[test]
    fn unnamed_sections_are_plain_lcov() {
        let rw = PathRewriter::default();
        let mut b = ContextsBuilder::default();
        let mut w = TnWatcher::new(&rw, &mut b);
        let lcov = &b"TN:\nSF:a\nDA:1,1\nend_of_record\n"[..];
        wasm_cov_format::read_lcov_with(lcov, |l| w.line(l)).unwrap();
        assert_eq!(b.finish(), None);
    }
}
