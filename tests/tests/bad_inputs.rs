//! Bad input gets one clear line naming the file and exit status 2, never a
//! panic, and no output file is left behind.
#![allow(
    clippy::unwrap_used,
    reason = "in a test, a failed unwrap is a failed test"
)]

use std::path::{Path, PathBuf};
use std::process::Command;

use integration_tests::{demo_wasm, root, run, scratch, tool, Ran};

/// Runs `tool args... -o OUT` (or the tool's own output flag) and checks
/// the failure contract; returns the one error line.
fn fails(
    tool_name: &str,
    args: &[&std::ffi::OsStr],
    out: Option<&Path>,
    must_mention: &[&str],
) -> String {
    let mut cmd = Command::new(tool(tool_name));
    cmd.args(args);
    let r: Ran = run(&mut cmd).expect(2);
    let msg = r.stderr.trim_end();
    assert_eq!(
        msg.lines().count(),
        1,
        "error must be one line, got:\n{msg}"
    );
    assert!(msg.starts_with(&format!("{tool_name}: error: ")), "{msg}");
    assert!(!msg.contains("panicked"), "{msg}");
    for m in must_mention {
        assert!(msg.contains(m), "{msg:?} does not mention {m:?}");
    }
    if let Some(out) = out {
        assert!(!out.exists(), "{} was left behind", out.display());
        let dir = out.parent().unwrap();
        let leftovers: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
    }
    msg.to_owned()
}

fn os(p: &Path) -> &std::ffi::OsStr {
    p.as_os_str()
}

