//! wasm-run when tests go wrong: a panic, a hang, a stack overflow, memory
//! exhaustion, Node killed with SIGKILL, wasm-run stopped with SIGTERM.
//! Each is reported, and every counter collected up to then is kept and
//! maps to the lines that ran.
#![allow(
    clippy::unwrap_used,
    reason = "in a test, a failed unwrap is a failed test"
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use integration_tests::{
    assert_contains, build_example, example_line, line_count, map_coverage, node22, root, run,
    scratch, test_report as report, tool,
};
use wasm_cov_format::{Coverage, Outcome, TestReport};

/// The faults crate's test .wasm, with memory capped at 256 MiB so the
/// memory test fails in a moment instead of growing to 4 GiB.
fn faults_wasm() -> PathBuf {
    build_example("faults", &[], "-C link-arg=--max-memory=268435456")
}

/// The same, for wasm32-wasip2: a component, which runs on wasmtime.
fn faults_component() -> PathBuf {
    build_example(
        "faults",
        &["--target", "wasm32-wasip2"],
        "-C link-arg=--max-memory=268435456",
    )
}

/// Extracts and maps `cov_dir`'s coverage; returns the LCOV model.
fn map(cov_dir: &Path) -> Coverage {
    map_coverage(cov_dir, &root().join("examples/faults"))
}

fn count(cov: &Coverage, marker: &str) -> u64 {
    line_count(cov, example_line("faults", marker))
}

fn outcome(r: &TestReport, name: &str) -> (Outcome, String) {
    let t = r
        .tests
        .iter()
        .find(|t| t.name == name)
        .unwrap_or_else(|| panic!("no {name} in tests.json"));
    (t.outcome, t.message.clone().unwrap_or_default())
}

/// `--counters MODE`, and with `node22` Node 22's `--node`.
fn mode_args(mode: &str, on_node22: bool) -> Option<Vec<String>> {
    let mut args = vec!["--counters".to_owned(), mode.to_owned()];
    if on_node22 {
        args.push("--node".into());
        args.push(node22()?.display().to_string());
    }
    Some(args)
}

#[test]
fn every_kind_of_failure_is_reported_and_its_coverage_kept_v8() {
    failures_are_reported("v8", false);
}

#[test]
fn every_kind_of_failure_is_reported_and_its_coverage_kept_inject() {
    failures_are_reported("inject", false);
}

#[test]
fn every_kind_of_failure_is_reported_and_its_coverage_kept_inject_node22() {
    failures_are_reported("inject", true);
}

#[test]
fn every_kind_of_failure_is_reported_and_its_coverage_kept_wasmtime() {
    failures_are_reported("wasmtime", false);
}

/// A component picks wasmtime by itself.
#[test]
fn every_kind_of_failure_is_reported_and_its_coverage_kept_wasip2() {
    failures_are_reported("wasip2", false);
}

fn failures_are_reported(mode: &str, node22: bool) {
    let mode_args = match mode {
        "wasmtime" => Some(vec!["--engine".to_owned(), "wasmtime".to_owned()]),
        "wasip2" => Some(Vec::new()),
        _ => mode_args(mode, node22),
    };
    let wasm = if mode == "wasip2" {
        faults_component()
    } else {
        faults_wasm()
    };
    let Some(mode_args) = mode_args else {
        return;
    };
    let dir = scratch(&format!("faults-{mode}{}", if node22 { "-22" } else { "" }));
    let cov_dir = dir.join("cov");
    let r = run(Command::new(tool("wasm-run"))
        .arg("--out")
        .arg(&cov_dir)
        .args(&mode_args)
        .args([
            "--timeout",
            "2",
            "--test-threads",
            "2",
            "--env",
            "FAULTS_GREETING=hello",
        ])
        .arg(&wasm))
    .expect(1);
    assert_contains(
        &r.stdout,
        &[
            "test tests::passes ... ok",
            "test tests::loops_forever ... FAILED (timed out)",
            "test result: FAILED. 4 passed; 5 failed; 0 ignored;",
        ],
    );

    // What the panic means on wasm, said once, naming the test (the stack
    // overflow and the failed allocation trapped without a panic).
    assert_eq!(
        r.stderr.matches("wasm-run: hint: ").count(),
        1,
        "{}",
        r.stderr
    );
    assert_contains(
        &r.stderr,
        &[
            "wasm-run: hint: 1 test panicked on wasm (tests::panics); a panic aborts there (panic=abort)",
            "catch_unwind or #[should_panic]",
            "`-- --skip tests::panics`",
        ],
    );

    let rep = report(&cov_dir);
    assert_eq!((rep.passed, rep.failed, rep.ignored), (4, 5, 0));
    // What tests need from their world: fixtures by absolute path, the
    // crate folder as the current one, variables given with --env.
    assert_eq!(
        outcome(&rep, "tests::reads_its_manifest_by_absolute_path").0,
        Outcome::Passed
    );
    assert_eq!(
        outcome(&rep, "tests::reads_relative_to_the_crate").0,
        Outcome::Passed
    );
    assert_eq!(
        outcome(&rep, "tests::sees_the_environment").0,
        Outcome::Passed
    );
    assert!(!rep.interrupted);
    assert_eq!(outcome(&rep, "tests::passes").0, Outcome::Passed);
    let (o, msg) = outcome(&rep, "tests::panics");
    assert_eq!(o, Outcome::Failed);
    assert!(
        msg.contains("panics on purpose") && msg.contains("before the panic"),
        "{msg}"
    );
    assert_eq!(outcome(&rep, "tests::loops_forever").0, Outcome::TimedOut);
    let (o, msg) = outcome(&rep, "tests::overflows_the_stack");
    assert_eq!(o, Outcome::Failed);
    assert!(msg.contains("stack overflow"), "{msg}");
    let (o, msg) = outcome(&rep, "tests::exhausts_memory");
    assert_eq!(o, Outcome::Failed);
    assert!(msg.contains("memory allocation"), "{msg}");

    let log = std::fs::read_to_string(cov_dir.join("run.log")).unwrap();
    assert!(
        log.contains("test result: FAILED."),
        "run.log holds what the run printed"
    );

    let cov = map(&cov_dir);
    assert!(count(&cov, "add-one") >= 1);
    assert!(count(&cov, "before-panic") >= 1, "lines before a panic ran");
    assert_eq!(count(&cov, "after-panic"), 0, "lines after it did not");
    assert!(
        count(&cov, "spin-loop") > 1000,
        "the hung test's loop is counted though its worker was ended"
    );
    assert!(
        count(&cov, "recurse-frame") > 100,
        "the overflowing recursion is counted"
    );
    assert!(count(&cov, "exhaust-alloc") >= 1);
    trapped_loop_counts(&cov);
}

