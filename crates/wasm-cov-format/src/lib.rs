//! The contract between the stages of the wasm coverage pipeline.
//!
//! ```text
//! wasm-run ──v8-coverage.json + modules/<sha256>.wasm──▶ v8cov-extract
//!   ──offsets CSV──▶ wasm-cov-mapper ──LCOV | mapper JSON──▶ cov-report
//! ```
//!
//! Every file that crosses a stage boundary is defined here, once, and both
//! the writer and the reader use these types. `docs/formats.md` is the prose
//! version of this crate; change both together and keep the version numbers
//! honest: a reader must reject a version it does not know.

mod collected;
mod component;
mod error;
mod io;
mod lcov;
mod mapped;
mod model;
mod module;
mod names;
mod offsets;
mod paths;
mod per_test;
mod shard;
mod test_report;
mod v8;

pub use collected::{
    CollectedHeader, Collection, COLLECTED_FORMAT, COLLECTED_VERSION, COLLECT_DIR_ENV,
};
pub use component::{is_component, splice, ComponentLayout, CoreModule, PROBE};
pub use error::FormatError;
pub use io::{
    is_broken_pipe, open_input, open_json_input, read_input, size_limited, AtomicDir, AtomicOutput,
    SizeLimit, MAX_JSON_BYTES,
};
pub use lcov::{
    lcov_test_names, read_lcov, read_lcov_with, write_lcov, write_lcov_test, MAX_LCOV_LINE,
};
pub use mapped::{
    compress_ranges, expand_ranges, MappedBranch, MappedCoverage, MappedFile, MappedFunction,
    MappedLine, MappedSegment, MappedTest, MAPPED_FORMAT, MAPPED_VERSION,
};
pub use model::{Coverage, FileCoverage, FunctionCoverage as FnCoverage, Segment, Totals};
pub use module::{sha256_hex, v8_block_to_module, Body, ModuleLayout};
pub use names::common_name;
pub use offsets::{
    read_offsets, read_offsets_grouped, write_offsets, write_offsets_grouped, OffsetBlock,
    OffsetRow, MAX_OFFSETS_LINE, OFFSETS_HEADER,
};
pub use paths::normalize_report_path;
pub use per_test::{
    PerTest, PerTestBlock, PerTestModule, MAX_PER_TEST_LINE, NO_TEST, PER_TEST_FORMAT,
    PER_TEST_VERSION,
};
pub use shard::{
    check_shard_set, Dealt, Partition, PartitionKind, ShardRecord, SHARD_FILE, SHARD_FORMAT,
    SHARD_VERSION,
};
pub use test_report::{
    ComponentSource, Outcome, TestOutcome, TestReport, TESTS_FORMAT, TESTS_VERSION,
};
pub use v8::{
    CoverageRange, FunctionCoverage, ScriptCoverage, V8Coverage, WasmScript, V8_WASM_VERSION,
};

/// What kind of coverage document a byte buffer holds, judged from its first
/// non-blank byte and, for JSON, its top-level keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    Lcov,
    MappedJson,
    V8Json,
}

/// Sniffs the kind of a coverage document without parsing all of it.
pub fn detect_kind(bytes: &[u8]) -> InputKind {
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if first != Some(&b'{') {
        return InputKind::Lcov;
    }
    // Both JSON kinds are objects; the mapper's names its format near the top.
    let head = &bytes[..bytes.len().min(4096)];
    let needle = format!("\"{MAPPED_FORMAT}\"");
    if head.windows(needle.len()).any(|w| w == needle.as_bytes()) {
        InputKind::MappedJson
    } else {
        InputKind::V8Json
    }
}
