//! `--per-test`: the per-test block counts of the inputs, summed.
//!
//! wasm-run writes `per-test.jsonl` beside `v8-coverage.json` when its own
//! counters ran libtest tests (docs/formats.md, "Per-test block counts").
//! Each input's per-test counts are checked against the input's totals, so
//! a file left over from another run is an error, not a silent mismatch.
//! An input without that file (V8's counters, wasm-bindgen suites, standard
//! input) puts all its counts under the `<no test>` pseudo-test, so the
//! per-test counts of the output still sum to the offsets CSV's.

use std::collections::BTreeMap;
use std::io::BufReader;
use std::path::Path;

use anyhow::{bail, Context, Result};
use wasm_cov_format::{PerTest, PerTestBlock, PerTestModule, V8Coverage, NO_TEST};

/// The file wasm-run writes beside `v8-coverage.json`.
pub const PER_TEST_FILE: &str = "per-test.jsonl";

/// One document's blocks, all counted under `<no test>`.
pub fn as_no_test(doc: &V8Coverage) -> PerTest {
    let mut counts: BTreeMap<&str, BTreeMap<PerTestBlock, u64>> = BTreeMap::new();
    for script in &doc.result {
        let Some(wasm) = &script.wasm else { continue };
        let blocks = counts.entry(wasm.sha256.as_str()).or_default();
        for f in &script.functions {
            let Some(function) = f.function_index else {
                continue;
            };
            for r in f.ranges.iter().skip(1) {
                let b = PerTestBlock {
                    function,
                    start: r.start_offset,
                    end: r.end_offset,
                };
                let slot = blocks.entry(b).or_insert(0);
                *slot = slot.saturating_add(r.count);
            }
        }
    }
    let mut out = PerTest::default();
    for (sha, blocks) in counts {
        let mut list: Vec<(PerTestBlock, u64)> = blocks.into_iter().collect();
        list.sort_by_key(|(b, _)| (b.start, b.end, b.function));
        let mut m = PerTestModule {
            blocks: list.iter().map(|(b, _)| *b).collect(),
            tests: BTreeMap::new(),
        };
        for (k, (_, c)) in list.iter().enumerate() {
            m.add_hit(NO_TEST, k as u32, *c);
        }
        out.modules.insert(sha.to_ascii_lowercase(), m);
    }
    out
}

/// The per-test counts of one input: its `per-test.jsonl` when `dir` holds
/// one (checked against `doc`), else all of `doc` under `<no test>`.
/// Returns whether the file was there.
pub fn of_input(doc: &V8Coverage, dir: Option<&Path>) -> Result<(PerTest, bool)> {
    let totals = as_no_test(doc);
    let Some(path) = dir.map(|d| d.join(PER_TEST_FILE)).filter(|p| p.is_file()) else {
        return Ok((totals, false));
    };
    let file =
        std::fs::File::open(&path).with_context(|| format!("cannot read {}", path.display()))?;
    let per_test =
        PerTest::read(BufReader::new(file)).with_context(|| path.display().to_string())?;
    for (sha, m) in &per_test.modules {
        let Some(t) = totals.modules.get(sha) else {
            bail!(
                "{}: module {sha} is not in the v8-coverage.json beside it (left from another run?)",
                path.display()
            );
        };
        let sums = m.totals();
        // A run whose blocks all stayed at 0 (a shard that ran no test)
        // has no `<no test>` hits.
        let want = t.tests.get(NO_TEST).map(Vec::as_slice).unwrap_or_default();
        let same = m.blocks == t.blocks
            && want.len() == sums.iter().filter(|c| **c > 0).count()
            && want.iter().all(|&(k, c)| sums[k as usize] == c);
        if !same {
            bail!(
                "{}: the per-test counts of module {sha} do not add up to the v8-coverage.json beside it (left from another run?)",
                path.display()
            );
        }
    }
    if let Some(sha) = totals
        .modules
        .keys()
        .find(|s| !per_test.modules.contains_key(*s))
    {
        bail!(
            "{}: module {sha} of the v8-coverage.json beside it is missing",
            path.display()
        );
    }
    Ok((per_test, true))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHA: &str = "bc97344da9605d2b993c647ea7b9fd46e25ea2717f625d044cae9c2dbda3aece";

    fn doc(count: u64) -> V8Coverage {
        let text = format!(
            r#"{{"result":[{{"scriptId":"1","url":"x","functions":[{{"functionName":"f","functionIndex":46,"isBlockCoverage":true,
            "ranges":[{{"startOffset":5589,"endOffset":5600,"count":{count}}},{{"startOffset":5589,"endOffset":5591,"count":{count}}},{{"startOffset":5591,"endOffset":5600,"count":0}}]}}],
            "wasm":{{"sha256":"{SHA}","module":"modules/{SHA}.wasm","codeSectionOffset":5586}}}}],"wasmCoverageVersion":1}}"#
        );
        serde_json::from_str(&text).unwrap()
    }

    #[test]
    fn a_run_that_counted_nothing_checks_against_its_empty_per_test_file() {
        let dir = tempfile::tempdir().unwrap();
        let text = format!("{{\"format\":\"wasm-cov-per-test\",\"version\":1}}\n{{\"module\":\"{SHA}\",\"blocks\":[[46,5589,5591],[46,5591,5600]]}}\n");
        std::fs::write(dir.path().join(PER_TEST_FILE), text).unwrap();
        let (p, found) = of_input(&doc(0), Some(dir.path())).unwrap();
        assert!(found);
        assert!(p.modules[SHA].tests.is_empty());
    }

    #[test]
    fn an_input_without_per_test_data_is_no_test() {
        let (p, found) = of_input(&doc(3), None).unwrap();
        assert!(!found);
        let m = &p.modules[SHA];
        assert_eq!(m.blocks.len(), 2);
        assert_eq!(m.tests[NO_TEST], vec![(0, 3)]);
    }

    #[test]
    fn a_per_test_file_must_add_up_to_its_json() {
        let dir = std::env::temp_dir().join(format!("v8cov-per-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let text = format!(
            "{{\"format\":\"wasm-cov-per-test\",\"version\":1}}\n\
             {{\"module\":\"{SHA}\",\"blocks\":[[46,5589,5591],[46,5591,5600]]}}\n\
             {{\"test\":\"<no test>\",\"hits\":[0,1]}}\n{{\"test\":\"t\",\"hits\":[0,2]}}\n"
        );
        std::fs::write(dir.join(PER_TEST_FILE), text).unwrap();
        let (p, found) = of_input(&doc(3), Some(&dir)).unwrap();
        assert!(found);
        assert_eq!(p.modules[SHA].tests["t"], vec![(0, 2)]);
        let e = of_input(&doc(4), Some(&dir)).unwrap_err().to_string();
        assert!(e.contains("do not add up"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
