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
    read_lcov, read_offsets, write_lcov, write_offsets, MappedCoverage, V8Coverage,
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
