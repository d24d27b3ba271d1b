//! Derived counters: blocks whose count follows from other blocks' counts
//! by flow conservation, so they need no increment of their own.
//!
//! V8 counts a block each time it is entered. A block is left either along
//! its edges or not at all: the instance ended (a trap, an exit, a timeout,
//! a kill) with a frame still in it, in the block's own code or in a call
//! it made. Call that number `live(b)`. These blocks get no increment:
//!
//! - **After a call.** A block ending with `call`, `call_indirect` or
//!   `call_ref`, when the block after it does not start with `loop`: the
//!   next block is entered only by that call's return, so
//!   `count(b) = count(b + 1) + live(b)`.
//! - **A loop's `end`.** The block after a loop's `end` is entered only by
//!   falling out of the loop: `count(b) = count(b + 1) + live(b)`.
//! - **`unreachable`.** A block ending with `unreachable` is never left:
//!   `count(b) = live(b)`.
//! - **A `block`'s `end`.** The block after the `end` of a `block`, its
//!   *join*, is entered from the block with the `end` (`e`) and from each
//!   `br` and `br_if` to the label (when no `br_table` or other branch of
//!   several targets goes there). A `br` block `p` takes the edge
//!   `count(p) - live(p)`, a `br_if` block `p` the edge
//!   `count(p) - count(p + 1) - live(p)` (when `p + 1`, its fallthrough,
//!   does not start with `loop`), so
//!   `count(e) = count(join) - Σ count(p) + Σ_br_if count(p + 1) + live(e) + Σ live(p)`.
//!
//! Each rule needs the block after it not to start with `loop` (a loop's
//! block is also entered by its back edges). The host fills the derived
//! counts in per instance, from the instance's own counts and the offsets
//! of its live frames (a trap's backtrace), before it sums instances, last
//! block first: every derived block depends only on blocks after it, or on
//! blocks before it that are counted (the selection pins those), so one
//! pass from the back resolves chains. Without a backtrace (a killed or
//! timed-out instance) the live frames are taken as none; every `live` term
//! is added, so a count can only come out too low, never show a block run
//! that did not run.
//!
//! A module that throws or catches wasm exceptions keeps a counter on every
//! block: there a call can end by an exception that a caller catches, with
//! the instance going on and no backtrace left to correct the counts.

use crate::blocks::{Candidate, Exit, RawBlock};

/// A block whose counter is never incremented, and how its count follows
/// from others'. Indices are block indices in the block table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Derived {
    pub block: u32,
    /// Blocks whose counts add.
    pub plus: Vec<u32>,
    /// Blocks whose counts are taken away.
    pub minus: Vec<u32>,
    /// Blocks whose live frames, when the instance ended, add.
    pub live: Vec<u32>,
}

/// Where a block's code is in the *instrumented* module (module offsets,
/// `end` exclusive), for the blocks a live frame matters in: where a live
/// frame's offset (a V8 stack frame's `0x...` position, wasmtime's
/// `FrameInfo::module_offset`) falls when that frame is still in the block.
/// A function's first block starts at its first instruction, not at the
/// locals declaration: V8 puts a frame whose entry check failed (a stack
/// overflow) at the body's start, and that frame ran nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameRange {
    pub start: u32,
    pub end: u32,
    pub block: u32,
}

/// What a host needs to fill in an instance's derived counts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Derivation {
    /// Sorted by block.
    pub derived: Vec<Derived>,
    /// Sorted by start.
    pub frame_ranges: Vec<FrameRange>,
}

impl Derivation {
    /// No block is derived.
    pub fn is_empty(&self) -> bool {
        self.derived.is_empty()
    }

    /// [`derive_counts`] with these blocks and ranges.
    pub fn fill(&self, counts: &mut [u64], live_frames: &[u64]) {
        derive_counts(counts, &self.derived, &self.frame_ranges, live_frames);
    }
}

