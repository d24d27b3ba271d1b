//! wasm32-wasip2 test binaries, which are components: wasm-run runs them
//! whole on wasmtime and counts, saves and maps only their code module
//! (the one with DWARF); wit-component's shims, which have none, are left
//! as they are. Each asserts what a user sees: the exit status, one-line
//! errors, tests.json, the run folder and line facts.
#![allow(
    clippy::unwrap_used,
    reason = "in a test, a failed unwrap is a failed test"
)]

use std::path::{Path, PathBuf};
use std::process::Command;

use integration_tests::{
    build_example, example_line, line_count, map_coverage, root, run, scratch, strip_debug,
    test_report as report, tool,
};
use wasm_cov_format::{sha256_hex, splice, ComponentLayout};

/// examples/wasip2's unit tests: its .cargo/config.toml builds for wasip2.
fn component() -> PathBuf {
    build_example("wasip2", &["--lib"], "")
}

fn wasm_run(out: &Path, wasm: &Path, extra: &[&str]) -> integration_tests::Ran {
    let _ = std::fs::remove_dir_all(out);
    run(Command::new(tool("wasm-run"))
        .arg("--out")
        .arg(out)
        .args(extra)
        .arg(wasm))
}

#[test]
fn a_component_is_counted_by_its_code_module_and_its_shims_are_left_alone() {
    let wasm = component();
    let bytes = std::fs::read(&wasm).unwrap();
    let layout = ComponentLayout::parse(&bytes).unwrap();
    assert!(
        layout.modules.len() >= 2,
        "rustc's program and wit-component's shims: {layout:?}"
    );
    assert_eq!(
        layout.modules.iter().filter(|m| m.has_dwarf).count(),
        1,
        "{layout:?}"
    );
    let code = layout.code_module().unwrap().unwrap();

    let out = scratch("component").join("cov");
    let r = wasm_run(&out, &wasm, &[]).expect(0);
    assert!(
        r.stdout.contains("test result: ok. 3 passed"),
        "{}",
        r.stdout
    );

    // The run folder holds the code module alone, and names its component.
    let rep = report(&out);
    let code_sha = sha256_hex(&bytes[code.range.clone()]);
    assert_eq!(rep.module.as_deref(), Some(code_sha.as_str()));
    let from = rep.component.as_ref().unwrap();
    assert_eq!(from.sha256, sha256_hex(&bytes));
    assert_eq!(from.core_module, code.index);
    let saved: Vec<String> = std::fs::read_dir(out.join("modules"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(saved, [format!("{code_sha}.wasm")]);

    // Mapped as any module: the unit tests' lines ran, the unused did not.
    let cov = map_coverage(&out, &root().join("examples/wasip2"));
    let line = |m| line_count(&cov, example_line("wasip2", m));
    assert!(line("longest-new-best") >= 1);
    assert!(line("p2-only") >= 1);
    assert!(line("reads-manifest") >= 1);
    assert_eq!(line("never-called"), 0);
}

#[test]
fn node_and_compat_refuse_a_component_in_one_line() {
    let wasm = component();
    let out = scratch("component-node").join("cov");
    let r = wasm_run(&out, &wasm, &["--engine", "node"]).expect(2);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("a wasm component (wasm32-wasip2), which runs on --engine wasmtime"),
        "{}",
        r.stderr
    );
    let r = wasm_run(&out, &wasm, &["--harness", "compat"]).expect(2);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert!(r.stderr.contains("a component"), "{}", r.stderr);
}

/// Built without debug info, nothing in a component maps to a line: one
/// line says so, and nothing is run.
#[test]
fn a_component_without_dwarf_is_an_error_naming_the_remedy() {
    let wasm = component();
    let bytes = std::fs::read(&wasm).unwrap();
    let layout = ComponentLayout::parse(&bytes).unwrap();
    let code = layout.code_module().unwrap().unwrap();
    let stripped = splice(&bytes, code, &strip_debug(&bytes[code.range.clone()], &[]));
    let dir = scratch("component-no-dwarf");
    let path = dir.join("stripped.wasm");
    std::fs::write(&path, stripped).unwrap();
    let r = wasm_run(&dir.join("cov"), &path, &[]).expect(2);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("have no DWARF") && r.stderr.contains("-C debuginfo=2"),
        "{}",
        r.stderr
    );
    assert!(r.stdout.is_empty(), "nothing ran: {}", r.stdout);
}
