//! A wit-bindgen guest plugin's unit tests (`examples/plugin`) on both
//! engines. Built with the coverage flags for wasm32-wasip1, the test binary
//! keeps wit-bindgen's async runtime, which imports component intrinsics
//! from `$root` that no host provides to a core module. Node's runner and
//! wasmtime both define each as a function that traps when called
//! (wasmtime's `Linker::define_unknown_imports_as_traps`), so the suite
//! runs, and both engines give the same line facts. The ignored test calls
//! one: it fails on both with wasmtime's words, and what ran before the
//! trap still counts.
#![allow(
    clippy::unwrap_used,
    reason = "in a test, a failed unwrap is a failed test"
)]

use std::path::Path;
use std::process::Command;

use integration_tests::{
    assert_contains, build_example, example_line, example_wasm, line_count, map_coverage, root,
    run, scratch, test_report, tool, Ran,
};
use wasm_cov_format::{Coverage, FileCoverage, Outcome};

const ENGINES: [&str; 2] = ["node", "wasmtime"];

fn line(marker: &str) -> u32 {
    example_line("plugin", marker)
}

/// The function imports of `wasm` from `$root`, as the pinned Node lists
/// them: what the stubs stand in for.
fn root_imports(wasm: &Path) -> Vec<String> {
    let js = "const m = new WebAssembly.Module(require('fs').readFileSync(process.argv[1]));\
              for (const i of WebAssembly.Module.imports(m))\
                if (i.module === '$root' && i.kind === 'function') console.log(i.name);";
    let r = run(Command::new(root().join("node_modules/.bin/node"))
        .args(["-e", js])
        .arg(wasm))
    .expect(0);
    r.stdout.lines().map(str::to_owned).collect()
}

/// wasm-run `--engine ENGINE` on `wasm` with the libtest arguments `args`,
/// into `dir/ENGINE`; its exit status must be `code`. Returns the run, the
/// folder and the coverage mapped onto `examples/plugin`.
fn run_on(
    dir: &Path,
    wasm: &Path,
    engine: &str,
    args: &[&str],
    code: i32,
) -> (Ran, std::path::PathBuf, Coverage) {
    let cov_dir = dir.join(engine);
    let ran = run(Command::new(tool("wasm-run"))
        .args(["--engine", engine, "--out"])
        .arg(&cov_dir)
        .arg(wasm)
        .arg("--")
        .args(args))
    .expect(code);
    let cov = map_coverage(&cov_dir, &root().join("examples/plugin"));
    (ran, cov_dir, cov)
}

fn lib_rs(cov: &Coverage) -> &FileCoverage {
    cov.files
        .get("src/lib.rs")
        .unwrap_or_else(|| panic!("no src/lib.rs in {:?}", cov.files.keys()))
}

