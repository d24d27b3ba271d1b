//! `--partition`'s output: `shard.json` beside the run's artifacts, and
//! the run folder of a shard that a module running whole was not dealt
//! to. Which tests a libtest binary's shard runs is dealt by the runners
//! (`js/partition.cjs`, `wasmtime_engine`), as `Partition::deal` deals.

use std::path::Path;

use anyhow::{Context, Result};
use wasm_cov_format::{
    Partition, ShardRecord, TestReport, V8Coverage, SHARD_FILE, V8_WASM_VERSION,
};

use crate::session::{note, Outputs};

/// Writes `shard.json` into `out` after a run: which shard it was, and how
/// many tests it ran (those its `tests.json` lists).
pub(crate) fn record(p: Partition, out: &Path, whole: bool) -> Result<()> {
    let tests = std::fs::read(out.join("tests.json"))
        .ok()
        .and_then(|b| TestReport::from_json(&b).ok())
        .map_or(0, |r| r.tests.len() as u64);
    save(ShardRecord::new(p, tests, u64::from(whole)), out)
}

/// A module that runs whole (harness `harness`), in a shard it was not
/// dealt to: `out` gets what a run of no tests leaves (an empty
/// v8-coverage.json, modules/ and tests.json) and `shard.json`, so every
/// shard's folder merges alike, and a line says where the module runs.
pub(crate) fn skip(
    p: Partition,
    binary_id: &str,
    out: &Path,
    wasm: &Path,
    harness: &str,
) -> Result<()> {
    let outputs = Outputs::new(out)?;
    outputs.remove_stale("per-test.jsonl")?;
    outputs.remove_stale("run.log")?;
    let empty = V8Coverage {
        result: Vec::new(),
        wasm_coverage_version: Some(V8_WASM_VERSION),
    };
    outputs.write_json("v8-coverage.json", &empty)?;
    let report = TestReport::new(harness, None, Vec::new(), 0, 0.0, false);
    outputs.write_json("tests.json", &report)?;
    save(ShardRecord::new(p, 0, 0), out)?;
    note(format_args!(
        "shard {p}: {} runs whole, in shard {} of {} (by the hash of {binary_id:?}); nothing to run here",
        wasm.display(),
        Partition::hash_shard(binary_id, "", p.total),
        p.total
    ));
    Ok(())
}

fn save(r: ShardRecord, out: &Path) -> Result<()> {
    r.save(out)
        .with_context(|| format!("cannot write {}", out.join(SHARD_FILE).display()))
}
