//! Per-test lines: which tests ran each line, from the per-test block
//! counts (`--per-test`, docs/formats.md "Per-test block counts").
//!
//! A line's count is the largest count among the blocks its rows overlap
//! (`fold`, `lines`). So each module's rows are folded once more, into the
//! list of lines each block reaches; a test's line counts are then the
//! largest of its own blocks' counts, found from the blocks it ran alone,
//! not by folding the whole module again per test. Within a module a line
//! takes the largest count, across modules the counts add, as in the
//! report. A line some test ran is exactly a line whose count is not 0.

use std::collections::{BTreeMap, HashMap};
use std::io::BufReader;

use anyhow::{bail, Context, Result};
use wasm_cov_cli::{InputArg, OutputArg};

use wasm_cov_format::{
    compress_ranges, lcov_test_names, write_lcov_test, Coverage, MappedCoverage, MappedTest,
    PerTest, PerTestModule,
};

use crate::dwarf::{DebugInfo, NO_FILE};
use crate::error::MapError;
use crate::fold::{block_at, Block};
use crate::sources::FileFacts;

/// The per-test lines of every module mapped so far.
pub struct PerTestLines {
    doc: PerTest,
    /// The test name table, sorted; `index` is its inverse.
    names: Vec<String>,
    index: HashMap<String, u32>,
    /// Path -> line -> test -> count.
    lines: BTreeMap<String, BTreeMap<u32, BTreeMap<u32, u64>>>,
}

impl PerTestLines {
    pub fn new(doc: PerTest) -> Self {
        let mut names: Vec<String> = doc
            .modules
            .values()
            .flat_map(|m| m.tests.keys().cloned())
            .collect();
        names.sort();
        names.dedup();
        let index = names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.clone(), i as u32))
            .collect();
        PerTestLines {
            doc,
            names,
            index,
            lines: BTreeMap::new(),
        }
    }

    /// The modules the per-test data names, by SHA-256.
    pub fn modules(&self) -> impl Iterator<Item = &str> {
        self.doc.modules.keys().map(String::as_str)
    }

    /// Adds one module's per-test lines. `info.rows` must be sorted as
    /// `fold` left them; `blocks` are the module's blocks in DWARF
    /// addresses (`code_offset` = its code section payload offset).
    pub(crate) fn add_module(
        &mut self,
        sha256: &str,
        code_offset: u64,
        info: &DebugInfo,
        blocks: &[Block],
        facts: &FileFacts,
    ) -> Result<(), MapError> {
        let Some(m) = self.doc.modules.get(sha256) else {
            return Ok(());
        };
        let to_block = block_indices(m, code_offset, blocks, sha256)?;
        let reach = lines_of_blocks(info, blocks, facts);
        for (name, hits) in &m.tests {
            let t = self.index[name];
            let mut counts: HashMap<(u32, u32), u64> = HashMap::new();
            for &(k, c) in hits {
                let b = to_block[k as usize];
                for &key in &reach.keys[reach.start[b]..reach.start[b + 1]] {
                    let slot = counts.entry(key).or_insert(0);
                    *slot = (*slot).max(c);
                }
            }
            for ((file, line), c) in counts {
                let path = &info.files[file as usize];
                let lines = match self.lines.get_mut(path) {
                    Some(l) => l,
                    None => self.lines.entry(path.clone()).or_default(),
                };
                let slot = lines.entry(line).or_default().entry(t).or_insert(0);
                *slot = slot.saturating_add(c);
            }
        }
        Ok(())
    }

    /// Adds the test table and each file's `testSets`/`testLines` to `doc`.
    pub fn add_to_json(&self, doc: &mut MappedCoverage) {
        doc.tests = self
            .names
            .iter()
            .map(|n| MappedTest { name: n.clone() })
            .collect();
        for f in &mut doc.files {
            let Some(lines) = self.lines.get(&f.path) else {
                continue;
            };
            let mut sets: BTreeMap<Vec<u32>, u32> = BTreeMap::new();
            for tests in lines.values() {
                sets.insert(
                    compress_ranges(&tests.keys().copied().collect::<Vec<_>>()),
                    0,
                );
            }
            for (i, v) in sets.values_mut().enumerate() {
                *v = i as u32;
            }
            f.test_lines = lines
                .iter()
                .map(|(&line, tests)| {
                    let key = compress_ranges(&tests.keys().copied().collect::<Vec<_>>());
                    [line, sets[&key]]
                })
                .collect();
            f.test_sets = sets.into_keys().collect();
        }
    }

    /// LCOV with one section per test (`TN:` from `lcov_test_names`), in
    /// the order of the test table; each lists only the lines its test ran,
    /// with its counts. Tests that ran no line of the report have none.
    pub fn write_lcov(&self, mut w: impl std::io::Write) -> std::io::Result<()> {
        let tn = lcov_test_names(&self.names);
        let mut per_test: Vec<Coverage> = vec![Coverage::default(); self.names.len()];
        for (path, lines) in &self.lines {
            for (&line, tests) in lines {
                for (&t, &c) in tests {
                    per_test[t as usize].file_mut(path).add_line(line, c);
                }
            }
        }
        for (cov, name) in per_test.iter().zip(&tn) {
            write_lcov_test(cov, name, &mut w)?;
        }
        Ok(())
    }
}

