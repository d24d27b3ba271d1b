//! `cargo wasm-cov --partition` on examples/shards (unit tests, two
//! integration test files, doctests): three shards, merged with `cargo
//! wasm-cov report --runs`, give the LCOV and the per-test LCOV of one
//! unpartitioned run, byte for byte, and run every test exactly once;
//! bad specs and bad merges are exit 2 with one clear line. Runs under the
//! pinned Node (`node_modules/.bin/node`, from `make setup`).

// Helpers outside #[test] fns too: a failed unwrap here is a failed test.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn scratch(name: &str) -> PathBuf {
    let d = repo()
        .join("target/cargo-wasm-cov-test/partition")
        .join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// `cargo wasm-cov ARGS` in examples/shards.
fn wasm_cov(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cargo-wasm-cov"))
        .arg("wasm-cov")
        .args(args)
        .current_dir(repo().join("examples/shards"))
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("CARGO_TARGET_DIR")
        .output()
        .unwrap()
}

#[track_caller]
fn expect(out: &Output, code: i32) -> String {
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(code), "{err}");
    err
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Every test each run folder under `runs` ran (tests.json, doctests'
/// folders included), with how many times.
fn tests_ran(runs: &Path, into: &mut BTreeMap<String, u32>) {
    for e in std::fs::read_dir(runs).unwrap().flatten() {
        let p = e.path();
        if !p.is_dir() {
            continue;
        }
        let report = p.join("tests.json");
        if report.is_file() {
            let doc: serde_json::Value =
                serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
            for t in doc["tests"].as_array().unwrap() {
                if t["outcome"] != "ignored" && t["outcome"] != "not-run" {
                    *into
                        .entry(t["name"].as_str().unwrap().to_owned())
                        .or_default() += 1;
                }
            }
        } else {
            tests_ran(&p, into);
        }
    }
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn three_shards_merged_are_the_unpartitioned_run() {
    let dir = scratch("merge");
    let full = dir.join("full");
    expect(&wasm_cov(&["--output-dir", path(&full)]), 0);
    let mut want = BTreeMap::new();
    tests_ran(&full.join("runs"), &mut want);
    assert!(want.len() >= 12, "{want:?}");
    assert!(want.values().all(|n| *n == 1), "{want:?}");

    for kind in ["slice", "hash"] {
        let shards: Vec<PathBuf> = (1..=3).map(|m| dir.join(format!("{kind}-{m}"))).collect();
        let mut got = BTreeMap::new();
        for (m, out) in shards.iter().enumerate() {
            let spec = format!("{kind}:{}/3", m + 1);
            let err = expect(
                &wasm_cov(&[
                    "--no-report",
                    "--partition",
                    &spec,
                    "--output-dir",
                    path(out),
                ]),
                0,
            );
            assert!(err.contains(&format!("shard {spec}: ")), "{err}");
            let record: serde_json::Value =
                serde_json::from_slice(&std::fs::read(out.join("shard.json")).unwrap()).unwrap();
            assert_eq!(record["partition"], spec.as_str());
            tests_ran(&out.join("runs"), &mut got);
        }
        assert_eq!(
            got, want,
            "{kind}: together the shards run every test exactly once"
        );

        let merged = dir.join(format!("{kind}-merged"));
        let mut args = vec!["report", "--output-dir", path(&merged), "--runs"];
        args.extend(shards.iter().map(|s| path(s)));
        expect(&wasm_cov(&args), 0);
        for file in ["lcov.info", "lcov-per-test.info"] {
            assert!(
                read(&merged.join(file)) == read(&full.join(file)),
                "{kind}: the merged {file} is not the unpartitioned run's"
            );
        }
    }
}

#[test]
fn bad_specs_and_bad_merges_are_exit_2_with_one_clear_line() {
    let dir = scratch("errors");
    for spec in ["slice:0/3", "slice:4/3", "foo", "hash:1/0", "slice:1"] {
        let out = wasm_cov(&["--partition", spec, "--output-dir", path(&dir.join("x"))]);
        let err = expect(&out, 2);
        // clap's usage error: its first line says it all, then `--help`.
        let first = err.lines().next().unwrap_or_default();
        assert!(first.starts_with("error: invalid value"), "{spec}: {err}");
        assert!(first.contains(spec), "{spec}: {err}");
        assert!(!dir.join("x").exists(), "{spec}: nothing written");
    }

    let one = dir.join("slice-1");
    let other = dir.join("hash-2");
    expect(
        &wasm_cov(&[
            "--no-report",
            "--partition",
            "slice:1/2",
            "--output-dir",
            path(&one),
        ]),
        0,
    );
    expect(
        &wasm_cov(&[
            "--no-report",
            "--partition",
            "hash:2/2",
            "--output-dir",
            path(&other),
        ]),
        0,
    );
    let merged = dir.join("merged");
    for (runs, says) in [
        (vec![&one, &one], "shard slice:1/2 given twice"),
        (vec![&one, &other], "hash:2/2"),
    ] {
        let mut args = vec!["report", "--output-dir", path(&merged), "--runs"];
        args.extend(runs.iter().map(|s| path(s)));
        let err = expect(&wasm_cov(&args), 2);
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(err.contains(says), "{err}");
        assert!(
            !merged.join("lcov.info").exists(),
            "nothing half-written: {err}"
        );
    }
}