/// `tests::traps_in_the_middle_of_a_loop` traps in its sixth iteration, in
/// a call: the lines before the trap ran 6 times, those after it 5, the
/// line after the loop never. Under derived counters (`--counters inject`
/// on a core module) the call's block gets its count from the block after
/// it plus the live frame the trap left there, so a 5 on the call's line
/// means the trap's frames were lost, and a 6 after it, or anything after
/// the loop, would show as run what did not run.
fn trapped_loop_counts(cov: &Coverage) {
    let counts: Vec<(&str, u64)> = [
        "loop-before-trap",
        "loop-trap-call",
        "trap-point",
        "loop-after-trap",
        "after-the-loop",
    ]
    .into_iter()
    .map(|m| (m, count(cov, m)))
    .collect();
    assert_eq!(
        counts,
        [
            ("loop-before-trap", 6),
            ("loop-trap-call", 6),
            ("trap-point", 1),
            ("loop-after-trap", 5),
            ("after-the-loop", 0)
        ]
    );
}

/// The pid of `parent`'s child process running the Node runner (not the
/// short-lived Node version probe).
fn runner_of(parent: u32) -> Option<u32> {
    let text = std::fs::read_to_string(format!("/proc/{parent}/task/{parent}/children")).ok()?;
    text.split_whitespace()
        .filter_map(|p| p.parse().ok())
        .find(|pid: &u32| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .is_ok_and(|c| c.windows(10).any(|w| w == b"runner.cjs"))
        })
}

/// Kills the process when a failed assertion unwinds past it, so a failing
/// test never leaves a hung wasm-run behind.
struct KillOnDrop(Option<std::process::Child>);

impl KillOnDrop {
    fn id(&self) -> u32 {
        self.0.as_ref().unwrap().id()
    }
    fn wait(mut self) -> std::process::Output {
        self.0.take().unwrap().wait_with_output().unwrap()
    }
}

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if let Some(c) = &mut self.0 {
            let _ = c.kill();
            let _ = Command::new("pkill")
                .args(["-KILL", "-P", &c.id().to_string()])
                .status();
            let _ = c.wait();
        }
    }
}