/// Reads `--per-test`; every module it names must be one the offsets name.
pub(crate) fn read<T>(input: &InputArg, offsets: &BTreeMap<String, T>) -> Result<PerTestLines> {
    let reader = input
        .open()
        .with_context(|| format!("cannot read {input}"))?;
    let doc = PerTest::read(BufReader::new(reader)).with_context(|| input.to_string())?;
    if let Some(sha) = doc.modules.keys().find(|s| !offsets.contains_key(*s)) {
        bail!("{input}: module {sha} is not in the offsets (per-test data of another run?)");
    }
    Ok(PerTestLines::new(doc))
}

impl PerTestLines {
    /// [`PerTestLines::write_lcov`] to `out`, atomically.
    pub(crate) fn write_lcov_to(&self, output: &OutputArg) -> Result<()> {
        let mut out = output
            .create()
            .with_context(|| format!("cannot write {output}"))?;
        self.write_lcov(&mut out)?;
        out.commit()
            .with_context(|| format!("cannot write {output}"))?;
        Ok(())
    }
}

/// For each block of the per-test module, the index of the same block in
/// `blocks`.
fn block_indices(
    m: &PerTestModule,
    code_offset: u64,
    blocks: &[Block],
    sha256: &str,
) -> Result<Vec<usize>, MapError> {
    m.blocks
        .iter()
        .map(|b| {
            let start = b.start.checked_sub(code_offset);
            let i = start.and_then(|s| blocks.binary_search_by_key(&s, |x| x.start).ok());
            match i {
                Some(i) if blocks[i].end + code_offset == b.end => Ok(i),
                _ => Err(MapError::Blocks(format!(
                    "per-test block {}..{} of module {sha256} is not a block of the offsets",
                    b.start, b.end
                ))),
            }
        })
        .collect()
}

/// Each block's `(file, line)`s, the lines whose count it can raise:
/// `keys[start[b]..start[b + 1]]` for block `b`. The same rows, overlap
/// rule and user-line filter as `fold` and `lines::count`.
struct Reach {
    start: Vec<usize>,
    keys: Vec<(u32, u32)>,
}

fn lines_of_blocks(info: &DebugInfo, blocks: &[Block], facts: &FileFacts) -> Reach {
    let mut pairs: Vec<(usize, (u32, u32))> = Vec::new();
    let mut j = 0;
    for row in &info.rows {
        let end = row.end.max(row.start.saturating_add(1));
        while j < blocks.len() && blocks[j].end <= row.start {
            j += 1;
        }
        if row.file == NO_FILE || !facts.is_user_line(row.file, row.line) {
            continue;
        }
        let mut k = j;
        while k < blocks.len() && blocks[k].start < end {
            pairs.push((k, (row.file, row.line)));
            k += 1;
        }
    }
    // An inlined copy's signature and closing brace count as often as the
    // block at its entry ran (`lines::count`).
    for inl in &info.inlined {
        let Some((_, file, line)) = &inl.origin else {
            continue;
        };
        let Some(item) = facts.get(*file).and_then(|f| f.fn_declared_at(*line)) else {
            continue;
        };
        let Some(b) = inl.entry.and_then(|a| block_at(blocks, a)) else {
            continue;
        };
        let k = blocks.partition_point(|x| x.start < b.start);
        for l in [item.first, item.last] {
            pairs.push((k, (*file, l)));
        }
    }
    pairs.sort_unstable();
    pairs.dedup();
    let mut start = vec![0; blocks.len() + 1];
    for &(k, _) in &pairs {
        start[k + 1] += 1;
    }
    for i in 0..blocks.len() {
        start[i + 1] += start[i];
    }
    Reach {
        start,
        keys: pairs.into_iter().map(|(_, key)| key).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_cov_format::{PerTestBlock, PerTestModule};

    fn lines() -> PerTestLines {
        let mut m = PerTestModule {
            blocks: vec![PerTestBlock {
                function: 1,
                start: 10,
                end: 20,
            }],
            tests: BTreeMap::new(),
        };
        for t in ["<no test>", "tests::a", "tests::b"] {
            m.add_hit(t, 0, 1);
        }
        let mut p = PerTestLines::new(PerTest {
            modules: BTreeMap::from([("0".repeat(64), m)]),
        });
        let file = p.lines.entry("src/lib.rs".to_owned()).or_default();
        file.insert(3, BTreeMap::from([(1, 2), (2, 1)]));
        file.insert(4, BTreeMap::from([(2, 5)]));
        file.insert(5, BTreeMap::from([(1, 1), (2, 1)]));
        p
    }

    #[test]
    fn json_stores_each_set_of_tests_once_per_file() {
        let cov = {
            let mut c = Coverage::default();
            for l in [3, 4, 5, 6] {
                c.file_mut("src/lib.rs").add_line(l, u64::from(l != 6));
            }
            c
        };
        let mut doc = MappedCoverage::from_coverage(&cov);
        lines().add_to_json(&mut doc);
        let names: Vec<_> = doc.tests.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["<no test>", "tests::a", "tests::b"]);
        assert_eq!(doc.files[0].test_sets, vec![vec![1, 2], vec![2, 2]]);
        assert_eq!(doc.files[0].test_lines, vec![[3, 0], [4, 1], [5, 0]]);
    }

    #[test]
    fn lcov_has_a_section_per_test_with_its_lines_only() {
        let mut out = Vec::new();
        lines().write_lcov(&mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            "TN:tests__a\nSF:src/lib.rs\nFNF:0\nFNH:0\nDA:3,2\nDA:5,1\nLF:2\nLH:2\nend_of_record\n\
             TN:tests__b\nSF:src/lib.rs\nFNF:0\nFNH:0\nDA:3,1\nDA:4,5\nDA:5,1\nLF:3\nLH:3\nend_of_record\n"
        );
    }
}
