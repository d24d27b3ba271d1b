//! `cargo wasm-cov` as a user runs it: installed with `cargo install
//! --path`, run as a cargo subcommand in the example projects, checked by
//! line facts (lines found by their `// cov:` markers) in the LCOV it
//! leaves. Builds for wasm and runs under the pinned Node
//! (`node_modules/.bin/node`, from `make setup`).

// Helpers outside #[test] fns too: a failed unwrap here is a failed test.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn cargo() -> PathBuf {
    std::env::var_os("CARGO").map_or_else(|| "cargo".into(), PathBuf::from)
}

/// `cargo install --path crates/cargo-wasm-cov` into a folder under the
/// workspace's target dir, reusing that target dir so nothing already
/// built in release is built again. Returns the install root's bin/.
fn installed() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let target = repo().join("target");
        let root = target.join("cargo-wasm-cov-test");
        let out = Command::new(cargo())
            .args(["install", "--locked", "--force", "--path"])
            .arg(repo().join("crates/cargo-wasm-cov"))
            .arg("--root")
            .arg(&root)
            .arg("--target-dir")
            .arg(&target)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "cargo install failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        root.join("bin")
    })
}

/// `cargo wasm-cov ARGS` in `dir`, with the installed binary first on PATH.
fn wasm_cov(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let bin = installed();
    let path = std::env::join_paths(std::iter::once(bin.to_path_buf()).chain(
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
    ))
    .unwrap();
    let mut cmd = Command::new(cargo());
    cmd.arg("wasm-cov")
        .args(args)
        .current_dir(dir)
        .env("PATH", path)
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("CARGO_TARGET_DIR")
        // Nothing may be installed by these tests: a cache of their own.
        .env("WASM_COV_CACHE", scratch("cache"));
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn scratch(name: &str) -> PathBuf {
    let d = repo().join("target/cargo-wasm-cov-test").join(name);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn ok(out: &Output) -> String {
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        out.status.success(),
        "cargo wasm-cov failed ({}):\nstdout:\n{}\nstderr:\n{err}",
        out.status,
        String::from_utf8_lossy(&out.stdout)
    );
    err
}

/// The line of `// cov: MARKER` in `file`, which must hold it once.
fn marker_line(file: &Path, marker: &str) -> u32 {
    let src = std::fs::read_to_string(file).unwrap();
    let needle = format!("// cov: {marker}");
    let hits: Vec<u32> = src
        .lines()
        .enumerate()
        .filter(|(_, l)| l.trim_end().ends_with(&needle))
        .map(|(i, _)| i as u32 + 1)
        .collect();
    assert_eq!(
        hits.len(),
        1,
        "{needle:?} must appear once in {}",
        file.display()
    );
    hits[0]
}

/// LCOV line counts: file → line → count.
fn lcov(path: &Path) -> BTreeMap<String, BTreeMap<u32, u64>> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut files = BTreeMap::new();
    let mut current = String::new();
    for l in text.lines() {
        if let Some(f) = l.strip_prefix("SF:") {
            current = f.to_owned();
        } else if let Some(da) = l.strip_prefix("DA:") {
            let mut p = da.split(',');
            let line: u32 = p.next().unwrap().parse().unwrap();
            let count: u64 = p.next().unwrap().parse().unwrap();
            files
                .entry(current.clone())
                .or_insert_with(BTreeMap::new)
                .insert(line, count);
        }
    }
    files
}

/// Asserts the count of a marked line: `Some(true)` ran, `Some(false)`
/// instrumented but never ran, `None` not in the report at all.
fn check(
    cov: &BTreeMap<String, BTreeMap<u32, u64>>,
    root: &Path,
    file: &str,
    marker: &str,
    want: Option<bool>,
) {
    let line = marker_line(&root.join(file), marker);
    let got = cov.get(file).and_then(|f| f.get(&line)).map(|c| *c > 0);
    assert_eq!(
        got, want,
        "{file}:{line} ({marker}): Some(true) = ran, Some(false) = never ran, None = absent; files: {:?}",
        cov.keys().collect::<Vec<_>>()
    );
}

