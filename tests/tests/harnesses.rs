//! The other ways in: a compat module (`__run_tests`), `--exec` around any
//! command that starts Node, and a wasm-bindgen-test suite run by the real
//! wasm-bindgen-test-runner. Each asserts the exit status, tests.json and
//! line facts after mapping.
#![allow(
    clippy::unwrap_used,
    reason = "in a test, a failed unwrap is a failed test"
)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use integration_tests::{
    assert_contains, example_line, example_wasm, line_count, map_coverage, root, run, scratch,
    test_report as report, tool, Ran,
};
use wasm_cov_format::{Coverage, Outcome, V8Coverage};

/// The coverage flags for wasm32-unknown-unknown, as
/// `scripts/build-wasm-tests.sh` sets them.
const FLAGS: &str = "-C debuginfo=2 -C opt-level=0 -C codegen-units=1 -C link-dead-code";

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}

/// Adds to `cmd`, which runs cargo or ends in it, `SUBCOMMAND` on
/// `examples/KRATE` for wasm32-unknown-unknown, into its `target/wasm-cov`,
/// with the coverage flags and `rustflags` after them (a RUSTFLAGS in the
/// environment would replace them).
fn for_wasm<'a>(
    cmd: &'a mut Command,
    subcommand: &str,
    krate: &str,
    rustflags: &str,
) -> &'a mut Command {
    let dir = root().join("examples").join(krate);
    cmd.args([
        subcommand,
        "--target",
        "wasm32-unknown-unknown",
        "--manifest-path",
    ])
    .arg(dir.join("Cargo.toml"))
    .arg("--target-dir")
    .arg(dir.join("target/wasm-cov"))
    .env_remove("RUSTFLAGS")
    .env(
        "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS",
        format!("{FLAGS} {rustflags}"),
    )
}

/// examples/compat built as a cdylib for wasm32-unknown-unknown.
fn compat_wasm() -> PathBuf {
    static W: OnceLock<PathBuf> = OnceLock::new();
    W.get_or_init(|| {
        let st = for_wasm(
            &mut Command::new(cargo()),
            "build",
            "compat",
            "-C link-arg=--no-gc-sections",
        )
        .arg("--quiet")
        .status()
        .unwrap();
        assert!(st.success());
        root().join("examples/compat/target/wasm-cov/wasm32-unknown-unknown/debug/compat_demo.wasm")
    })
    .clone()
}

/// The wasm-bindgen-test-runner `make setup` installs.
fn bindgen_runner() -> PathBuf {
    let runner = root().join(".tools/bin/wasm-bindgen-test-runner");
    assert!(
        runner.is_file(),
        "{} is missing: `make test` (or `make setup`) installs it",
        runner.display()
    );
    runner
}

fn map(cov_dir: &Path, krate: &str) -> Coverage {
    map_coverage(cov_dir, &root().join("examples").join(krate))
}

fn count(cov: &Coverage, krate: &str, marker: &str) -> u64 {
    line_count(cov, example_line(krate, marker))
}

#[test]
fn compat_modules_are_detected_and_run() {
    let cov_dir = scratch("compat").join("cov");
    let r = run(Command::new(tool("wasm-run"))
        .arg("--out")
        .arg(&cov_dir)
        .arg(compat_wasm()))
    .expect(0);
    assert_contains(&r.stdout, &["test __run_tests ... ok"]);
    let rep = report(&cov_dir);
    assert_eq!(rep.harness, "compat");
    assert_eq!((rep.passed, rep.failed), (1, 0));
    let cov = map(&cov_dir, "compat");
    assert!(count(&cov, "compat", "gcd-step") >= 1);
    assert!(count(&cov, "compat", "gcd-base") >= 1);
    assert_eq!(count(&cov, "compat", "lcm-body"), 0);
    assert_eq!(count(&cov, "compat", "check-failed"), 0);
    assert_eq!(
        cov.files["src/lib.rs"].functions["compat_demo::lcm"].count,
        0
    );
}

