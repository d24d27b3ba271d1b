//! Golden tests of every output format on the fixtures in
//! `tests/fixtures/report/`, plus checks by the tools the formats are for
//! (xmllint against the Cobertura DTD, genhtml on our LCOV) where installed,
//! and the HTML report's safety against hostile file names.
//!
//! Regenerate the goldens with `BLESS=1 cargo test -p cov-report --test
//! report` and review them with `git diff`. HTML page goldens hold a
//! placeholder line for the inlined CSS and script (see [`without_assets`]).

#![allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{assert_exit, assert_stderr_has, cov_report, folder, text};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/report")
}

/// The wasm, native and branch inputs of the `merged` case.
const MERGED: &[&str] = &[
    "inputs/demo-wasm.json",
    "inputs/demo-llvm-cov.lcov",
    "inputs/branches.lcov",
];

/// Every file under `dir`, by relative path.
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                let rel = p
                    .strip_prefix(base)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    if dir.exists() {
        walk(dir, dir, &mut out);
    }
    out
}

/// The stylesheet and script every HTML page inlines, with the placeholder
/// a page golden holds instead of each.
const ASSETS: [(&str, &str, &str, &str); 2] = [
    (
        "<style>\n",
        include_str!("../src/html/style.css"),
        "</style>",
        "/* style.css */\n",
    ),
    (
        "<script>\n",
        include_str!("../src/html/script.js"),
        "</script>",
        "/* script.js */\n",
    ),
];

/// The stylesheet and script only pages with per-test data inline.
const CONTEXT_ASSETS: [&str; 2] = [
    include_str!("../src/html/contexts.css"),
    include_str!("../src/html/contexts.js"),
];

/// An HTML page as its golden holds it: the assets, the same in every page
/// and kept once in `src/html/`, replaced by a placeholder line each.
/// Fails unless the page inlines each asset exactly once and verbatim.
fn without_assets(rel: &str, page: &[u8]) -> Vec<u8> {
    let mut page = text(page);
    // Pages with per-test data add a stylesheet after the shared one and a
    // script after the shared one; each is kept once, in `src/html/`.
    let (style, css) = (ASSETS[0].1, CONTEXT_ASSETS[0]);
    let with_css = format!("{style}{css}</style>");
    if page.contains(&with_css) {
        assert_eq!(page.matches(&with_css).count(), 1, "{rel}: contexts.css");
        page = page.replace(&with_css, &format!("{style}</style><!-- contexts.css -->"));
        let script = format!("<script>\n{}</script>", CONTEXT_ASSETS[1]);
        assert_eq!(page.matches(&script).count(), 1, "{rel}: contexts.js");
        page = page.replace(&script, "<script>\n/* contexts.js */\n</script>");
    }
    for (open, asset, close, placeholder) in ASSETS {
        let inlined = format!("{open}{asset}{close}");
        assert_eq!(
            page.matches(&inlined).count(),
            1,
            "{rel} does not inline {placeholder:?} exactly once, verbatim"
        );
        page = page.replace(&inlined, &format!("{open}{placeholder}{close}"));
    }
    page.into_bytes()
}

#[test]
#[should_panic(expected = "does not inline")]
fn a_page_without_its_assets_verbatim_fails_its_golden() {
    without_assets(
        "x.html",
        b"<style>\n/* old */\n</style>\n<script>\n</script>\n",
    );
}

/// What a run wrote to `dir`, as the goldens hold it.
fn golden_tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = tree(dir);
    for (rel, bytes) in &mut files {
        if rel.ends_with(".html") {
            *bytes = without_assets(rel, bytes);
        }
    }
    files
}

/// Compares what a run wrote to `got` with `expected/<case>/`, or replaces
/// the latter with BLESS=1.
fn golden(case: &str, got: &Path) {
    let want_dir = fixtures().join("expected").join(case);
    let got = golden_tree(got);
    if std::env::var_os("BLESS").is_some() {
        let _ = std::fs::remove_dir_all(&want_dir);
        for (rel, bytes) in got {
            let p = want_dir.join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, bytes).unwrap();
        }
        return;
    }
    let want = tree(&want_dir);
    assert!(!want.is_empty(), "no goldens for {case}: run with BLESS=1");
    assert_eq!(
        want.keys().collect::<Vec<_>>(),
        got.keys().collect::<Vec<_>>(),
        "{case}: the files written differ from the goldens"
    );
    for (rel, bytes) in &want {
        assert!(
            &got[rel] == bytes,
            "{case}/{rel} differs from its golden; rerun with BLESS=1 and review with git diff:\n{}",
            text(&got[rel])
        );
    }
}

/// Runs cov-report in the fixture folder with every output going to a
/// fresh temporary folder, saves stdout/stderr there too, and returns it.
fn run_case(inputs: &[&str], extra: &[&str]) -> (tempfile::TempDir, Output) {
    run_case_in(&fixtures(), inputs, extra)
}

