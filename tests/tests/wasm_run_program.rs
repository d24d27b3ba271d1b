//! `wasm-run --harness program`: a plain wasm32-wasip1 program (the shape
//! of a doctest) runs once as one test, its exit status the verdict, with
//! coverage written whether it passes, fails or traps. examples/program
//! decides by its first argument.
#![allow(
    clippy::unwrap_used,
    reason = "in a test, a failed unwrap is a failed test"
)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use integration_tests::{demo_wasm, map_coverage, root, run, scratch, tool, Ran};
use wasm_cov_format::{Outcome, TestReport};

const FLAGS: &str = "-C debuginfo=2 -C opt-level=0 -C codegen-units=1 -C link-dead-code -C link-arg=--no-gc-sections";

/// examples/program built for wasm32-wasip1 with the coverage flags.
fn program_wasm() -> PathBuf {
    static W: OnceLock<PathBuf> = OnceLock::new();
    W.get_or_init(|| {
        let dir = root().join("examples/program");
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let st = Command::new(cargo)
            .args([
                "build",
                "--quiet",
                "--target",
                "wasm32-wasip1",
                "--manifest-path",
            ])
            .arg(dir.join("Cargo.toml"))
            .arg("--target-dir")
            .arg(dir.join("target/wasm-cov"))
            .env_remove("RUSTFLAGS")
            .env_remove("CARGO_ENCODED_RUSTFLAGS")
            .env("CARGO_TARGET_WASM32_WASIP1_RUSTFLAGS", FLAGS)
            .status()
            .unwrap();
        assert!(st.success(), "building examples/program failed");
        dir.join("target/wasm-cov/wasm32-wasip1/debug/program.wasm")
    })
    .clone()
}

/// The line of examples/program/src/main.rs marked `// cov: MARKER`.
fn line(marker: &str) -> u32 {
    let src = std::fs::read_to_string(root().join("examples/program/src/main.rs")).unwrap();
    let needle = format!("// cov: {marker}");
    let i = src.lines().position(|l| l.contains(&needle)).unwrap();
    i as u32 + 1
}

/// Runs wasm-run on the program with `flags`, then `-- args`, into
/// `target/it/NAME/cov`.
fn run_program(name: &str, flags: &[&str], args: &[&str]) -> (Ran, PathBuf) {
    let cov = scratch(name).join("cov");
    let r = run(Command::new(tool("wasm-run"))
        .arg("--out")
        .arg(&cov)
        .args(flags)
        .arg(program_wasm())
        .arg("--")
        .args(args));
    (r, cov)
}

fn report(cov: &Path) -> TestReport {
    TestReport::from_json(&std::fs::read(cov.join("tests.json")).unwrap()).unwrap()
}

/// The count of a marked line after mapping what wasm-run wrote.
fn count(cov: &Path, marker: &str) -> u64 {
    let mapped = map_coverage(cov, &root().join("examples/program"));
    let l = line(marker);
    *mapped.files["src/main.rs"]
        .lines
        .get(&l)
        .unwrap_or_else(|| panic!("line {l} ({marker}) not instrumented"))
}

#[test]
fn a_program_that_exits_0_passes() {
    let (r, cov) = run_program("program-pass", &["--harness", "program"], &["pass"]);
    let r = r.expect(0);
    // Its output is its own: no libtest lines around it.
    assert_eq!(r.stdout, "the program passes\n");
    let rep = report(&cov);
    assert_eq!(rep.harness, "program");
    assert_eq!(rep.tests.len(), 1);
    assert_eq!(rep.tests[0].name, "program");
    assert_eq!(rep.tests[0].outcome, Outcome::Passed);
    assert!(std::fs::read_to_string(cov.join("run.log"))
        .unwrap()
        .contains("the program passes"));
    assert!(count(&cov, "pass-branch") >= 1);
    assert_eq!(count(&cov, "fail-branch"), 0);
    assert_eq!(count(&cov, "never-called"), 0);
}

#[test]
fn a_program_that_exits_1_fails_and_keeps_its_coverage() {
    let name = "src/lib.rs - add (line 5)";
    let (r, cov) = run_program(
        "program-fail",
        &["--harness", "program", "--test-name", name],
        &["no"],
    );
    let r = r.expect(1);
    assert!(r.stderr.contains("the program fails"), "{}", r.stderr);
    let rep = report(&cov);
    assert_eq!(rep.tests.len(), 1);
    assert_eq!(rep.tests[0].name, name);
    assert_eq!(rep.tests[0].outcome, Outcome::Failed);
    let message = rep.tests[0].message.as_deref().unwrap();
    assert!(
        message.contains("the program fails") && message.contains("(exit status 1)"),
        "{message}"
    );
    assert!(count(&cov, "fail-branch") >= 1);
    assert_eq!(count(&cov, "pass-branch"), 0);
}

#[test]
fn a_program_that_traps_fails_and_keeps_its_coverage() {
    let (r, cov) = run_program("program-trap", &["--harness", "program"], &["panic"]);
    r.expect(1);
    let rep = report(&cov);
    assert_eq!(rep.tests[0].outcome, Outcome::Failed);
    let message = rep.tests[0].message.as_deref().unwrap();
    assert!(
        message.contains("the program panics") && message.contains("wasm trap"),
        "{message}"
    );
    assert!(count(&cov, "panic-branch") >= 1);
}

#[test]
fn auto_detection_tells_a_program_from_a_libtest_binary() {
    let (r, cov) = run_program("program-auto", &[], &["pass"]);
    r.expect(0);
    assert_eq!(report(&cov).harness, "program");

    let cov = scratch("program-auto-libtest").join("cov");
    run(Command::new(tool("wasm-run"))
        .arg("--out")
        .arg(&cov)
        .arg(demo_wasm(&[])))
    .expect(0);
    assert_eq!(report(&cov).harness, "libtest");
}

#[test]
fn a_program_runs_whole_in_the_one_shard_its_id_hashes_to() {
    let owner = wasm_cov_format::Partition::hash_shard("program", "", 3);
    let (r, whole) = run_program("program-shard-whole", &["--harness", "program"], &["pass"]);
    r.expect(0);
    let mut covs = Vec::new();
    for m in 1..=3 {
        let spec = format!("slice:{m}/3");
        let (r, cov) = run_program(
            &format!("program-shard-{m}"),
            &["--harness", "program", "--partition", &spec],
            &["pass"],
        );
        let r = r.expect(0);
        let rep = report(&cov);
        if m == owner {
            assert_eq!(rep.tests.len(), 1, "{spec}");
            assert_eq!(r.stdout, "the program passes\n");
        } else {
            assert!(rep.tests.is_empty(), "{spec}");
            assert!(r.stdout.is_empty(), "{spec}: {}", r.stdout);
            assert!(
                r.stderr
                    .contains(&format!("runs whole, in shard {owner} of 3")),
                "{}",
                r.stderr
            );
        }
        let shard = wasm_cov_format::ShardRecord::load(&cov).unwrap().unwrap();
        assert_eq!(
            (shard.shard, shard.whole_suites),
            (m, u64::from(m == owner))
        );
        covs.push(cov);
    }
    let extract = |covs: &[PathBuf]| {
        run(Command::new(tool("v8cov-extract"))
            .args(covs.iter().map(|c| c.join("v8-coverage.json"))))
        .expect(0)
        .stdout
    };
    assert_eq!(extract(&covs), extract(&[whole]));
}
