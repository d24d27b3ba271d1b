//! The equality test: for real rustc output (the example crates' libtest
//! binaries), the offsets CSV from V8's own counters (wasm-run with one test
//! thread, then v8cov-extract) and the one from our counters (the
//! instrumented module run in the same instances by
//! `tests/js/run-instrumented.cjs`) must be byte-identical: the same blocks
//! and the same counts.
//!
//! Needs the pinned Node (`node_modules/.bin/node`); skips with a message
//! without it. Builds wasm-run and v8cov-extract with the cargo that runs
//! the test, and the examples with `scripts/build-wasm-tests.sh`. The
//! outputs are kept under `target/it/instrument-equality/` for inspection.
#![allow(clippy::unwrap_used, reason = "tests: a panic is a failed test")]

mod common;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use wasm_cov_instrument::{instrument, Options};

fn build_tools() -> PathBuf {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    common::run(
        Command::new(cargo)
            .current_dir(common::workspace())
            .args(["build", "--quiet", "--bins", "-p", "wasm-run", "-p"])
            .arg("v8cov-extract"),
    );
    std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| common::workspace().join("target"), PathBuf::from)
        .join("debug")
}

fn build_example(name: &str) -> PathBuf {
    let root = common::workspace();
    let out = common::run(
        Command::new(root.join("scripts/build-wasm-tests.sh"))
            .arg(root.join("examples").join(name))
            .env_remove("RUSTFLAGS")
            .env_remove("CARGO_ENCODED_RUSTFLAGS"),
    );
    PathBuf::from(out.lines().next().expect("a test binary was built"))
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// What wasm-run gives the tests (see its `preopens`): the crate folder as
/// `.` and as itself, and the temp folder.
fn preopens(crate_dir: &Path) -> BTreeMap<String, String> {
    let c = crate_dir.to_string_lossy().into_owned();
    let t = std::env::temp_dir().to_string_lossy().into_owned();
    BTreeMap::from([(".".into(), c.clone()), (c.clone(), c), (t.clone(), t)])
}

/// Returns `None` when the CSVs are equal, else a report. `example` names
/// the scratch folder and the report.
fn compare(
    node: &Path,
    tools: &Path,
    example: &str,
    wasm_path: &Path,
    crate_dir: &Path,
) -> Option<String> {
    let root = common::workspace();
    let scratch = root.join("target/it/instrument-equality").join(example);
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch).unwrap();

    // Both runs see the same deterministic clock and random source (see the
    // hook), or the program itself would take different paths.
    let node_options = format!(
        "--require {}",
        common::js("deterministic-wasi.cjs").display()
    );

    // V8's counters, one test thread (two threads lose increments).
    let v8_out = scratch.join("v8");
    let ran = Command::new(tools.join("wasm-run"))
        .env("WASM_RUN_NODE", node)
        .env("NODE_OPTIONS", &node_options)
        .args(["--test-threads", "1", "--out"])
        .arg(&v8_out)
        .arg(wasm_path)
        .output()
        .unwrap();
    assert!(
        matches!(ran.status.code(), Some(0 | 1)),
        "wasm-run {} failed: {}",
        wasm_path.display(),
        String::from_utf8_lossy(&ran.stderr)
    );
    let v8_csv =
        common::run(Command::new(tools.join("v8cov-extract")).arg(v8_out.join("v8-coverage.json")));

    // Ours.
    let wasm = std::fs::read(wasm_path).unwrap();
    let inst = instrument(&wasm, &Options::default()).unwrap();
    let inst_path = scratch.join("instrumented.wasm");
    std::fs::write(&inst_path, &inst.wasm).unwrap();
    let config = scratch.join("config.json");
    std::fs::write(
        &config,
        serde_json::to_vec(&serde_json::json!({
            "wasm": inst_path,
            "mode": "like-runner",
            "programName": wasm_path.file_name().unwrap().to_string_lossy(),
            "env": {},
            "preopens": preopens(crate_dir),
        }))
        .unwrap(),
    )
    .unwrap();
    let counts: Vec<String> = serde_json::from_str(&common::run(
        Command::new(node)
            .env("NODE_OPTIONS", &node_options)
            .current_dir(crate_dir)
            .arg(common::js("run-instrumented.cjs"))
            .arg(&config),
    ))
    .unwrap();
    assert!(
        counts.len() >= inst.blocks.len(),
        "counter memory too small"
    );
    let sha = sha256_hex(&wasm);
    let mut ours = String::from("module,function,start,end,count\n");
    for (b, c) in inst.blocks.iter().zip(&counts) {
        let _ = writeln!(ours, "{sha},{},{},{},{c}", b.function, b.start, b.end);
    }

    std::fs::write(scratch.join("v8.csv"), &v8_csv).unwrap();
    std::fs::write(scratch.join("inject.csv"), &ours).unwrap();
    eprintln!(
        "{example}: {} blocks, {} counted at least once",
        inst.blocks.len(),
        counts.iter().filter(|c| *c != "0").count()
    );
    if v8_csv == ours {
        return None;
    }
    let v8_lines: Vec<&str> = v8_csv.lines().collect();
    let our_lines: Vec<&str> = ours.lines().collect();
    let mut diff = String::new();
    let mut shown = 0;
    for i in 0..v8_lines.len().max(our_lines.len()) {
        let (a, b) = (v8_lines.get(i), our_lines.get(i));
        if a != b {
            let _ = writeln!(
                diff,
                "  line {}: V8 {a:?}\n  {:>width$} ours {b:?}",
                i + 1,
                "",
                width = (i + 1).to_string().len() + 6
            );
            shown += 1;
            if shown == 10 {
                break;
            }
        }
    }
    Some(format!(
        "{example}: {} V8 rows, {} of ours; first differences:\n{diff}  (both CSVs are in {})",
        v8_lines.len() - 1,
        our_lines.len() - 1,
        scratch.display()
    ))
}

