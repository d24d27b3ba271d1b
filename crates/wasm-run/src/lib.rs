//! wasm-run: the first stage of the wasm coverage pipeline.
//!
//! Runs Rust tests compiled to WebAssembly under Node, counting wasm blocks
//! with counters it inserts into the module (`--counters inject`, the
//! default on the direct path) or with V8's (`--counters v8`), and writes to `--out`: `v8-coverage.json`,
//! `modules/<sha256>.wasm` (the exact bytes that ran), `tests.json`
//! (per-test outcomes) and `run.log` (everything Node printed). Formats:
//! `wasm-cov-format` and `docs/formats.md`.
//!
//! - `cli`: the command line and [`run`], which picks one of two paths.
//! - `direct` + `js/runner.cjs`: modules wasm-run instantiates itself
//!   (libtest on wasm32-wasip1, a wasip1 program such as a doctest, a
//!   `__run_tests` compat module).
//! - `exec` + `js/hook.cjs`: a command wasm-run does not control
//!   (`--exec -- COMMAND`, wasm-bindgen-test-runner), with the hook in every
//!   Node process it starts.
//! - `browser` + `js/browser.cjs`: wasm-bindgen-test suites configured for
//!   a browser, run in headless Chromium driven over the DevTools protocol.
//! - `session`: the set-up both paths share (Node, output folder, temporary
//!   folder, the tests' WASI world); `locate`: finding Node and
//!   wasm-bindgen-test-runner; `node`: the V8 flags and proving they work;
//!   `harness`: telling how a module runs its tests.
//! - `counters`: `--counters`, instrumenting for `inject`, and the Node
//!   probe for it.
//! - `wasmtime_engine` (`--engine wasmtime`): the direct path on an
//!   embedded wasmtime instead of Node.
//! - `collected`: what a native host's tests collected through
//!   `wasm-cov-wasmtime`, made a run folder like the others.
//! - `hint`: what a failure on wasm means (a panic aborts), once per run.
//! - `convert`: V8's raw counters into `v8-coverage.json`; `child`: running
//!   Node with its output both shown and kept.

mod browser;
mod child;
mod cli;
mod collected;
mod convert;
mod counters;
mod direct;
mod exec;
mod harness;
mod hint;
mod locate;
mod node;
mod session;
mod shard;
mod split;
#[cfg(feature = "wasmtime")]
mod wasmtime_engine;

pub use browser::{find_browser, test_mode, Browser, TestMode};
pub use cli::{crate_name, panicked_in, run, Cli, Engine, Status};
pub use collected::{publish_collected, Collected};
pub use convert::{fits, match_entry, to_functions, RawBlock, Summed};
pub use counters::{check_inject, Counters, NodeVersion};
pub use exec::{instrument_main, parse_test_lines, INSTRUMENT_ARG};
pub use harness::{detect, has_tests, Harness};
pub use hint::{panic_hint, panicked_tests};
pub use locate::{find_node, locate, Found, Origin, Tool, NODE, WASM_BINDGEN_TEST_RUNNER};
pub use node::{check_node, NodeReport, V8_FLAGS};
pub use session::crate_dir;
