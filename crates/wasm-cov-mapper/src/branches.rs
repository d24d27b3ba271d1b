//! Branch coverage from the module's own control flow: every `br_if`,
//! `if` and `br_table` is a decision, and V8's block counters give each of
//! its outcomes a count.
//!
//! V8 starts a counted block right after every branch instruction and at
//! every `end`, and the code after a block's `end` is a block of its own.
//! So, for a decision at address `a` whose block ran `n` times:
//!
//! - `br_if`: not taken = the count of the block that starts right after
//!   it; taken = `n` minus that.
//! - `if`: then = the count of the block right after it; else = `n` minus
//!   that.
//! - `br_table`: a target label that only this instruction branches to is
//!   entered from it `after - at_end` times, where `after` is the count of
//!   the block after the label's `end` and `at_end` that of the `end`
//!   itself (the fall-through arrivals). One target that cannot be told
//!   this way (a loop, a shared label) gets `n` minus the others; a table
//!   with two or more such targets is not reported.
//!
//! A decision is placed on the line of the row covering its instruction
//! ([`map_branches`]).
//!
//! Refs: WebAssembly core spec §2.4.8 (control instructions); V8
//! `wasm-coverage`; docs/fidelity.md, "Branches".

use std::collections::{BTreeMap, HashMap, HashSet};

use clap::ValueEnum;
use wasm_cov_format::{Coverage, ModuleLayout};
use wasmparser::{BinaryReader, FunctionBody, Operator};

use crate::dwarf::NO_FILE;
use crate::error::MapError;
use crate::fold::{entered, Block, RowRange};
use crate::sources::FileFacts;

/// Which branches the report keeps (docs/fidelity.md, "Branches").
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BranchFilter {
    /// Every decision except those with an outcome that goes straight to a
    /// panic: overflow and bounds checks, `unwrap`, `expect`, `assert!`.
    Panics,
    /// Every `br_if`, `if` and `br_table` in the crate's code.
    None,
    /// No branches at all.
    Off,
}

/// `(file, line, block, branch)` to the times that outcome was taken
/// (`None`: the decision's block never ran).
pub(crate) type BranchMap = BTreeMap<(u32, u32, u32, u32), Option<u64>>;

/// Branch outcomes of every function body that holds a row of a reported
/// file. `rows` are sorted by start (as `fold` leaves them). A decision is
/// placed on the line of the row covering its instruction; decisions on the
/// same line of one body are numbered in address order, so instantiations
/// of one generic function add up outcome by outcome.
pub(crate) fn map_branches(
    bytes: &[u8],
    layout: &ModuleLayout,
    blocks: &[Block],
    rows: &[RowRange],
    filter: BranchFilter,
    facts: &FileFacts,
) -> Result<BranchMap, MapError> {
    let mut out = BranchMap::new();
    if filter == BranchFilter::Off {
        return Ok(out);
    }
    let spans: Vec<&RowRange> = rows.iter().filter(|r| r.end > r.start).collect();
    let panic_fns: HashSet<u32> = layout
        .names
        .iter()
        .filter(|(_, n)| is_panic_name(n))
        .map(|(&i, _)| i)
        .collect();
    let is_panic = |f: u32| panic_fns.contains(&f);
    let cso = layout.code_section_offset;
    let mut j = 0;
    for body in &layout.bodies {
        let (start, end) = (body.start - cso, body.end - cso);
        while j < spans.len() && spans[j].end <= start {
            j += 1;
        }
        let reported = spans[j..]
            .iter()
            .take_while(|r| r.start < end)
            .any(|r| r.file != NO_FILE && r.line != 0);
        if !reported {
            continue;
        }
        let code = bytes
            .get(body.start as usize..body.end as usize)
            .ok_or_else(|| {
                MapError::Blocks(format!("function {} lies outside the module", body.index))
            })?;
        let mut numbering: HashMap<(u32, u32), u32> = HashMap::new();
        for site in analyze(code, start, blocks, &is_panic)? {
            let k = spans.partition_point(|r| r.start <= site.addr);
            let Some(row) = k.checked_sub(1).map(|k| spans[k]) else {
                continue;
            };
            if site.addr >= row.end || row.file == NO_FILE || row.line == 0 {
                continue;
            }
            if !facts.is_user_line(row.file, row.line)
                || (filter == BranchFilter::Panics && site.panics)
            {
                continue;
            }
            let n = numbering.entry((row.file, row.line)).or_insert(0);
            let block = *n;
            *n += 1;
            for b in 0..site.outcomes {
                let taken = site.counts.as_ref().and_then(|c| c.get(b).copied());
                let slot = out
                    .entry((row.file, row.line, block, b as u32))
                    .or_insert(None);
                *slot = match (*slot, taken) {
                    (None, t) | (t, None) => t,
                    (Some(a), Some(t)) => Some(a.saturating_add(t)),
                };
            }
        }
    }
    Ok(out)
}