#[test]
fn a_workspace_with_a_config_rustflag_members_and_an_integration_test() {
    let ws = repo().join("examples/workspace");
    let out = scratch("workspace");
    let err = ok(&wasm_cov(
        &ws,
        &[
            "--workspace",
            "--no-doc",
            "--output-dir",
            out.to_str().unwrap(),
        ],
        &[],
    ));
    assert!(err.contains("Running 3/3"), "{err}");
    let cov = lcov(&out.join("lcov.info"));
    // Paths are relative to the workspace root; both members are there.
    check(&cov, &ws, "report/src/lib.rs", "describe", Some(true));
    check(&cov, &ws, "shapes/src/lib.rs", "rect-area", Some(true));
    // Only the integration test (shapes/tests/triangle.rs) calls it.
    check(&cov, &ws, "shapes/src/lib.rs", "triangle-area", Some(true));
    check(&cov, &ws, "shapes/src/lib.rs", "never-called", Some(false));
    // Only a doctest calls it, and doctests were left out.
    check(&cov, &ws, "shapes/src/lib.rs", "square-area", Some(false));
    // Feature off: not compiled at all.
    check(&cov, &ws, "shapes/src/lib.rs", "perimeter", None);
    // Every stage's artifacts, as wasm-run writes them.
    let runs: Vec<_> = std::fs::read_dir(out.join("runs")).unwrap().collect();
    assert_eq!(runs.len(), 3);
    for r in runs {
        let r = r.unwrap().path();
        for f in ["v8-coverage.json", "tests.json", "run.log", "modules"] {
            assert!(r.join(f).exists(), "{} lacks {f}", r.display());
        }
    }
    for f in [
        "offsets.csv",
        "coverage.json",
        "lcov.info",
        "per-test.jsonl",
        "lcov-per-test.info",
    ] {
        assert!(out.join(f).is_file(), "no {f}");
    }
    // One LCOV section per test, named with word characters only.
    let per_test = std::fs::read_to_string(out.join("lcov-per-test.info")).unwrap();
    let names: Vec<&str> = per_test
        .lines()
        .filter_map(|l| l.strip_prefix("TN:"))
        .collect();
    assert!(names.len() >= 3, "{names:?}");
    assert!(
        names
            .iter()
            .all(|n| n.chars().all(|c| c.is_alphanumeric() || c == '_')),
        "{names:?}"
    );
}

/// `cargo wasm-cov ARGS --output-dir target/.../NAME` in `dir`, which must
/// succeed; the LCOV's line counts and its text.
fn lcov_of(
    dir: &Path,
    name: &str,
    args: &[&str],
) -> (BTreeMap<String, BTreeMap<u32, u64>>, String) {
    let out = scratch(name);
    let mut all = args.to_vec();
    all.extend(["--output-dir", out.to_str().unwrap()]);
    ok(&wasm_cov(dir, &all, &[]));
    let path = out.join("lcov.info");
    (lcov(&path), std::fs::read_to_string(&path).unwrap())
}

/// A member's numbers are its own. `extra` is on in alpha and off in beta:
/// alone (`-p`) or in the workspace, each member's per-line counts are the
/// same, beta lists none of the code its build compiled out, and alpha's
/// file of trait default methods, which no DWARF names, is listed at 0.
#[test]
fn each_member_counts_the_same_alone_and_in_its_workspace() {
    let ws = repo().join("examples/features");
    let (whole, _) = lcov_of(&ws, "features-ws", &["--workspace"]);
    for member in ["alpha", "beta"] {
        let (alone, _) = lcov_of(&ws, &format!("features-{member}"), &["-p", member]);
        let prefix = format!("{member}/");
        let of = |cov: &BTreeMap<String, BTreeMap<u32, u64>>| {
            cov.iter()
                .filter(|(f, _)| f.starts_with(&prefix))
                .map(|(f, l)| (f.clone(), l.clone()))
                .collect::<BTreeMap<_, _>>()
        };
        assert!(!of(&alone).is_empty(), "{member}: nothing reported");
        assert_eq!(
            of(&alone),
            of(&whole),
            "{member}: alone, then in the workspace"
        );
    }
    check(&whole, &ws, "alpha/src/lib.rs", "alpha extra", Some(true));
    check(
        &whole,
        &ws,
        "alpha/src/lib.rs",
        "alpha extra generic",
        Some(false),
    );
    check(&whole, &ws, "alpha/src/lib.rs", "alpha without extra", None);
    check(&whole, &ws, "alpha/src/more.rs", "alpha more", Some(true));
    check(
        &whole,
        &ws,
        "alpha/src/defaults.rs",
        "alpha describe",
        Some(false),
    );
    check(
        &whole,
        &ws,
        "alpha/src/defaults.rs",
        "alpha shout",
        Some(false),
    );
    check(&whole, &ws, "beta/src/lib.rs", "beta base", Some(true));
    check(
        &whole,
        &ws,
        "beta/src/lib.rs",
        "beta without extra",
        Some(true),
    );
    check(&whole, &ws, "beta/src/lib.rs", "beta extra", None);
    check(&whole, &ws, "beta/src/lib.rs", "beta extra generic", None);
    // A module and a test file compiled out whole.
    assert!(
        !whole.contains_key("beta/src/gated.rs"),
        "{:?}",
        whole.keys()
    );
    assert!(
        !whole.contains_key("beta/tests/extra.rs"),
        "{:?}",
        whole.keys()
    );

    // With the feature on, the same code is there.
    let (on, _) = lcov_of(
        &ws,
        "features-beta-extra",
        &["-p", "beta", "--features", "extra"],
    );
    check(&on, &ws, "beta/src/lib.rs", "beta extra", Some(true));
    check(
        &on,
        &ws,
        "beta/src/lib.rs",
        "beta extra generic",
        Some(false),
    );
    check(&on, &ws, "beta/src/gated.rs", "beta gated", Some(false));
    check(&on, &ws, "beta/src/lib.rs", "beta without extra", None);
}

