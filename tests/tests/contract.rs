//! Contract tests: every inter-stage format has a fixture (taken from a real
//! run of the demo; see tests/fixtures/README.md) that is parsed and
//! written back byte for byte, and each stage's output fixture is what the
//! next stage's reader accepts. A writer change that breaks a reader, or a
//! reader that stops accepting what was written, fails here.
//!
//! Goldens are regenerated with `BLESS=1 cargo test -p integration-tests`.
#![allow(
    clippy::unwrap_used,
    reason = "in a test, a failed unwrap is a failed test"
)]

use std::path::PathBuf;
use std::process::Command;

use integration_tests::{check_golden, root, run, tool};
use wasm_cov_format::{
    read_lcov, read_offsets, write_lcov, write_offsets, MappedCoverage, PerTest, V8Coverage,
};

fn fixture(name: &str) -> PathBuf {
    root().join("tests/fixtures/formats").join(name)
}

fn read(name: &str) -> Vec<u8> {
    std::fs::read(fixture(name)).unwrap()
}

/// Reads fixture `name` with `read`, writes it back with `write`, and
/// asserts the bytes are the same.
fn round_trips<T, R: std::fmt::Debug, W: std::fmt::Debug>(
    name: &str,
    read: impl Fn(&[u8]) -> Result<T, R>,
    write: impl Fn(&T, &mut Vec<u8>) -> Result<(), W>,
) {
    let bytes = self::read(name);
    let value = read(bytes.as_slice()).unwrap();
    let mut out = Vec::new();
    write(&value, &mut out).unwrap();
    assert!(
        out == bytes,
        "{name} does not round-trip:\n{}",
        integration_tests::line_diff(
            &String::from_utf8_lossy(&bytes),
            &String::from_utf8_lossy(&out)
        )
    );
}

#[test]
fn v8_coverage_json_round_trips() {
    let bytes = read("v8-coverage.json");
    let doc: V8Coverage = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(doc.wasm_coverage_version, Some(1));
    let wasm = doc.result[0].wasm.as_ref().unwrap();
    assert_eq!(wasm.module, format!("modules/{}.wasm", wasm.sha256));
    for f in &doc.result[0].functions {
        // The first range is the whole body; blocks follow inside it.
        let body = f.ranges[0];
        assert!(f.ranges[1..]
            .iter()
            .all(|r| r.start_offset >= body.start_offset && r.end_offset <= body.end_offset));
        assert_eq!(
            f.ranges[1].start_offset, body.start_offset,
            "entry block starts the body"
        );
    }
    assert_eq!(serde_json::to_vec(&doc).unwrap(), bytes);
}

#[test]
fn offsets_csv_round_trips_and_is_what_extract_writes() {
    round_trips(
        "offsets.csv",
        |b| read_offsets(b),
        |rows, out| write_offsets(rows, out),
    );
    let extracted =
        run(Command::new(tool("v8cov-extract")).arg(fixture("v8-coverage.json"))).expect(0);
    assert_eq!(extracted.stdout.as_bytes(), read("offsets.csv"));
}

#[test]
fn mapper_json_round_trips_and_agrees_with_lcov() {
    let bytes = read("mapped.json");
    let doc = MappedCoverage::from_json(&bytes).unwrap();
    let again = MappedCoverage::from_coverage(&doc.to_coverage());
    let mut text = serde_json::to_string(&again).unwrap();
    text.push('\n');
    assert_eq!(text.as_bytes(), bytes.as_slice());
    let lcov = read_lcov(read("lcov.info").as_slice()).unwrap();
    assert_eq!(doc.to_coverage(), lcov);
}

#[test]
fn lcov_round_trips() {
    round_trips(
        "lcov.info",
        |b| read_lcov(b),
        |cov, out| write_lcov(cov, out),
    );
}