/// [`run_case`] with `cwd` as the working folder.
fn run_case_in(cwd: &Path, inputs: &[&str], extra: &[&str]) -> (tempfile::TempDir, Output) {
    let out = tempfile::tempdir().unwrap();
    let o = |name: &str| out.path().join(name).to_str().unwrap().to_owned();
    let mut args: Vec<String> = inputs.iter().map(|s| (*s).to_owned()).collect();
    for (flag, name) in [
        ("--lcov", "lcov.info"),
        ("--cobertura", "cobertura.xml"),
        ("--json-summary", "summary.json"),
        ("--markdown", "summary.md"),
        ("--html", "html"),
    ] {
        args.push(flag.to_owned());
        args.push(o(name));
    }
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let output = cov_report(cwd, &args);
    std::fs::write(out.path().join("stdout.txt"), &output.stdout).unwrap();
    std::fs::write(out.path().join("stderr.txt"), &output.stderr).unwrap();
    (out, output)
}

#[test]
fn golden_merged_wasm_native_and_branch_data() {
    let (dir, out) = run_case(
        MERGED,
        &["--source-root", "demo", "--show-missing", "--title", "demo"],
    );
    assert_exit(&out, 0);
    golden("merged", dir.path());
}

#[test]
fn golden_per_test_contexts_from_mapper_json_and_lcov_tn() {
    // The same real run of the demo, as the mapper JSON with per-test data
    // and as the per-test LCOV (one TN: section per test).
    let (json, out) = run_case(
        &["inputs/demo-per-test.json"],
        &["--source-root", "demo", "--title", "demo"],
    );
    assert_exit(&out, 0);
    golden("per-test-json", json.path());
    let (lcov, out) = run_case(
        &["inputs/demo-per-test.info"],
        &["--source-root", "demo", "--title", "demo"],
    );
    assert_exit(&out, 0);
    golden("per-test-lcov", lcov.path());

    let read = |d: &tempfile::TempDir, f: &str| std::fs::read_to_string(d.path().join(f)).unwrap();
    // Per test, the lines it ran; the pseudo-test `<no test>` ran none.
    let summary: serde_json::Value = serde_json::from_str(&read(&json, "summary.json")).unwrap();
    let tests: Vec<(String, u64)> = summary["tests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["name"].as_str().unwrap().to_owned(),
                t["lines"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        tests,
        [
            ("<no test>".to_owned(), 0),
            ("tests::classifies_negative_and_positive".to_owned(), 10),
            ("tests::sums_squares".to_owned(), 9)
        ]
    );
    // Sections of one file under different names merge for the totals as
    // before: the union of the lines, counts added.
    let merged = read(&lcov, "lcov.info");
    assert!(
        merged.contains("DA:6,2\n") && merged.contains("LF:19\nLH:19\n"),
        "{merged}"
    );
    // The data is once per file, never a name per line.
    let page = read(&json, "html/files/src_lib.rs.html");
    assert_eq!(page.matches("\"tests::sums_squares\"").count(), 1, "{page}");
    assert!(page.contains(r#"{"t":[[1,"tests::classifies_negative_and_positive"],[2,"tests::sums_squares"]],"s":[[0,0],[1,1]],"l":[6,0,7,0,"#), "{page}");
    // Without per-test data there is no tests page, and a rerun removes one.
    let (plain, _) = run_case(&["inputs/demo-wasm.json"], &["--source-root", "demo"]);
    assert!(!plain.path().join("html/tests.html").exists());
    let out = cov_report(
        &fixtures(),
        &[
            "inputs/demo-wasm.json",
            "--source-root",
            "demo",
            "-q",
            "--html",
            json.path().join("html").to_str().unwrap(),
        ],
    );
    assert_exit(&out, 0);
    assert!(!json.path().join("html/tests.html").exists());
}

#[test]
fn hostile_test_names_stay_text() {
    // Test names are untrusted: they reach a page only as escaped JSON in
    // a data element, or escaped text.
    let dir = tempfile::tempdir().unwrap();
    let lcov = dir.path().join("t.info");
    let evil = "</script><img src=x onerror=alert(1)>\u{2028}'\"&";
    std::fs::write(
        &lcov,
        format!(
            "TN:{evil}\nSF:a.rs\nDA:1,1\nend_of_record\nTN:ok\nSF:a.rs\nDA:2,1\nend_of_record\n"
        ),
    )
    .unwrap();
    let html = dir.path().join("html");
    let out = cov_report(
        dir.path(),
        &[
            lcov.to_str().unwrap(),
            "-q",
            "--html",
            html.to_str().unwrap(),
            "--json-summary",
            dir.path().join("s.json").to_str().unwrap(),
        ],
    );
    assert_exit(&out, 0);
    for page in ["index.html", "tests.html", "files/a.rs.html"] {
        let text = std::fs::read_to_string(html.join(page)).unwrap();
        assert!(!text.contains("<img"), "{page}: {text}");
        assert_eq!(
            text.matches("</script>").count(),
            text.matches("<script").count(),
            "{page}"
        );
    }
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("s.json")).unwrap()).unwrap();
    assert_eq!(summary["tests"][0]["name"], evil);
}

#[test]
fn golden_lcov_from_llvm_cov() {
    let (dir, out) = run_case(&["inputs/demo-llvm-cov.lcov"], &["--source-root", "demo"]);
    assert_exit(&out, 0);
    // The raw export's mangled names come out demangled.
    let lcov = std::fs::read_to_string(dir.path().join("lcov.info")).unwrap();
    assert!(lcov.contains("FN:6,demo::classify\n"), "{lcov}");
    assert!(!lcov.contains("_RNv"), "{lcov}");
    golden("llvm-cov", dir.path());
}

#[test]
fn golden_exclusion_markers() {
    let (dir, out) = run_case(
        &["inputs/markers.lcov"],
        &["--source-root", "markers", "--show-missing"],
    );
    assert_exit(&out, 0);
    let lcov = std::fs::read_to_string(dir.path().join("lcov.info")).unwrap();
    // Excluded: 10-12 (LCOV_EXCL_LINE on 10 and 11: 12 is the closing
    // brace, still counted), 14-18, 22-26; branches of 30 only.
    for gone in [
        "DA:10,",
        "DA:11,",
        "DA:15,",
        "DA:16,",
        "DA:23,",
        "DA:24,",
        "BRDA:30,",
        "BRDA:23,",
        "debug_only",
        "unreachable_helper",
    ] {
        assert!(!lcov.contains(gone), "{gone} should be excluded:\n{lcov}");
    }
    for kept in [
        "DA:5,0",
        "DA:12,0",
        "DA:30,2",
        "BRDA:4,0,0,0",
        "FN:29,markers::branchy",
    ] {
        assert!(lcov.contains(kept), "{kept} should be kept:\n{lcov}");
    }
    assert_eq!(
        text(&out.stderr),
        "cov-report: warning: src/m.rs:33: LCOV_EXCL_STOP without a LCOV_EXCL_START before it; ignored\n"
    );
    golden("markers", dir.path());

    // --no-exclusion-markers keeps everything.
    let out = cov_report(
        &fixtures(),
        &[
            "inputs/markers.lcov",
            "--source-root",
            "markers",
            "--no-exclusion-markers",
            "--lcov",
            "-",
        ],
    );
    assert!(text(&out.stdout).contains("DA:16,0\n"));
    assert_eq!(text(&out.stderr), "");
}

/// The runs the format checks (xmllint, genhtml) look at, each with the
/// fixture folder its sources are in.
fn format_check_runs() -> Vec<((tempfile::TempDir, Output), &'static str)> {
    vec![
        (run_case(MERGED, &["--source-root", "demo"]), "demo"),
        (run_case(&["inputs/demo-llvm-cov.lcov"], &[]), "demo"),
        (
            run_case(&["inputs/markers.lcov"], &["--source-root", "markers"]),
            "markers",
        ),
    ]
}

/// True if `tool` runs; if not, says so and which Debian package has it,
/// so a skipped check is visible.
fn installed(tool: &str, package: &str) -> bool {
    let ok = Command::new(tool).arg("--version").output().is_ok();
    if !ok {
        println!("note: {tool} not installed (Debian: {package}); its check is skipped");
    }
    ok
}

/// `xmllint --valid` and `--dtdvalid` on `file`, offline: the catalog maps
/// the DOCTYPE's address to the DTD in the fixtures.
fn xmllint(file: &Path) -> Output {
    let dir = fixtures();
    Command::new("xmllint")
        .env("XML_CATALOG_FILES", dir.join("catalog.xml"))
        .args(["--noout", "--nonet", "--valid", "--dtdvalid"])
        .arg(dir.join("coverage-04.dtd"))
        .arg(file)
        .output()
        .unwrap()
}

#[test]
fn cobertura_is_valid_against_the_dtd() {
    if !installed("xmllint", "libxml2-utils") {
        return;
    }
    let runs = format_check_runs();
    for ((dir, _), _) in &runs {
        let file = dir.path().join("cobertura.xml");
        let out = xmllint(&file);
        assert!(
            out.status.success() && out.stderr.is_empty(),
            "xmllint rejects {}:\n{}",
            file.display(),
            text(&out.stderr)
        );
    }
    // The check can fail: a class without its required filename does.
    let dir = runs[0].0 .0.path();
    let xml = std::fs::read_to_string(dir.join("cobertura.xml")).unwrap();
    let bad = dir.join("bad.xml");
    std::fs::write(&bad, xml.replace(" filename=\"src/lib.rs\"", "")).unwrap();
    let out = xmllint(&bad);
    assert!(
        !out.status.success(),
        "xmllint accepted an invalid document"
    );
    assert_stderr_has(&out, "filename");
}

/// genhtml on `lcov`, with sources read from `sources`; returns its stderr.
fn genhtml(lcov: &Path, sources: &Path, out: &Path) -> Result<String, String> {
    // Not --quiet: that would hide the warnings this is looking for.
    let o = Command::new("genhtml")
        .args([
            "--branch-coverage",
            "--function-coverage",
            "--output-directory",
        ])
        .arg(out)
        .arg(lcov)
        .current_dir(sources)
        .output()
        .unwrap();
    let err = text(&o.stderr);
    let lower = err.to_lowercase();
    if o.status.success() && !lower.contains("warning") && !lower.contains("error") {
        Ok(err)
    } else {
        Err(err)
    }
}

#[test]
fn genhtml_accepts_our_lcov_without_warnings() {
    if !installed("genhtml", "lcov") {
        return;
    }
    let cases = format_check_runs();
    for ((dir, _), sources) in &cases {
        let html = dir.path().join("genhtml");
        if let Err(e) = genhtml(
            &dir.path().join("lcov.info"),
            &fixtures().join(sources),
            &html,
        ) {
            panic!("genhtml complained about {sources}'s LCOV:\n{e}");
        }
        assert!(html.join("index.html").exists());
    }
    // The check can fail: genhtml does complain about a missing source.
    let dir = &cases[0].0 .0;
    let bad = dir.path().join("bad.lcov");
    std::fs::write(&bad, "TN:\nSF:src/nope.rs\nDA:1,1\nend_of_record\n").unwrap();
    assert!(genhtml(&bad, &fixtures().join("demo"), &dir.path().join("bad")).is_err());
}

#[test]
fn thresholds_exit_1_and_say_by_how_much() {
    let out = cov_report(
        &fixtures(),
        &[
            "inputs/demo-wasm.json",
            "--fail-under-lines",
            "80",
            "--fail-under-functions",
            "70",
            "--fail-under-branches",
            "10",
            "--quiet",
        ],
    );
    assert_exit(&out, 1);
    assert_eq!(text(&out.stdout), "");
    assert_eq!(
        text(&out.stderr),
        "cov-report: lines: 71.42% (20/28) is below --fail-under-lines 80 by 8.58 points; 3 more lines must be covered\n\
         cov-report: branches: no branches in the report to measure, so --fail-under-branches 10 is not met\n"
    );
    let out = cov_report(
        &fixtures(),
        &[
            "inputs/demo-wasm.json",
            "--fail-under-lines",
            "71.4",
            "--fail-under-functions",
            "70",
            "-q",
        ],
    );
    assert_exit(&out, 0);
    assert_eq!(text(&out.stderr), "");
    // A bad bar is a usage error.
    let out = cov_report(
        &fixtures(),
        &["inputs/demo-wasm.json", "--fail-under-lines", "101"],
    );
    assert_exit(&out, 2);
    assert_stderr_has(&out, "not a percentage");
}

#[test]
fn include_and_exclude_filter_paths() {
    let dir = folder(&[(
        "a.lcov",
        "SF:src/a.rs\nDA:1,1\nend_of_record\nSF:src/gen/b.rs\nDA:1,0\nend_of_record\n\
         SF:tests/t.rs\nDA:1,1\nend_of_record\n",
    )]);
    let out = cov_report(
        dir.path(),
        &[
            "a.lcov",
            "--include",
            "^src/",
            "--exclude",
            "/gen/",
            "--lcov",
            "-",
        ],
    );
    assert_exit(&out, 0);
    let lcov = text(&out.stdout);
    assert!(lcov.contains("SF:src/a.rs\n"), "{lcov}");
    assert!(
        !lcov.contains("gen/b.rs") && !lcov.contains("tests/t.rs"),
        "{lcov}"
    );
    let out = cov_report(dir.path(), &["a.lcov", "--exclude", "("]);
    assert_exit(&out, 2);
    let err = text(&out.stderr);
    assert!(
        err.starts_with("cov-report: error: --exclude \"(\": "),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn source_root_merges_absolute_and_relative_spellings() {
    let dir = folder(&[
        ("proj/src/lib.rs", "fn a() {}\n"),
        ("rel.lcov", "SF:src/lib.rs\nDA:1,3\nend_of_record\n"),
    ]);
    let root = dir.path().join("proj");
    let abs = format!("SF:{}/src/lib.rs\nDA:1,2\nend_of_record\n", root.display());
    std::fs::write(dir.path().join("abs.lcov"), abs).unwrap();
    let out = cov_report(
        dir.path(),
        &[
            "abs.lcov",
            "rel.lcov",
            "--source-root",
            "proj",
            "--lcov",
            "-",
        ],
    );
    assert_exit(&out, 0);
    assert_eq!(
        text(&out.stdout),
        "TN:\nSF:src/lib.rs\nFNF:0\nFNH:0\nDA:1,5\nLF:1\nLH:1\nend_of_record\n"
    );
}

#[test]
fn one_output_at_most_on_stdout() {
    let out = cov_report(
        &fixtures(),
        &["inputs/demo-wasm.json", "--lcov", "-", "--markdown", "-"],
    );
    assert_exit(&out, 2);
    assert_eq!(
        text(&out.stderr),
        "cov-report: error: --lcov and --markdown both write to standard output (`-`); give one of them a file\n"
    );
    let out = cov_report(
        &fixtures(),
        &["inputs/demo-wasm.json", "--json-summary", "-"],
    );
    assert_exit(&out, 0);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["totals"]["lines"]["covered"], 20);
    assert_eq!(v["totals"]["lines"]["pct"], 71.43);
}

/// Names a hostile coverage file could hold, each with a line of hostile
/// source where the name allows writing one.
const HOSTILE: &[&str] = &[
    "../../escape.rs",
    "../../../../../../../../tmp/cov-report-escape.rs",
    "/etc/cov-report-abs.rs",
    "C:\\Windows\\evil.rs",
    "C:/Windows/evil2.rs",
    "src/<script>alert(1)</script>.rs",
    "src/\"><img src=x onerror=alert(1)>.rs",
    "src/a'b&c.rs",
    "..",
    ".",
    "con",
    "src/\u{202e}gnp.rs",
];

#[test]
fn html_with_hostile_names_stays_inside_and_escapes_everything() {
    // A real source whose text is markup, and one named like markup.
    let evil_src = "fn f() {} // </td></tr></table><script>alert('src')</script>\n\
                    let s = \"<img src=x onerror=alert(2)>\"; // & &amp; \u{0}\u{1b}[31m\n";
    let work = folder(&[
        ("root/src/evil.rs", evil_src),
        ("root/src/<b>bold.rs", evil_src),
    ]);

    let long = format!("{}x.rs", "verylongdirectoryname/".repeat(400));
    let mut lcov = String::new();
    let mut names: Vec<String> = HOSTILE.iter().map(|s| (*s).to_owned()).collect();
    names.push(long);
    names.push("src/evil.rs".to_owned());
    names.push("src/<b>bold.rs".to_owned());
    for name in &names {
        lcov.push_str(&format!(
            "SF:{name}\nFN:1,<script>alert('fn')</script>\nFNDA:1,<script>alert('fn')</script>\nDA:1,1\nDA:2,0\nend_of_record\n"
        ));
    }
    std::fs::write(work.path().join("hostile.lcov"), &lcov).unwrap();
    // The mapper's JSON can carry what LCOV cannot: a NUL and a newline.
    std::fs::write(
        work.path().join("hostile.json"),
        r#"{"format":"wasm-cov-mapper","version":1,"files":[
            {"path":"src/nul\u0000byte.rs","lines":[{"line":1,"count":1}]},
            {"path":"src/new\nline</title>.rs","lines":[{"line":1,"count":0}]}]}"#,
    )
    .unwrap();

    let html_dir = work.path().join("out/html");
    let out = cov_report(
        work.path(),
        &[
            "hostile.lcov",
            "hostile.json",
            "--source-root",
            "root",
            "--html",
            "out/html",
            "--title",
            "<script>alert('title')</script>",
            "-q",
        ],
    );
    assert_exit(&out, 0);

    // Nothing outside out/html: the work folder holds what it held.
    let mut top: Vec<String> = std::fs::read_dir(work.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    top.sort();
    assert_eq!(top, ["hostile.json", "hostile.lcov", "out", "root"]);
    assert_eq!(
        std::fs::read_dir(work.path().join("out")).unwrap().count(),
        1,
        "only out/html"
    );
    assert!(!Path::new("/tmp/cov-report-escape.rs").exists());
    assert!(!Path::new("/etc/cov-report-abs.html").exists());
    let written = tree(&html_dir);
    // One index, one page per file, all directly in files/, and one per
    // directory, directly in dirs/.
    let in_files = written.keys().filter(|k| k.starts_with("files/")).count();
    assert_eq!(in_files, names.len() + 2, "{:?}", written.keys());
    for rel in written.keys() {
        let plain_in = |folder: &str| {
            rel.strip_prefix(folder)
                .is_some_and(|n| !n.contains('/') && cov_report::is_safe_page_name(n))
        };
        let ok = rel == "index.html" || plain_in("files/") || plain_in("dirs/");
        assert!(ok, "unexpected file {rel:?}");
    }

    // No markup from the data survives unescaped, anywhere.
    for (rel, bytes) in &written {
        let page = text(bytes);
        for bad in [
            "<script>alert",
            "<img src=x",
            "<b>bold",
            "</td></tr></table><script>",
            "\u{0}",
            "\u{1b}",
        ] {
            assert!(!page.contains(bad), "{rel} contains {bad:?}");
        }
        // The only scripts are our own: exactly one per page.
        assert_eq!(page.matches("<script").count(), 1, "{rel}");
        assert_eq!(page.matches("</script>").count(), 1, "{rel}");
    }
    let index = text(&written["index.html"]);
    assert!(index.contains("src/&lt;script&gt;alert(1)&lt;/script&gt;.rs"));
    assert!(index.contains("&lt;script&gt;alert(&#39;title&#39;)&lt;/script&gt;"));
    let evil = written
        .iter()
        .find(|(k, _)| k.starts_with("files/src_evil.rs"))
        .map(|(_, v)| text(v))
        .unwrap();
    assert!(
        evil.contains("// &lt;/td&gt;&lt;/tr&gt;&lt;/table&gt;&lt;script&gt;alert(&#39;src&#39;)")
    );
    assert!(evil.contains("&lt;script&gt;alert(&#39;fn&#39;)&lt;/script&gt;"));

    // A missing source still gets a page, with counts and a note.
    let missing = written
        .iter()
        .find(|(k, _)| k.contains("escape.rs"))
        .map(|(_, v)| text(v))
        .unwrap();
    assert!(missing.contains("was not found"), "{missing}");
    assert!(missing.contains("<tr id=\"L2\" class=\"m\">"), "{missing}");
    assert_stderr_has(&out, "source files not found");
}

#[test]
fn html_rerun_replaces_stale_pages_and_keeps_other_files() {
    let work = folder(&[
        (
            "a.lcov",
            "SF:a.rs\nDA:1,1\nend_of_record\nSF:b.rs\nDA:1,1\nend_of_record\n",
        ),
        ("b.lcov", "SF:a.rs\nDA:1,1\nend_of_record\n"),
        ("out/keep.txt", "mine"),
    ]);
    for input in ["a.lcov", "b.lcov"] {
        let out = cov_report(work.path(), &[input, "--html", "out", "-q"]);
        assert_exit(&out, 0);
    }
    let got: Vec<String> = tree(&work.path().join("out")).into_keys().collect();
    assert_eq!(got, ["files/a.rs.html", "index.html", "keep.txt"]);

    // --html naming a file is an error that names it; nothing changes.
    let out = cov_report(work.path(), &["a.lcov", "--html", "a.lcov"]);
    assert_exit(&out, 2);
    assert_eq!(
        text(&out.stderr),
        "cov-report: error: a.lcov: exists and is not a directory\n"
    );
}

#[test]
fn html_embeds_only_sources_under_the_root() {
    // The secret lives outside the root; the LCOV names it three ways.
    let work = folder(&[
        ("root/src/lib.rs", "fn inside() {}\n"),
        ("secret.txt", "root:x:0:0:topsecretvalue\nsecond\n"),
    ]);
    let secret = work.path().join("secret.txt");
    #[cfg(unix)]
    std::os::unix::fs::symlink(&secret, work.path().join("root/src/link.rs")).unwrap();
    #[cfg(not(unix))]
    std::fs::write(work.path().join("root/src/link.rs"), "not a link\n").unwrap();
    let lcov = format!(
        "SF:src/lib.rs\nDA:1,1\nend_of_record\nSF:{}\nDA:1,3\nDA:2,0\nend_of_record\n\
         SF:../secret.txt\nDA:1,1\nend_of_record\nSF:src/link.rs\nDA:1,1\nend_of_record\n",
        secret.display()
    );
    std::fs::write(work.path().join("in.lcov"), lcov).unwrap();
    let run = |extra: &[&str]| {
        let mut args = vec!["in.lcov", "--source-root", "root", "--html", "html", "-q"];
        args.extend(extra);
        let out = cov_report(work.path(), &args);
        assert_exit(&out, 0);
        let pages = tree(&work.path().join("html"));
        (out, pages)
    };

    let (out, pages) = run(&[]);
    let outside: Vec<_> = pages
        .iter()
        .filter(|(rel, _)| rel.starts_with("files/") && !rel.contains("src_lib.rs"))
        .collect();
    assert_eq!(
        outside.len(),
        if cfg!(unix) { 3 } else { 2 },
        "{:?}",
        pages.keys()
    );
    for (rel, page) in &outside {
        let page = text(page);
        assert!(!page.contains("topsecretvalue"), "{rel} embeds the secret");
        assert!(
            page.contains("is outside <code>--source-root</code>"),
            "{rel}"
        );
        // Counts without text.
        assert!(
            page.contains("<tr id=\"L1\" class=\"h\"><td>1<td>"),
            "{rel}"
        );
    }
    let inside = text(&pages["files/src_lib.rs.html"]);
    assert!(inside.contains("</i> inside() {}") && !inside.contains("is outside"));
    assert_eq!(
        text(&out.stderr),
        format!(
            "cov-report: warning: {} of 4 source files are outside --source-root and were not read \
             (first: ../secret.txt); their HTML pages show counts without text (--allow-sources-outside-root reads them)\n",
            outside.len(),
        )
    );

    // The opt-out reads them all.
    let (out, pages) = run(&["--allow-sources-outside-root"]);
    assert_eq!(text(&out.stderr), "");
    let with_secret = pages
        .values()
        .filter(|p| text(p).contains("topsecretvalue"))
        .count();
    assert_eq!(with_secret, outside.len());
}

/// A real `llvm-cov export` of the fidelity example's native tests (absolute
/// paths, mangled names, one record per instantiation) and the mapper's JSON
/// of its wasm tests: each function once, with both runs' counts.
#[test]
fn golden_native_and_wasm_functions_merge_by_declaration_line() {
    let (dir, out) = run_case(
        &["inputs/fidelity-wasm.json", "inputs/fidelity-llvm-cov.lcov"],
        &[
            "--source-root",
            "fidelity",
            "--strip-prefix",
            "/work/main/examples/fidelity",
            "--title",
            "fidelity, native + wasm",
        ],
    );
    assert_exit(&out, 0);
    let lcov = std::fs::read_to_string(dir.path().join("lcov.info")).unwrap();
    assert_eq!(lcov.matches("SF:").count(), 1, "{lcov}");
    let fns: Vec<&str> = lcov.lines().filter(|l| l.starts_with("FNDA:")).collect();
    // wasm + native: largest::<i32> and ::<f64> natively, one function in
    // the mapper's; Wrapper<u8> and Wrapper<i32> likewise.
    assert_eq!(
        fns,
        [
            "FNDA:0,fidelity::never_called",
            "FNDA:4,fidelity::largest",
            "FNDA:0,fidelity::never_instantiated",
            "FNDA:4,fidelity::Wrapper::widened",
            "FNDA:4,fidelity::double",
            "FNDA:2,fidelity::quadruple",
            "FNDA:2,fidelity::sign",
            "FNDA:4,fidelity::area",
            "FNDA:2,fidelity::tests::generic_with_two_types",
            "FNDA:2,fidelity::tests::inline_and_branches",
        ],
        "{lcov}"
    );
    assert!(lcov.contains("FNF:10\nFNH:8\n"), "{lcov}");
    // The same with the inputs the other way round.
    let out2 = cov_report(
        &fixtures(),
        &[
            "inputs/fidelity-llvm-cov.lcov",
            "inputs/fidelity-wasm.json",
            "--source-root",
            "fidelity",
            "--strip-prefix",
            "/work/main/examples/fidelity",
            "--lcov",
            "-",
        ],
    );
    assert_eq!(text(&out2.stdout), lcov);
    golden("native-wasm", dir.path());
}

/// Runs git in `dir` with no user or system configuration.
fn git(dir: &Path, args: &[&str]) -> Output {
    let out = Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args([
            "-c",
            "commit.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {}", text(&out.stderr));
    out
}

/// Copies the files of `from` into `to`.
fn copy_tree(from: &Path, to: &Path) {
    for (rel, bytes) in tree(from) {
        let p = to.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    }
}

/// A scratch repository holding the patch-demo crate in `crate/`: version
/// 1 committed, version 2 in the work tree. Returns (tempdir, repo, crate).
fn patch_repo() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    let krate = repo.join("crate");
    std::fs::create_dir_all(&krate).unwrap();
    git(&repo, &["init", "-q"]);
    copy_tree(&fixtures().join("patch/v1"), &krate);
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "-m", "v1"]);
    copy_tree(&fixtures().join("patch/v2"), &krate);
    (tmp, repo, krate)
}

