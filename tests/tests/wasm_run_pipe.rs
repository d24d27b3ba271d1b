//! `wasm-run x.wasm | head -1`: a reader that goes away is no failure
//! (docs/formats.md §8). wasm-run keeps running the tests, keeps logging,
//! writes the coverage and exits with the tests' own verdict; `--check`
//! exits 0. Checked on the real demo test binary under the pinned Node.
#![allow(
    clippy::unwrap_used,
    reason = "in a test, a failed unwrap is a failed test"
)]

use std::process::{Command, Stdio};

use integration_tests::{demo_wasm, scratch, tool};

/// Runs wasm-run with `args`, its stdout (and with `close_stderr` its
/// stderr, as `2>&1 | head` does) a pipe whose reader is gone before
/// wasm-run writes anything; returns its exit status.
fn run_with_closed_pipe(args: &[&std::ffi::OsStr], close_stderr: bool) -> i32 {
    let mut child = Command::new(tool("wasm-run"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(if close_stderr {
            Stdio::piped()
        } else {
            Stdio::inherit()
        })
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    drop(child.stderr.take());
    child.wait().unwrap().code().unwrap_or(-1)
}

/// Runs the demo's tests so, in `target/it/NAME`; they pass and every
/// output is written.
fn demo_with_closed_pipe(name: &str, close_stderr: bool) {
    let cov = scratch(name).join("cov");
    let wasm = demo_wasm(&[]);
    let args = ["--out".as_ref(), cov.as_os_str(), wasm.as_os_str()];
    assert_eq!(run_with_closed_pipe(&args, close_stderr), 0);
    for file in ["v8-coverage.json", "tests.json", "run.log"] {
        assert!(cov.join(file).is_file(), "{file} missing");
    }
    let log = std::fs::read_to_string(cov.join("run.log")).unwrap();
    assert!(log.contains("test result: ok. 2 passed"), "{log}");
}

#[test]
fn a_closed_stdout_is_success_and_the_coverage_is_written() {
    demo_with_closed_pipe("wasm-run-pipe-stdout", false);
}

#[test]
fn closed_stdout_and_stderr_are_success_too() {
    demo_with_closed_pipe("wasm-run-pipe-both", true);
}

#[test]
fn check_with_a_closed_stdout_exits_0() {
    assert_eq!(run_with_closed_pipe(&["--check".as_ref()], false), 0);
}