#[test]
fn exec_keeps_coverage_of_a_process_that_exits_from_js() {
    let cov_dir = scratch("exec").join("cov");
    let script = root().join("tests/fixtures/exec/run-compat.cjs");
    // `node` here is found on PATH: wasm-run puts its own Node first.
    let r = run(Command::new(tool("wasm-run"))
        .arg("--exec")
        .arg("--out")
        .arg(&cov_dir)
        .args(["--", "node"])
        .arg(&script)
        .arg(compat_wasm()))
    .expect(3);
    assert_contains(&r.stdout, &["test compat::__run_tests ... ok"]);
    let rep = report(&cov_dir);
    assert_eq!(rep.harness, "exec");
    assert_eq!(rep.tests.len(), 1);
    assert_eq!(rep.tests[0].outcome, Outcome::Passed);
    // The JS driver's own coverage lands in the same file, as V8 writes it.
    let doc: V8Coverage =
        serde_json::from_slice(&std::fs::read(cov_dir.join("v8-coverage.json")).unwrap()).unwrap();
    assert!(
        doc.result
            .iter()
            .any(|s| s.wasm.is_none() && s.url.ends_with("run-compat.cjs")),
        "no JS entry for the driver"
    );
    assert_eq!(doc.result.iter().filter(|s| s.wasm.is_some()).count(), 1);
    let cov = map(&cov_dir, "compat");
    assert!(count(&cov, "compat", "gcd-step") >= 1);
    assert_eq!(count(&cov, "compat", "lcm-body"), 0);
}

#[test]
fn exec_needs_a_command() {
    let r = run(Command::new(tool("wasm-run")).arg("--exec")).expect(2);
    assert_contains(&r.stderr, &["--exec needs a command"]);
}

#[test]
fn check_reports_a_working_node() {
    let r = run(Command::new(tool("wasm-run")).arg("--check")).expect(0);
    assert_contains(
        &r.stdout,
        &[
            "version: v26.",
            "--counters inject: works",
            "--counters v8: works",
        ],
    );
}

#[test]
fn check_rejects_the_machines_old_node() {
    // The machine's own Node is v20; a newer one there makes this moot.
    let Some(old) = ["/usr/bin/node", "/usr/local/bin/node"]
        .iter()
        .map(Path::new)
        .find(|p| p.is_file())
    else {
        eprintln!("no system Node to check against; skipped");
        return;
    };
    let version = run(Command::new(old).arg("--version")).stdout;
    let major: u32 = version
        .trim()
        .trim_start_matches('v')
        .split('.')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    if major >= 22 {
        eprintln!("system Node is {version}; nothing to reject");
        return;
    }
    let r = run(Command::new(tool("wasm-run"))
        .arg("--check")
        .arg("--node")
        .arg(old))
    .expect(2);
    assert_contains(
        &r.stderr,
        &[version.trim(), "Node 22 or later is needed", "make setup"],
    );
}

/// examples/bindgen's #[wasm_bindgen_test] suite for wasm32-unknown-unknown.
fn bindgen_wasm() -> PathBuf {
    example_wasm("bindgen")
}