/// Patch coverage of a real `git diff` between two versions of a crate,
/// with the real coverage of version 2 (`patch/README.md`).
#[test]
fn golden_patch_coverage_of_a_git_diff() {
    if !installed("git", "git") {
        return;
    }
    let (tmp, _repo, krate) = patch_repo();
    let cov = fixtures().join("patch/v2-wasm.json");
    let cov = cov.to_str().unwrap();
    // Diff paths are relative to the repository's top (`crate/src/lib.rs`),
    // the report's to the crate: the default --diff-root joins them.
    let (dir, out) = run_case_in(
        &krate,
        &[cov],
        &[
            "--source-root",
            ".",
            "--diff-base",
            "HEAD",
            "--show-missing",
            "--title",
            "patch-demo v2",
        ],
    );
    assert_exit(&out, 0);
    // Changed lines of code: 9 11 18 19 20 22 23 24 26 28 40 41 42 (10 is
    // a comment, 21 25 27 braces); of them 9, 11, 20 and 24 never ran.
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("summary.json")).unwrap()).unwrap();
    assert_eq!(
        summary["totals"]["patch"],
        serde_json::json!({"total":13,"covered":9,"pct":69.23,"diff":"git diff HEAD"})
    );
    assert_eq!(
        summary["files"][0]["patch"]["uncovered"],
        serde_json::json!([9, 11, 20, 24])
    );
    let md = std::fs::read_to_string(dir.path().join("summary.md")).unwrap();
    assert!(md.contains("| src/lib.rs | 9, 11, 20, 24 |"), "{md}");
    assert!(
        text(&out.stdout).contains(
            "TOTAL       17/23   73.9%        4/4  100.0%      4/10  40.0%   9/13    69.2%"
        ),
        "{}",
        text(&out.stdout)
    );
    let page = std::fs::read_to_string(dir.path().join("html/files/src_lib.rs.html")).unwrap();
    for row in [
        "<tr id=\"L9\" class=\"m c\">",
        "<tr id=\"L10\" class=\"c\">",
        "<tr id=\"L18\" class=\"h c\">",
    ] {
        assert!(page.contains(row), "{row}");
    }
    assert!(page.contains("<tr id=\"L6\" class=\"m\">"));
    golden("patch", dir.path());

    // Under the bar: exit 1, saying by how much; at it: 0.
    let base = [cov, "--source-root", ".", "--diff-base", "HEAD", "-q"];
    let out = cov_report(&krate, &[&base[..], &["--fail-under-patch", "70"]].concat());
    assert_exit(&out, 1);
    assert_eq!(
        text(&out.stderr),
        "cov-report: patch: 69.23% (9/13) is below --fail-under-patch 70 by 0.77 points; \
         1 more changed line must be covered\n"
    );
    let out = cov_report(
        &krate,
        &[&base[..], &["--fail-under-patch", "69.23"]].concat(),
    );
    assert_exit(&out, 0);

    // The same diff from a file, from outside the repository.
    let diff = git(&krate, &["diff", "HEAD"]).stdout;
    let diff_file = tmp.path().join("change.diff");
    std::fs::write(&diff_file, &diff).unwrap();
    let d = diff_file.to_str().unwrap();
    let out = cov_report(
        tmp.path(),
        &[
            cov,
            "--source-root",
            "repo/crate",
            "--diff",
            d,
            "--diff-root",
            "repo",
            "--json-summary",
            "-",
        ],
    );
    assert_exit(&out, 0);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["totals"]["patch"]["covered"], 9);
    assert_eq!(v["totals"]["patch"]["total"], 13);

    // A wrong --diff-root matches nothing, and says so.
    let out = cov_report(
        tmp.path(),
        &[
            cov,
            "--source-root",
            "repo/crate",
            "--diff",
            d,
            "--diff-root",
            "repo/crate",
            "-q",
        ],
    );
    assert_exit(&out, 0);
    assert_stderr_has(&out, "none of the 1 files it changes is in the report");

    // Errors: one line, exit 2, nothing written.
    for (args, want) in [
        (
            vec![cov, "--diff-base", "no-such-ref", "--lcov", "x.lcov"],
            "cov-report: error: git -C ",
        ),
        (
            vec![cov, "--diff", d, "--diff-base", "HEAD"],
            "cov-report: error: --diff and --diff-base both name the change; give one",
        ),
        (
            vec![cov, "--fail-under-patch", "80"],
            "cov-report: error: --fail-under-patch needs --diff FILE or --diff-base REF",
        ),
    ] {
        let out = cov_report(&krate, &args);
        assert_exit(&out, 2);
        let err = text(&out.stderr);
        assert!(err.starts_with(want), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
    }
    assert!(!krate.join("x.lcov").exists());
    let bad = tmp.path().join("bad.diff");
    std::fs::write(&bad, "+++ b/src/lib.rs\n@@ -1 +x @@\n").unwrap();
    let out = cov_report(&krate, &[cov, "--diff", bad.to_str().unwrap()]);
    assert_exit(&out, 2);
    assert_eq!(
        text(&out.stderr),
        format!(
            "cov-report: error: {}: line 2: \"@@ -1 +x @@\" is not a hunk header (@@ -a,b +c,d @@)\n",
            bad.display()
        )
    );
}

