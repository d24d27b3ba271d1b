//! The host's tests: each loads a plugin the workspace built for
//! wasm32-wasip2 and calls it across the boundary. Under `cargo wasm-cov`
//! the plugins' lines these tests reach are counted, per test.

use std::path::PathBuf;

use host::{linker, Loaded, State};
use wasm_cov_wasmtime::CoveredStore;
use wasmtime::{Config, Engine};

/// `target/wasm32-wasip2/debug/NAME.wasm`, where `cargo build --target
/// wasm32-wasip2` (and cargo wasm-cov) puts the plugins.
fn plugin(name: &str) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"),
        PathBuf::from,
    );
    target.join(format!("wasm32-wasip2/debug/{name}.wasm"))
}

/// A plugin in a store of its own, which collects its counts when the
/// test drops it.
fn load(name: &str) -> (CoveredStore<State>, Loaded) {
    let mut config = Config::new();
    wasm_cov_wasmtime::config(&mut config);
    let engine = Engine::new(&config).unwrap();
    let component = wasm_cov_wasmtime::component_from_file(&engine, plugin(name)).unwrap();
    let mut store = CoveredStore::new(&engine, State::default());
    let loaded = Loaded::new(&mut store, &linker(&engine).unwrap(), &component).unwrap();
    (store, loaded)
}

#[test]
fn title_cases_across_the_boundary() {
    let (mut store, title) = load("title");
    assert_eq!(title.transform(&mut store, "hello WIDE world").unwrap().unwrap(), "Hello Wide World");
    assert_eq!(title.name(&mut store).unwrap(), "title");
}

#[test]
fn title_rejects_blank_input() {
    let (mut store, title) = load("title");
    assert_eq!(title.transform(&mut store, " ").unwrap().unwrap_err(), "empty input");
}

#[test]
fn stats_counts_words() {
    let (mut store, stats) = load("stats");
    assert_eq!(stats.transform(&mut store, "one two").unwrap().unwrap(), "2 words, 6 letters");
}

#[test]
fn stats_rejects_long_input() {
    let (mut store, stats) = load("stats");
    let long = "a".repeat(2000);
    assert_eq!(stats.transform(&mut store, &long).unwrap().unwrap_err(), "too long (2000 bytes)");
}
