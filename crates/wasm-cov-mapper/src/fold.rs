//! Folding line-table rows against block counts: the pure core of the
//! mapper, independent of DWARF parsing so it can be tested on small
//! hand-made inputs.

/// A basic block in DWARF address space (code section payload offsets),
/// `end` exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Block {
    pub start: u64,
    pub end: u64,
    pub count: u64,
}

/// One line-table row's address range, `end` exclusive. A row whose next
/// row has the same address covers the single byte at `start`, so a line
/// that only ever appears in such rows still gets the count of the code at
/// its address instead of a false 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RowRange {
    pub start: u64,
    pub end: u64,
    /// Index into the caller's file table; `u32::MAX` for rows of files left
    /// out of the report (they still claim blocks, so those blocks count as
    /// mapped).
    pub file: u32,
    pub line: u32,
    /// 1-based column of the row; 0 when DWARF does not say.
    pub col: u32,
}

/// Gives each row the largest count among the blocks overlapping it (0 if
/// none) and marks every block that some row overlaps.
///
/// `blocks` must be sorted by start and disjoint (checked by the caller);
/// `rows` are sorted here. Runs as a merge of the two sorted lists, so the
/// cost is O(rows log rows + blocks), not a lookup per address.
pub fn fold(rows: &mut [RowRange], blocks: &[Block], mapped: &mut [bool]) -> Vec<u64> {
    debug_assert_eq!(blocks.len(), mapped.len());
    rows.sort_unstable_by_key(|r| (r.start, r.end));
    let mut counts = Vec::with_capacity(rows.len());
    let mut j = 0;
    for row in rows.iter() {
        let end = row.end.max(row.start.saturating_add(1));
        // Blocks ending at or before this row's start can never overlap a
        // later row either, since rows are sorted by start.
        while j < blocks.len() && blocks[j].end <= row.start {
            j += 1;
        }
        let mut best = 0u64;
        let mut k = j;
        while k < blocks.len() && blocks[k].start < end {
            best = best.max(blocks[k].count);
            mapped[k] = true;
            k += 1;
        }
        counts.push(best);
    }
    counts
}

/// Checks that `blocks` is sorted by start and its ranges are disjoint and
/// non-empty; returns the index of the first offender.
pub fn check_blocks(blocks: &[Block]) -> Result<(), usize> {
    for (i, b) in blocks.iter().enumerate() {
        if b.start >= b.end {
            return Err(i);
        }
        if i > 0 && blocks[i - 1].end > b.start {
            return Err(i);
        }
    }
    Ok(())
}

/// The block containing `addr`, if any.
pub fn block_at(blocks: &[Block], addr: u64) -> Option<&Block> {
    let i = blocks.partition_point(|b| b.start <= addr);
    let b = blocks.get(i.checked_sub(1)?)?;
    (addr < b.end).then_some(b)
}

/// How often code entered at `addr` ran: the count of the block holding
/// it; 0 when no block does or the code is gone (`None`).
pub fn entered(blocks: &[Block], addr: Option<u64>) -> u64 {
    addr.and_then(|a| block_at(blocks, a))
        .map_or(0, |b| b.count)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(start: u64, end: u64, line: u32) -> RowRange {
        RowRange {
            start,
            end,
            file: 0,
            line,
            col: 0,
        }
    }
    fn block(start: u64, end: u64, count: u64) -> Block {
        Block { start, end, count }
    }

    /// Each row's count (rows in the order `fold` sorts them into) and
    /// which blocks some row overlapped.
    fn folded(blocks: &[Block], rows: &mut [RowRange]) -> (Vec<u64>, Vec<bool>) {
        let mut mapped = vec![false; blocks.len()];
        let counts = fold(rows, blocks, &mut mapped);
        (counts, mapped)
    }

    #[test]
    fn row_takes_the_largest_overlapping_block() {
        let blocks = [block(0, 4, 1), block(4, 8, 7), block(10, 12, 0)];
        let mut rows = [row(2, 6, 1), row(8, 10, 2), row(10, 20, 3), row(0, 2, 4)];
        let (counts, mapped) = folded(&blocks, &mut rows);
        // Sorted by start: (0,2,l4) (2,6,l1) (8,10,l2) (10,20,l3)
        let got: Vec<_> = rows.iter().map(|r| r.line).zip(counts).collect();
        assert_eq!(got, [(4, 1), (1, 7), (2, 0), (3, 0)]);
        assert_eq!(mapped, [true, true, true]);
    }

    #[test]
    fn a_row_claims_the_blocks_it_overlaps_and_no_other() {
        // (blocks, row, its count, which blocks it claimed)
        let cases = [
            // An empty row covers the byte at its address.
            (
                [block(0, 4, 1), block(4, 8, 5)],
                row(4, 4, 9),
                5,
                [false, true],
            ),
            // Blocks outside every row stay unmapped.
            (
                [block(0, 2, 1), block(20, 30, 1)],
                row(5, 10, 1),
                0,
                [false, false],
            ),
        ];
        for (blocks, r, count, mapped) in cases {
            assert_eq!(
                folded(&blocks, &mut [r]),
                (vec![count], mapped.to_vec()),
                "{r:?}"
            );
        }
    }

    #[test]
    fn checks_order_and_overlap() {
        assert_eq!(check_blocks(&[block(0, 4, 1), block(4, 5, 1)]), Ok(()));
        assert_eq!(check_blocks(&[block(0, 4, 1), block(3, 5, 1)]), Err(1));
        assert_eq!(check_blocks(&[block(4, 4, 1)]), Err(0));
        assert_eq!(block_at(&[block(2, 4, 3)], 3).map(|b| b.count), Some(3));
        assert_eq!(block_at(&[block(2, 4, 3)], 4), None);
    }
}
