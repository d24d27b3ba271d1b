//! `cov-report`: the last stage of the wasm coverage pipeline.
//!
//! ```text
//! wasm-run ─▶ v8cov-extract ─▶ wasm-cov-mapper ──LCOV | mapper JSON──▶ cov-report
//! ```
//!
//! It reads any number of LCOV tracefiles (the mapper's or any other tool's:
//! cargo-llvm-cov, grcov, geninfo) and mapper JSON documents, merges them
//! into one [`Coverage`](wasm_cov_format::Coverage) with source paths
//! normalised, applies path filters and exclusion markers, and writes any
//! of: LCOV, an HTML report, Cobertura XML, a JSON summary, a Markdown
//! summary and the terminal table. Coverage bars (`--fail-under-*`) turn
//! the answer into exit status 1.
//!
//! The rooms, in the order a run goes through them:
//!
//! - `cli`: the arguments, checked before any input is read, and [`run`];
//! - `input`: reading LCOV and mapper JSON, streamed; `contexts`: which
//!   tests ran each line (the JSON's per-test members, LCOV `TN:`
//!   sections), kept beside the coverage and never in its totals;
//! - `paths`, `functions`, `merge`: one spelling per file, one record per
//!   function (by declaration line), filters, sources
//!   and exclusion markers (`exclude`, `sources`) into a [`Report`];
//! - `diff`, `patch`: the change (`--diff`, `--diff-base`) and its patch
//!   coverage;
//! - `threshold`: the `--fail-under-*` bars;
//! - `output`: each output to its file or to stdout; the writers are
//!   `cobertura`, `html`, `summary` (JSON and Markdown), `table`, and the
//!   contract crate's LCOV; `ratio` and `escape` are what they share;
//! - `error`: why a run failed.

mod cli;
mod cobertura;
mod contexts;
mod diff;
mod error;
mod escape;
mod exclude;
mod functions;
mod html;
mod input;
mod merge;
mod output;
mod patch;
mod paths;
mod ratio;
mod sources;
mod summary;
mod table;
mod threshold;

pub use cli::{run, Cli, TOOL};
pub use cobertura::{write_cobertura, CoberturaOptions};
pub use contexts::{compress_ranges, Contexts, FileSets};
pub use diff::{parse_unified_diff, ChangedLines, DiffError};
pub use error::Error;
pub use escape::{Esc, EscAttr};
pub use exclude::{apply_exclusions, scan_markers, Exclusions, MarkerWarning};
pub use functions::{demangle, display_name, fold_by_line, merge_functions};
pub use html::{
    is_safe_page_name, page_names, write_file_page, write_html_dir, write_index, FileView,
    HtmlError, HtmlOptions,
};
pub use input::{parse_coverage, read_coverage};
pub use merge::{filter_paths, merge_into, merge_owned, prepare_report, Report, SourceOptions};
pub use patch::{default_diff_root, load_patch, DiffSource, FilePatch, Patch};
pub use paths::{normalize_path, PathRewriter};
pub use ratio::{percent, Ratio};
pub use sources::{load_sources, Source};
pub use summary::{write_json_summary, write_markdown, MarkdownOptions};
pub use table::{missing_lines, write_table, TableOptions};
pub use threshold::{check as check_thresholds, check_patch, Metric, Outcome, Percent};
pub use wasm_cov_cli::Exit;

/// True if `err` (or what caused it) is a write to a closed pipe, which the
/// binary treats as a normal end (`cov-report | head`).
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    wasm_cov_format::is_broken_pipe(err.as_ref())
}
