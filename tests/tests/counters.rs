//! `wasm-run --counters inject` against V8's own counters: on the example
//! crates' test binaries, both give byte-identical offsets CSVs (the same
//! blocks and the same counts). V8 loses increments with two threads, so
//! its side always runs with one. Both runs get a deterministic WASI clock
//! and random source (the instrumenter's `deterministic-wasi.cjs`, preloaded
//! with NODE_OPTIONS, which reaches the runner's workers), so the same
//! binary takes the same paths twice. `--engine wasmtime` is held to the
//! same standard against Node, with the same clock and random source
//! (`WASM_RUN_DETERMINISTIC_WASI=1`).
#![allow(
    clippy::unwrap_used,
    reason = "in a test, a failed unwrap is a failed test"
)]

use std::path::{Path, PathBuf};
use std::process::Command;

use integration_tests::{
    build_example, deterministic_hook, extract, node22, root, run, scratch, tool,
};

/// Runs wasm-run on `wasm` with `args` into `dir/cov`, then v8cov-extract;
/// returns the offsets CSV.
fn offsets(dir: &Path, wasm: &Path, args: &[&str]) -> String {
    offsets_with(dir, wasm, args, &[], &deterministic_hook())
}

/// [`offsets`] with `test_args` after `--` and `hook` preloaded into every
/// Node.
fn offsets_with(dir: &Path, wasm: &Path, args: &[&str], test_args: &[&str], hook: &Path) -> String {
    let cov = dir.join("cov");
    let dashes: &[&str] = if test_args.is_empty() { &[] } else { &["--"] };
    let r = run(Command::new(tool("wasm-run"))
        .env("NODE_OPTIONS", format!("--require {}", hook.display()))
        // The same clock and random source under --engine wasmtime.
        .env("WASM_RUN_DETERMINISTIC_WASI", "1")
        .arg("--out")
        .arg(&cov)
        .args(args)
        .arg(wasm)
        .args(dashes)
        .args(test_args));
    assert!(
        r.code == 0 || r.code == 1,
        "wasm-run {args:?} failed ({}):\n{}",
        r.code,
        r.stderr
    );
    let csv = dir.join("offsets.csv");
    extract(&cov, &csv);
    std::fs::read_to_string(csv).unwrap()
}

/// The pinned Node's V8 version, for a failure message.
fn v8_version() -> String {
    let node = root().join("node_modules/.bin/node");
    let node = if node.is_file() {
        node
    } else {
        PathBuf::from("node")
    };
    run(Command::new(node).args(["-p", "process.versions.v8"]))
        .stdout
        .trim()
        .to_owned()
}

fn first_difference(a: &str, b: &str) -> String {
    let (la, lb) = (a.lines().count(), b.lines().count());
    match a
        .lines()
        .zip(b.lines())
        .enumerate()
        .find(|(_, (x, y))| x != y)
    {
        Some((i, (x, y))) => format!("line {}: inject {x:?}, v8 {y:?}", i + 1),
        None => format!("inject has {la} lines, v8 {lb}"),
    }
}

/// `inject_args` beyond `--counters inject` (e.g. another Node).
fn equal(example: &str, inject_args: &[&str]) {
    let wasm = build_example(example, &[], "");
    let tag = if inject_args.is_empty() { "" } else { "-22" };
    let dir = scratch(&format!("counters-{example}{tag}"));
    std::fs::create_dir_all(dir.join("inject")).unwrap();
    std::fs::create_dir_all(dir.join("v8")).unwrap();
    let mut args = vec!["--counters", "inject"];
    args.extend_from_slice(inject_args);
    let inject = offsets(&dir.join("inject"), &wasm, &args);
    let v8 = offsets(
        &dir.join("v8"),
        &wasm,
        &["--counters", "v8", "--test-threads", "1"],
    );
    assert!(inject.lines().count() > 100, "too few blocks:\n{inject}");
    assert!(
        inject == v8,
        "examples/{example}: --counters inject and --counters v8 give different offsets CSVs \
         (V8 {}: did V8's block rules move?); {}; both are in {}",
        v8_version(),
        first_difference(&inject, &v8),
        dir.display()
    );
}

#[test]
fn inject_equals_v8_on_the_demo() {
    equal("demo", &[]);
}

#[test]
fn inject_equals_v8_on_fidelity() {
    equal("fidelity", &[]);
}

