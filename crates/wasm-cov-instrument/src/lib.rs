//! Counters of our own: inserts a 64-bit counter increment at the start of
//! every basic block of a wasm module, with the blocks split exactly as
//! V8's `--wasm-code-coverage` splits them, so the counts read back from the
//! module give the same `v8-coverage.json` as V8's own counters.
//!
//! This is the instrumenting step in front of `wasm-run`'s Node runner: the
//! runner compiles the rewritten bytes, while every offset it writes (and the
//! saved `modules/<sha256>.wasm`) refers to the original module.
//!
//! # What is inserted
//!
//! A new memory, defined (not imported, so the program's memory indices do
//! not move) after the program's memories, so its index is the program's
//! memory count. It is 32-bit even in a memory64 program, `shared`, with
//! minimum = maximum = just enough 64 KiB pages for 8 bytes per block, and
//! is exported as [`COUNTERS_EXPORT`]. Counter `k` is the little-endian u64
//! at byte `8 * k`; it counts `blocks[k]`. Being `shared`, its buffer is a
//! `SharedArrayBuffer` that a worker can post to the main thread, which can
//! read it even after terminating the worker. Each instance defines its own
//! counter memory, so a host sums the instances it wants to count.
//!
//! At each block's increment point goes
//! `i32.const 0 i32.const 0 i64.load (mem N) offset=8k i64.const 1 i64.add
//! i64.store (mem N) offset=8k`: no locals, no globals, stack-neutral, valid
//! anywhere (also in unreachable code). The increments are not atomic: give
//! each thread its own instance. Two memories need multi-memory, which Node
//! has from version 22 (Node 20 refuses: "memory count of 2 exceeds
//! internal limit of 1"). Node 22's V8 aborts the process when such a
//! module imports a Fast API function, as node:wasi's are: wrap each import
//! in a JS closure there (`docs/formats.md` §3b).
//!
//! With [`Options::derive`], the blocks whose counts follow from other
//! blocks' by flow conservation get no increment (4 to 5 in 10 of a Rust
//! test binary's): the host derives them per instance from the counted ones
//! and the instance's live frames ([`derive_counts`]; the rules in
//! `derive.rs` and `docs/formats.md` §3b). [`Instrumented::derived`] lists
//! those blocks.
//!
//! Everything else is copied byte for byte: types, imports, functions,
//! tables, globals, elements, data, the name section and every custom
//! section. No index of the program changes. DWARF stays too, but it
//! describes the original code offsets, which the rewritten module no longer
//! has: nothing downstream reads the rewritten bytes, the pipeline maps the
//! original module (saved as `modules/<sha256>.wasm`) with the block table.
//!
//! # The blocks, as V8 14.6 (Node 26) really splits them
//!
//! Read from V8's `src/wasm/basic-block-calculator.cc`, then checked against
//! `%DebugCollectWasmCoverage()` (flags `--wasm-code-coverage
//! --allow-natives-syntax --no-wasm-lazy-compilation`) case by case in
//! `tests/v8_rules.rs`, and on whole rustc test binaries in
//! `tests/equality.rs` (identical offsets CSVs):
//!
//! 1. The first block starts at the body start (the locals declaration).
//! 2. These end the current block and belong to it: `end`, `if`, `else`,
//!    `unreachable`, `br`, `br_if`, `br_table`, `br_on_null`,
//!    `br_on_non_null`, `return`, `call`, `call_indirect`, `call_ref`,
//!    `return_call`, `return_call_indirect`, `return_call_ref`, `throw`,
//!    `throw_ref`, `rethrow`, `catch`, `catch_all`, `delegate`. The next
//!    instruction starts a block, even when it is dead code.
//! 3. `loop` ends the current block just before itself and starts a block at
//!    its own opcode, unless a block starts there already. Its increment sits
//!    inside the loop, after the opcode, so every iteration counts.
//! 4. `block`, `try`, `try_table` and `select` do not split.
//! 5. **Differs from V8's source:** `br_on_cast` and `br_on_cast_fail` are
//!    in the source's list but do not split in V8 14.6's real output.
//! 6. **Not in the source's comments:** when a body starts with `loop`, the
//!    block before it holds only the locals declaration. V8 reports it but
//!    never counts it (its increment belongs to an instruction, and the block
//!    has none), so we give it a counter and no increment: always 0.
//! 7. Every other block is counted on entry, before its first instruction:
//!    a trap in the middle still counts the block; a block that starts at
//!    an `else` or `end` counts the path falling into it from above.
//! 8. With `--no-wasm-lazy-compilation` V8 reports every block of every
//!    defined function, those that never ran at 0, so the table has all of
//!    them too.
//!
//! The rules move between V8 versions (`br_on_cast_desc` was added to the
//! source in 2025); the two tests name the V8 version when they fail.

mod blocks;
mod derive;
mod error;
mod instrument;
mod table;

pub use derive::{derive_counts, frame_block, Derivation, Derived, FrameRange};
pub use error::InstrumentError;
pub use instrument::{body_entries, instrument, Instrumented, Options, COUNTERS_EXPORT};
pub use table::{Block, BlockTable, TableError, TABLE_FORMAT, TABLE_VERSION};