/// A library's `#[cfg(test)]` code is in its unit-test build only: a
/// report over its integration test alone does not list it.
#[test]
fn cfg_test_code_is_absent_from_a_report_over_builds_without_it() {
    let ws = repo().join("examples/features");
    let (cov, text) = lcov_of(
        &ws,
        "features-integration",
        &["-p", "alpha", "--test", "integration"],
    );
    check(&cov, &ws, "alpha/src/lib.rs", "alpha base", Some(true));
    check(&cov, &ws, "alpha/src/lib.rs", "alpha test helper", None);
    let fns: Vec<&str> = text.lines().filter(|l| l.starts_with("FN:")).collect();
    assert!(
        fns.iter()
            .all(|f| !f.contains("test_helper") && !f.contains("tests::")),
        "{fns:?}"
    );
    // The unit tests' build has it.
    let (unit, _) = lcov_of(&ws, "features-unit", &["-p", "alpha", "--lib"]);
    check(
        &unit,
        &ws,
        "alpha/src/lib.rs",
        "alpha test helper",
        Some(true),
    );
}

#[test]
fn a_feature_run_kept_with_no_report_then_reported_with_a_merged_lcov() {
    let ws = repo().join("examples/workspace");
    let out = scratch("feature");
    let _ = std::fs::remove_dir_all(out.join("runs"));
    let o = out.to_str().unwrap();
    ok(&wasm_cov(
        &ws.join("shapes"),
        &[
            "--features",
            "extra",
            "--no-doc",
            "--no-report",
            "--output-dir",
            o,
        ],
        &[],
    ));
    assert!(out.join("runs").read_dir().unwrap().next().is_some());
    // Another tool's LCOV (say the native tests') merges in: it ran the
    // doctest-only function.
    let native = out.join("native.lcov");
    let square = marker_line(&ws.join("shapes/src/lib.rs"), "square-area");
    std::fs::write(
        &native,
        format!("SF:shapes/src/lib.rs\nDA:{square},1\nend_of_record\n"),
    )
    .unwrap();
    let report = wasm_cov(
        &ws,
        &[
            "report",
            "--output-dir",
            o,
            "--json",
            "--merge",
            native.to_str().unwrap(),
        ],
        &[],
    );
    ok(&report);
    let summary: serde_json::Value = serde_json::from_slice(&report.stdout).unwrap();
    assert!(
        summary.get("totals").is_some() || summary.is_object(),
        "{summary}"
    );
    let cov = lcov(&out.join("lcov.info"));
    check(&cov, &ws, "shapes/src/lib.rs", "perimeter", Some(true));
    check(&cov, &ws, "shapes/src/lib.rs", "square-area", Some(true));
    // `report` was not selected: it is not in this run.
    assert!(!cov.contains_key("report/src/lib.rs"));
}

