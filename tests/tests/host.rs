//! A native host's tests calling a real plugin through wasm-cov-wasmtime,
//! as a user's host would: `examples/plugin` built for wasm32-wasip2 with
//! the coverage flags, loaded with `component_from_file`, its `transform`
//! called from "host tests" (threads named after them, as libtest runs
//! tests), each in a `CoveredStore`. What they collected is made a run
//! folder (`wasm_run::publish_collected`) and mapped as any other: the
//! plugin lines the host reached are covered, the function it never
//! calls is at 0, `#[cfg(test)]` code is absent, and per-test counts name
//! the host tests, a panicking one too.
//!
//! One test in this file: the library reads its environment variable once
//! per process, so it is set before anything else runs.
#![allow(
    clippy::unwrap_used,
    reason = "in a test, a failed unwrap is a failed test"
)]

use std::path::PathBuf;
use std::process::Command;

use integration_tests::{example_line, map_coverage, root, run, scratch};
use wasm_cov_format::PerTest;
use wasm_cov_wasmtime::CoveredStore;
use wasmtime::component::{Component, Instance, Linker, ResourceTable, Val};
use wasmtime::{Config, Engine};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

/// The plugin component, built as a host's build script or CI would:
/// `cargo build --target wasm32-wasip2` with the coverage flags.
fn plugin_component() -> PathBuf {
    let target = root().join("examples/plugin/target/wasm-cov-host");
    let flags = [
        "-C",
        "debuginfo=2",
        "-C",
        "opt-level=0",
        "-C",
        "codegen-units=1",
        "-C",
        "link-dead-code",
    ]
    .join("\x1f");
    run(
        Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .args([
                "build",
                "--lib",
                "--target",
                "wasm32-wasip2",
                "--target-dir",
            ])
            .arg(&target)
            .current_dir(root().join("examples/plugin"))
            .env("CARGO_ENCODED_RUSTFLAGS", flags)
            .env_remove("RUSTFLAGS"),
    )
    .expect(0);
    target.join("wasm32-wasip2/debug/plugin.wasm")
}

struct Host {
    ctx: WasiCtx,
    table: ResourceTable,
}

impl WasiView for Host {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.ctx,
            table: &mut self.table,
        }
    }
}

fn host() -> Host {
    Host {
        ctx: WasiCtx::builder().build(),
        table: ResourceTable::new(),
    }
}

/// The plugin's `transform`, its error as the variant's case name.
fn transform(
    store: &mut CoveredStore<Host>,
    instance: &Instance,
    input: &str,
) -> Result<String, String> {
    call_transform(store, instance, input).unwrap()
}

/// [`transform`], or the trap that ended the call.
fn call_transform(
    store: &mut CoveredStore<Host>,
    instance: &Instance,
    input: &str,
) -> wasmtime::Result<Result<String, String>> {
    let iface = instance
        .get_export_index(&mut *store, None, "example:text-transform/transform")
        .unwrap();
    let f = instance
        .get_export_index(&mut *store, Some(&iface), "transform")
        .unwrap();
    let f = instance.get_func(&mut *store, f).unwrap();
    let mut out = [Val::Bool(false)];
    f.call(&mut *store, &[Val::String(input.into())], &mut out)?;
    Ok(match &out[0] {
        Val::Result(Ok(Some(v))) => match &**v {
            Val::String(s) => Ok(s.clone()),
            other => panic!("not a string: {other:?}"),
        },
        Val::Result(Err(Some(e))) => match &**e {
            Val::Variant(case, _) => Err(case.clone()),
            other => panic!("not a variant: {other:?}"),
        },
        other => panic!("not a result: {other:?}"),
    })
}

/// Runs `test` on a thread named `name`, as libtest runs a test; true when
/// it panicked.
fn as_test(name: &str, test: impl FnOnce() + Send) -> bool {
    std::thread::scope(|s| {
        std::thread::Builder::new()
            .name(name.to_owned())
            .spawn_scoped(s, test)
            .unwrap()
            .join()
            .is_err()
    })
}

