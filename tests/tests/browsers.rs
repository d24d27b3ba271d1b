//! Browser suites: wasm-bindgen-test binaries configured with
//! `run_in_browser` or `run_in_dedicated_worker`, run by wasm-run in
//! headless Chromium (which `make setup` installs), next to a Node suite of
//! the same crate (examples/browser). Each asserts exit status, tests.json
//! and line facts after mapping.
#![allow(
    clippy::unwrap_used,
    reason = "in a test, a failed unwrap is a failed test"
)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};

use integration_tests::{
    assert_contains, example_line, line_count, map_offsets, read_lcov_file, root, run, scratch,
    test_report, tool,
};
use wasm_cov_format::Outcome;

/// The coverage flags for wasm32-unknown-unknown.
const FLAGS: &str = "-C debuginfo=2 -C opt-level=0 -C codegen-units=1 -C link-dead-code";

/// examples/browser's test binaries by target name (`node`, `web`,
/// `worker`, the lib's `browser_demo`), built once per feature list.
fn binaries(features: &str) -> BTreeMap<String, PathBuf> {
    static CACHE: OnceLock<Mutex<BTreeMap<String, BTreeMap<String, PathBuf>>>> = OnceLock::new();
    let mut cache = CACHE
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(b) = cache.get(features) {
        return b.clone();
    }
    let dir = root().join("examples/browser");
    let out = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args([
            "test",
            "--no-run",
            "--tests",
            "--target",
            "wasm32-unknown-unknown",
        ])
        .args([
            "--message-format",
            "json-render-diagnostics",
            "--features",
            features,
        ])
        .arg("--manifest-path")
        .arg(dir.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(dir.join("target/wasm-cov"))
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env("CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS", FLAGS)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "building examples/browser failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut found = BTreeMap::new();
    for line in String::from_utf8(out.stdout).unwrap().lines() {
        let msg: serde_json::Value = serde_json::from_str(line).unwrap();
        if let (Some(exe), Some(name)) =
            (msg["executable"].as_str(), msg["target"]["name"].as_str())
        {
            found.insert(name.to_owned(), PathBuf::from(exe));
        }
    }
    cache.insert(features.to_owned(), found.clone());
    found
}

/// Runs wasm-run on `wasm` into `out`.
fn wasm_run(wasm: &Path, out: &Path) -> Command {
    let mut cmd = Command::new(tool("wasm-run"));
    cmd.arg("--out")
        .arg(out)
        .arg("--wasm-bindgen-runner")
        .arg(root().join(".tools/bin/wasm-bindgen-test-runner"))
        .arg(wasm)
        .env_remove("WASM_RUN_BROWSER")
        .env_remove("WASM_RUN_BROWSER_BIN");
    cmd
}

fn passed(dir: &Path) -> Vec<String> {
    test_report(dir)
        .tests
        .iter()
        .filter(|t| t.outcome == Outcome::Passed)
        .map(|t| t.name.clone())
        .collect()
}

#[test]
fn browser_suites_reach_what_only_browsers_reach() {
    let bins = binaries("");
    let dir = scratch("browser-suites");
    for name in ["node", "web", "worker"] {
        let ran = run(&mut wasm_run(&bins[name], &dir.join(name))).expect(0);
        assert_contains(&ran.stdout, &["test result: ok"]);
        if name != "node" {
            assert_contains(&ran.stderr, &["from the browser"]);
        }
    }
    assert_eq!(
        passed(&dir.join("web")),
        ["page_triples", "page_sees_a_window"]
    );
    assert_eq!(passed(&dir.join("worker")), ["worker_xors"]);
    assert_eq!(passed(&dir.join("node")), ["node_adds_one"]);

    let offsets = dir.join("offsets.csv");
    run(Command::new(tool("v8cov-extract"))
        .args(["node", "web", "worker"].map(|n| dir.join(n).join("v8-coverage.json")))
        .arg("-o")
        .arg(&offsets))
    .expect(0);
    let lcov = dir.join("lcov.info");
    let mut args = Vec::new();
    for n in ["web", "worker"] {
        args.push("--modules".to_owned());
        args.push(dir.join(n).join("modules").display().to_string());
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    map_offsets(
        &dir.join("node"),
        &offsets,
        &root().join("examples/browser"),
        &args,
        &lcov,
    );
    let cov = read_lcov_file(&lcov);
    let line = |m: &str| line_count(&cov, example_line("browser", m));
    assert!(
        line("browser-page-only") > 0,
        "only the page suite reaches it"
    );
    assert!(
        line("browser-worker-only") > 0,
        "only the worker suite reaches it"
    );
    assert!(
        line("browser-node-only") > 0,
        "only the Node suite reaches it"
    );
    assert!(line("browser-shared-big") > 0);
    assert_eq!(line("browser-never"), 0);

    // tests/node.rs starts with code (`mod common;`): the `main` rustc
    // generates there never runs under wasm-bindgen and is not the user's,
    // so neither it nor its line 1 is reported.
    let node = &cov.files["tests/node.rs"];
    assert!(
        node.functions.keys().all(|f| !f.ends_with("main")),
        "{:?}",
        node.functions.keys()
    );
    assert!(!node.lines.contains_key(&1), "{:?}", node.lines);
}

#[test]
fn a_failing_browser_test_fails_the_run_and_keeps_coverage() {
    let bins = binaries("fail-on-purpose");
    let dir = scratch("browser-failing");
    let ran = run(&mut wasm_run(&bins["web"], &dir)).expect(1);
    assert_contains(
        &ran.stdout,
        &["page_fails_on_purpose ... FAIL", "fails on purpose"],
    );
    let report = test_report(&dir);
    let failed: Vec<_> = report
        .tests
        .iter()
        .filter(|t| t.outcome == Outcome::Failed)
        .map(|t| t.name.as_str())
        .collect();
    assert_eq!(failed, ["page_fails_on_purpose"]);
    assert!(dir.join("v8-coverage.json").is_file());
    assert_eq!(
        std::fs::read_dir(dir.join("modules")).unwrap().count(),
        1,
        "the module that ran is saved"
    );
}

#[test]
fn a_missing_browser_is_an_error_naming_it() {
    let bins = binaries("");
    let dir = scratch("browser-missing");
    let out = dir.join("web");
    let ran =
        run(wasm_run(&bins["web"], &out).env("WASM_RUN_BROWSER_BIN", "/nonexistent/chromium"))
            .expect(2);
    assert_eq!(ran.stderr.lines().count(), 1, "{}", ran.stderr);
    assert_contains(
        &ran.stderr,
        &[
            "wasm-run: error:",
            "browser suite",
            "WASM_RUN_BROWSER_BIN=/nonexistent/chromium",
        ],
    );
    assert!(
        !out.exists(),
        "nothing is written for a suite that cannot run"
    );

    // No browser on PATH at all: the message says how to get one.
    let ran = run(wasm_run(&bins["web"], &out).env("PATH", "/nonexistent")).expect(2);
    assert_contains(
        &ran.stderr,
        &["no Chromium found", "apt-get install chromium"],
    );

    // The Node suite of the same crate needs no browser.
    run(wasm_run(&bins["node"], &dir.join("node")).env("WASM_RUN_BROWSER_BIN", "/nonexistent"))
        .expect(0);

    // Firefox needs counters of our own, not there yet: said plainly.
    let ran = run(wasm_run(&bins["web"], &out).arg("--browser").arg("firefox")).expect(2);
    assert_contains(&ran.stderr, &["firefox", "--browser chrome"]);
}