#[test]
fn offsets_csv_equals_v8s_on_the_examples() {
    let Some(node) = common::pinned_node("offsets_csv_equals_v8s_on_the_examples") else {
        return;
    };
    let tools = build_tools();
    let examples = common::workspace().join("examples");
    let failures: Vec<String> = ["demo", "fidelity"]
        .iter()
        .filter_map(|e| compare(&node, &tools, e, &build_example(e), &examples.join(e)))
        .collect();
    assert!(
        failures.is_empty(),
        "our counters disagree with V8 {}:\n{}",
        common::v8_version(&node),
        failures.join("\n")
    );
}

/// The same on any libtest binary, for a published suite such as
/// regex-syntax's (as `make bench` builds it):
///
///     WASM_COV_EQUALITY_WASM=path/to/test.wasm cargo test -p wasm-cov-instrument \
///         --test equality -- --ignored --nocapture
///
/// The crate folder is found as wasm-run finds it: the parent of the
/// `target` folder the binary is in.
#[test]
#[ignore = "needs WASM_COV_EQUALITY_WASM"]
fn offsets_csv_equals_v8s_on_a_given_binary() {
    let Some(node) = common::pinned_node("offsets_csv_equals_v8s_on_a_given_binary") else {
        return;
    };
    let wasm = PathBuf::from(
        std::env::var_os("WASM_COV_EQUALITY_WASM").expect("WASM_COV_EQUALITY_WASM is set"),
    );
    let wasm = std::path::absolute(wasm).unwrap();
    let crate_dir = wasm
        .ancestors()
        .find(|a| a.file_name().is_some_and(|n| n == "target"))
        .and_then(Path::parent)
        .expect("the binary lies in a crate's target folder")
        .to_path_buf();
    let tools = build_tools();
    let name = wasm.file_stem().unwrap().to_string_lossy().into_owned();
    if let Some(failure) = compare(&node, &tools, &name, &wasm, &crate_dir) {
        panic!(
            "our counters disagree with V8 {}:\n{failure}",
            common::v8_version(&node)
        );
    }
}
