//! The whole chain on real wasm: the demo crate is built by the current
//! rustc for wasm32-wasip1, run under the pinned Node with V8's counters,
//! and mapped through its real DWARF. Assertions are line facts, not bytes.
#![allow(
    clippy::unwrap_used,
    reason = "in a test, a failed unwrap is a failed test"
)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use integration_tests::{
    assert_contains, demo_line, demo_line_of, demo_wasm, extract, line_count, map_offsets,
    read_lcov_file, root, run, scratch, tool, Ran,
};
use wasm_cov_format::{Coverage, FileCoverage, MappedCoverage};

struct Pipeline {
    dir: PathBuf,
    run: Ran,
    lcov: Coverage,
}

/// wasm-run -> v8cov-extract -> wasm-cov-mapper (LCOV and JSON), in `dir`.
fn pipeline(name: &str, cargo_args: &[&str], test_args: &[&str], want_status: i32) -> Pipeline {
    let wasm = demo_wasm(cargo_args);
    let dir = scratch(name);
    let out = dir.join("cov");
    let run_out = run(Command::new(tool("wasm-run"))
        .arg("--out")
        .arg(&out)
        .arg(&wasm)
        .arg("--")
        .args(test_args))
    .expect(want_status);
    let offsets = dir.join("offsets.csv");
    extract(&out, &offsets);
    let demo = root().join("examples/demo");
    for (format, file) in [("lcov", "lcov.info"), ("json", "coverage.json")] {
        map_offsets(
            &out,
            &offsets,
            &demo,
            &["--format", format],
            &dir.join(file),
        );
    }
    let lcov = read_lcov_file(&dir.join("lcov.info"));
    Pipeline {
        dir,
        run: run_out,
        lcov,
    }
}

fn passing() -> &'static Pipeline {
    static P: OnceLock<Pipeline> = OnceLock::new();
    P.get_or_init(|| pipeline("passing", &[], &[], 0))
}

fn lib_rs(cov: &Coverage) -> &FileCoverage {
    cov.files
        .get("src/lib.rs")
        .unwrap_or_else(|| panic!("no src/lib.rs in {:?}", cov.files.keys()))
}

fn count(cov: &Coverage, line: u32) -> u64 {
    line_count(cov, line)
}

#[test]
fn libtest_results_are_reported_like_libtest() {
    assert_contains(
        &passing().run.stdout,
        &[
            "test tests::classifies_negative_and_positive ... ok",
            "test tests::ignored_test ... ignored",
            "test result: ok. 2 passed; 0 failed; 1 ignored;",
        ],
    );
}

#[test]
fn untaken_branch_and_uncalled_function_count_zero() {
    let cov = &passing().lcov;
    assert_eq!(count(cov, demo_line("zero-branch")), 0);
    assert_eq!(count(cov, demo_line("never-called-body")), 0);
    let f = &lib_rs(cov).functions;
    assert_eq!(f["demo::never_called"].count, 0);
    assert_eq!(
        f["demo::never_called"].line,
        demo_line_of("pub fn never_called")
    );
}

#[test]
fn taken_lines_count_their_executions() {
    let cov = &passing().lcov;
    assert_eq!(count(cov, demo_line("negative-branch")), 1);
    assert_eq!(count(cov, demo_line("positive-branch")), 1);
    // sum_of_squares(&[1, 2, 3]) runs the loop body three times.
    assert_eq!(count(cov, demo_line("loop-body")), 3);
    let f = &lib_rs(cov).functions;
    assert_eq!(f["demo::classify"].count, 2);
    assert_eq!(f["demo::sum_of_squares"].count, 1);
}

#[test]
fn std_and_dependencies_are_left_out_by_default() {
    let cov = &passing().lcov;
    assert_eq!(cov.files.keys().collect::<Vec<_>>(), ["src/lib.rs"]);
}

#[test]
fn json_and_lcov_say_the_same() {
    let p = passing();
    let json = std::fs::read(p.dir.join("coverage.json")).unwrap();
    let doc = MappedCoverage::from_json(&json).unwrap();
    assert_eq!(doc.to_coverage(), p.lcov);
}

/// Copies `from` into `to` recursively (an "archive" of the artifacts).
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let dest = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &dest);
        } else {
            std::fs::copy(entry.path(), dest).unwrap();
        }
    }
}