fn wait_for(what: &str, timeout: Duration, mut f: impl FnMut() -> bool) {
    let start = Instant::now();
    while !f() {
        assert!(start.elapsed() < timeout, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Starts wasm-run on one thread with `options` on the faults module, with
/// `test_args` for libtest, into `cov_dir`; returns it once its Node
/// runner is up, with that runner's pid, after 1.5 s more for the tests to
/// get going (loops_forever hangs second, as tests run in name order).
fn start_run(cov_dir: &Path, options: &[&str], test_args: &[&str]) -> (KillOnDrop, u32) {
    let child = KillOnDrop(Some(
        Command::new(tool("wasm-run"))
            .arg("--out")
            .arg(cov_dir)
            .args(["--test-threads", "1"])
            .args(options)
            .arg(faults_wasm())
            .arg("--")
            .args(test_args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    ));
    let mut node = None;
    wait_for("Node to start", Duration::from_secs(20), || {
        node = runner_of(child.id());
        node.is_some()
    });
    std::thread::sleep(Duration::from_millis(1500));
    (child, node.unwrap())
}

/// Sends `signal` (`-KILL`, `-TERM`) to `pid`.
fn send(signal: &str, pid: u32) {
    assert!(Command::new("kill")
        .args([signal, &pid.to_string()])
        .status()
        .unwrap()
        .success());
}

#[test]
fn node_killed_with_sigkill_leaves_the_last_flushed_counters_v8() {
    sigkill_leaves_the_last_flush("v8");
}

#[test]
fn node_killed_with_sigkill_leaves_the_last_flushed_counters_inject() {
    sigkill_leaves_the_last_flush("inject");
}

fn sigkill_leaves_the_last_flush(mode: &str) {
    let cov_dir = scratch(&format!("sigkill-{mode}")).join("cov");
    let (child, node) = start_run(
        &cov_dir,
        &["--flush-interval", "0.2", "--counters", mode],
        &["loops_forever"],
    );
    // The hung test has spun and a few flushes happened: kill Node hard.
    send("-KILL", node);
    let out = child.wait();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_contains(&stderr, &["killed by a signal", "last flush"]);
    let cov = map(&cov_dir);
    assert!(
        count(&cov, "spin-loop") > 1000,
        "counts up to the last flush survive"
    );
}

#[test]
fn sigterm_stops_the_run_and_keeps_what_ran_v8() {
    sigterm_keeps_what_ran("v8");
}

#[test]
fn sigterm_stops_the_run_and_keeps_what_ran_inject() {
    sigterm_keeps_what_ran("inject");
}

fn sigterm_keeps_what_ran(mode: &str) {
    let cov_dir = scratch(&format!("sigterm-{mode}")).join("cov");
    let (child, _) = start_run(&cov_dir, &["--counters", mode], &["--skip", "exhausts"]);
    send("-TERM", child.id());
    stopped_and_kept(child, &cov_dir);
}

/// Starts wasm-run on wasmtime like [`start_run`]; returns it once its
/// first flush is written, after 1.5 s more for the tests to get going.
fn start_wasmtime_run(
    wasm: &Path,
    cov_dir: &Path,
    options: &[&str],
    test_args: &[&str],
) -> KillOnDrop {
    let _ = std::fs::remove_dir_all(cov_dir);
    let child = KillOnDrop(Some(
        Command::new(tool("wasm-run"))
            .arg("--out")
            .arg(cov_dir)
            .args(["--test-threads", "1", "--engine", "wasmtime"])
            .args(options)
            .arg(wasm)
            .arg("--")
            .args(test_args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    ));
    wait_for("the first flush", Duration::from_secs(60), || {
        cov_dir.join("v8-coverage.json").is_file()
    });
    std::thread::sleep(Duration::from_millis(1500));
    child
}

/// wasmtime runs in wasm-run's own process: killed hard, it leaves the
/// counters of its last flush, those of the test still running included.
#[test]
fn wasm_run_on_wasmtime_killed_with_sigkill_leaves_the_last_flushed_counters() {
    killed_on_wasmtime(&faults_wasm(), "sigkill-wasmtime");
}

/// A component's counters are found while its test still runs.
#[test]
fn wasm_run_on_a_component_killed_with_sigkill_leaves_the_last_flushed_counters() {
    killed_on_wasmtime(&faults_component(), "sigkill-wasip2");
}

fn killed_on_wasmtime(wasm: &Path, name: &str) {
    let cov_dir = scratch(name).join("cov");
    let child = start_wasmtime_run(
        wasm,
        &cov_dir,
        &["--flush-interval", "0.2"],
        &["loops_forever"],
    );
    send("-KILL", child.id());
    let out = child.wait();
    assert_eq!(out.status.code(), None, "killed by a signal");
    let cov = map(&cov_dir);
    assert!(
        count(&cov, "spin-loop") > 1000,
        "counts up to the last flush survive"
    );
}

#[test]
fn sigterm_stops_the_run_on_wasmtime_and_keeps_what_ran() {
    let cov_dir = scratch("sigterm-wasmtime").join("cov");
    let child = start_wasmtime_run(&faults_wasm(), &cov_dir, &[], &["--skip", "exhausts"]);
    send("-TERM", child.id());
    stopped_and_kept(child, &cov_dir);
}

/// A run stopped by SIGTERM: exit 2 saying so, the tests not reached
/// marked not run, and the hung test's counts kept.
fn stopped_and_kept(child: KillOnDrop, cov_dir: &Path) {
    let out = child.wait();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_contains(&stderr, &["stopped"]);
    let rep = report(cov_dir);
    assert!(rep.interrupted);
    assert!(
        rep.tests.iter().any(|t| t.outcome == Outcome::NotRun),
        "{rep:?}"
    );
    let cov = map(cov_dir);
    assert!(count(&cov, "spin-loop") > 1000);
}