/// Chooses the derived blocks of one body: `rules[k]` says how block `k`
/// (the body's own index) is derived, if it is. A join is not taken when
/// it would need a block counted that another rule derives. Then, from the
/// last block back, a block is derived when a rule applies and no block
/// after it needs its count as counted; a rule that uses blocks before its
/// own pins them.
pub(crate) fn choose(blocks: &[RawBlock], joins: &[Candidate]) -> Vec<Option<Rule>> {
    let mut rules: Vec<Option<Rule>> = vec![None; blocks.len()];
    // Plain entry to the next block: nothing jumps to its start, so only a
    // loop (its back edges) can also enter it.
    let plain_entry = |k: usize| blocks.get(k).is_some_and(|b| b.insert_at == Some(b.start));
    for (k, b) in blocks.iter().enumerate() {
        rules[k] = match b.exit {
            Exit::Call | Exit::EndOfLoop if plain_entry(k + 1) => Some(Rule {
                plus: vec![k + 1],
                minus: Vec::new(),
                live: vec![k],
            }),
            Exit::Unreachable => Some(Rule {
                plus: Vec::new(),
                minus: Vec::new(),
                live: vec![k],
            }),
            _ => None,
        };
    }
    for j in joins {
        let Candidate::Join {
            end,
            join,
            brs,
            br_ifs,
        } = j;
        let (e, t) = (*end, *join);
        // A br_if just before the end falls into `e` itself: no equation.
        // And the join needs each br_if's next block counted: when one of
        // those could be derived itself, deriving it is worth as much, and
        // keeps this count free of a sum.
        // A br_if's next block that starts with `loop` is also entered by
        // its back edges: its count is not the br_if's fallthrough.
        if !plain_entry(t)
            || br_ifs
                .iter()
                .any(|&p| p + 1 == e || rules[p + 1].is_some() || !plain_entry(p + 1))
        {
            continue;
        }
        let mut plus = vec![t];
        plus.extend(br_ifs.iter().map(|&p| p + 1));
        let mut minus: Vec<usize> = brs.iter().chain(br_ifs).copied().collect();
        minus.sort_unstable();
        let mut live = vec![e];
        live.extend(&minus);
        rules[e] = Some(Rule { plus, minus, live });
    }
    let mut pinned = vec![false; blocks.len()];
    for k in (0..blocks.len()).rev() {
        if pinned[k] {
            rules[k] = None;
        }
        if let Some(r) = &rules[k] {
            for &i in r.plus.iter().chain(&r.minus) {
                if i < k {
                    pinned[i] = true;
                }
            }
        }
    }
    rules
}

/// How one block of a body is derived: [`Derived`] with the body's own
/// indices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Rule {
    pub plus: Vec<usize>,
    pub minus: Vec<usize>,
    pub live: Vec<usize>,
}

/// Fills in the derived counters of one instance's `counts` (one per block,
/// the derived ones as the instance left them: never incremented), given
/// the module offsets (in the instrumented module) of the instance's live
/// frames when it ended: none for an instance that returned, or when they
/// are not known. `derived` is sorted by block and `ranges` by start, as
/// [`crate::Instrumented`] gives them. Counts saturate at `u64::MAX` and
/// stop at 0; a block past the end of `counts` counts 0.
pub fn derive_counts(
    counts: &mut [u64],
    derived: &[Derived],
    ranges: &[FrameRange],
    live_frames: &[u64],
) {
    let mut live: Vec<(u32, u64)> = Vec::new();
    for &offset in live_frames {
        if let Some(b) = frame_block(ranges, offset) {
            match live.iter_mut().find(|(k, _)| *k == b) {
                Some((_, n)) => *n += 1,
                None => live.push((b, 1)),
            }
        }
    }
    let at = |counts: &[u64], k: u32| i128::from(counts.get(k as usize).copied().unwrap_or(0));
    for d in derived.iter().rev() {
        let mut c: i128 = 0;
        for &k in &d.plus {
            c += at(counts, k);
        }
        for &k in &d.minus {
            c -= at(counts, k);
        }
        for &k in &d.live {
            c += live
                .iter()
                .find(|(b, _)| *b == k)
                .map_or(0, |(_, n)| i128::from(*n));
        }
        if let Some(slot) = counts.get_mut(d.block as usize) {
            *slot = u64::try_from(c.max(0)).unwrap_or(u64::MAX);
        }
    }
}

