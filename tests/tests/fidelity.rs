//! The gaps issue 4 closed, on real wasm: `examples/fidelity` is built by
//! the current rustc, run under the pinned Node and mapped through its
//! DWARF and its source. Each case asserts the exact lines, functions and
//! branches the LCOV holds for it (docs/fidelity.md, "Rules").
#![allow(
    clippy::unwrap_used,
    reason = "in a test, a failed unwrap is a failed test"
)]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use integration_tests::{
    example_line, example_wasm, extract, map_offsets, read_lcov_file, root, run, scratch, tool,
};
use wasm_cov_format::FileCoverage;

/// Runs the fidelity example and maps it with `args`, into
/// `target/it/NAME/FILE`; returns that path.
fn mapped(name: &str, args: &[&str], file: &str) -> PathBuf {
    let wasm = example_wasm("fidelity");
    let dir = scratch(name);
    let out = dir.join("cov");
    run(Command::new(tool("wasm-run"))
        .arg("--out")
        .arg(&out)
        .arg(&wasm))
    .expect(0);
    let offsets = dir.join("offsets.csv");
    extract(&out, &offsets);
    let path = dir.join(file);
    map_offsets(
        &out,
        &offsets,
        &root().join("examples/fidelity"),
        args,
        &path,
    );
    path
}

/// LCOV of the fidelity example, as `args` make the mapper write it.
fn lcov(name: &str, args: &[&str]) -> FileCoverage {
    let mut cov = read_lcov_file(&mapped(name, args, "lcov.info"));
    assert_eq!(cov.files.keys().collect::<Vec<_>>(), ["src/lib.rs"]);
    cov.files.remove("src/lib.rs").unwrap()
}

fn report() -> &'static FileCoverage {
    static R: OnceLock<FileCoverage> = OnceLock::new();
    R.get_or_init(|| lcov("fidelity", &[]))
}

fn line(marker: &str) -> u32 {
    example_line("fidelity", marker)
}

/// The instrumented lines in `first..=last`, with their counts.
fn lines(f: &FileCoverage, first: u32, last: u32) -> Vec<(u32, u64)> {
    f.lines.range(first..=last).map(|(&l, &c)| (l, c)).collect()
}

/// `first..=last`, every line with a count of 0.
fn zeros(first: u32, last: u32) -> Vec<(u32, u64)> {
    (first..=last).map(|l| (l, 0)).collect()
}

/// The branches on `line`: block 0's outcomes in order.
fn branches(f: &FileCoverage, line: u32) -> Vec<Option<u64>> {
    f.branches
        .iter()
        .filter(|((l, _, _), _)| *l == line)
        .map(|(_, &c)| c)
        .collect()
}

fn function(f: &FileCoverage, name: &str) -> (u32, u64) {
    let func = f
        .functions
        .get(name)
        .unwrap_or_else(|| panic!("no function {name} in {:?}", f.functions.keys()));
    (func.line, func.count)
}

#[test]
fn functions_are_one_per_source_function_and_none_is_phantom() {
    let f = report();
    let got: BTreeMap<&str, (u32, u64)> = f
        .functions
        .iter()
        .map(|(n, c)| (n.as_str(), (c.line, c.count)))
        .collect();
    let src = std::fs::read_to_string(root().join("examples/fidelity/src/lib.rs")).unwrap();
    let decl = |text: &str| src.lines().position(|l| l.contains(text)).unwrap() as u32 + 1;
    let want: BTreeMap<&str, (u32, u64)> = BTreeMap::from([
        ("fidelity::never_called", (line("never-called-sig"), 0)),
        ("fidelity::largest", (line("generic-sig"), 2)),
        (
            "fidelity::never_instantiated",
            (line("uninstantiated-sig"), 0),
        ),
        ("fidelity::Wrapper::widened", (line("method-sig"), 2)),
        ("fidelity::double", (decl("fn double"), 2)),
        ("fidelity::quadruple", (decl("pub fn quadruple"), 1)),
        ("fidelity::sign", (decl("pub fn sign"), 1)),
        ("fidelity::area", (decl("pub fn area"), 2)),
        (
            "fidelity::tests::generic_with_two_types",
            (decl("fn generic_with_two_types"), 1),
        ),
        (
            "fidelity::tests::inline_and_branches",
            (decl("fn inline_and_branches"), 1),
        ),
    ]);
    // No harness `main` on line 1, no derived impls, no #[test] closures.
    assert_eq!(got, want);
}

#[test]
fn a_never_called_function_is_uncovered_line_by_line() {
    let f = report();
    let sig = line("never-called-sig");
    assert_eq!(lines(f, sig, sig + 3), zeros(sig, sig + 3));
    assert_eq!(function(f, "fidelity::never_called"), (sig, 0));
}

