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
    /// Ends with `call`, `call_indirect` or `call_ref`: left only when the
    /// callee returns (or never, when the instance ends in the callee).
    pub ends_in_call: bool,
}

/// What a body holds besides its blocks.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct BodyFacts {
    /// It throws or catches (legacy or new exception handling): a call in
    /// it may end without returning while the instance goes on.
    pub exceptions: bool,
}

/// Does this operator throw or catch a wasm exception?
fn handles_exceptions(op: &Operator<'_>) -> bool {
    matches!(
        op,
        Operator::Try { .. }
            | Operator::TryTable { .. }
            | Operator::Catch { .. }
            | Operator::CatchAll
            | Operator::Delegate { .. }
            | Operator::Rethrow { .. }
            | Operator::Throw { .. }
            | Operator::ThrowRef
    )
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

/// Computes the blocks of `body`, appending them to `out`, and what else
/// the body holds.
pub(crate) fn body_blocks(
    body: &FunctionBody<'_>,
    out: &mut Vec<RawBlock>,
) -> Result<BodyFacts, InstrumentError> {
    let body_start = body.range().start;
    let mut reader = body.get_operators_reader()?;
    let ops_start = reader.original_position();
    let mut facts = BodyFacts { exceptions: false };
    let mut cur_start = body_start;
    // Where the current block's increment goes; see `insert_point`.
    let mut cur_insert = Some(ops_start);
    let mut at_block_end = false;
    while !reader.eof() {
        let pos = reader.original_position();
        let op = reader.read()?;
        let next = reader.original_position();
        facts.exceptions |= handles_exceptions(&op);
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
                let counted = if pos == ops_start { None } else { cur_insert };
                out.push(RawBlock {
                    start: cur_start,
                    end: pos,
                    insert_at: counted,
                    ends_in_call: false,
                });
                cur_start = pos;
            }
            cur_insert = Some(next);
        } else if ends_block(&op) {
            out.push(RawBlock {
                start: cur_start,
                end: next,
                insert_at: cur_insert,
                ends_in_call: matches!(
                    op,
                    Operator::Call { .. }
                        | Operator::CallIndirect { .. }
                        | Operator::CallRef { .. }
                ),
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
            ends_in_call: false,
        });
    }
    Ok(facts)
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests: a panic is a failed test")]
    use super::*;
    use wasmparser::{Parser, Payload};

    /// The blocks of the first body of `wat`, relative to its body start,
    /// `end` exclusive, with the increment point (`None`: never counted).
    fn blocks(wat: &str) -> Vec<(usize, usize, Option<usize>)> {
        let wasm = wat::parse_str(wat).unwrap();
        for p in Parser::new(0).parse_all(&wasm) {
            if let Payload::CodeSectionEntry(body) = p.unwrap() {
                let base = body.range().start;
                let mut out = Vec::new();
                body_blocks(&body, &mut out).unwrap();
                return out
                    .iter()
                    .map(|b| (b.start - base, b.end - base, b.insert_at.map(|i| i - base)))
                    .collect();
            }
        }
        panic!("no body");
    }

    // These pin the rules without Node; tests/v8_rules.rs holds the same
    // rules against V8 itself.

    #[test]
    fn one_block_without_control_flow() {
        // locals decl (1 byte: 0 groups), local.get 0 (2), drop (1), end (1)
        assert_eq!(
            blocks("(module (func (param i32) local.get 0 drop))"),
            [(0, 5, Some(1))]
        );
    }

    #[test]
    fn if_else_end_and_calls_end_blocks() {
        // 0: locals | 1: local.get 0 | 3: if | 5: call 0 | 7: else |
        // 8: nop | 9: end | 10: end
        assert_eq!(
            blocks("(module (func (param i32) local.get 0 (if (then call 0) (else nop))))"),
            [
                (0, 5, Some(1)),
                (5, 7, Some(5)),
                (7, 8, Some(7)),
                (8, 10, Some(8)),
                (10, 11, Some(10))
            ]
        );
    }

    #[test]
    fn loop_starts_a_block_with_its_increment_inside() {
        // 0: locals | 1: nop | 2: loop | 4: br 0 | 6: end | 7: end
        assert_eq!(
            blocks("(module (func nop (loop br 0)))"),
            [
                (0, 2, Some(1)),
                (2, 6, Some(4)),
                (6, 7, Some(6)),
                (7, 8, Some(7))
            ]
        );
        // A leading loop leaves a locals-only block that is never counted.
        assert_eq!(
            blocks("(module (func (loop br 0)))"),
            [
                (0, 1, None),
                (1, 5, Some(3)),
                (5, 6, Some(5)),
                (6, 7, Some(6))
            ]
        );
    }

    #[test]
    fn block_try_table_and_br_on_cast_do_not_split() {
        assert_eq!(
            blocks("(module (func (block (try_table (block nop)))))").len(),
            4, // the three inner ends and the function's end
        );
        let cast = blocks(
            "(module (func (param anyref) (result anyref)
               (block $b (result anyref) local.get 0 br_on_cast $b anyref i31ref)))",
        );
        assert_eq!(cast.len(), 2, "{cast:?}"); // the block's end, the function's end
    }
}