/// Two folders: one page per directory in `dirs/`, linked from the index
/// and from each file page's path; files linked to their neighbours.
#[test]
fn golden_directory_pages() {
    let (dir, out) = run_case(&["inputs/two-dirs.lcov"], &["--source-root", "."]);
    assert_exit(&out, 0);
    let html = dir.path().join("html");
    let pages: Vec<String> = tree(&html).into_keys().collect();
    assert_eq!(
        pages,
        [
            "dirs/demo_src.html",
            "dirs/markers_src.html",
            "files/demo_src_lib.rs.html",
            "files/markers_src_m.rs.html",
            "index.html"
        ]
    );
    let index = std::fs::read_to_string(html.join("index.html")).unwrap();
    assert!(index.contains("<a href=\"dirs/markers_src.html\">markers/src</a>"));
    let m = std::fs::read_to_string(html.join("files/markers_src_m.rs.html")).unwrap();
    assert!(m.contains("<a href=\"../dirs/markers_src.html\">markers/src</a>/"));
    assert!(m.contains("id=\"prevfile\" href=\"demo_src_lib.rs.html\""));
    assert!(!m.contains("id=\"nextfile\""));
    let d = std::fs::read_to_string(html.join("dirs/demo_src.html")).unwrap();
    assert!(d.contains("href=\"../files/demo_src_lib.rs.html\""));
    assert!(!d.contains("markers_src_m.rs"));
    golden("two-dirs", dir.path());

    // A rerun with one folder left removes the directory pages.
    let out = cov_report(
        &fixtures(),
        &[
            "inputs/markers.lcov",
            "--source-root",
            "markers",
            "--html",
            html.to_str().unwrap(),
            "-q",
        ],
    );
    assert_exit(&out, 0);
    assert!(!html.join("dirs").exists());
}