/// The block whose code holds `offset`, of those in `ranges`.
pub fn frame_block(ranges: &[FrameRange], offset: u64) -> Option<u32> {
    let i = ranges.partition_point(|r| u64::from(r.start) <= offset);
    let r = ranges.get(i.checked_sub(1)?)?;
    (offset < u64::from(r.end)).then_some(r.block)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn next(block: u32) -> Derived {
        Derived {
            block,
            plus: vec![block + 1],
            minus: vec![],
            live: vec![block],
        }
    }

    fn range(block: u32, start: u32, end: u32) -> FrameRange {
        FrameRange { start, end, block }
    }

    #[test]
    fn a_call_block_takes_the_next_blocks_count() {
        let mut c = [4, 0, 3, 9];
        derive_counts(&mut c, &[next(1)], &[range(1, 10, 20)], &[]);
        assert_eq!(c, [4, 3, 3, 9]);
    }

    #[test]
    fn chains_resolve_from_the_back() {
        // Blocks 1, 2 and 3 each end with a call; 4 is counted.
        let mut c = [1, 0, 0, 0, 5];
        derive_counts(&mut c, &[next(1), next(2), next(3)], &[], &[]);
        assert_eq!(c, [1, 5, 5, 5, 5]);
    }

    #[test]
    fn live_frames_add_to_their_block_and_every_block_before_it_in_the_chain() {
        let derived = [next(1), next(2), next(3)];
        let ranges = [range(1, 10, 20), range(2, 20, 30), range(3, 30, 40)];
        let mut c = [1, 0, 0, 0, 0];
        // The instance trapped in block 3 (offset 35), in a frame called
        // from another frame's block 1 (its call at 18); offsets 7 and 40
        // are in no listed block. Block 3 was entered once and never left;
        // block 2 was left once, into block 3; block 1 once into block 2,
        // and once never.
        derive_counts(&mut c, &derived, &ranges, &[35, 18, 7, 40]);
        assert_eq!(c, [1, 2, 1, 1, 0]);
        // Recursion: two frames in one block.
        let mut c = [0, 0, 0, 0, 2];
        derive_counts(&mut c, &derived, &ranges, &[12, 12]);
        assert_eq!(c, [0, 4, 2, 2, 2]);
    }

    #[test]
    fn a_join_takes_away_the_branches_into_it() {
        // 0: br_if to the join (taken 3 of 5 times), 1: its fallthrough,
        // 2: br to the join (2 times, of 2), 3: the block's end (derived),
        // 4: the join, entered 0 + 3 + 2 from the branches and 4 from 3.
        let d = Derived {
            block: 3,
            plus: vec![4, 1],
            minus: vec![0, 2],
            live: vec![3, 0, 2],
        };
        let mut c = [5, 2, 2, 0, 9];
        derive_counts(&mut c, std::slice::from_ref(&d), &[], &[]);
        assert_eq!(c[3], 4);
        // The instance trapped in block 0: one entry of 0 went nowhere,
        // and the counts seen are one lower there than the edges say.
        let mut c = [6, 2, 2, 0, 9];
        derive_counts(&mut c, &[d], &[range(0, 0, 10)], &[5]);
        assert_eq!(c[3], 4);
    }

    #[test]
    fn unknown_frames_only_ever_lower_a_count() {
        let unreachable = Derived {
            block: 0,
            plus: vec![],
            minus: vec![],
            live: vec![0],
        };
        let mut c = [0];
        derive_counts(&mut c, std::slice::from_ref(&unreachable), &[], &[]);
        assert_eq!(c, [0]);
        derive_counts(&mut c, &[unreachable], &[range(0, 0, 4)], &[3]);
        assert_eq!(c, [1]);
        // A formula below 0 stops at 0.
        let d = Derived {
            block: 1,
            plus: vec![2],
            minus: vec![0],
            live: vec![],
        };
        let mut c = [5, 0, 1];
        derive_counts(&mut c, &[d], &[], &[]);
        assert_eq!(c, [5, 0, 1]);
    }

    #[test]
    fn frames_outside_every_range_count_nothing() {
        let ranges = [range(1, 10, 20), range(4, 50, 60)];
        for offset in [0, 9, 20, 49, 60, u64::MAX] {
            assert_eq!(frame_block(&ranges, offset), None, "{offset}");
        }
        assert_eq!(frame_block(&ranges, 10), Some(1));
        assert_eq!(frame_block(&ranges, 59), Some(4));
        assert_eq!(frame_block(&[], 3), None);
    }

    #[test]
    fn saturates_and_skips_what_is_out_of_range() {
        let mut c = [0, u64::MAX];
        derive_counts(&mut c, &[next(0)], &[range(0, 0, 5)], &[2]);
        assert_eq!(c, [u64::MAX, u64::MAX]);
        // Block 2 is past the end: it counts 0.
        derive_counts(&mut c, &[next(1)], &[], &[]);
        assert_eq!(c, [u64::MAX, 0]);
    }
}