/// Adds the branch outcomes to `cov`.
pub(crate) fn write(branches: BranchMap, files: &[String], cov: &mut Coverage) {
    for ((file, line, block, branch), count) in branches {
        cov.file_mut(&files[file as usize])
            .add_branch((line, block, branch), count);
    }
}

/// One decision and its outcomes' counts. `counts` is empty when the block
/// holding it never ran (each outcome is then LCOV's `-`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Site {
    /// DWARF address of the branch instruction.
    pub addr: u64,
    pub outcomes: usize,
    pub counts: Option<Vec<u64>>,
    /// Some outcome leads straight to a panic (a bounds or overflow check,
    /// `unwrap`, `expect`, `assert!`): the compiler's decision, not the
    /// user's.
    pub panics: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Op {
    Block,
    Loop,
    If,
    Else,
    End,
    Br,
    BrIf(u32),
    BrTable(Vec<u32>),
    Return,
    Unreachable,
    Call(u32),
    Other,
}

#[derive(Debug, Clone, Copy)]
struct Frame {
    is_loop: bool,
    /// Index of the opening op (`block`, `loop`, `if`; the body itself is
    /// frame 0 with no op).
    open: Option<usize>,
    else_at: Option<usize>,
    end_at: Option<usize>,
    /// Branch instructions that name this label.
    refs: u32,
}