#[test]
fn each_stage_replays_from_saved_artifacts() {
    let p = passing();
    // Archive what wasm-run wrote, then rebuild everything from the archive
    // alone, each stage on its own, through pipes where the tools allow it.
    let archive = scratch("replay");
    copy_tree(&p.dir.join("cov"), &archive.join("saved"));
    let extract =
        run(Command::new(tool("v8cov-extract")).arg(archive.join("saved/v8-coverage.json")))
            .expect(0);
    assert_eq!(
        extract.stdout,
        std::fs::read_to_string(p.dir.join("offsets.csv")).unwrap()
    );
    std::fs::write(archive.join("offsets.csv"), &extract.stdout).unwrap();
    let mapped = run(Command::new(tool("wasm-cov-mapper"))
        .arg("--modules")
        .arg(archive.join("saved/modules"))
        .arg(archive.join("offsets.csv"))
        .arg("--source-root")
        .arg(root().join("examples/demo")))
    .expect(0);
    assert_eq!(
        mapped.stdout,
        std::fs::read_to_string(p.dir.join("lcov.info")).unwrap()
    );
    let json_path = p.dir.join("coverage.json");
    let report = run(Command::new(tool("cov-report"))
        .arg(&json_path)
        .arg("--lcov")
        .arg(archive.join("merged.info")))
    .expect(0);
    assert_eq!(read_lcov_file(&archive.join("merged.info")), p.lcov);
    let zero = demo_line("zero-branch").to_string();
    assert_contains(&report.stdout, &["src/lib.rs", "TOTAL"]);
    let with_missing = run(Command::new(tool("cov-report"))
        .arg(&json_path)
        .arg("--show-missing"))
    .expect(0);
    let row = with_missing
        .stdout
        .lines()
        .find(|l| l.starts_with("src/lib.rs"))
        .unwrap();
    assert!(
        row.split_whitespace()
            .any(|w| w.trim_end_matches(',') == zero),
        "{row}"
    );
}

#[test]
fn a_failing_test_fails_alone_and_coverage_is_kept() {
    let p = pipeline("failing", &["--features=fail-on-purpose"], &[], 1);
    assert_contains(
        &p.run.stdout,
        &[
            "test tests::fails_on_purpose ... FAILED",
            "test tests::sums_squares ... ok",
            "---- tests::fails_on_purpose stdout ----",
            // The panic message and the test's own output reach the user.
            "fails on purpose",
            "about to fail",
            "test result: FAILED. 2 passed; 1 failed; 1 ignored;",
        ],
    );
    assert!(count(&p.lcov, demo_line("failing-assert")) >= 1);
    assert_eq!(
        count(&p.lcov, demo_line("loop-body")),
        3 + 1,
        "the failing test also sums [2]"
    );
}

#[test]
fn libtest_filters_select_tests() {
    let p = pipeline("filtered", &[], &["sums"], 0);
    let out = &p.run.stdout;
    assert_contains(
        out,
        &[
            "test tests::sums_squares ... ok",
            "1 passed; 0 failed; 0 ignored; 0 measured; 2 filtered out",
        ],
    );
    assert!(!out.contains("classifies"), "{out}");
    // classify never ran in this run.
    assert_eq!(count(&p.lcov, demo_line("negative-branch")), 0);
}

#[test]
fn list_is_passed_through_to_libtest() {
    let wasm = demo_wasm(&[]);
    let dir = scratch("list");
    let r = run(Command::new(tool("wasm-run"))
        .arg("--out")
        .arg(&dir)
        .arg(&wasm)
        .args(["--", "--list"]))
    .expect(0);
    assert_contains(&r.stdout, &["tests::sums_squares: test"]);
}

#[test]
fn wasm_run_refuses_a_node_that_cannot_count_wasm() {
    let dir = scratch("old-node");
    // Stands in for Node 24: it knows --version and rejects the V8 flag as
    // real old Nodes do ("bad option", status 9).
    let fake = dir.join("node");
    std::fs::write(
        &fake,
        "#!/bin/sh\nif [ \"$1\" = --version ]; then echo v24.1.0; exit 0; fi\necho \"$0: bad option: $1\" >&2; exit 9\n",
    )
    .unwrap();
    let mut perms = std::fs::metadata(&fake).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(&fake, perms).unwrap();
    for (mode, needs) in [("v8", "Node >= 25"), ("inject", "Node 22 or later")] {
        let r = run(Command::new(tool("wasm-run"))
            .arg("--node")
            .arg(&fake)
            .args(["--counters", mode])
            .arg("--out")
            .arg(dir.join("cov"))
            .arg(demo_wasm(&[])))
        .expect(2);
        let msg = r.stderr.trim();
        assert_eq!(msg.lines().count(), 1, "{msg}");
        assert_contains(msg, &[&fake.display().to_string(), "v24.1.0", needs]);
        assert!(!dir.join("cov").exists());
    }
}

#[test]
fn a_reader_that_stops_early_is_no_error() {
    // `v8cov-extract ... | head -1`: the tool sees a closed pipe mid-write.
    let p = passing();
    let mut child = Command::new(tool("v8cov-extract"))
        .arg(p.dir.join("cov/v8-coverage.json"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 16];
    std::io::Read::read_exact(child.stdout.as_mut().unwrap(), &mut first).unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The note on blocks without a line-table row (wasi-libc and the compiler
/// builtins: about 6% of the demo's blocks) is noise in an ordinary run:
/// printed with -v only.
#[test]
fn the_unmapped_blocks_note_is_for_verbose_runs() {
    let p = passing();
    let mapper = |extra: &[&str]| {
        run(Command::new(tool("wasm-cov-mapper"))
            .arg("--modules")
            .arg(p.dir.join("cov/modules"))
            .arg(p.dir.join("offsets.csv"))
            .args(extra)
            .arg("-o")
            .arg(p.dir.join("quiet.info")))
        .expect(0)
    };
    let quiet = mapper(&[]);
    assert!(!quiet.stderr.contains("line-table row"), "{}", quiet.stderr);
    let verbose = mapper(&["-v"]);
    assert_contains(
        &verbose.stderr,
        &["wasm-cov-mapper: note: ", "map to no line-table row"],
    );
}
