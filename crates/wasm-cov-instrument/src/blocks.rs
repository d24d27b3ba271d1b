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
    /// How the block is left, as far as derived counters care.
    pub exit: Exit,
}

/// How a block is left (`derive.rs` uses it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Exit {
    /// `call`, `call_indirect`, `call_ref`: into the next block when the
    /// callee returns, or never.
    Call,
    /// `unreachable`: never.
    Unreachable,
    /// `br` or `br_if`: to a label's target (and `br_if` also into the
    /// next block).
    Br,
    BrIf,
    /// The `end` of a `block` or a `loop`: into the next block.
    EndOfBlock,
    EndOfLoop,
    /// Anything else.
    Other,
}

/// A block whose count may be derived from others' (`derive.rs`), found
/// while the body's blocks are computed. Indices are the body's own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Candidate {
    /// A block that ends with the `end` of a `block` no `br_table` (or
    /// other branch of several targets) leaves: the block after that `end`,
    /// `join`, is entered only from it and from the `br`s and `br_if`s
    /// to the label.
    Join {
        end: usize,
        join: usize,
        brs: Vec<usize>,
        br_ifs: Vec<usize>,
    },
}

/// What a body holds besides its blocks.
#[derive(Debug, Clone, Default)]
pub(crate) struct BodyFacts {
    /// It throws or catches (legacy or new exception handling): a call in
    /// it may end without returning while the instance goes on.
    pub exceptions: bool,
    /// The joins of `block`s, in the order their `end`s come.
    pub joins: Vec<Candidate>,
}

/// An open `block`, `loop`, `if`, `try` or the body itself, and the branches
/// to its label so far.
struct Frame {
    kind: FrameKind,
    brs: Vec<usize>,
    br_ifs: Vec<usize>,
    /// Some branch of several targets (or one this does not follow) goes to
    /// the label: its join's entries are not all known.
    poisoned: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum FrameKind {
    Block,
    Loop,
    Other,
}

impl Frame {
    fn new(kind: FrameKind) -> Frame {
        Frame {
            kind,
            brs: Vec::new(),
            br_ifs: Vec::new(),
            poisoned: false,
        }
    }
}

/// The frame `depth` labels out from the innermost.
fn label(stack: &mut [Frame], depth: u32) -> Option<&mut Frame> {
    let i = stack.len().checked_sub(1 + depth as usize)?;
    stack.get_mut(i)
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
    let mut facts = BodyFacts::default();
    // The body's own frame: branches to it return.
    let mut stack = vec![Frame::new(FrameKind::Other)];
    let mut cur_start = body_start;
    // Where the current block's increment goes; see `insert_point`.
    let mut cur_insert = Some(ops_start);
    let mut at_block_end = false;
    // The kind of frame the current `end` closed.
    let mut exit_of_end = None;
    while !reader.eof() {
        let pos = reader.original_position();
        let op = reader.read()?;
        let next = reader.original_position();
        facts.exceptions |= handles_exceptions(&op);
        // The index the block this operator ends (if it ends one) gets.
        let this = out.len();
        match &op {
            Operator::Block { .. } => stack.push(Frame::new(FrameKind::Block)),
            Operator::Loop { .. } => stack.push(Frame::new(FrameKind::Loop)),
            Operator::If { .. } | Operator::Try { .. } | Operator::TryTable { .. } => {
                stack.push(Frame::new(FrameKind::Other));
            }
            Operator::Br { relative_depth } => {
                if let Some(f) = label(&mut stack, *relative_depth) {
                    f.brs.push(this);
                }
            }
            Operator::BrIf { relative_depth } => {
                if let Some(f) = label(&mut stack, *relative_depth) {
                    f.br_ifs.push(this);
                }
            }
            Operator::BrTable { targets } => {
                for depth in targets.targets().chain(Some(Ok(targets.default()))) {
                    if let Some(f) = label(&mut stack, depth?) {
                        f.poisoned = true;
                    }
                }
            }
            Operator::BrOnNull { relative_depth }
            | Operator::BrOnNonNull { relative_depth }
            | Operator::BrOnCast { relative_depth, .. }
            | Operator::BrOnCastFail { relative_depth, .. } => {
                if let Some(f) = label(&mut stack, *relative_depth) {
                    f.poisoned = true;
                }
            }
            Operator::End => {
                if let Some(f) = stack.pop() {
                    if f.kind == FrameKind::Block && !f.poisoned {
                        facts.joins.push(Candidate::Join {
                            end: this,
                            join: this + 1,
                            brs: f.brs,
                            br_ifs: f.br_ifs,
                        });
                    }
                    exit_of_end = Some(f.kind);
                }
            }
            _ => {}
        }
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
                    exit: Exit::Other,
                });
                cur_start = pos;
            }
            cur_insert = Some(next);
        } else if ends_block(&op) {
            out.push(RawBlock {
                start: cur_start,
                end: next,
                insert_at: cur_insert,
                exit: match op {
                    Operator::Call { .. }
                    | Operator::CallIndirect { .. }
                    | Operator::CallRef { .. } => Exit::Call,
                    Operator::Unreachable => Exit::Unreachable,
                    Operator::Br { .. } => Exit::Br,
                    Operator::BrIf { .. } => Exit::BrIf,
                    Operator::End => match exit_of_end.take() {
                        Some(FrameKind::Block) => Exit::EndOfBlock,
                        Some(FrameKind::Loop) => Exit::EndOfLoop,
                        _ => Exit::Other,
                    },
                    _ => Exit::Other,
                },
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
            exit: Exit::Other,
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
