//! wasm-cov-mapper: the third stage of the wasm coverage pipeline.
//!
//! Folds each module's DWARF line table against the block counts of the
//! offsets CSV and writes per-source-line coverage as LCOV or the mapper
//! JSON. The line semantics are the contract's (`docs/formats.md`, "Line
//! semantics"): a row covers up to the next row's address and takes the
//! largest count among the blocks it overlaps; a line takes the largest
//! count among its rows.
//!
//! The steps, in the order [`map_module`] takes them:
//!
//! - `layout`: the offsets' blocks checked against the module's function
//!   bodies and moved to DWARF addresses; the DWARF rows checked the same.
//! - `dwarf`: line-table rows, subprograms and inlined copies;
//!   `doctests`, a doctest program's own rows moved onto its doc comment.
//! - `sources` (with `source`): the Rust sources the DWARF names, parsed
//!   once, for the lines that hold code and the functions that have none;
//!   `tree`, each crate's module tree from its root, so files no DWARF
//!   names are found too; `cfg`, the `#[cfg]`s each crate build had on.
//! - `fold`: each row's count from the blocks it overlaps.
//! - `lines`, `functions`, `branches`: the report's three kinds of record.
//! - `per_test` (with `--per-test`): which tests ran each line.
//!
//! `cli` is the binary's side: the command line, reading the offsets,
//! finding the modules (and, in `debug_files`, the separate debug file of
//! a module built without DWARF in it; in `without_dwarf`, which modules
//! without any are skipped), writing the report.

mod branches;
mod cfg;
mod cli;
mod debug_files;
mod doctests;
mod dwarf;
mod error;
mod fold;
mod functions;
mod layout;
mod lines;
mod map;
mod names;
mod paths;
mod per_test;
mod prune;
mod source;
mod sources;
mod tree;
mod without_dwarf;

pub use branches::BranchFilter;
pub use cli::{run, Cli, Format};
pub use error::MapError;
pub use fold::{block_at, check_blocks, fold, Block, RowRange};
pub use functions::merge_across_crates;
pub use layout::{check_rows_in_bodies, module_hash};
pub use lines::segments;
pub use map::{map_module, map_module_per_test, map_module_with_debug, MapOptions, MapStats};
pub use names::normalize as normalize_name;
pub use per_test::PerTestLines;
pub use source::{FnItem, ModDecl, SourceFacts};
pub use sources::Sources;