/// Finds the decisions of one function body. `body` is the body's bytes
/// from its locals declaration on, `offset` their DWARF address; `blocks`
/// are the module's, sorted; `is_panic` tells a callee that never returns
/// normally (by its index in the function index space).
pub fn analyze(
    body: &[u8],
    offset: u64,
    blocks: &[Block],
    is_panic: &dyn Fn(u32) -> bool,
) -> Result<Vec<Site>, MapError> {
    let unreadable = |e: wasmparser::BinaryReaderError| {
        MapError::Blocks(format!("cannot read the code at {offset:#x}: {e}"))
    };
    let reader = BinaryReader::new(body, offset as usize);
    let fb = FunctionBody::new(reader);
    let mut ops_reader = fb.get_operators_reader().map_err(unreadable)?;
    let mut ops: Vec<(u64, Op)> = Vec::new();
    while !ops_reader.eof() {
        let (op, at) = ops_reader.read_with_offset().map_err(unreadable)?;
        let op = match op {
            Operator::Block { .. } => Op::Block,
            Operator::Loop { .. } => Op::Loop,
            Operator::If { .. } => Op::If,
            Operator::Else => Op::Else,
            Operator::End => Op::End,
            Operator::Br { .. } => Op::Br,
            Operator::BrIf { relative_depth } => Op::BrIf(relative_depth),
            Operator::BrTable { targets } => {
                let mut t: Vec<u32> = targets
                    .targets()
                    .collect::<Result<_, _>>()
                    .map_err(unreadable)?;
                t.push(targets.default());
                Op::BrTable(t)
            }
            Operator::Return => Op::Return,
            Operator::Unreachable => Op::Unreachable,
            Operator::Call { function_index } => Op::Call(function_index),
            _ => Op::Other,
        };
        ops.push((at as u64, op));
    }
    let body_end = offset + body.len() as u64;
    let next = |i: usize| ops.get(i + 1).map_or(body_end, |o| o.0);

    // Resolve every label to its frame.
    let mut frames = vec![Frame {
        is_loop: false,
        open: None,
        else_at: None,
        end_at: None,
        refs: 0,
    }];
    let mut stack = vec![0usize];
    // For each op index: the frames its branch names (in target order).
    let mut targets: Vec<(usize, Vec<usize>)> = Vec::new();
    for (i, (_, op)) in ops.iter().enumerate() {
        let label = |stack: &[usize], d: u32| -> Option<usize> {
            stack.len().checked_sub(1 + d as usize).map(|k| stack[k])
        };
        match op {
            Op::Block | Op::Loop | Op::If => {
                frames.push(Frame {
                    is_loop: *op == Op::Loop,
                    open: Some(i),
                    else_at: None,
                    end_at: None,
                    refs: 0,
                });
                stack.push(frames.len() - 1);
                if *op == Op::If {
                    targets.push((i, Vec::new()));
                }
            }
            Op::Else => {
                if let Some(&f) = stack.last() {
                    frames[f].else_at = Some(i);
                }
            }
            Op::End => {
                if let Some(f) = stack.pop() {
                    frames[f].end_at = Some(i);
                }
            }
            Op::BrIf(d) => {
                if let Some(f) = label(&stack, *d) {
                    frames[f].refs += 1;
                    targets.push((i, vec![f]));
                }
            }
            Op::BrTable(ds) => {
                let mut fs: Vec<usize> = Vec::new();
                for &d in ds {
                    let Some(f) = label(&stack, d) else { continue };
                    if !fs.contains(&f) {
                        fs.push(f);
                    }
                }
                for &f in &fs {
                    frames[f].refs += 1;
                }
                targets.push((i, fs));
            }
            _ => {}
        }
    }

    let starts_at = |addr: u64| -> Option<u64> {
        let k = blocks.partition_point(|b| b.start < addr);
        blocks.get(k).filter(|b| b.start == addr).map(|b| b.count)
    };
    // Where control goes when a branch to frame `f` is taken: the op index.
    let dest_of = |f: usize| -> Option<usize> {
        let fr = frames[f];
        if fr.is_loop {
            fr.open.map(|o| o + 1)
        } else {
            fr.end_at.map(|e| e + 1)
        }
    };
    // Straight-line code from op `i` reaches a panic before any decision.
    let panics_from = |i: Option<usize>| -> bool {
        let Some(mut i) = i else { return false };
        let mut steps = 0;
        while let Some((_, op)) = ops.get(i) {
            match op {
                Op::Unreachable => return true,
                Op::Call(f) if is_panic(*f) => return true,
                Op::Br | Op::BrIf(_) | Op::BrTable(_) | Op::Return | Op::If | Op::Else => {
                    return false
                }
                _ => {}
            }
            i += 1;
            steps += 1;
            if steps > 256 {
                return false;
            }
        }
        false
    };

    let mut sites = Vec::new();
    for (i, fs) in targets {
        let (addr, op) = &ops[i];
        let here = entered(blocks, Some(*addr));
        let (counts, dests): (Option<Vec<u64>>, Vec<Option<usize>>) = match op {
            Op::BrIf(_) => {
                let Some(fall) = starts_at(next(i)) else {
                    continue;
                };
                (
                    Some(vec![here.saturating_sub(fall), fall]),
                    vec![dest_of(fs[0]), Some(i + 1)],
                )
            }
            Op::If => {
                let Some(then) = starts_at(next(i)) else {
                    continue;
                };
                let f = stack_frame_of_if(&frames, i);
                let else_dest =
                    f.and_then(|f| frames[f].else_at.or(frames[f].end_at).map(|e| e + 1));
                (
                    Some(vec![then, here.saturating_sub(then)]),
                    vec![Some(i + 1), else_dest],
                )
            }
            Op::BrTable(_) => {
                if fs.len() < 2 {
                    continue;
                }
                let mut counts: Vec<Option<u64>> = fs
                    .iter()
                    .map(|&f| {
                        let fr = frames[f];
                        if fr.is_loop || fr.refs != 1 {
                            return None;
                        }
                        let end = fr.end_at?;
                        let after = starts_at(next(end))?;
                        let at_end = starts_at(ops[end].0).unwrap_or(0);
                        Some(after.saturating_sub(at_end))
                    })
                    .collect();
                let unknown: Vec<usize> =
                    (0..counts.len()).filter(|&k| counts[k].is_none()).collect();
                match unknown.as_slice() {
                    [] => {}
                    [k] => {
                        let known: u64 =
                            counts.iter().flatten().fold(0, |a, &c| a.saturating_add(c));
                        counts[*k] = Some(here.saturating_sub(known));
                    }
                    _ => continue,
                }
                (
                    Some(counts.into_iter().flatten().collect()),
                    fs.iter().map(|&f| dest_of(f)).collect(),
                )
            }
            _ => continue,
        };
        let outcomes = dests.len();
        sites.push(Site {
            addr: *addr,
            outcomes,
            counts: if here > 0 { counts } else { None },
            panics: dests.into_iter().any(panics_from),
        });
    }
    Ok(sites)
}