#[test]
fn a_generic_never_instantiated_counts_as_uncovered() {
    let f = report();
    let sig = line("uninstantiated-sig");
    assert_eq!(lines(f, sig, sig + 4), zeros(sig, sig + 4));
    // Without reading the sources, it has no code and is not there at all.
    let dwarf_only = lcov("fidelity-no-sources", &["--no-sources"]);
    assert!(!dwarf_only
        .functions
        .contains_key("fidelity::never_instantiated"));
    assert_eq!(lines(&dwarf_only, sig, sig + 4), []);
}

#[test]
fn a_generic_used_with_two_types_is_one_function_with_merged_lines() {
    let f = report();
    assert_eq!(function(f, "fidelity::largest"), (line("generic-sig"), 2));
    assert_eq!(
        function(f, "fidelity::Wrapper::widened"),
        (line("method-sig"), 2)
    );
    // Lines take the largest count of any instantiation: [1, 5, 3] runs the
    // `if` three times, [0.5, 0.25] twice; one of the five updates `best`.
    assert_eq!(f.lines[&line("generic-if")], 3);
    assert_eq!(f.lines[&line("generic-update")], 1);
    // The `for` decides five times to go on and twice to stop; the `if`
    // once for the update and four times against.
    assert_eq!(branches(f, line("generic-if") - 1), [Some(2), Some(5)]);
    assert_eq!(branches(f, line("generic-if")), [Some(1), Some(4)]);
}

#[test]
fn an_inline_always_helper_counts_at_its_own_lines() {
    let f = report();
    // Two inlined copies, each entered once; the out-of-line copy never.
    assert_eq!(function(f, "fidelity::double").1, 2);
    let body = line("inline-body");
    assert_eq!(
        lines(f, body - 1, body + 1),
        [(body - 1, 1), (body, 1), (body + 1, 1)]
    );
    assert_eq!(f.lines[&line("inline-call")], 1);
}

#[test]
fn a_one_line_if_else_has_both_outcomes_as_branches() {
    let f = report();
    let l = line("one-line-if");
    assert_eq!(f.lines[&l], 1);
    // sign(-4): the `-1` arm once, the `1` arm never.
    assert_eq!(branches(f, l), [Some(1), Some(0)]);
}

#[test]
fn a_match_with_an_untaken_arm() {
    let f = report();
    assert_eq!(f.lines[&line("arm-circle")], 1);
    assert_eq!(f.lines[&line("arm-square")], 1);
    assert_eq!(f.lines[&line("arm-empty")], 0);
    assert_eq!(
        branches(f, line("arm-circle") - 1),
        [Some(1), Some(1), Some(0)]
    );
    // Branch totals: the for loop, the generic if, the one-line if, the match.
    let t = f.totals();
    assert_eq!((t.branches_found, t.branches_hit), (9, 7));
}

#[test]
fn derives_fields_and_the_harness_main_make_no_lines() {
    let f = report();
    assert!(!f.lines.contains_key(&1), "line 1 is a //! comment");
    assert!(!f.lines.contains_key(&line("derive-line")));
    assert!(!f.lines.contains_key(&line("field-line")));
    assert!(!f.lines.contains_key(&(line("field-line") + 1)));
}

#[test]
fn branch_filter_none_shows_the_compiler_checks() {
    let all = lcov("fidelity-all-branches", &["--branch-filter", "none"]);
    let off = lcov("fidelity-no-branches", &["--branch-filter", "off"]);
    assert!(all.branches.len() > report().branches.len());
    assert!(off.branches.is_empty());
    assert_eq!(off.lines, report().lines);
}

#[test]
fn a_partly_run_line_keeps_its_unrun_columns_in_the_json() {
    let json = mapped("fidelity-segments", &["--format", "json"], "coverage.json");
    let doc = wasm_cov_format::MappedCoverage::from_json(&std::fs::read(&json).unwrap()).unwrap();
    let f = &doc.to_coverage().files["src/lib.rs"];
    let l = line("one-line-if");
    let text = std::fs::read_to_string(root().join("examples/fidelity/src/lib.rs")).unwrap();
    let src = text.lines().nth(l as usize - 1).unwrap();
    // `if x < 0 { -1 } else { 1 }` with a negative x: the part from the
    // `1` of the else arm on never ran; the rest did.
    let else_col = src.find("else { 1").unwrap() as u32 + 1 + "else { ".len() as u32;
    let segs: Vec<_> = f
        .segments
        .range((l, 0)..=(l, u32::MAX))
        .map(|(&(_, c), s)| (c, s.end_col, s.count > 0))
        .collect();
    assert_eq!(segs.len(), 2, "{segs:?}");
    assert!(
        segs[0].2 && segs[0].1 == else_col,
        "{segs:?} (else value at column {else_col})"
    );
    assert_eq!((segs[1].0, segs[1].2), (else_col, false), "{segs:?}");
    // Lines that ran whole have none.
    assert!(f
        .segments
        .range((line("generic-if"), 0)..=(line("generic-if"), u32::MAX))
        .next()
        .is_none());
}