#[test]
fn the_plugins_unit_tests_on_wasip1_pass_alike_on_node_and_wasmtime() {
    let wasm = example_wasm("plugin");
    let stubbed = root_imports(&wasm);
    // Without these imports the test would prove nothing about the stubs.
    for name in ["[context-get-0]", "[waitable-set-new]", "[thread-yield]"] {
        assert!(
            stubbed.iter().any(|s| s == name),
            "{name} is not among the test binary's $root imports: {stubbed:?}"
        );
    }
    let dir = scratch("plugin-wasip1");
    let mut seen: Vec<(&str, Coverage)> = Vec::new();
    for engine in ENGINES {
        let (ran, cov_dir, cov) = run_on(&dir, &wasm, engine, &[], 0);
        assert_contains(
            &ran.stdout,
            &[
                "test tests::title_cases_each_word ... ok",
                "test tests::folds_white_space ... ok",
                "test tests::blank_input_is_an_error ... ok",
                "test tests::yields_to_a_component_host ... ignored",
                "test result: ok. 3 passed; 0 failed; 1 ignored",
            ],
        );
        let rep = test_report(&cov_dir);
        assert_eq!((rep.passed, rep.failed, rep.ignored), (3, 0, 1), "{engine}");

        let hit = |m: &str| line_count(&cov, line(m));
        // Two tests take the word gap, "hello wide WORLD" twice and
        // "rust wasm" once; every word has a first letter.
        assert_eq!(hit("word-gap"), 3, "{engine}");
        assert_eq!(hit("first-letter"), 5, "{engine}");
        assert_eq!(hit("empty-input"), 1, "{engine}");
        // No test takes these: the length guard, and the boundary only a
        // host calls; nor runs the ignored test.
        for never in ["too-long", "guest-name", "guest-transform", "yield"] {
            assert_eq!(hit(never), 0, "{engine}: {never}");
        }
        seen.push((engine, cov));
    }
    let [(a, node), (b, wasmtime)] = &seen[..] else {
        unreachable!()
    };
    assert!(
        lib_rs(node) == lib_rs(wasmtime),
        "src/lib.rs differs between {a} and {b}:\n{a}: {:?}\n{b}: {:?}\n(both runs are in {})",
        lib_rs(node).lines,
        lib_rs(wasmtime).lines,
        dir.display()
    );
}

#[test]
fn a_called_intrinsic_traps_alike_on_node_and_wasmtime() {
    let wasm = example_wasm("plugin");
    let dir = scratch("plugin-wasip1-trap");
    for engine in ENGINES {
        let (ran, cov_dir, cov) = run_on(&dir, &wasm, engine, &["--ignored"], 1);
        assert_contains(
            &ran.stdout,
            &[
                "test tests::yields_to_a_component_host ... FAILED",
                "unknown import: `$root::[thread-yield]` has not been defined",
                "test result: FAILED. 0 passed; 1 failed; 0 ignored",
            ],
        );
        let rep = test_report(&cov_dir);
        let [t] = &rep.tests[..] else {
            panic!("{engine}: one test expected: {:?}", rep.tests)
        };
        assert_eq!(t.outcome, Outcome::Failed, "{engine}");
        assert!(
            t.message
                .as_deref()
                .is_some_and(|m| m.contains("`$root::[thread-yield]`")),
            "{engine}: {:?}",
            t.message
        );
        // The call itself ran; what it trapped in is no line of ours.
        assert_eq!(line_count(&cov, line("yield")), 1, "{engine}");
        assert_eq!(line_count(&cov, line("first-letter")), 0, "{engine}");
    }
}

/// The same suite built for wasm32-wasip2: a component, on wasmtime.
/// wit-component makes the `$root` intrinsics canonical built-ins, so
/// nothing is stubbed, and `yields_to_a_component_host` is not built (it
/// is `cfg`'d to wasip1). The plugin's lines count as on wasip1.
#[test]
fn the_plugins_unit_tests_on_wasip2_count_as_on_wasip1() {
    let p2 = build_example("plugin", &["--target", "wasm32-wasip2"], "");
    let dir = scratch("plugin-wasip2");
    let (ran, cov_dir, cov) = run_on(&dir, &p2, "wasmtime", &[], 0);
    assert_contains(
        &ran.stdout,
        &["test result: ok. 3 passed; 0 failed; 0 ignored"],
    );
    assert!(test_report(&cov_dir).component.is_some());
    let (_, _, p1) = run_on(&dir, &example_wasm("plugin"), "wasmtime", &[], 0);
    let hit = |cov: &Coverage, m: &str| line_count(cov, line(m));
    for m in [
        "word-gap",
        "first-letter",
        "empty-input",
        "too-long",
        "guest-name",
        "guest-transform",
    ] {
        assert_eq!(hit(&cov, m), hit(&p1, m), "{m}");
    }
    // The only difference: the wasip1-only test is not in the component.
    assert!(!lib_rs(&cov).lines.contains_key(&line("yield")));
}