#[test]
fn package_metadata_gives_defaults_that_flags_override() {
    let ws = repo().join("examples/workspace");
    let out = scratch("metadata");
    let o = out.to_str().unwrap();
    // report/Cargo.toml: ignore-filename-regex = "^shapes/", fail-under-lines = 100.
    ok(&wasm_cov(
        &ws,
        &["-p", "report", "--no-doc", "--output-dir", o],
        &[],
    ));
    let cov = lcov(&out.join("lcov.info"));
    assert_eq!(cov.keys().collect::<Vec<_>>(), ["report/src/lib.rs"]);
    // A flag replaces the regex list: shapes' partly covered lines come
    // back, and the 100% bar from the metadata is missed: exit 1, with the
    // reports still written.
    let _ = std::fs::remove_file(out.join("lcov.info"));
    let r = wasm_cov(
        &ws,
        &[
            "-p",
            "report",
            "--no-doc",
            "--output-dir",
            o,
            "--ignore-filename-regex",
            "^none$",
        ],
        &[],
    );
    assert_eq!(
        r.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&r.stderr)
    );
    let cov = lcov(&out.join("lcov.info"));
    check(&cov, &ws, "shapes/src/lib.rs", "rect-area", Some(true));
}

#[test]
fn a_function_only_a_doctest_calls() {
    let ws = repo().join("examples/workspace");
    let out = scratch("doctest");
    let r = wasm_cov(
        &ws,
        &[
            "-p",
            "shapes",
            "--doc",
            "--output-dir",
            out.to_str().unwrap(),
        ],
        &[],
    );
    ok(&r);
    let cov = lcov(&out.join("lcov.info"));
    check(&cov, &ws, "shapes/src/lib.rs", "square-area", Some(true));
    // --doc runs the doctests only.
    check(&cov, &ws, "shapes/src/lib.rs", "rect-area", Some(false));
    // A doctest build has no cfg(test), and its crate (rustdoc's
    // `rust_out`, whose unit names the documented file) names nothing.
    let text = std::fs::read_to_string(out.join("lcov.info")).unwrap();
    let fns: Vec<&str> = text.lines().filter(|l| l.starts_with("FN:")).collect();
    assert!(
        fns.iter()
            .all(|f| !f.contains("tests::") && !f.contains("rust_out")),
        "{fns:?}"
    );
}

#[test]
fn build_rustflags_are_kept_and_rustflags_are_folded_in() {
    let dir = repo().join("examples/build-rustflags");
    let out = scratch("build-rustflags");
    let o = out.to_str().unwrap();
    ok(&wasm_cov(&dir, &["--output-dir", o, "--no-doc"], &[]));
    let cov = lcov(&out.join("lcov.info"));
    check(&cov, &dir, "src/lib.rs", "answer", Some(true));
    // Exists only under --cfg wasm_cov, which the driver adds.
    check(&cov, &dir, "src/lib.rs", "measured", Some(true));
    check(&cov, &dir, "src/lib.rs", "unused", Some(false));

    // RUSTFLAGS takes the place of the config's flags, as in cargo; it is
    // not refused, and the coverage flags still come after it.
    ok(&wasm_cov(
        &dir,
        &["--output-dir", o, "--no-doc"],
        &[("RUSTFLAGS", "--cfg from_build_rustflags")],
    ));
    let cov = lcov(&out.join("lcov.info"));
    check(&cov, &dir, "src/lib.rs", "measured", Some(true));

    // --lcov with no --output-path: stdout is the LCOV alone; the tests'
    // own output went to stderr.
    let r = wasm_cov(&dir, &["--output-dir", o, "--no-doc", "--lcov"], &[]);
    let err = ok(&r);
    let stdout = String::from_utf8(r.stdout).unwrap();
    assert!(
        stdout.starts_with("TN:") || stdout.starts_with("SF:"),
        "{stdout}"
    );
    assert!(!stdout.contains("test result"), "{stdout}");
    assert!(err.contains("test result: ok"), "{err}");
}

#[test]
fn a_dependency_that_does_not_build_for_wasm_is_named_with_its_chain_and_remedy() {
    let dir = repo().join("examples/build-failure");
    let out = scratch("build-failure");
    let r = wasm_cov(
        &dir,
        &["--no-doc", "--output-dir", out.to_str().unwrap()],
        &[],
    );
    assert_eq!(r.status.code(), Some(2));
    let err = String::from_utf8_lossy(&r.stderr);
    for want in [
        "`native-only@0.1.0` does not compile for wasm32-wasip1",
        "build-failure v0.1.0",
        "[target.'cfg(not(target_family = \"wasm\"))'.dev-dependencies]",
        "the wasm targets need the \"wasm\" feature",
    ] {
        assert!(err.contains(want), "missing {want:?} in:\n{err}");
    }
}