/// Tests that panic, trap in a call in the middle of a loop, overflow the
/// stack and run out of memory: each instance ends with live frames, which
/// V8 counted on entry and the derived counters get from the trap's stack
/// (`wasm_cov_instrument::derive`). Only the hung test is left out: where a
/// terminated worker stops is not the same twice.
#[test]
fn inject_equals_v8_when_tests_trap() {
    let wasm = build_example("faults", &[], "-C link-arg=--max-memory=268435456");
    let dir = scratch("counters-faults");
    let side = |mode: &str, threads: &str| {
        let d = dir.join(mode);
        std::fs::create_dir_all(&d).unwrap();
        offsets_with(
            &d,
            &wasm,
            &[
                "--counters",
                mode,
                "--test-threads",
                threads,
                "--env",
                "FAULTS_GREETING=hello",
            ],
            &["--skip", "loops_forever"],
            &deterministic_hook(),
        )
    };
    let (inject, v8) = (side("inject", "2"), side("v8", "1"));
    assert!(
        inject == v8,
        "examples/faults: --counters inject and --counters v8 differ where tests trap; {};          both are in {}",
        first_difference(&inject, &v8),
        dir.display()
    );
    // The same on wasmtime, whose backtraces give the live frames there.
    let d = dir.join("wasmtime");
    std::fs::create_dir_all(&d).unwrap();
    let wasmtime = offsets_with(
        &d,
        &wasm,
        &["--engine", "wasmtime", "--env", "FAULTS_GREETING=hello"],
        // A stack overflow comes at another depth on wasmtime.
        &["--skip", "loops_forever", "--skip", "overflows_the_stack"],
        &deterministic_hook(),
    );
    let d = dir.join("node-same-tests");
    std::fs::create_dir_all(&d).unwrap();
    let node = offsets_with(
        &d,
        &wasm,
        &["--env", "FAULTS_GREETING=hello"],
        &["--skip", "loops_forever", "--skip", "overflows_the_stack"],
        &deterministic_hook(),
    );
    assert!(
        node == wasmtime,
        "examples/faults: --engine wasmtime and --engine node differ where tests trap; {}          (left: wasmtime); both are in {}",
        first_difference(&wasmtime, &node),
        dir.display()
    );
}

/// `--engine wasmtime` and `--engine node` on one example's test binary:
/// byte-identical offsets CSVs.
fn engines_equal(example: &str) {
    let wasm = build_example(example, &[], "");
    let dir = scratch(&format!("engines-{example}"));
    let side = |engine: &str| {
        let d = dir.join(engine);
        std::fs::create_dir_all(&d).unwrap();
        offsets(&d, &wasm, &["--engine", engine])
    };
    let (node, wasmtime) = (side("node"), side("wasmtime"));
    assert!(node.lines().count() > 100, "too few blocks:\n{node}");
    assert!(
        node == wasmtime,
        "examples/{example}: --engine wasmtime and --engine node give different offsets CSVs; \
         {} (left: wasmtime); both are in {}",
        first_difference(&wasmtime, &node),
        dir.display()
    );
}

#[test]
fn wasmtime_equals_node_on_the_demo() {
    engines_equal("demo");
}

#[test]
fn wasmtime_equals_node_on_fidelity() {
    engines_equal("fidelity");
}

#[test]
fn inject_on_node22_equals_v8_on_the_pinned_node() {
    let Some(node) = node22() else {
        return;
    };
    let node = node.display().to_string();
    equal("demo", &["--node", &node]);
}

#[test]
fn off_writes_results_but_no_coverage() {
    let wasm = build_example("demo", &[], "");
    let cov = scratch("counters-off").join("cov");
    let r = run(Command::new(tool("wasm-run"))
        .arg("--out")
        .arg(&cov)
        .args(["--counters", "off"])
        .arg(&wasm))
    .expect(0);
    assert!(r.stderr.contains("no coverage"), "{}", r.stderr);
    assert!(cov.join("tests.json").is_file());
    assert!(cov.join("run.log").is_file());
    assert!(!cov.join("v8-coverage.json").exists());
}

/// A wasm-bindgen-test suite under Node: the hook instruments the module
/// wasm-bindgen produced at the moment Node compiles it (wasm-bindgen
/// refuses a second memory before that), through wasm-run's hidden
/// `__instrument`. Same blocks and counts as V8's, with a JavaScript clock
/// that never moves so both runs take the same paths.
#[test]
fn inject_equals_v8_on_a_wasm_bindgen_suite() {
    let wasm = build_example("bindgen", &[], "");
    let dir = scratch("counters-bindgen");
    let hook = root().join("tests/fixtures/js/frozen-clock.cjs");
    let runner = root().join(".tools/bin/wasm-bindgen-test-runner");
    let runner = runner.to_str().unwrap();
    let both = |mode: &str| {
        let d = dir.join(mode);
        std::fs::create_dir_all(&d).unwrap();
        offsets_with(
            &d,
            &wasm,
            &["--counters", mode, "--wasm-bindgen-runner", runner],
            &[],
            &hook,
        )
    };
    let (inject, v8) = (both("inject"), both("v8"));
    assert!(inject.lines().count() > 100, "too few blocks:\n{inject}");
    assert!(
        inject == v8,
        "examples/bindgen: --counters inject and v8 differ (V8 {}); {}; both are in {}",
        v8_version(),
        first_difference(&inject, &v8),
        dir.display()
    );
}

#[test]
fn exec_runs_with_each_mode() {
    for mode in ["inject", "v8", "off"] {
        let cov = scratch(&format!("counters-exec-{mode}"));
        run(Command::new(tool("wasm-run")).arg("--out").arg(&cov).args([
            "--counters",
            mode,
            "--exec",
            "--",
            "true",
        ]))
        .expect(0);
        assert_eq!(
            cov.join("v8-coverage.json").exists(),
            mode != "off",
            "{mode}"
        );
    }
}