fn stack_frame_of_if(frames: &[Frame], i: usize) -> Option<usize> {
    frames.iter().position(|f| f.open == Some(i))
}

/// Whether a callee's name says it never returns normally: the panic
/// machinery and the `unwrap`/`expect`/bounds-check failure paths.
pub fn is_panic_name(name: &str) -> bool {
    const PATTERNS: &[&str] = &[
        "panic",
        "unwrap_failed",
        "expect_failed",
        "assert_failed",
        "index_len_fail",
        "index_order_fail",
        "slice_error_fail",
        "handle_alloc_error",
        "capacity_overflow",
        "4core6option13unwrap_failed",
    ];
    PATTERNS.iter().any(|p| name.contains(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Assembles a body: no locals, then `code`, then `end`.
    fn body(code: &[u8]) -> Vec<u8> {
        let mut b = vec![0u8];
        b.extend_from_slice(code);
        b.push(0x0b);
        b
    }
    fn bl(start: u64, end: u64, count: u64) -> Block {
        Block { start, end, count }
    }

    #[test]
    fn br_if_outcomes_come_from_the_block_after_it() {
        // 0: locals; 1: block; 3: i32.const 1; 5: br_if 0; 7: nop; 8: end; 9: end
        let b = body(&[0x02, 0x40, 0x41, 0x01, 0x0d, 0x00, 0x01, 0x0b]);
        let blocks = [bl(0, 7, 5), bl(7, 8, 2), bl(8, 9, 2), bl(9, 10, 5)];
        let sites = analyze(&b, 0, &blocks, &|_| false).unwrap();
        assert_eq!(
            sites,
            [Site {
                addr: 5,
                outcomes: 2,
                counts: Some(vec![3, 2]),
                panics: false
            }]
        );
    }

    #[test]
    fn a_branch_to_a_panic_is_marked_and_unrun_has_no_counts() {
        // if (then: call 7) end
        let b = body(&[0x41, 0x01, 0x04, 0x40, 0x10, 0x07, 0x0b]);
        let blocks = [bl(0, 5, 0), bl(5, 7, 0), bl(7, 8, 0), bl(8, 9, 0)];
        let sites = analyze(&b, 0, &blocks, &|f| f == 7).unwrap();
        assert_eq!(sites.len(), 1);
        assert!(sites[0].panics);
        assert_eq!(sites[0].counts, None);
    }

    #[test]
    fn panic_names() {
        assert!(is_panic_name(
            "core::panicking::panic_const::panic_const_add_overflow"
        ));
        assert!(is_panic_name("core::option::unwrap_failed"));
        assert!(!is_panic_name("demo::classify"));
    }
}