#[test]
fn make_coverage_of_a_wasip1_crate_installs_no_wasm_bindgen() {
    // Dry run with the runner missing: if `make coverage` depended on it,
    // make would plan `cargo install wasm-bindgen-cli`.
    let out = Command::new("make")
        .args([
            "-n",
            "coverage",
            "CRATE=examples/build-rustflags",
            "WBG_RUNNER=target/cargo-wasm-cov-test/no-such-runner",
        ])
        .current_dir(repo())
        .output()
        .unwrap();
    let plan = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{plan}");
    assert!(plan.contains("cargo-wasm-cov"), "{plan}");
    assert!(!plan.contains("wasm-bindgen-cli"), "{plan}");
    // And the driver installed nothing into its cache for the wasip1 runs
    // above (the tests give it a cache of its own).
    let cache = scratch("cache");
    let installed: Vec<_> = std::fs::read_dir(&cache)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("wasm-bindgen"))
        .collect();
    assert!(installed.is_empty(), "{installed:?}");
}

#[test]
fn make_compare_of_a_wasip1_crate_builds_only_the_driver() {
    let out = Command::new("make")
        .args([
            "-n",
            "compare",
            "CRATE=examples/build-rustflags",
            "WBG_RUNNER=target/cargo-wasm-cov-test/no-such-runner",
        ])
        .current_dir(repo())
        .output()
        .unwrap();
    let plan = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{plan}");
    assert!(
        plan.contains("cargo build --release --bin cargo-wasm-cov\n"),
        "{plan}"
    );
    assert!(plan.contains("scripts/compare-llvm.sh"), "{plan}");
    for unwanted in ["wasm-bindgen-cli", "--bin wasm-run", "apt-get"] {
        assert!(!plan.contains(unwanted), "{unwanted:?} in {plan}");
    }
}

/// `browser` asked for (`--browser`) and missing: each browser suite is an
/// error naming what is missing, the run ends with 2, and the Node suite
/// still runs and reports.
fn without_a_browser_the_others_still_report(browser: &str) {
    let dir = repo().join("examples/browser");
    let out = scratch(&format!("no-browser-{browser}"));
    let bin = format!("/nonexistent/{browser}");
    let runner = repo().join(".tools/bin/wasm-bindgen-test-runner");
    let r = wasm_cov(
        &dir,
        &[
            "--output-dir",
            out.to_str().unwrap(),
            "--wasm-bindgen-runner",
            runner.to_str().unwrap(),
            "--browser",
            browser,
        ],
        &[("WASM_RUN_BROWSER_BIN", &bin)],
    );
    let err = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(2), "{err}");
    assert!(
        err.contains(&format!(
            "tests/web.rs (browser-demo): WASM_RUN_BROWSER_BIN={bin}"
        )),
        "{err}"
    );
    assert!(
        err.contains("4 test binaries could not run (see above): tests/service.rs, tests/shared.rs, tests/web.rs, tests/worker.rs"),
        "{err}"
    );
    // Plain #[test]s on wasm32-unknown-unknown cannot run anywhere: said,
    // not failed. The library has no tests at all: that is no warning.
    assert!(
        err.contains("1 test binary ran no test: tests/plain.rs;"),
        "{err}"
    );
    // The Node suite still ran and is in the report.
    let cov = lcov(&out.join("lcov.info"));
    check(&cov, &dir, "src/lib.rs", "browser-node-only", Some(true));
    assert!(out.join("runs").read_dir().unwrap().any(|e| e
        .unwrap()
        .file_name()
        .to_string_lossy()
        .starts_with("node-")));
}

#[test]
fn a_browser_suite_without_chromium_is_an_error_and_the_others_still_report() {
    without_a_browser_the_others_still_report("chrome");
}

#[test]
fn a_browser_suite_without_firefox_is_an_error_and_the_others_still_report() {
    without_a_browser_the_others_still_report("firefox");
}

