//! Runs the built `cov-report` binary on small inputs in a temporary folder.

#![allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]

mod common;

use std::process::{Command, Stdio};

use common::{assert_exit, cov_report, folder, text};

const A_LCOV: &str = "\
TN:
SF:./src/lib.rs
FN:1,demo::f
FNDA:2,demo::f
DA:1,2
DA:2,0
DA:3,0
end_of_record
";

const B_LCOV: &str = "\
SF:src/x/../lib.rs
FN:1,demo::f
FN:7,demo::g
FNDA:1,demo::f
FNDA:0,demo::g
DA:2,5
DA:7,0
end_of_record
SF:/build/proj/src/util.rs
DA:1,1
end_of_record
";

const MAPPED: &str = r#"{"format":"wasm-cov-mapper","version":1,"files":[
  {"path":"src/./lib.rs","lines":[{"line":3,"count":1},{"line":9,"count":0}],
   "functions":[{"name":"demo::h","line":9,"count":0}]}]}"#;

#[test]
fn merges_lcov_inputs_with_different_path_spellings() {
    let dir = folder(&[("a.lcov", A_LCOV), ("b.lcov", B_LCOV)]);
    let out = cov_report(
        dir.path(),
        &[
            "a.lcov",
            "b.lcov",
            "--strip-prefix",
            "/build/proj/",
            "--show-missing",
        ],
    );
    assert_exit(&out, 0);
    assert_eq!(text(&out.stderr), "");
    let want = "\
File         Lines  Line %  Functions   Fn %  Missing
-----------------------------------------------------
src/lib.rs     2/4   50.0%        1/2  50.0%  3-7
src/util.rs    1/1  100.0%        0/0      -
-----------------------------------------------------
TOTAL          3/5   60.0%        1/2  50.0%
";
    assert_eq!(text(&out.stdout), want);
}

#[test]
fn reads_mapper_json_and_writes_merged_lcov() {
    let dir = folder(&[("a.lcov", A_LCOV), ("m.json", MAPPED)]);
    let out = cov_report(
        dir.path(),
        &["a.lcov", "m.json", "--lcov", "merged.lcov", "--quiet"],
    );
    assert_exit(&out, 0);
    assert_eq!(text(&out.stdout), "");
    let lcov = std::fs::read_to_string(dir.path().join("merged.lcov")).unwrap();
    let want = "\
TN:
SF:src/lib.rs
FN:1,demo::f
FN:9,demo::h
FNDA:2,demo::f
FNDA:0,demo::h
FNF:2
FNH:1
DA:1,2
DA:2,0
DA:3,1
DA:9,0
LF:4
LH:2
end_of_record
";
    assert_eq!(lcov, want);
    // Only the output itself: no temporary file left beside it.
    let mut names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["a.lcov", "m.json", "merged.lcov"]);
}

