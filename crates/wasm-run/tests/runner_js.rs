//! The Node runner's JS on its own: `tests/js/*.cjs` require
//! `src/js/runner.cjs` (which runs nothing when required) and check one of
//! its parts on small modules, under the pinned Node.
#![allow(
    clippy::unwrap_used,
    reason = "in a test, a failed unwrap is a failed test"
)]

use std::path::{Path, PathBuf};
use std::process::Command;

fn crate_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The pinned Node (`make setup` installs it).
fn node() -> PathBuf {
    let node = crate_dir().join("../../node_modules/.bin/node");
    assert!(
        node.is_file(),
        "{} is missing: run `make setup` so npm installs the pinned Node",
        node.display()
    );
    node
}

/// Runs `tests/js/SCRIPT` with the runner's path; it prints `ok NAME` per
/// check and fails on the first that does not hold.
fn run_js(script: &str) -> String {
    let out = Command::new(node())
        .arg("--no-warnings")
        .arg(crate_dir().join("tests/js").join(script))
        .arg(crate_dir().join("src/js/runner.cjs"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{script} failed ({}):\n{stdout}{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// Imports no host provides (wit-bindgen's `$root` intrinsics) become
/// functions that trap, as wasmtime's `define_unknown_imports_as_traps`
/// makes them; WASI's and the caller's are never replaced, and a missing
/// memory still fails.
#[test]
fn missing_function_imports_become_traps_and_nothing_given_is_replaced() {
    let out = run_js("trap-stubs.cjs");
    assert_eq!(
        out.lines().filter(|l| l.starts_with("ok ")).count(),
        8,
        "{out}"
    );
}