#[test]
fn cov_report_reads_both_mapper_outputs_the_same() {
    let from_lcov = run(Command::new(tool("cov-report"))
        .arg(fixture("lcov.info"))
        .arg("--show-missing"))
    .expect(0);
    let from_json = run(Command::new(tool("cov-report"))
        .arg(fixture("mapped.json"))
        .arg("--show-missing"))
    .expect(0);
    assert_eq!(from_lcov.stdout, from_json.stdout);
    check_golden(&fixture("table.txt"), &from_lcov.stdout).unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn per_test_counts_round_trip_and_add_up_to_the_offsets() {
    round_trips(
        "per-test.jsonl",
        |b| PerTest::read(b),
        |doc, out| doc.write(out),
    );
    let doc = PerTest::read(read("per-test.jsonl").as_slice()).unwrap();
    let rows = read_offsets(read("offsets.csv").as_slice()).unwrap();
    let m = &doc.modules[&rows[0].module];
    let sums = m.totals();
    assert_eq!(m.blocks.len(), rows.len());
    for ((b, r), sum) in m.blocks.iter().zip(&rows).zip(sums) {
        assert_eq!(
            (b.function, b.start, b.end, sum),
            (r.function, r.start, r.end, r.count)
        );
    }
    // v8cov-extract reads it beside its JSON, checks it, and writes it
    // back unchanged.
    let dir = integration_tests::scratch("contract-per-test");
    std::fs::copy(fixture("v8-coverage.json"), dir.join("v8-coverage.json")).unwrap();
    std::fs::copy(fixture("per-test.jsonl"), dir.join("per-test.jsonl")).unwrap();
    run(Command::new(tool("v8cov-extract"))
        .arg(dir.join("v8-coverage.json"))
        .arg("-o")
        .arg(dir.join("offsets.csv"))
        .arg("--per-test")
        .arg(dir.join("out.jsonl")))
    .expect(0);
    assert_eq!(
        std::fs::read(dir.join("out.jsonl")).unwrap(),
        read("per-test.jsonl")
    );
    assert_eq!(
        std::fs::read(dir.join("offsets.csv")).unwrap(),
        read("offsets.csv")
    );
}

#[test]
fn per_test_counts_of_another_version_are_refused() {
    let text = String::from_utf8(read("per-test.jsonl")).unwrap();
    let e = PerTest::read(
        text.replacen("\"version\":1", "\"version\":2", 1)
            .as_bytes(),
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("version 2 is not supported (this build reads version 1)"),
        "{e}"
    );
}

#[test]
fn mapper_json_with_per_test_data_round_trips_and_agrees_with_its_lcov() {
    let bytes = read("mapped-per-test.json");
    let doc = MappedCoverage::from_json(&bytes).unwrap();
    let mut text = serde_json::to_string(&doc).unwrap();
    text.push('\n');
    assert_eq!(text.as_bytes(), bytes.as_slice());
    // Each test's LCOV section holds exactly the lines the JSON says it ran.
    let names = wasm_cov_format::lcov_test_names(
        &doc.tests.iter().map(|t| t.name.clone()).collect::<Vec<_>>(),
    );
    let lcov = String::from_utf8(read("lcov-per-test.info")).unwrap();
    for (t, tn) in names.iter().enumerate() {
        let mut from_json = Vec::new();
        for f in &doc.files {
            for (line, tests) in doc.tests_by_line(f).unwrap() {
                if tests.contains(&(t as u32)) {
                    from_json.push(format!("{}:{line}", f.path));
                }
            }
        }
        let mut from_lcov = Vec::new();
        let mut in_test = false;
        let mut path = "";
        for l in lcov.lines() {
            if let Some(n) = l.strip_prefix("TN:") {
                in_test = n == tn;
            } else if let Some(p) = l.strip_prefix("SF:") {
                path = p;
            } else if let (true, Some(da)) = (in_test, l.strip_prefix("DA:")) {
                from_lcov.push(format!("{path}:{}", da.split(',').next().unwrap()));
            }
        }
        assert_eq!(from_json, from_lcov, "test {tn}");
    }
    // Plain LCOV readers read it (TN: is ignored) as the lines that ran.
    let cov = read_lcov(lcov.as_bytes()).unwrap();
    let ran: usize = doc.files.iter().map(|f| f.test_lines.len()).sum();
    assert_eq!(
        cov.files.values().map(|f| f.lines.len()).sum::<usize>(),
        ran
    );
}