/// The bad-input case of the issue: a wasm-bindgen suite whose test files
/// a feature turns on (`#![cfg(... feature = "futures")]`, and
/// `required-features`). A default run ran nothing: one line that names
/// the feature and the flag, exit 2, no stage's internal error and no
/// advice about plain #[test]s; with the flag, the suites run and report.
#[test]
fn a_suite_behind_a_feature_names_the_feature_and_its_flag() {
    let dir = repo().join("examples/feature-suite");
    let out = scratch("feature-suite");
    let o = out.to_str().unwrap();
    let runner = repo().join(".tools/bin/wasm-bindgen-test-runner");
    let runner = runner.to_str().unwrap();
    let r = wasm_cov(
        &dir,
        &["--output-dir", o, "--wasm-bindgen-runner", runner],
        &[],
    );
    let err = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(2), "{err}");
    let errors: Vec<&str> = err.lines().filter(|l| l.contains("error")).collect();
    assert_eq!(errors.len(), 1, "{err}");
    for want in [
        "cargo-wasm-cov: error: no test ran: ",
        "tests/web.rs (feature-suite) has no test: its #![cfg] needs feature \"futures\"",
        "tests/required.rs (feature-suite) was not built: it requires feature \"futures\" (required-features)",
        "add --features futures (or --all-features)",
    ] {
        assert!(errors[0].contains(want), "missing {want:?} in:\n{err}");
    }
    for unwanted in ["no wasm module", "plain #[test]s", "ran no test", "wrote"] {
        assert!(!err.contains(unwanted), "{unwanted:?} in:\n{err}");
    }

    let err = ok(&wasm_cov(
        &dir,
        &[
            "--output-dir",
            o,
            "--wasm-bindgen-runner",
            runner,
            "--features",
            "futures",
        ],
        &[],
    ));
    // Nothing compiled out now, and the library's own empty test binary
    // is no warning.
    for unwanted in ["note: tests/", "ran no test", "no test ran"] {
        assert!(!err.contains(unwanted), "{unwanted:?} in:\n{err}");
    }
    let cov = lcov(&out.join("lcov.info"));
    check(&cov, &dir, "src/lib.rs", "feature-halve", Some(true));
    check(&cov, &dir, "src/lib.rs", "feature-is-even", Some(true));
}

/// A test that panics fails on wasm with a trap; the run says once what
/// that means for tests that catch their panic, naming the test.
#[test]
fn a_panicking_test_gets_the_panic_abort_hint_once() {
    let dir = repo().join("examples/demo");
    let out = scratch("panic-hint");
    let r = wasm_cov(
        &dir,
        &[
            "--no-doc",
            "--features",
            "fail-on-purpose",
            "--output-dir",
            out.to_str().unwrap(),
        ],
        &[],
    );
    let err = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(1), "{err}");
    assert_eq!(err.matches("hint: ").count(), 1, "{err}");
    assert!(
        err.contains(
            "cargo-wasm-cov: hint: 1 test panicked on wasm (tests::fails_on_purpose); \
             a panic aborts there (panic=abort)"
        ),
        "{err}"
    );
    assert!(err.contains("`-- --skip tests::fails_on_purpose`"), "{err}");
}

