//! The instrumented module instantiates and counts on every Node we
//! support: the pinned Node 26 and Node 22, the oldest with multi-memory.
//! Node 22 is taken from `WASM_COV_NODE22` (a path to its `node`), else from
//! `/tmp/node22/node_modules/.bin/node` (what `npm install --prefix
//! /tmp/node22 node@22` leaves); without it that half is skipped with a
//! message.
//!
//! Each Node runs `tests/js/worker-counters.cjs`: the counter memory is a
//! `SharedArrayBuffer` posted by a worker, and its counts can be read after
//! the worker was terminated in the middle of an endless loop.
#![allow(clippy::unwrap_used, reason = "tests: a panic is a failed test")]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use wasm_cov_instrument::{instrument, Options};

const MODULE: &str = r#"(module (memory 1) (export "memory" (memory 0))
  (func (export "once") i32.const 0 i32.const 7 i32.store)
  (func (export "spin") (loop $l br $l)))"#;

fn check(node: &Path) {
    let wasm = wat::parse_str(MODULE).unwrap();
    let out = instrument(&wasm, &Options::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.wasm");
    std::fs::write(&path, &out.wasm).unwrap();
    let text = common::run(
        Command::new(node)
            .arg(common::js("worker-counters.cjs"))
            .arg(&path),
    );
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["shared"], true, "{}: {text}", node.display());
    let counts: Vec<u64> = v["counts"].as_array().unwrap()[..out.blocks.len()]
        .iter()
        .map(|c| c.as_str().unwrap().parse().unwrap())
        .collect();
    // once: one block. spin: the locals-only block before its leading loop
    // (never counted, as in V8), the loop block up to `br`, the loop's
    // `end` and the function's `end` (both dead).
    assert_eq!(out.blocks.len(), 5, "{:?}", out.blocks);
    assert_eq!(counts[0], 1, "{}: {counts:?}", node.display());
    assert_eq!(counts[1], 0, "{}: {counts:?}", node.display());
    assert!(counts[2] > 1000, "{}: {counts:?}", node.display());
    assert_eq!(counts[3..], [0, 0], "{}: {counts:?}", node.display());
}

/// A WASI command that prints "hi\n" through node:wasi's `fd_write`.
const WASI_MODULE: &str = r#"(module
  (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "hi\n")
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 16)) (i32.store (i32.const 4) (i32.const 3))
    (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))"#;

/// Runs the instrumented WASI module under node:wasi with
/// `run-instrumented.cjs` and returns its counts.
fn run_wasi(node: &Path, wrap_imports: bool) -> Vec<String> {
    let wasm = wat::parse_str(WASI_MODULE).unwrap();
    let out = instrument(&wasm, &Options::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.wasm");
    std::fs::write(&path, &out.wasm).unwrap();
    let config = dir.path().join("config.json");
    let cfg = serde_json::json!({
        "wasm": path, "mode": "one-instance", "programName": "m.wasm",
        "env": {}, "preopens": {}, "wrapImports": wrap_imports,
    });
    std::fs::write(&config, cfg.to_string()).unwrap();
    let text = common::run(
        Command::new(node)
            .arg(common::js("run-instrumented.cjs"))
            .arg(&config),
    );
    let counts: Vec<String> = serde_json::from_str(&text).unwrap();
    counts[..out.blocks.len()].to_vec()
}

#[test]
fn counts_survive_a_terminated_worker_on_node_26() {
    if let Some(node) = common::pinned_node("counts_survive_a_terminated_worker_on_node_26") {
        check(&node);
        // Node 26 needs no wrapping of node:wasi's functions.
        assert_eq!(run_wasi(&node, false), ["1", "1"]);
    }
}

#[test]
fn counts_survive_a_terminated_worker_on_node_22() {
    let node = std::env::var_os("WASM_COV_NODE22")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/tmp/node22/node_modules/.bin/node"));
    if !node.exists() {
        eprintln!(
            "counts_survive_a_terminated_worker_on_node_22: SKIPPED: no Node 22 at {}; \
             `npm install --prefix /tmp/node22 node@22` or set WASM_COV_NODE22",
            node.display()
        );
        return;
    }
    let version = common::run(Command::new(&node).arg("--version"));
    assert!(
        version.starts_with("v22."),
        "{} is {version}",
        node.display()
    );
    check(&node);
}