fn write(dir: &Path, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

const H: &str = "ab12000000000000000000000000000000000000000000000000000000000000";

/// A valid module with no DWARF at all: (import "e" "f" (func)) and two
/// empty functions.
fn tiny_wasm() -> Vec<u8> {
    let mut m = b"\0asm\x01\0\0\0".to_vec();
    m.extend([1, 4, 1, 0x60, 0, 0]);
    m.extend([2, 7, 1, 1, b'e', 1, b'f', 0, 0]);
    m.extend([3, 3, 2, 0, 0]);
    m.extend([10, 9, 2, 3, 0, 0x01, 0x0b, 3, 0, 0x01, 0x0b]);
    m
}

#[test]
fn extract_rejects_truncated_and_misshapen_json() {
    let dir = scratch("bad-extract");
    let good = std::fs::read(root().join("tests/fixtures/formats/v8-coverage.json")).unwrap();
    let out = dir.join("out.csv");
    let cases: Vec<(&str, Vec<u8>, &[&str])> = vec![
        (
            "truncated.json",
            good[..good.len() / 2].to_vec(),
            &["truncated.json", "EOF", "line 1"],
        ),
        (
            "shape.json",
            br#"{"result": 5}"#.to_vec(),
            &["shape.json", "invalid type"],
        ),
        ("empty.json", Vec::new(), &["empty.json", "EOF"]),
        (
            "js-only.json",
            br#"{"result": []}"#.to_vec(),
            &["no wasm module"],
        ),
    ];
    for (name, bytes, mention) in cases {
        let input = write(&dir, name, bytes);
        fails(
            "v8cov-extract",
            &[os(&input), "-o".as_ref(), os(&out)],
            Some(&out),
            mention,
        );
    }
    let missing = dir.join("missing.json");
    fails("v8cov-extract", &[os(&missing)], None, &["missing.json"]);
}

#[test]
fn mapper_rejects_bad_offsets_rows() {
    let dir = scratch("bad-offsets");
    let wasm = demo_wasm(&[]);
    let out = dir.join("out.info");
    let header = "module,function,start,end,count\n";
    let cases: Vec<(&str, String, &[&str])> = vec![
        (
            "header.csv",
            "mod,fn,start,end,count\n".into(),
            &["header.csv", "line 1", "header"],
        ),
        (
            "negative.csv",
            format!("{header}{H},1,5,9,-1\n"),
            &["negative.csv", "line 2", "count"],
        ),
        (
            "overflow.csv",
            format!("{header}{H},1,5,9,18446744073709551616\n"),
            &["line 2", "count"],
        ),
        (
            "inverted.csv",
            format!("{header}{H},1,9,5,1\n"),
            &["line 2", "start 9 is not below end 5"],
        ),
        (
            "short.csv",
            format!("{header}{H},1,9\n"),
            &["line 2", "3 fields"],
        ),
        ("empty.csv", String::new(), &["empty.csv", "empty"]),
    ];
    for (name, text, mention) in cases {
        let input = write(&dir, name, text);
        fails(
            "wasm-cov-mapper",
            &[
                os(&input),
                "--wasm".as_ref(),
                os(&wasm),
                "-o".as_ref(),
                os(&out),
            ],
            Some(&out),
            mention,
        );
    }
}

#[test]
fn mapper_rejects_modules_that_do_not_fit() {
    let dir = scratch("bad-modules");
    let out = dir.join("out.info");
    let demo = demo_wasm(&[]);
    let demo_hash = wasm_cov_format::sha256_hex(&std::fs::read(&demo).unwrap());
    let header = "module,function,start,end,count\n";

    // A hash that matches no given module is named.
    let other = write(&dir, "other.csv", format!("{header}{H},1,5,9,1\n"));
    fails(
        "wasm-cov-mapper",
        &[
            os(&other),
            "--wasm".as_ref(),
            os(&demo),
            "-o".as_ref(),
            os(&out),
        ],
        Some(&out),
        &[H],
    );
    fails(
        "wasm-cov-mapper",
        &[
            os(&other),
            "--modules".as_ref(),
            os(&dir),
            "-o".as_ref(),
            os(&out),
        ],
        Some(&out),
        &[H],
    );

    // Offsets outside the module's function bodies.
    let outside = write(
        &dir,
        "outside.csv",
        format!("{header}{demo_hash},0,4000000000,4000000010,1\n"),
    );
    fails(
        "wasm-cov-mapper",
        &[
            os(&outside),
            "--wasm".as_ref(),
            os(&demo),
            "-o".as_ref(),
            os(&out),
        ],
        Some(&out),
        &["function 0", "not a function defined"],
    );

    // Not wasm at all.
    let text = write(&dir, "notes.wasm", "hello, I am not wasm");
    let empty = write(&dir, "empty.csv", header);
    fails(
        "wasm-cov-mapper",
        &[
            os(&empty),
            "--wasm".as_ref(),
            os(&text),
            "-o".as_ref(),
            os(&out),
        ],
        Some(&out),
        &["notes.wasm", "not a WebAssembly module"],
    );

    // Corrupt code section: cut the demo module short.
    let bytes = std::fs::read(&demo).unwrap();
    let cut = write(&dir, "cut.wasm", &bytes[..bytes.len() / 3]);
    fails(
        "wasm-cov-mapper",
        &[
            os(&empty),
            "--wasm".as_ref(),
            os(&cut),
            "-o".as_ref(),
            os(&out),
        ],
        Some(&out),
        &["cut.wasm", "at offset"],
    );

    // Valid wasm without DWARF.
    let plain = write(&dir, "plain.wasm", tiny_wasm());
    fails(
        "wasm-cov-mapper",
        &[
            os(&empty),
            "--wasm".as_ref(),
            os(&plain),
            "-o".as_ref(),
            os(&out),
        ],
        Some(&out),
        &["plain.wasm", "-C debuginfo=2"],
    );
}

#[test]
fn wasm_run_rejects_non_wasm_and_non_wasi_modules() {
    let dir = scratch("bad-run");
    let text = write(&dir, "notes.wasm", "hello");
    fails(
        "wasm-run",
        &["--out".as_ref(), os(&dir.join("cov")), os(&text)],
        None,
        &["notes.wasm", "not a WebAssembly module"],
    );
    let plain = write(&dir, "plain.wasm", tiny_wasm());
    fails(
        "wasm-run",
        &["--out".as_ref(), os(&dir.join("cov")), os(&plain)],
        None,
        &["plain.wasm", "wasm32-wasip1"],
    );
    assert!(!dir.join("cov/v8-coverage.json").exists());
}

#[test]
fn cov_report_rejects_bad_lcov() {
    let dir = scratch("bad-lcov");
    let out = dir.join("merged.info");
    let cases: Vec<(&str, &str, &[&str])> = vec![
        (
            "da-first.info",
            "DA:1,1\nSF:a.rs\nend_of_record\n",
            &["da-first.info", "line 1", "DA before SF"],
        ),
        (
            "unended.info",
            "SF:a.rs\nDA:1,1\n",
            &["unended.info", "end_of_record"],
        ),
        (
            "negative.info",
            "SF:a.rs\nDA:1,-4\nend_of_record\n",
            &["line 2"],
        ),
    ];
    for (name, text, mention) in cases {
        let input = write(&dir, name, text);
        fails(
            "cov-report",
            &[os(&input), "--lcov".as_ref(), os(&out)],
            Some(&out),
            mention,
        );
    }
}

#[test]
fn counts_saturate_instead_of_wrapping() {
    let dir = scratch("saturate");
    let a = write(
        &dir,
        "a.info",
        format!("SF:a.rs\nDA:1,{}\nend_of_record\n", u64::MAX),
    );
    let b = write(&dir, "b.info", "SF:a.rs\nDA:1,1\nend_of_record\n");
    let merged = run(Command::new(tool("cov-report"))
        .arg(&a)
        .arg(&b)
        .args(["--quiet", "--lcov", "-"]))
    .expect(0);
    assert!(
        merged.stdout.contains(&format!("DA:1,{}\n", u64::MAX)),
        "{}",
        merged.stdout
    );
}