#[test]
fn wasm_bindgen_suites_run_under_the_real_runner() {
    bindgen_runner();
    let wasm = bindgen_wasm();
    assert!(
        wasm.to_string_lossy().contains("wasm32-unknown-unknown"),
        "{}",
        wasm.display()
    );
    let cov_dir = scratch("bindgen").join("cov");
    let r = run(Command::new(tool("wasm-run"))
        .arg("--out")
        .arg(&cov_dir)
        .arg(&wasm))
    .expect(0);
    let rep = report(&cov_dir);
    assert_eq!(rep.harness, "wasm-bindgen");
    assert_eq!(
        (rep.passed, rep.failed),
        (2, 0),
        "{}\n{}",
        r.stdout,
        r.stderr
    );
    // The module that ran is the one wasm-bindgen rewrote, not the input.
    let input_hash = wasm_cov_format::sha256_hex(&std::fs::read(&wasm).unwrap());
    let saved: Vec<_> = std::fs::read_dir(cov_dir.join("modules"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(saved.len(), 1, "{saved:?}");
    assert_ne!(saved[0].to_string_lossy(), format!("{input_hash}.wasm"));
    let cov = map(&cov_dir, "bindgen");
    assert!(count(&cov, "bindgen", "bindgen-doubled") >= 2);
    assert_eq!(count(&cov, "bindgen", "bindgen-too-big"), 0);
    assert_eq!(count(&cov, "bindgen", "bindgen-unused"), 0);
}

#[test]
fn exec_around_cargo_test_with_the_wasm_bindgen_runner() {
    let runner = bindgen_runner();
    let cov_dir = scratch("exec-cargo").join("cov");
    let r = run(for_wasm(
        Command::new(tool("wasm-run"))
            .arg("--exec")
            .arg("--out")
            .arg(&cov_dir)
            .arg("--")
            .arg(cargo())
            .env("CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER", &runner),
        "test",
        "bindgen",
        "",
    ))
    .expect(0);
    let rep = report(&cov_dir);
    assert_eq!(rep.harness, "exec");
    let passed: Vec<_> = rep
        .tests
        .iter()
        .filter(|t| t.outcome == Outcome::Passed)
        .map(|t| t.name.as_str())
        .collect();
    assert!(
        passed.iter().any(|n| n.ends_with("doubles_small_numbers")),
        "{passed:?}\n{}",
        r.stdout
    );
    assert!(
        passed.iter().any(|n| n.ends_with("doubles_zero")),
        "{passed:?}"
    );
    let cov = map(&cov_dir, "bindgen");
    assert!(count(&cov, "bindgen", "bindgen-doubled") >= 2);
    assert_eq!(count(&cov, "bindgen", "bindgen-too-big"), 0);
}

#[test]
fn two_modules_in_one_process_are_told_apart() {
    let cov_dir = scratch("exec-two").join("cov");
    let demo = integration_tests::demo_wasm(&[]);
    run(Command::new(tool("wasm-run"))
        .arg("--exec")
        .arg("--out")
        .arg(&cov_dir)
        .args(["--", "node", "--disable-warning=ExperimentalWarning"])
        .arg(root().join("tests/fixtures/exec/run-two.cjs"))
        .arg(compat_wasm())
        .arg(&demo))
    .expect(0);
    let doc: V8Coverage =
        serde_json::from_slice(&std::fs::read(cov_dir.join("v8-coverage.json")).unwrap()).unwrap();
    let wasm: Vec<_> = doc.result.iter().filter_map(|s| s.wasm.as_ref()).collect();
    assert_eq!(wasm.len(), 2, "one entry per module");
    let demo_hash = wasm_cov_format::sha256_hex(&std::fs::read(&demo).unwrap());
    let compat_hash = wasm_cov_format::sha256_hex(&std::fs::read(compat_wasm()).unwrap());
    let mut hashes: Vec<_> = wasm.iter().map(|w| w.sha256.clone()).collect();
    hashes.sort();
    let mut want = vec![demo_hash, compat_hash];
    want.sort();
    assert_eq!(hashes, want);

    // Mapped together, each module's counts land in its own crate's source.
    let cov = map_coverage(&cov_dir, &root().join("examples"));
    let line_in = |krate: &str, marker: &str| {
        let l = example_line(krate, marker);
        cov.files[&format!("{krate}/src/lib.rs")].lines[&l]
    };
    assert!(line_in("compat", "gcd-step") >= 1);
    assert_eq!(
        line_in("demo", "loop-body"),
        3,
        "only sums_squares ran in the demo"
    );
    assert_eq!(line_in("demo", "negative-branch"), 0);
}

/// `run-two.cjs` on `compat` and `libtest` in one Node process, into
/// `target/it/NAME/cov`: one v8-coverage.json with two wasm entries.
fn run_two(name: &str, compat: &Path, libtest: &Path) -> PathBuf {
    let cov_dir = scratch(name).join("cov");
    run(Command::new(tool("wasm-run"))
        .arg("--exec")
        .arg("--out")
        .arg(&cov_dir)
        .args(["--", "node", "--disable-warning=ExperimentalWarning"])
        .arg(root().join("tests/fixtures/exec/run-two.cjs"))
        .arg(compat)
        .arg(libtest))
    .expect(0);
    cov_dir
}

/// wasm-cov-mapper on the offsets of `cov_dir` and its modules folder,
/// with `args`.
fn mapper_on(cov_dir: &Path, args: &[&std::ffi::OsStr]) -> Ran {
    let offsets = cov_dir.join("offsets.csv");
    integration_tests::extract(cov_dir, &offsets);
    run(Command::new(tool("wasm-cov-mapper"))
        .arg("--modules")
        .arg(cov_dir.join("modules"))
        .arg(&offsets)
        .args(args)
        .arg("--source-root")
        .arg(root().join("examples"))
        .arg("-o")
        .arg(cov_dir.join("lcov.info")))
}

/// A module without DWARF beside one with it, as a component's shim
/// modules run beside its code module: the compat module stripped of its
/// `.debug_*` sections (real rustc output otherwise) and the demo, in one
/// Node process. The demo is mapped, the shim is named in one note, and
/// the run succeeds; with no DWARF in either, it fails in one line.
#[test]
fn a_module_without_dwarf_beside_one_with_it_is_skipped_in_one_line() {
    let dir = scratch("exec-no-dwarf-inputs");
    let shim = dir.join("shim.wasm");
    std::fs::write(
        &shim,
        integration_tests::strip_debug(&std::fs::read(compat_wasm()).unwrap(), &[]),
    )
    .unwrap();
    let shim_hash = wasm_cov_format::sha256_hex(&std::fs::read(&shim).unwrap());
    let demo = integration_tests::demo_wasm(&[]);
    let cov_dir = run_two("exec-no-dwarf", &shim, &demo);

    let ran = mapper_on(&cov_dir, &[]).expect(0);
    let note = |cov_dir: &Path| {
        format!(
            "wasm-cov-mapper: note: skipped 1 module without DWARF (no .debug_line section, no \
             debug file; e.g. a component's shims): {}\n",
            cov_dir.join(format!("modules/{shim_hash}.wasm")).display()
        )
    };
    assert_eq!(ran.stderr, note(&cov_dir));
    let demo_only = |cov_dir: &Path| {
        let cov = integration_tests::read_lcov_file(&cov_dir.join("lcov.info"));
        let line = |marker: &str| cov.files["demo/src/lib.rs"].lines[&example_line("demo", marker)];
        assert_eq!(line("loop-body"), 3, "only sums_squares ran in the demo");
        assert_eq!(line("negative-branch"), 0);
        assert!(
            !cov.files.keys().any(|f| f.starts_with("compat/")),
            "{:?}",
            cov.files.keys()
        );
    };
    demo_only(&cov_dir);

    // Neither module has DWARF: an error, in one line, with the way out.
    let bare = dir.join("demo-stripped.wasm");
    std::fs::write(
        &bare,
        integration_tests::strip_debug(&std::fs::read(&demo).unwrap(), &[]),
    )
    .unwrap();
    let cov_dir = run_two("exec-no-dwarf-at-all", &shim, &bare);
    let ran = mapper_on(&cov_dir, &[]).expect(2);
    assert_eq!(ran.stderr.lines().count(), 1, "{}", ran.stderr);
    assert_contains(
        &ran.stderr,
        &[
            "wasm-cov-mapper: error: none of the 2 modules has DWARF",
            &shim_hash,
            "build with -C debuginfo=2",
        ],
    );
    assert!(!cov_dir.join("lcov.info").exists());

    // The demo's DWARF in a debug file: the demo is mapped through it, and
    // the shim, which that file does not belong to, is skipped all the same.
    let ran = mapper_on(&cov_dir, &["--debug-file".as_ref(), demo.as_os_str()]).expect(0);
    assert_eq!(ran.stderr, note(&cov_dir));
    demo_only(&cov_dir);
}
