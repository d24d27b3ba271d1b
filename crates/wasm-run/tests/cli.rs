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

/// A module that imports `wasi_snapshot_preview1.fd_write` and exports one
/// function as `_start` (no name section, so auto-detection says libtest).
fn write_wasi_module(path: &Path) {
    let mut m = b"\0asm\x01\0\0\0".to_vec();
    m.extend([1, 4, 1, 0x60, 0, 0]);
    m.extend([2, 35, 1, 22]);
    m.extend(b"wasi_snapshot_preview1");
    m.extend([8]);
    m.extend(b"fd_write");
    m.extend([0, 0]);
    m.extend([3, 2, 1, 0]);
    m.extend([7, 10, 1, 6]);
    m.extend(b"_start");
    m.extend([0, 1]);
    m.extend([10, 4, 1, 2, 0, 0x0b]);
    std::fs::write(path, m).unwrap();
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

#[test]
fn test_name_is_only_for_programs() {
    let dir = tempfile::tempdir().unwrap();
    let wasm = dir.path().join("t.wasm");
    write_wasi_module(&wasm);
    let (code, stderr) = wasm_run(
        dir.path(),
        &["--test-name".as_ref(), "x".as_ref(), wasm.as_os_str()],
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("--test-name is for --harness program") && stderr.contains("libtest"),
        "{stderr}"
    );
}

#[test]
fn a_program_must_be_a_wasip1_binary() {
    let dir = tempfile::tempdir().unwrap();
    let wasm = dir.path().join("empty.wasm");
    std::fs::write(&wasm, b"\0asm\x01\0\0\0").unwrap();
    let (code, stderr) = wasm_run(
        dir.path(),
        &["--harness".as_ref(), "program".as_ref(), wasm.as_os_str()],
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("not a wasm32-wasip1 or wasm32-wasip2 program"),
        "{stderr}"
    );
    assert!(!dir.path().join("coverage").exists());
}
