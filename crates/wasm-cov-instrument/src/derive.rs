//! Derived counters: blocks whose count follows from the block after them,
//! so they need no increment of their own.
//!
//! A block that ends with a call (`call`, `call_indirect`, `call_ref`) is
//! left only through that call's return, and the block right after it is
//! entered only that way, unless it starts with `loop` (a loop's block is
//! also entered by every back edge). For such a pair,
//!
//! ```text
//! count(block) = count(next) + frames still in `block`
//! ```
//!
//! where "frames still in `block`" are the calls that never returned: the
//! live frames of an instance that ended by a trap, a `proc_exit`, a
//! timeout or a kill. The instrumenter gives `block` no increment; the host
//! fills its count in per instance, from the instance's own counts and the
//! offsets of its live frames (a trap's backtrace), before it sums
//! instances. Without a backtrace (a killed or timed-out instance) the live
//! frames are taken as none, which can only leave a block that ran shown at
//! a count too low, never a block shown run that did not run.
//!
//! Chains resolve from the back: a call block followed by another call
//! block takes the second's derived count, so [`derive_counts`] fills them
//! last block first.
//!
//! A module that throws or catches wasm exceptions keeps a counter on every
//! block: there a call can end by an exception that a caller catches, with
//! the instance going on, and no backtrace is left to correct the count.

/// A block whose counter is never incremented: its count is that of the
/// block after it (`block + 1`) plus the live frames in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Derived {
    /// The block's index in the block table (and so its counter's).
    pub block: u32,
    /// The block's code in the *instrumented* module, as module offsets,
    /// `end` exclusive: where a live frame's offset (a V8 stack frame's
    /// `0x...` position, wasmtime's `FrameInfo::module_offset`) falls when
    /// that frame is still in the block.
    pub start: u32,
    pub end: u32,
}

/// Fills in the derived counters of one instance's `counts` (one per block,
/// the derived ones as the instance left them, never incremented), given the
/// module offsets (in the instrumented module) of the instance's live frames
/// when it ended: none for an instance that returned. `derived` is sorted by
/// block, as [`crate::Instrumented::derived`] is. Counts saturate at
/// `u64::MAX`; a derived block past the end of `counts` is skipped.
pub fn derive_counts(counts: &mut [u64], derived: &[Derived], live_frames: &[u64]) {
    let mut live = vec![
        0u64;
        if live_frames.is_empty() {
            0
        } else {
            derived.len()
        }
    ];
    for &offset in live_frames {
        if let Some(i) = frame_block(derived, offset) {
            live[i] += 1;
        }
    }
    for (i, d) in derived.iter().enumerate().rev() {
        let k = d.block as usize;
        let Some(&next) = counts.get(k + 1) else {
            continue;
        };
        counts[k] = next.saturating_add(live.get(i).copied().unwrap_or(0));
    }
}

/// The index in `derived` of the block whose code holds `offset`.
pub fn frame_block(derived: &[Derived], offset: u64) -> Option<usize> {
    let i = derived.partition_point(|d| u64::from(d.start) <= offset);
    let d = derived.get(i.checked_sub(1)?)?;
    (offset < u64::from(d.end)).then_some(i - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(block: u32, start: u32, end: u32) -> Derived {
        Derived { block, start, end }
    }

    #[test]
    fn a_derived_block_takes_the_next_blocks_count() {
        let derived = [d(1, 10, 20)];
        let mut c = [4, 0, 3, 9];
        derive_counts(&mut c, &derived, &[]);
        assert_eq!(c, [4, 3, 3, 9]);
    }

    #[test]
    fn chains_resolve_from_the_back() {
        // Blocks 1, 2 and 3 each end with a call; 4 is counted.
        let derived = [d(1, 10, 20), d(2, 20, 30), d(3, 30, 40)];
        let mut c = [1, 0, 0, 0, 5];
        derive_counts(&mut c, &derived, &[]);
        assert_eq!(c, [1, 5, 5, 5, 5]);
    }

    #[test]
    fn live_frames_add_to_their_block_and_every_block_before_it_in_the_chain() {
        let derived = [d(1, 10, 20), d(2, 20, 30), d(3, 30, 40)];
        let mut c = [1, 0, 0, 0, 0];
        // The instance trapped in block 3 (offset 35), in a frame called
        // from another frame's block 1 (its call at 18); offsets 7 and 40
        // are in counted blocks. Block 3 was entered once and never left;
        // block 2 was left once, into block 3; block 1 once into block 2,
        // and once never.
        derive_counts(&mut c, &derived, &[35, 18, 7, 40]);
        assert_eq!(c, [1, 2, 1, 1, 0]);
        // Recursion: two frames in one block.
        let mut c = [0, 0, 0, 0, 2];
        derive_counts(&mut c, &derived, &[12, 12]);
        assert_eq!(c, [0, 4, 2, 2, 2]);
    }

    #[test]
    fn frames_outside_every_derived_block_count_nothing() {
        let derived = [d(1, 10, 20), d(4, 50, 60)];
        for offset in [0, 9, 20, 49, 60, u64::MAX] {
            assert_eq!(frame_block(&derived, offset), None, "{offset}");
        }
        assert_eq!(frame_block(&derived, 10), Some(0));
        assert_eq!(frame_block(&derived, 59), Some(1));
        assert_eq!(frame_block(&[], 3), None);
    }

    #[test]
    fn saturates_and_skips_what_is_out_of_range() {
        let mut c = [0, u64::MAX];
        derive_counts(&mut c, &[d(0, 0, 5), d(1, 5, 9)], &[2]);
        assert_eq!(c, [u64::MAX, u64::MAX]);
    }
}