#[test]
fn host_tests_collect_the_plugin_lines_they_reach_per_test() {
    let dir = scratch("host-collect");
    // Before any call into the library (see the module comment); this
    // file's only test, so no other thread reads the environment.
    std::env::set_var(wasm_cov_wasmtime::DIR_ENV, &dir);
    assert!(wasm_cov_wasmtime::enabled());

    let mut config = Config::new();
    wasm_cov_wasmtime::config(&mut config);
    let engine = Engine::new(&config).unwrap();
    let component: Component =
        wasm_cov_wasmtime::component_from_file(&engine, plugin_component()).unwrap();
    let mut linker = Linker::<Host>::new(&engine);
    wasmtime_wasi::p2::add_to_linker_sync(&mut linker).unwrap();
    let start =
        |store: &mut CoveredStore<Host>| linker.instantiate(&mut **store, &component).unwrap();

    assert!(!as_test("host::title_cases", || {
        let mut store = CoveredStore::new(&engine, host());
        let i = start(&mut store);
        assert_eq!(
            transform(&mut store, &i, "hello wide WORLD").unwrap(),
            "Hello Wide World"
        );
    }));
    assert!(!as_test("host::rejects_blank_input", || {
        let mut store = CoveredStore::new(&engine, host());
        let i = start(&mut store);
        assert_eq!(transform(&mut store, &i, "  ").unwrap_err(), "empty-input");
    }));
    // A host test that panics after its call: the store's drop, while the
    // test unwinds, still collects.
    assert!(as_test("host::panics_after_a_call", || {
        let mut store = CoveredStore::new(&engine, host());
        let i = start(&mut store);
        let _ = transform(&mut store, &i, "one");
        panic!("the host test fails after the plugin ran");
    }));
    // A plugin that traps: the host test sees the error and goes on; the
    // trapped instance's counts are kept.
    assert!(!as_test("host::a_nul_traps_the_plugin", || {
        let mut store = CoveredStore::new(&engine, host());
        let i = start(&mut store);
        let trap = call_transform(&mut store, &i, "a\0b").unwrap_err();
        assert!(format!("{trap:?}").contains("wasm trap"), "{trap:?}");
    }));
    // A second collect on one store adds nothing.
    assert!(!as_test("host::collects_twice", || {
        let mut store = CoveredStore::new(&engine, host());
        let i = start(&mut store);
        transform(&mut store, &i, "a b").unwrap();
        wasm_cov_wasmtime::collect(&mut store).unwrap();
        wasm_cov_wasmtime::collect(&mut store).unwrap();
    }));

    let found = wasm_run::publish_collected(&dir).unwrap();
    assert_eq!((found.modules, found.tests), (1, 5), "{found:?}");
    let cov = map_coverage(&dir, &root().join("examples/plugin"));
    let line = |m: &str| example_line("plugin", m);
    let lib = &cov.files["src/lib.rs"];
    let count = |m: &str| lib.lines.get(&line(m)).copied();
    // "hello wide WORLD" has two gaps, "a b" one; "one" none.
    assert_eq!(count("word-gap"), Some(3));
    assert_eq!(count("first-letter"), Some(6));
    assert_eq!(count("empty-input"), Some(1));
    assert_eq!(
        count("guest-transform"),
        Some(4),
        "the trapped call stops before"
    );
    assert_eq!(count("nul-trap"), Some(5));
    // No host test asks its name, or sends 4 KiB.
    assert_eq!(count("guest-name"), Some(0));
    assert_eq!(count("too-long"), Some(0));
    // The plugin's unit tests are not in the component, nor listed.
    assert_eq!(count("yield"), None);
    assert!(
        !lib.functions.keys().any(|f| f.contains("tests::")),
        "{:?}",
        lib.functions.keys()
    );

    // Per test: each host test's own counts, the panicking one's kept.
    let text = std::fs::read(dir.join("per-test.jsonl")).unwrap();
    let per_test = PerTest::read(&text[..]).unwrap();
    let tests: Vec<&String> = per_test
        .modules
        .values()
        .flat_map(|m| m.tests.keys())
        .collect();
    for name in [
        "host::title_cases",
        "host::rejects_blank_input",
        "host::panics_after_a_call",
        "host::a_nul_traps_the_plugin",
        "host::collects_twice",
    ] {
        assert!(tests.iter().any(|t| *t == name), "{name} in {tests:?}");
    }
}
