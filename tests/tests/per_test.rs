//! Per-test coverage end to end on the demo, whose tests each reach
//! different lines: `wasm-run` (its own counters, one instance per test)
//! writes `per-test.jsonl`, `v8cov-extract --per-test` passes it on, and
//! `wasm-cov-mapper --per-test` says which tests ran each line, in its JSON
//! and in LCOV with one section per test.
#![allow(
    clippy::unwrap_used,
    reason = "in a test, a failed unwrap is a failed test"
)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use integration_tests::{
    demo_wasm, example_line, extract_per_test, map_per_test, per_test_sums, root, run, scratch,
    tool, v8_block_counts,
};
use wasm_cov_format::{MappedCoverage, PerTest, NO_TEST};

const CLASSIFIES: &str = "tests::classifies_negative_and_positive";
const SUMS: &str = "tests::sums_squares";

/// wasm-run (inject), then v8cov-extract --per-test, then the mapper with
/// --per-test, JSON and per-test LCOV; everything in `dir`.
fn pipeline(dir: &Path) {
    let cov = dir.join("cov");
    run(Command::new(tool("wasm-run"))
        .arg("--out")
        .arg(&cov)
        .arg(demo_wasm(&[])))
    .expect(0);
    map_per_test(&cov, dir, &root().join("examples/demo"));
}

/// The `DA` lines of each `TN:` section: test -> line -> count.
fn lcov_sections(text: &str) -> BTreeMap<String, BTreeMap<u32, u64>> {
    let mut out: BTreeMap<String, BTreeMap<u32, u64>> = BTreeMap::new();
    let mut tn = String::new();
    for l in text.lines() {
        if let Some(n) = l.strip_prefix("TN:") {
            tn = n.to_owned();
            assert!(
                tn.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
                "TN:{tn} has a non-word character"
            );
        } else if let Some(da) = l.strip_prefix("DA:") {
            let (line, count) = da.split_once(',').unwrap();
            out.entry(tn.clone())
                .or_default()
                .insert(line.parse().unwrap(), count.parse().unwrap());
        }
    }
    out
}

#[test]
fn each_line_names_the_tests_that_ran_it() {
    let dir = scratch("per-test");
    pipeline(&dir);
    let cov = dir.join("cov");

    // Per-test block counts sum exactly to the totals, <no test> included.
    let doc = PerTest::read(
        std::fs::read(cov.join("per-test.jsonl"))
            .unwrap()
            .as_slice(),
    )
    .unwrap();
    assert_eq!(doc.modules.len(), 1);
    let m = doc.modules.values().next().unwrap();
    let names: Vec<&str> = m.tests.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [NO_TEST, CLASSIFIES, SUMS],
        "the --list runs are <no test>"
    );
    let totals = v8_block_counts(&cov.join("v8-coverage.json"));
    let sums = per_test_sums(m);
    assert_eq!(
        sums, totals,
        "per-test counts must add up to v8-coverage.json"
    );
    // What v8cov-extract passes on is the same document.
    assert_eq!(
        std::fs::read(dir.join("per-test.jsonl")).unwrap(),
        std::fs::read(cov.join("per-test.jsonl")).unwrap()
    );

    // The mapper JSON: which tests ran each line.
    let mapped =
        MappedCoverage::from_json(&std::fs::read(dir.join("mapped.json")).unwrap()).unwrap();
    let tests: Vec<&str> = mapped.tests.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(tests, [NO_TEST, CLASSIFIES, SUMS]);
    let file = mapped
        .files
        .iter()
        .find(|f| f.path == "src/lib.rs")
        .unwrap();
    let by_line: BTreeMap<u32, BTreeSet<&str>> = mapped
        .tests_by_line(file)
        .unwrap()
        .into_iter()
        .map(|(l, ts)| (l, ts.iter().map(|&t| tests[t as usize]).collect()))
        .collect();
    let line = |m: &str| example_line("demo", m);
    for (marker, want) in [
        ("negative-branch", Some(CLASSIFIES)),
        ("positive-branch", Some(CLASSIFIES)),
        ("loop-body", Some(SUMS)),
        ("zero-branch", None),
        ("never-called-body", None),
    ] {
        let got = by_line.get(&line(marker));
        let want: Option<BTreeSet<&str>> = want.map(|w| BTreeSet::from([w]));
        assert_eq!(
            got,
            want.as_ref(),
            "tests that ran {marker} (line {})",
            line(marker)
        );
    }
    // A line some test ran is exactly a line whose count is not 0.
    for f in &mapped.files {
        let ran: BTreeSet<u32> = f
            .lines
            .iter()
            .filter(|l| l.count > 0)
            .map(|l| l.line)
            .collect();
        let named: BTreeSet<u32> = f.test_lines.iter().map(|&[l, _]| l).collect();
        assert_eq!(ran, named, "{}", f.path);
    }

    // LCOV, one section per test, each with only the lines it ran.
    let lcov = std::fs::read_to_string(dir.join("lcov-per-test.info")).unwrap();
    let sections = lcov_sections(&lcov);
    let classifies = &sections["tests__classifies_negative_and_positive"];
    let sums = &sections["tests__sums_squares"];
    assert_eq!(classifies.get(&line("negative-branch")), Some(&1));
    assert_eq!(classifies.get(&line("positive-branch")), Some(&1));
    assert_eq!(classifies.get(&line("loop-body")), None);
    assert_eq!(
        sums.get(&line("loop-body")),
        Some(&3),
        "three squares summed"
    );
    assert_eq!(sums.get(&line("negative-branch")), None);
    for (tn, lines) in &sections {
        assert!(
            lines.values().all(|&c| c > 0),
            "{tn} lists a line it did not run"
        );
    }
    assert!(
        !sections.contains_key("_no_test_"),
        "<no test> runs no line of the demo"
    );

    // The size budget: reported, not asserted.
    let size = |p: &Path| std::fs::metadata(p).unwrap().len();
    eprintln!(
        "per-test.jsonl {} bytes, v8-coverage.json {} bytes ({:.2}x)",
        size(&cov.join("per-test.jsonl")),
        size(&cov.join("v8-coverage.json")),
        size(&cov.join("per-test.jsonl")) as f64 / size(&cov.join("v8-coverage.json")) as f64
    );
}

#[test]
fn v8_counters_leave_no_per_test_file_and_count_under_no_test() {
    let dir = scratch("per-test-v8");
    let cov = dir.join("cov");
    // An inject run first, so a per-test.jsonl is there to go stale.
    for counters in ["inject", "v8"] {
        run(Command::new(tool("wasm-run"))
            .arg("--out")
            .arg(&cov)
            .args(["--counters", counters])
            .arg(demo_wasm(&[])))
        .expect(0);
    }
    assert!(
        !cov.join("per-test.jsonl").exists(),
        "V8's counters have no per-test split"
    );
    let r = extract_per_test(&cov, &dir);
    assert!(r.stderr.contains("counted under <no test>"), "{}", r.stderr);
    let doc = PerTest::read(
        std::fs::read(dir.join("per-test.jsonl"))
            .unwrap()
            .as_slice(),
    )
    .unwrap();
    let m = doc.modules.values().next().unwrap();
    assert_eq!(m.tests.keys().collect::<Vec<_>>(), [NO_TEST]);
}
