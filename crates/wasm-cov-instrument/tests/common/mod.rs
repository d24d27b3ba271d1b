//! Shared by the integration tests: finding the pinned Node and running it.
#![allow(clippy::unwrap_used, reason = "tests: a panic is a failed test")]
#![allow(dead_code)] // each test file uses a different part

use std::path::{Path, PathBuf};
use std::process::Command;

/// The workspace root (two levels above this crate).
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("the workspace root exists")
}

/// The pinned Node (`node_modules/.bin/node`), or `None` with a message on
/// stderr so a skipped test says why.
pub fn pinned_node(test: &str) -> Option<PathBuf> {
    let node = workspace().join("node_modules/.bin/node");
    if node.exists() {
        Some(node)
    } else {
        eprintln!(
            "{test}: SKIPPED: {} is missing; run `npm ci` in the workspace root",
            node.display()
        );
        None
    }
}

/// `node -p process.versions.v8`, for failure messages.
pub fn v8_version(node: &Path) -> String {
    Command::new(node)
        .args(["-p", "process.versions.v8"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|e| format!("(unknown: {e})"))
}

/// The flags that turn V8's own wasm block counters on.
pub const V8_COVERAGE_FLAGS: [&str; 3] = [
    "--wasm-code-coverage",
    "--allow-natives-syntax",
    "--no-wasm-lazy-compilation",
];

/// Runs a command and returns its stdout; panics with the command line and
/// stderr when it fails.
pub fn run(cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"));
    if !out.status.success() {
        panic!(
            "{cmd:?} failed with {}:\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

/// This crate's JS helper scripts.
pub fn js(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/js")
        .join(name)
}
