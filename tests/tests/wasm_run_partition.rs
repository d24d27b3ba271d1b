//! `wasm-run --partition`: the shards of one libtest binary run each test
//! exactly once, dealt as `wasm_cov_format::Partition` deals (the Node
//! runner's `js/partition.cjs` and the wasmtime engine alike), and their
//! v8-coverage.json files, given together to v8cov-extract, count what one
//! unpartitioned run counts, block for block and test for test. A module
//! that runs whole runs in one shard. v8cov-extract refuses a shard twice
//! and mixed partitions. Every run gets the deterministic WASI clock, so
//! the whole run and the shards take the same paths.
#![allow(
    clippy::unwrap_used,
    reason = "in a test, a failed unwrap is a failed test"
)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use integration_tests::{demo_wasm, deterministic, run, scratch, test_report, tool, Ran};
use wasm_cov_format::{Partition, ShardRecord};

/// Runs wasm-run on `wasm` into `dir` with `flags`, deterministically.
fn wasm_run(dir: &Path, flags: &[&str], wasm: &Path) -> Ran {
    run(deterministic(&mut Command::new(tool("wasm-run")))
        .arg("--out")
        .arg(dir)
        .args(flags)
        .arg(wasm))
}

/// v8cov-extract over `covs`, with the per-test counts: (CSV, per-test).
fn extract(covs: &[PathBuf], out: &Path) -> (Ran, String, String) {
    let csv = out.join("offsets.csv");
    let pt = out.join("per-test.jsonl");
    let r = run(Command::new(tool("v8cov-extract"))
        .args(covs.iter().map(|c| c.join("v8-coverage.json")))
        .arg("-o")
        .arg(&csv)
        .arg("--per-test")
        .arg(&pt));
    let read = |p: &Path| std::fs::read_to_string(p).unwrap_or_default();
    (r, read(&csv), read(&pt))
}

/// The tests a run's tests.json lists.
fn names(cov: &Path) -> BTreeSet<String> {
    test_report(cov).tests.into_iter().map(|t| t.name).collect()
}

#[test]
fn shards_run_every_test_once_and_merge_into_the_whole_run() {
    let wasm = demo_wasm(&[]);
    let base = scratch("wasm-run-partition");
    let whole = base.join("whole");
    wasm_run(&whole, &[], &wasm).expect(0);
    let all = names(&whole);
    assert!(all.len() >= 3, "{all:?}");
    let (_, want_csv, want_pt) = extract(&[whole], &base);
    assert!(want_pt.contains("<no test>"), "{want_pt}");

    for (engine, kind) in [("node", "slice"), ("node", "hash"), ("wasmtime", "hash")] {
        let covs: Vec<PathBuf> = (1..=3)
            .map(|m| base.join(format!("{engine}-{kind}-{m}")))
            .collect();
        let mut seen = Vec::new();
        for (m, cov) in (1..=3).zip(&covs) {
            let spec = format!("{kind}:{m}/3");
            let r = wasm_run(cov, &["--engine", engine, "--partition", &spec], &wasm);
            assert_eq!(r.code, 0, "{spec}: {}", r.stderr);
            let shard = ShardRecord::load(cov).unwrap().unwrap();
            assert_eq!(shard.partition, spec);
            let mine = names(cov);
            assert_eq!(shard.tests, mine.len() as u64, "{spec}");
            // The same deal as the contract crate's, test for test.
            let p: Partition = spec.parse().unwrap();
            let listed: Vec<String> = all.iter().cloned().collect();
            let dealt = p.deal(0, "demo", &listed);
            let expected: BTreeSet<String> =
                dealt.mine.iter().map(|&i| listed[i].clone()).collect();
            if kind == "hash" {
                assert_eq!(mine, expected, "{engine} {spec}");
            }
            seen.extend(mine);
        }
        seen.sort();
        let once: Vec<String> = all.iter().cloned().collect();
        assert_eq!(seen, once, "{engine} {kind}: every test exactly once");
        let out = base.join(format!("{engine}-{kind}-merged"));
        std::fs::create_dir_all(&out).unwrap();
        let (r, csv, pt) = extract(&covs, &out);
        let r = r.expect(0);
        assert!(!r.stderr.contains("warning"), "{}", r.stderr);
        assert_eq!(csv, want_csv, "{engine} {kind}: the merged counts");
        assert_eq!(pt, want_pt, "{engine} {kind}: the merged per-test counts");
    }

    // A shard twice, a missing shard, and a shard beside a whole run.
    let s1 = base.join("node-hash-1");
    let out = base.join("refused");
    std::fs::create_dir_all(&out).unwrap();
    let (r, csv, _) = extract(&[s1.clone(), s1.clone()], &out);
    let r = r.expect(2);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("shard hash:1/3 given twice"),
        "{}",
        r.stderr
    );
    assert!(csv.is_empty(), "nothing is written");
    let (r, _, _) = extract(&[s1.clone(), base.join("whole")], &out);
    assert!(r.expect(2).stderr.contains("mixed partitions"));
    let (r, _, _) = extract(&[s1.clone(), base.join("node-slice-2")], &out);
    assert!(r.expect(2).stderr.contains("mixed partitions"));
    let (r, _, _) = extract(&[s1, base.join("node-hash-2")], &out);
    assert!(r
        .expect(0)
        .stderr
        .contains("shard 3 of hash:M/3 not given; the merge covers the other 2"));
}

#[test]
fn a_wrong_partition_says_why_first_and_exits_2() {
    let dir = scratch("wasm-run-partition-bad");
    let wasm = dir.join("none.wasm");
    for (args, why) in [
        (vec!["--partition", "slice:0/3"], "shard 0 does not exist"),
        (vec!["--partition", "slice:4/3"], "shard 4 does not exist"),
        (vec!["--partition", "foo"], "is not a partition"),
        (vec!["--binary-id", "x"], "required arguments"),
    ] {
        let r = wasm_run(&dir.join("out"), &args, &wasm).expect(2);
        // clap's own usage error: the reason on its first line.
        let first = r.stderr.lines().next().unwrap_or_default();
        assert!(first.contains(why), "{args:?}: {}", r.stderr);
        assert!(!dir.join("out").exists());
    }
}
