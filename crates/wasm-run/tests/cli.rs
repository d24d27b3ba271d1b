//! The binary's edge, on inputs that fail before Node is needed: every
//! error is one line on stderr and exit status 2.
#![allow(
    clippy::unwrap_used,
    reason = "in a test, a failed unwrap is a failed test"
)]

use std::path::Path;
use std::process::Command;

/// Runs wasm-run in `dir`, so nothing it might write lands elsewhere.
fn wasm_run(dir: &Path, args: &[&std::ffi::OsStr]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_wasm-run"))
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn an_error_with_a_line_break_prints_as_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let wasm = dir.path().join("two\nlines.wasm");
    let (code, stderr) = wasm_run(dir.path(), &[wasm.as_os_str()]);
    assert_eq!(code, 2, "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("wasm-run: error: cannot read "),
        "{stderr}"
    );
    assert!(stderr.contains("two lines.wasm"), "{stderr}");
}
