//! V8's basic blocks of one function body, and where each block's counter
//! increment goes.
//!
//! Refs: V8 `src/wasm/basic-block-calculator.cc` (`ComputeBasicBlocks`),
//! checked against `%DebugCollectWasmCoverage()` of Node 26 (V8 14.x); the
//! rules as verified are in the crate docs.

use wasmparser::{FunctionBody, Operator};

use crate::InstrumentError;

/// One block of a body: module offsets, `end` exclusive, and the module
/// offset in the original body before which its increment is inserted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RawBlock {
    pub start: usize,
    pub end: usize,
    /// Where the increment goes: before the operator at this offset. `None`
    /// for a block V8 never counts (see `body_blocks`).
    pub insert_at: Option<usize>,
}

/// Does this operator end the current block (and belong to it)?
///
/// The list is V8's `ComputeBasicBlocks` switch as V8 14.6 (Node 26)
/// really behaves: `block`, `try`, `try_table` and `loop` are not in it
/// (`loop` has a rule of its own). V8's source also lists the GC prefixed
/// `br_on_cast`, `br_on_cast_fail` and `br_on_cast_desc*`, but V8 14.6's
/// real output does not split after `br_on_cast` or `br_on_cast_fail`
/// (checked by `tests/v8_rules.rs`), so neither do we; wasmparser 0.240
/// does not decode the `desc` ones at all.
fn ends_block(op: &Operator<'_>) -> bool {
    matches!(
        op,
        Operator::End
            | Operator::If { .. }
            | Operator::Else
            | Operator::Unreachable
            | Operator::Br { .. }
            | Operator::BrTable { .. }
            | Operator::Return
            | Operator::Delegate { .. }
            | Operator::Rethrow { .. }
            | Operator::Throw { .. }
            | Operator::ThrowRef
            | Operator::Catch { .. }
            | Operator::CatchAll
            | Operator::BrIf { .. }
            | Operator::BrOnNull { .. }
            | Operator::BrOnNonNull { .. }
            | Operator::ReturnCall { .. }
            | Operator::ReturnCallIndirect { .. }
            | Operator::ReturnCallRef { .. }
            | Operator::Call { .. }
            | Operator::CallIndirect { .. }
            | Operator::CallRef { .. }
    )
}

/// Computes the blocks of `body`, appending them to `out`. Also returns,
/// through `ops_start`, the module offset where the body's operators begin
/// (after the locals declaration).
pub(crate) fn body_blocks(
    body: &FunctionBody<'_>,
    out: &mut Vec<RawBlock>,
    ops_start: &mut usize,
) -> Result<(), InstrumentError> {
    let body_start = body.range().start;
    let mut reader = body.get_operators_reader()?;
    *ops_start = reader.original_position();
    let mut cur_start = body_start;
    // Where the current block's increment goes; see `insert_point`.
    let mut cur_insert = Some(*ops_start);
    let mut at_block_end = false;
    while !reader.eof() {
        let pos = reader.original_position();
        let op = reader.read()?;
        let next = reader.original_position();
        if at_block_end {
            cur_start = pos;
            cur_insert = insert_point(&op, pos, next);
            at_block_end = false;
        }
        if matches!(op, Operator::Loop { .. }) {
            // A loop starts a block at its own opcode, unless one just
            // started there. Its increment goes after the opcode, inside the
            // loop, so that every iteration (each back edge) counts.
            if pos > cur_start {
                // When the body starts with a loop, the block before it holds
                // only the locals declaration: V8 reports it but never counts
                // it (it places a block's increment at an instruction, and
                // this block has none), so it stays at 0. Checked on V8 14.6.
                let counted = if pos == *ops_start { None } else { cur_insert };
                out.push(RawBlock {
                    start: cur_start,
                    end: pos,
                    insert_at: counted,
                });
                cur_start = pos;
            }
            cur_insert = Some(next);
        } else if ends_block(&op) {
            out.push(RawBlock {
                start: cur_start,
                end: next,
                insert_at: cur_insert,
            });
            at_block_end = true;
        }
    }
    reader.finish()?;
    if !at_block_end {
        // Unreachable for a valid body (it ends with `end`), kept as V8 has it.
        out.push(RawBlock {
            start: cur_start,
            end: reader.original_position(),
            insert_at: cur_insert,
        });
    }
    Ok(())
}

/// The increment of a block that starts at operator `op` (at `pos`, next
/// operator at `next`): before it, except for a `loop`, whose increment goes
/// inside the loop.
fn insert_point(op: &Operator<'_>, pos: usize, next: usize) -> Option<usize> {
    Some(if matches!(op, Operator::Loop { .. }) {
        next
    } else {
        pos
    })
}