/// Every doctest once, by cargo's own name, in the run folders, the tests
/// page and `lcov-per-test.info`; the lines rustdoc's wrapper rows land on
/// (the top of the documented file) never run; library code the examples
/// call, generic or not, does; a merged edition-2024 binary is split.
#[test]
fn doctests_are_named_as_cargo_names_them_and_their_wrappers_run_no_line() {
    let ws = repo().join("examples/doctests");
    let out = scratch("doctests");
    ok(&wasm_cov(
        &ws,
        &["--doc", "--html", "--output-dir", out.to_str().unwrap()],
        &[],
    ));
    let cov = lcov(&out.join("lcov.info"));
    let lib = "nested/src/lib.rs";
    for i in 1..=11 {
        check(&cov, &ws, lib, &format!("spread-{i}"), Some(false));
    }
    for m in ["double", "larger", "bump"] {
        check(&cov, &ws, lib, m, Some(true));
    }
    check(&cov, &ws, "nested/src/util.rs", "triple", Some(true));
    check(&cov, &ws, "merged/src/lib.rs", "square", Some(true));
    // Its doctest is ignored: never run (the linker may drop it: absent).
    let unrun = marker_line(&ws.join("merged/src/lib.rs"), "unrun");
    assert_ne!(
        cov["merged/src/lib.rs"].get(&unrun).map(|c| *c > 0),
        Some(true)
    );

    // cargo's own names, less the ignored one, which never runs.
    let listed = Command::new(cargo())
        .args(["test", "--doc", "--quiet", "--", "--list"])
        .current_dir(&ws)
        .output()
        .unwrap();
    let mut want: Vec<String> = String::from_utf8_lossy(&listed.stdout)
        .lines()
        .filter_map(|l| l.strip_suffix(": test"))
        .filter(|n| !n.contains("unrun"))
        .map(str::to_owned)
        .collect();
    want.sort();
    assert_eq!(want.len(), 6, "{want:?}");
    let mut got = Vec::new();
    for e in std::fs::read_dir(out.join("runs/doctests")).unwrap() {
        let t: serde_json::Value =
            serde_json::from_slice(&std::fs::read(e.unwrap().path().join("tests.json")).unwrap())
                .unwrap();
        for test in t["tests"].as_array().unwrap() {
            got.push(test["name"].as_str().unwrap().to_owned());
        }
    }
    got.sort();
    assert_eq!(got, want);

    let page = std::fs::read_to_string(out.join("html/tests.html")).unwrap();
    let per_test = std::fs::read_to_string(out.join("lcov-per-test.info")).unwrap();
    let mut sections: Vec<&str> = per_test.lines().filter(|l| l.starts_with("TN:")).collect();
    sections.dedup();
    for name in &want {
        assert_eq!(
            page.matches(name.as_str()).count(),
            1,
            "{name} in tests.html"
        );
        let tn: String = name
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        assert!(
            sections.contains(&format!("TN:{tn}").as_str()),
            "{tn} in {sections:?}"
        );
    }
    // Each run of the merged binary ran its own doctest.
    let negate = marker_line(&ws.join("merged/src/lib.rs"), "negate");
    let square = marker_line(&ws.join("merged/src/lib.rs"), "square");
    let section = |tn: &str| -> Vec<u32> {
        let mut lines = Vec::new();
        let (mut inside, mut file) = (false, "");
        for l in per_test.lines() {
            if let Some(t) = l.strip_prefix("TN:") {
                inside = t == tn;
            } else if let Some(f) = l.strip_prefix("SF:") {
                file = f;
            } else if let Some(da) = l.strip_prefix("DA:") {
                if inside && file == "merged/src/lib.rs" && !da.ends_with(",0") {
                    lines.push(da.split(',').next().unwrap().parse().unwrap());
                }
            }
        }
        lines
    };
    let neg = section("merged_src_lib_rs___negate__line_18_");
    assert!(neg.contains(&negate) && !neg.contains(&square), "{neg:?}");
}

