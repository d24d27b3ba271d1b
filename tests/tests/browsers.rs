//! Browser suites: wasm-bindgen-test binaries configured with
//! `run_in_browser` or `run_in_dedicated_worker`, run by wasm-run in
//! headless Chromium and headless Firefox (which `make setup` installs),
//! next to a Node suite of the same crate (examples/browser). Each asserts
//! exit status, tests.json and line facts after mapping; the injected
//! counters are checked against Chromium's V8 counters.
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
    test_report, tool, wasm_bindgen_suites,
};
use wasm_cov_format::Coverage;
use wasm_cov_format::Outcome;

/// examples/browser's test binaries by target name (`node`, `web`,
/// `worker`, `shared`, `service`, the lib's `browser_demo`), built once per
/// feature list.
fn binaries(features: &str) -> BTreeMap<String, PathBuf> {
    static CACHE: OnceLock<Mutex<BTreeMap<String, BTreeMap<String, PathBuf>>>> = OnceLock::new();
    let mut cache = CACHE
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(b) = cache.get(features) {
        return b.clone();
    }
    let found = wasm_bindgen_suites("browser", &["--features", features]);
    cache.insert(features.to_owned(), found.clone());
    found
}

/// Runs wasm-run on `wasm` into `out`, in `browser` for a browser suite,
/// with `<out>.tmp` as its TMPDIR ([`left_in_tmp`]).
fn wasm_run(wasm: &Path, out: &Path, browser: &str) -> Command {
    let tmp = out.with_extension("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    let mut cmd = Command::new(tool("wasm-run"));
    cmd.env("TMPDIR", &tmp);
    cmd.arg("--out")
        .arg(out)
        .arg("--wasm-bindgen-runner")
        .arg(root().join(".tools/bin/wasm-bindgen-test-runner"))
        .args(["--browser", browser])
        .arg(wasm)
        .env_remove("WASM_RUN_BROWSER")
        .env_remove("WASM_RUN_BROWSER_BIN");
    cmd
}

/// What a run into `out` left in its TMPDIR: nothing, when the runner's
/// page folder, the browser profile and wasm-run's own scratch are gone.
fn left_in_tmp(out: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(out.with_extension("tmp"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect()
}

fn passed(dir: &Path) -> Vec<String> {
    test_report(dir)
        .tests
        .iter()
        .filter(|t| t.outcome == Outcome::Passed)
        .map(|t| t.name.clone())
        .collect()
}

/// Maps the runs in `dirs` (wasm-run output folders) to one LCOV file.
fn map_runs(dir: &Path, dirs: &[PathBuf]) -> Coverage {
    let offsets = dir.join("offsets.csv");
    run(Command::new(tool("v8cov-extract"))
        .args(dirs.iter().map(|d| d.join("v8-coverage.json")))
        .arg("-o")
        .arg(&offsets))
    .expect(0);
    let lcov = dir.join("lcov.info");
    let mut args = Vec::new();
    for d in &dirs[1..] {
        args.push("--modules".to_owned());
        args.push(d.join("modules").display().to_string());
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    map_offsets(
        &dirs[0],
        &offsets,
        &root().join("examples/browser"),
        &args,
        &lcov,
    );
    read_lcov_file(&lcov)
}

/// The Node, page and dedicated-worker suites, the browser ones in
/// `browser`: each passes, and each reaches the lines only it reaches.
fn suites_reach_what_only_they_reach(browser: &str) {
    let bins = binaries("");
    let dir = scratch(&format!("browser-suites-{browser}"));
    for name in ["node", "web", "worker"] {
        let ran = run(&mut wasm_run(&bins[name], &dir.join(name), browser)).expect(0);
        assert_contains(&ran.stdout, &["test result: ok"]);
        assert_eq!(left_in_tmp(&dir.join(name)), Vec::<PathBuf>::new());
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

    // Alone, the Node binary has no code for page_only (wasm-ld dropped
    // it, leaving no line rows): its function and its lines are still
    // there, uncovered.
    let alone_dir = dir.join("node-alone");
    std::fs::create_dir_all(&alone_dir).unwrap();
    let alone = map_runs(&alone_dir, &[dir.join("node")]);
    let page_only = example_line("browser", "browser-page-only");
    assert_eq!(alone.files["src/lib.rs"].lines.get(&page_only), Some(&0));
    assert_eq!(
        alone.files["src/lib.rs"].functions["browser_demo::page_only"].count,
        0
    );

    let cov = map_runs(&dir, &["node", "web", "worker"].map(|n| dir.join(n)));
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

    // wasm-bindgen's glue is no function of the user's, and the attribute
    // lines it sits on are no lines: `never` is missed once, as `never`.
    for (file, attr) in [
        ("src/lib.rs", "#[wasm_bindgen]"),
        ("tests/web.rs", "#[wasm_bindgen_test]"),
    ] {
        let text = std::fs::read_to_string(root().join("examples/browser").join(file)).unwrap();
        let f = &cov.files[file];
        for (i, l) in text.lines().enumerate() {
            if l.trim() == attr {
                assert!(
                    !f.lines.contains_key(&(i as u32 + 1)),
                    "{file}:{} ({attr}) is reported",
                    i + 1
                );
            }
        }
        assert!(
            f.functions
                .keys()
                .all(|n| n.contains("::") && !n.contains("__w")),
            "{file}: {:?}",
            f.functions.keys()
        );
    }
    let never = cov.files["src/lib.rs"].functions["browser_demo::never"];
    assert_eq!(never.count, 0);
}

#[test]
fn chromium_suites_reach_what_only_browsers_reach() {
    suites_reach_what_only_they_reach("chrome");
}

#[test]
fn firefox_suites_reach_what_only_browsers_reach() {
    suites_reach_what_only_they_reach("firefox");
}

/// A failing page test in `browser`: exit 1, the failure shown, the
/// coverage of the module that ran still written.
fn a_failing_test_fails_the_run_and_keeps_coverage(browser: &str) {
    let bins = binaries("fail-on-purpose");
    let dir = scratch(&format!("browser-failing-{browser}"));
    let ran = run(&mut wasm_run(&bins["web"], &dir, browser)).expect(1);
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
    assert_eq!(left_in_tmp(&dir), Vec::<PathBuf>::new());
    assert_eq!(
        std::fs::read_dir(dir.join("modules")).unwrap().count(),
        1,
        "the module that ran is saved"
    );
    // The tests that ran before the failure counted.
    let cov = map_runs(&dir, std::slice::from_ref(&dir));
    assert!(line_count(&cov, example_line("browser", "browser-page-only")) > 0);
}

#[test]
fn a_failing_chromium_test_fails_the_run_and_keeps_coverage() {
    a_failing_test_fails_the_run_and_keeps_coverage("chrome");
}

#[test]
fn a_failing_firefox_test_fails_the_run_and_keeps_coverage() {
    a_failing_test_fails_the_run_and_keeps_coverage("firefox");
}

/// The crate's own lines (`examples/browser/src` and `tests`) and their
/// counts. The rest (libstd, wasm-bindgen-test's harness) legitimately
/// differs from run to run: hash seeds, timings.
fn own_lines(cov: &Coverage) -> BTreeMap<(String, u32), u64> {
    cov.files
        .iter()
        .filter(|(f, _)| f.starts_with("src/") || f.starts_with("tests/"))
        .flat_map(|(f, file)| file.lines.iter().map(|(l, c)| ((f.clone(), *l), *c)))
        .collect()
}

/// Our counters, in Chromium and in Firefox, against V8's own in
/// Chromium: the same lines with the same counts, in the page and in a
/// dedicated, a shared and a service worker.
#[test]
fn injected_counters_in_both_browsers_agree_with_v8s() {
    let bins = binaries("");
    let dir = scratch("browser-counters");
    for suite in ["web", "worker", "shared", "service"] {
        let mut seen = Vec::new();
        for (browser, counters) in [
            ("chrome", "v8"),
            ("chrome", "inject"),
            ("firefox", "inject"),
        ] {
            let out = dir.join(format!("{suite}-{browser}-{counters}"));
            run(wasm_run(&bins[suite], &out, browser).args(["--counters", counters])).expect(0);
            let cov = map_runs(&out, std::slice::from_ref(&out));
            seen.push((format!("{browser} --counters {counters}"), own_lines(&cov)));
        }
        let (v8_name, v8) = &seen[0];
        assert!(
            v8.values().filter(|&&c| c > 0).count() >= 5,
            "{suite}: too few lines run to compare: {v8:?}"
        );
        for (name, lines) in &seen[1..] {
            assert_eq!(lines, v8, "{suite}: {name} against {v8_name}");
        }
    }
}

#[test]
fn a_missing_browser_is_an_error_naming_it() {
    let bins = binaries("");
    let dir = scratch("browser-missing");
    let out = dir.join("web");
    for (browser, bin) in [
        ("chrome", "/nonexistent/chromium"),
        ("firefox", "/nonexistent/firefox"),
    ] {
        let ran =
            run(wasm_run(&bins["web"], &out, browser).env("WASM_RUN_BROWSER_BIN", bin)).expect(2);
        assert_eq!(ran.stderr.lines().count(), 1, "{}", ran.stderr);
        assert_contains(
            &ran.stderr,
            &[
                "wasm-run: error:",
                "browser suite",
                &format!("WASM_RUN_BROWSER_BIN={bin}"),
            ],
        );
        assert!(
            !out.exists(),
            "nothing is written for a suite that cannot run"
        );
    }

    // No browser on PATH at all: the message says how to get one.
    for (browser, says) in [
        ("chrome", ["no Chromium found", "apt-get install chromium"]),
        (
            "firefox",
            ["no Firefox found", "apt-get install firefox-esr"],
        ),
    ] {
        let ran = run(wasm_run(&bins["web"], &out, browser).env("PATH", "/nonexistent")).expect(2);
        assert_contains(&ran.stderr, &says);
    }

    // A binary that is no browser: an error saying so, no more.
    for browser in ["chrome", "firefox"] {
        let ran = run(wasm_run(&bins["web"], &dir.join("not-a-browser"), browser)
            .env("WASM_RUN_BROWSER_BIN", "/bin/true"))
        .expect(2);
        assert_contains(
            &ran.stderr,
            &["wasm-run: error: the browser /bin/true ended (status 0) before it listened"],
        );
        assert!(!ran.stderr.contains("warning"), "{}", ran.stderr);
    }

    // The Node suite of the same crate needs no browser.
    run(wasm_run(&bins["node"], &dir.join("node"), "firefox")
        .env("WASM_RUN_BROWSER_BIN", "/nonexistent"))
    .expect(0);

    // Firefox has no V8 counters: said plainly, before anything runs.
    let ran = run(wasm_run(&bins["web"], &out, "firefox").args(["--counters", "v8"])).expect(2);
    assert_contains(
        &ran.stderr,
        &["--counters v8 needs Chromium", "--counters inject"],
    );
    assert!(!out.exists());
}
