//! What the integration tests share: the built binary run in a folder, and
//! folders of small input files.

#![allow(dead_code, reason = "each test file uses its own part of this")]

use std::path::Path;
use std::process::{Command, Output, Stdio};

/// Runs `cov-report args` in `dir`, with no stdin and no
/// `SOURCE_DATE_EPOCH` from the environment.
pub fn cov_report(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cov-report"))
        .args(args)
        .current_dir(dir)
        .env_remove("SOURCE_DATE_EPOCH")
        .stdin(Stdio::null())
        .output()
        .expect("cov-report runs")
}

pub fn text(b: &[u8]) -> String {
    String::from_utf8(b.to_vec()).expect("UTF-8")
}

/// Asserts the exit status; the message shows stderr.
#[track_caller]
pub fn assert_exit(out: &Output, code: i32) {
    assert_eq!(out.status.code(), Some(code), "{}", text(&out.stderr));
}

/// Asserts that stderr holds `needle`.
#[track_caller]
pub fn assert_stderr_has(out: &Output, needle: &str) {
    let err = text(&out.stderr);
    assert!(err.contains(needle), "no {needle:?} in:\n{err}");
}

/// A temporary folder holding `files`, as (relative path, contents).
pub fn folder(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary folder");
    for (name, contents) in files {
        let path = dir.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("a folder for the file");
        }
        std::fs::write(path, contents).expect("the file is written");
    }
    dir
}
