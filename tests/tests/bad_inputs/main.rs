//! The bad-input suite: every kind of bad input the tools must refuse
//! cleanly, one named trial each, on libtest-mimic (as wasm-tools runs its
//! `tests/cli.rs`), so a failure names its case and `--list` shows them all.
//!
//! - One trial per folder `tests/bad_inputs/<case>/`, named after the
//!   folder (`case.rs`): the tool named in its `case.txt` run on its inputs
//!   must exit 2 with one line `TOOL: error: ...` that is the golden
//!   `stderr` beside them, never panic, and leave no output behind.
//! - Named trials in code (`coded.rs`), for what a folder cannot hold:
//!   hostile inputs that are not errors (DWARF paths with `..`, a device as
//!   a source), resource bounds (2 million line rows, DIEs nested 200,000
//!   deep, 2 GiB lines under `ulimit -v`), counts that must saturate, and
//!   the mapper fuzz target's seeds.
//!
//! ```text
//! cargo test -p integration-tests --test bad_inputs             # all
//! cargo test -p integration-tests --test bad_inputs -- v8-      # some
//! cargo test -p integration-tests --test bad_inputs -- --list   # their names
//! BLESS=1 cargo test -p integration-tests --test bad_inputs     # rewrite goldens
//! ```
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "in a test, a failed unwrap is a failed test"
)]

mod case;
mod coded;
mod dwarf;
mod generate;

fn main() {
    let args = libtest_mimic::Arguments::from_args();
    let mut trials = case::trials(!args.list);
    trials.extend(coded::trials());
    libtest_mimic::run(&args, trials).exit();
}
