//! v8cov-extract: the second stage of the wasm coverage pipeline.
//!
//! Reads one or more `v8-coverage.json` (as wasm-run writes them) and writes
//! the offsets CSV: one row per wasm basic block, counts of the same block
//! from several inputs summed with saturation. JavaScript entries are
//! skipped. Formats: `wasm-cov-format`, `docs/formats.md`.
//!
//! - `cli`: the command line and `run`, which reads, checks and writes.
//! - `extract`: summing the blocks of many documents, and writing them.
//! - `check`: checking entries against their saved modules.
//! - `per_test`: `--per-test`, the per-test counts beside the inputs.

mod check;
mod cli;
mod extract;
mod per_test;

pub use check::check_modules;
pub use cli::{run, Cli};
pub use extract::{accumulate, write, Blocks, Key};
pub use per_test::{as_no_test, of_input as per_test_of_input, PER_TEST_FILE};