/// A wasm32-wasip2 crate (`build.target` in its .cargo/config.toml): its
/// unit tests, integration test and doctest run as components on wasmtime,
/// each run folder keeps the code module and names its component, what
/// wasip2 compiles out is absent, and the same crate on wasip1 counts every
/// line the two builds share the same.
#[test]
fn a_wasip2_crate_runs_as_components_and_counts_as_on_wasip1() {
    let dir = repo().join("examples/wasip2");
    let (p2, p2_text) = lcov_of(&dir, "wasip2-p2", &[]);
    for (file, marker, want) in [
        ("src/lib.rs", "words", Some(true)),
        ("src/lib.rs", "longest-new-best", Some(true)),
        ("src/lib.rs", "reads-manifest", Some(true)),
        ("src/lib.rs", "p2-only", Some(true)),
        ("src/lib.rs", "p1-only", None),
        ("src/lib.rs", "never-called", Some(false)),
        ("tests/it.rs", "it-words", Some(true)),
    ] {
        check(&p2, &dir, file, marker, want);
    }
    // The doctest alone runs `words` once: unit tests do not call it.
    let words = marker_line(&dir.join("src/lib.rs"), "words");
    assert_eq!(
        p2["src/lib.rs"][&words], 3,
        "doctest, it.rs, reads_its_manifest"
    );

    // Each libtest run: a component, its code module saved and named.
    let runs = scratch("wasip2-p2").join("runs");
    let mut libtest_runs = 0;
    for run in std::fs::read_dir(&runs).unwrap() {
        let run = run.unwrap().path();
        let Ok(text) = std::fs::read_to_string(run.join("tests.json")) else {
            continue;
        };
        let report: serde_json::Value = serde_json::from_str(&text).unwrap();
        let module = report["module"].as_str().unwrap();
        assert_eq!(report["component"]["coreModule"], 0, "{text}");
        assert_eq!(report["component"]["sha256"].as_str().unwrap().len(), 64);
        let saved = std::fs::read(run.join("modules").join(format!("{module}.wasm"))).unwrap();
        assert_eq!(
            &saved[..8],
            b"\0asm\x01\0\0\0",
            "a core module, not the component"
        );
        libtest_runs += 1;
    }
    assert_eq!(
        libtest_runs,
        2,
        "src/lib.rs and tests/it.rs, in {}",
        runs.display()
    );

    // On wasip1 only the cfg-chosen function differs.
    let (p1, p1_text) = lcov_of(&dir, "wasip2-p1", &["--target", "wasm32-wasip1"]);
    check(&p1, &dir, "src/lib.rs", "p1-only", Some(true));
    check(&p1, &dir, "src/lib.rs", "p2-only", None);
    let src = std::fs::read_to_string(dir.join("src/lib.rs")).unwrap();
    let fn_lines = |marker: &str| {
        let at = marker_line(&dir.join("src/lib.rs"), marker);
        [at - 1, at, at + 1]
    };
    let cfg_lines: Vec<u32> = fn_lines("p1-only")
        .into_iter()
        .chain(fn_lines("p2-only"))
        .collect();
    let shared = |text: &str| {
        text.lines()
            .filter(|l| {
                let line = l
                    .strip_prefix("DA:")
                    .or_else(|| l.strip_prefix("FN:"))
                    .and_then(|r| r.split(',').next()?.parse::<u32>().ok());
                !line.is_some_and(|n| cfg_lines.contains(&n))
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert!(src.contains("target_env = \"p2\""));
    assert_eq!(shared(&p2_text), shared(&p1_text));
}

/// The testing chapter's workspace (`examples/plugins`): two plugins, a
/// native host with integration tests. One `cargo wasm-cov --workspace`
/// runs the plugins' unit tests on wasm and the host's tests natively, and
/// reports the plugins' lines from both: what the host tests reach is
/// covered, the function no host test calls is at 0, the plugins'
/// `#[cfg(test)]` code counts only where it ran (their unit test
/// binaries), and the per-test sections name the host tests.
#[test]
fn plugins_under_a_native_host_report_what_the_host_tests_reach() {
    let dir = repo().join("examples/plugins");
    let (cov, _) = lcov_of(&dir, "plugins", &["--workspace"]);
    let title = "plugins/title/src/lib.rs";
    let stats = "plugins/stats/src/lib.rs";
    for (file, marker, want) in [
        // Only the host's tests call the boundary.
        (title, "title-transform", Some(true)),
        (title, "title-name", Some(true)),
        (title, "title-empty", Some(true)),
        (title, "title-gap", Some(true)),
        (stats, "stats-describe", Some(true)),
        (stats, "stats-too-long", Some(true)),
        // No host test sends blank input to stats, or asks its name.
        (stats, "stats-empty", Some(false)),
        (stats, "stats-name", Some(false)),
        (stats, "stats-longest", Some(false)),
        // The unit test ran on wasm.
        (title, "title-unit-test", Some(true)),
    ] {
        check(&cov, &dir, file, marker, want);
    }
    assert!(
        !cov.keys().any(|f| f.starts_with("host/")),
        "the host is native: {:?}",
        cov.keys().collect::<Vec<_>>()
    );
    // The host's tests alone: only what the components hold is listed, so
    // the plugins' #[cfg(test)] code is absent, not uncovered.
    let (host_only, _) = lcov_of(&dir, "plugins-host-only", &["-p", "host"]);
    check(&host_only, &dir, title, "title-unit-test", None);
    check(&host_only, &dir, title, "title-transform", Some(true));
    check(&host_only, &dir, stats, "stats-name", Some(false));

    let out = scratch("plugins");
    let per_test = std::fs::read_to_string(out.join("lcov-per-test.info")).unwrap();
    for test in [
        "title_cases_across_the_boundary",
        "title_rejects_blank_input",
        "stats_counts_words",
        "stats_rejects_long_input",
    ] {
        assert!(
            per_test.lines().any(|l| l == format!("TN:{test}")),
            "no TN:{test} in lcov-per-test.info"
        );
    }
}
