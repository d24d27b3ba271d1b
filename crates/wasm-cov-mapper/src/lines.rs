//! Line coverage: each row's count onto its source line, which takes the
//! largest count among its rows (`docs/formats.md`, "Line semantics");
//! and, for a line only partly run, the column segments that show which
//! part.

use std::collections::{BTreeMap, HashMap};

use wasm_cov_format::{Coverage, Segment};

use crate::dwarf::{DebugInfo, NO_FILE};
use crate::fold::{entered, Block, RowRange};
use crate::sources::FileFacts;

/// An inlined copy's rows carry the callee's lines; its call line gets a
/// row at the copy's entry, so the call counts as often as it ran. A copy
/// whose code is gone makes its call line a dead line.
pub(crate) fn add_call_rows(info: &mut DebugInfo) {
    for inl in &info.inlined {
        if inl.call_file == NO_FILE || inl.call_line == 0 {
            continue;
        }
        match inl.entry {
            Some(pc) => info.rows.push(RowRange {
                start: pc,
                end: pc,
                file: inl.call_file,
                line: inl.call_line,
                col: 0,
            }),
            None => info.dead_lines.push((inl.call_file, inl.call_line)),
        }
    }
}

/// The lines of one module, by (file, line).
pub(crate) struct Lines {
    counts: HashMap<(u32, u32), u64>,
    /// The `(column, count)` of each line's rows that name a column, for
    /// the segments of the lines only partly run.
    columns: HashMap<(u32, u32), Vec<(u32, u64)>>,
}

/// The module's line counts from its rows (`row_counts` as `fold` gave
/// them, `info.rows` as it sorted them), its dead lines, and the inlined
/// copies' signatures and closing braces.
pub(crate) fn count(
    info: &DebugInfo,
    row_counts: Vec<u64>,
    blocks: &[Block],
    facts: &FileFacts,
) -> Lines {
    let mut counts: HashMap<(u32, u32), u64> = HashMap::new();
    let mut columns: HashMap<(u32, u32), Vec<(u32, u64)>> = HashMap::new();
    for (row, count) in info.rows.iter().zip(row_counts) {
        if row.file == NO_FILE || !facts.is_user_line(row.file, row.line) {
            continue;
        }
        raise(&mut counts, (row.file, row.line), count);
        if row.col != 0 {
            columns
                .entry((row.file, row.line))
                .or_default()
                .push((row.col, count));
        }
    }
    for &(file, line) in &info.dead_lines {
        if facts.is_user_line(file, line) {
            counts.entry((file, line)).or_insert(0);
        }
    }
    // An inlined copy has no prologue or epilogue rows: its signature and
    // closing brace count as often as it was entered.
    for inl in &info.inlined {
        let Some((_, file, line)) = &inl.origin else {
            continue;
        };
        if let Some(item) = facts.get(*file).and_then(|f| f.fn_declared_at(*line)) {
            let count = entered(blocks, inl.entry);
            for l in [item.first, item.last] {
                raise(&mut counts, (*file, l), count);
            }
        }
    }
    Lines { counts, columns }
}

/// A line takes the largest count among its rows.
fn raise(counts: &mut HashMap<(u32, u32), u64>, key: (u32, u32), count: u64) {
    let slot = counts.entry(key).or_insert(0);
    *slot = (*slot).max(count);
}

impl Lines {
    /// Adds the lines, and the segments of those only partly run, to `cov`.
    pub(crate) fn write(mut self, files: &[String], cov: &mut Coverage) {
        let mut by_file: BTreeMap<u32, Vec<(u32, u64)>> = BTreeMap::new();
        for ((file, line), count) in self.counts {
            by_file.entry(file).or_default().push((line, count));
        }
        for (file, lines) in by_file {
            let fc = cov.file_mut(&files[file as usize]);
            for (line, count) in lines {
                fc.add_line(line, count);
                if let Some(cols) = self.columns.get_mut(&(file, line)) {
                    for (col, seg) in segments(line, cols) {
                        fc.add_segment((line, col), seg);
                    }
                }
            }
        }
    }
}

/// The column segments of one line from its rows' `(column, count)`: empty
/// unless some part ran and some did not. Each distinct column starts a
/// segment with the largest count of its rows (instantiations and inlined
/// copies agree on columns, so the maximum is the line rule applied per
/// column), running to the next column or the end of the line; neighbours
/// that both ran, or both did not, are joined (keeping the larger count).
pub fn segments(line: u32, cols: &mut [(u32, u64)]) -> Vec<(u32, Segment)> {
    cols.sort_unstable();
    let mut parts: Vec<(u32, u64)> = Vec::new();
    for &(col, count) in cols.iter() {
        match parts.last_mut() {
            Some(last) if last.0 == col => last.1 = last.1.max(count),
            _ => parts.push((col, count)),
        }
    }
    // Execution enters a line at its start: code at the first column that
    // never ran while a later part did (an `if`'s join, say) is not a part
    // of the line a person could have left unrun.
    if parts.len() > 1 && parts[0].1 == 0 {
        if let Some(ran) = parts[1..].iter().find(|p| p.1 > 0) {
            parts[0].1 = ran.1;
        }
    }
    if !(parts.iter().any(|c| c.1 == 0) && parts.iter().any(|c| c.1 > 0)) {
        return Vec::new();
    }
    parts.dedup_by(|b, a| {
        (a.1 == 0) == (b.1 == 0) && {
            a.1 = a.1.max(b.1);
            true
        }
    });
    let mut out = Vec::with_capacity(parts.len());
    for (i, &(col, count)) in parts.iter().enumerate() {
        let end_col = parts.get(i + 1).map_or(0, |n| n.0);
        out.push((
            col,
            Segment {
                end_line: line,
                end_col,
                count,
            },
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_mark_the_unrun_part_of_a_line() {
        // `if x < 0 { -1 } else { 1 }`: columns 5 (if), 8 (x < 0), 16 (-1),
        // 28 (1); called with a positive x only.
        let mut cols = vec![(8, 1), (28, 1), (5, 0), (16, 0), (8, 1)];
        let segs = segments(54, &mut cols);
        let got: Vec<_> = segs.iter().map(|(c, s)| (*c, s.end_col, s.count)).collect();
        assert_eq!(got, [(5, 16, 1), (16, 28, 0), (28, 0, 1)]);
        // Rows of one column that disagree (a bounds check's panic path
        // beside the access) make no segments: the column ran.
        assert!(segments(19, &mut [(20, 1), (20, 0), (20, 1)]).is_empty());
        // A line that ran whole, or not at all, has none.
        assert!(segments(1, &mut [(3, 2), (9, 5)]).is_empty());
        assert!(segments(1, &mut [(3, 0), (9, 0)]).is_empty());
    }
}