#[test]
fn reads_stdin_when_no_input_is_given() {
    let dir = folder(&[]);
    let mut child = Command::new(env!("CARGO_BIN_EXE_cov-report"))
        .args(["--lcov", "-"])
        .current_dir(dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(MAPPED.as_bytes()).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert_exit(&out, 0);
    // With the LCOV on stdout the table is left out.
    let lcov = text(&out.stdout);
    assert!(lcov.starts_with("TN:\nSF:src/lib.rs\n"), "{lcov}");
    assert!(!lcov.contains("TOTAL"));
}

#[test]
fn bad_input_exits_2_naming_the_file_and_writes_nothing() {
    let dir = folder(&[("good.lcov", A_LCOV), ("coverage.lcov", "TN:\n\nDA:1,1\n")]);
    let out = cov_report(
        dir.path(),
        &["good.lcov", "coverage.lcov", "--lcov", "merged.lcov"],
    );
    assert_exit(&out, 2);
    assert_eq!(text(&out.stdout), "");
    assert_eq!(
        text(&out.stderr),
        "cov-report: error: coverage.lcov: line 3: DA before SF\n"
    );
    assert!(!dir.path().join("merged.lcov").exists());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
}

#[test]
fn other_input_errors_are_one_line_and_exit_2() {
    let dir = folder(&[
        ("v8.json", r#"{"result":[]}"#),
        ("bad.json", r#"{"format":"wasm-cov-mapper","#),
    ]);
    let cases = [
        (&["missing.lcov"][..], "cov-report: error: missing.lcov: "),
        (
            &["v8.json"][..],
            "cov-report: error: v8.json: this is V8 coverage JSON; run v8cov-extract",
        ),
        (
            &["bad.json"][..],
            "cov-report: error: bad.json: EOF while parsing",
        ),
        (
            &["-", "-"][..],
            "cov-report: error: standard input (`-`) is named more than once",
        ),
    ];
    for (args, want) in cases {
        let out = cov_report(dir.path(), args);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.starts_with(want), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
    }
}

#[test]
fn usage_errors_exit_2_and_help_has_an_example() {
    let dir = folder(&[]);
    let out = cov_report(dir.path(), &["--no-such-flag"]);
    assert_exit(&out, 2);
    let out = cov_report(dir.path(), &["--help"]);
    assert_exit(&out, 0);
    assert!(text(&out.stdout).contains("Examples:"));
}

#[test]
fn inputs_without_records_exit_2_naming_them_and_write_nothing() {
    let dir = folder(&[
        ("empty.lcov", ""),
        ("comments.lcov", "# nothing\nTN:\nVER:2.0\n"),
        (
            "none.json",
            r#"{"format":"wasm-cov-mapper","version":1,"files":[]}"#,
        ),
    ]);
    let out = cov_report(
        dir.path(),
        &[
            "empty.lcov",
            "comments.lcov",
            "none.json",
            "--lcov",
            "out.lcov",
            "--html",
            "html",
        ],
    );
    assert_exit(&out, 2);
    assert_eq!(text(&out.stdout), "");
    assert_eq!(
        text(&out.stderr),
        "cov-report: error: no coverage records in empty.lcov, comments.lcov, none.json: \
         nothing ran, or the coverage went elsewhere (--allow-empty accepts an empty report)\n"
    );
    assert!(!dir.path().join("out.lcov").exists() && !dir.path().join("html").exists());

    // Standard input is named as such; a long list is cut short.
    let out = cov_report(dir.path(), &[]);
    assert_exit(&out, 2);
    assert!(text(&out.stderr).contains("no coverage records in <stdin>:"));
    let many: Vec<&str> = std::iter::repeat_n("empty.lcov", 7).collect();
    let out = cov_report(dir.path(), &many);
    assert_exit(&out, 2);
    assert!(text(&out.stderr)
        .contains("in empty.lcov, empty.lcov, empty.lcov, empty.lcov, empty.lcov and 2 more:"));

    // --allow-empty: the empty report, as before.
    let out = cov_report(
        dir.path(),
        &["empty.lcov", "--allow-empty", "--lcov", "out.lcov"],
    );
    assert_exit(&out, 0);
    assert!(text(&out.stdout).contains("TOTAL    0/0"));
    assert_eq!(std::fs::read(dir.path().join("out.lcov")).unwrap(), b"");
}

#[test]
fn filters_that_leave_no_file_exit_2_naming_the_filters() {
    let dir = folder(&[("a.lcov", A_LCOV), ("b.lcov", B_LCOV)]);
    let out = cov_report(
        dir.path(),
        &[
            "a.lcov",
            "b.lcov",
            "--include",
            "^tests/",
            "--exclude",
            "util",
            "--lcov",
            "out.lcov",
        ],
    );
    assert_exit(&out, 2);
    assert_eq!(
        text(&out.stderr),
        "cov-report: error: --include \"^tests/\", --exclude \"util\" left none of the 2 files \
         in the inputs (--allow-empty accepts an empty report)\n"
    );
    assert!(!dir.path().join("out.lcov").exists());
    let out = cov_report(
        dir.path(),
        &["a.lcov", "--exclude", ".", "--allow-empty", "-q"],
    );
    assert_exit(&out, 0);
}

/// `--lcov FIFO` writes into the pipe; it must not rename a file over it
/// (which, for `/dev/null` run as root, replaces the device for everyone).
#[cfg(unix)]
#[test]
fn outputs_to_a_fifo_or_device_are_written_not_replaced() {
    use std::os::unix::fs::FileTypeExt;
    let dir = folder(&[("a.lcov", A_LCOV)]);
    let fifo = dir.path().join("pipe");
    let made = Command::new("mkfifo").arg(&fifo).status();
    if !made.is_ok_and(|s| s.success()) {
        println!("note: mkfifo not available; skipped");
        return;
    }
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
    };
    let out = cov_report(dir.path(), &["a.lcov", "--lcov", "pipe", "-q"]);
    assert_exit(&out, 0);
    // Checked before waiting for the reader, which a replaced pipe would
    // leave blocked for ever.
    assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo());
    let got = reader.join().unwrap();
    assert!(got.starts_with("TN:\nSF:src/lib.rs\n"), "{got}");
}
