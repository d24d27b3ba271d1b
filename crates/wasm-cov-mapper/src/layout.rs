//! The inputs checked against the module's own layout: the offsets'
//! blocks, and the DWARF's rows, must both lie in its function bodies. A
//! mismatch is refused here, before anything is counted.

use wasm_cov_format::{sha256_hex, ModuleLayout, OffsetBlock};

use crate::error::MapError;
use crate::fold::{check_blocks, Block, RowRange};

/// SHA-256 of a module's bytes, as the offsets name it.
pub fn module_hash(bytes: &[u8]) -> String {
    sha256_hex(bytes)
}

/// Checks the module's blocks against its layout and converts them to
/// DWARF addresses, sorted and disjoint.
pub(crate) fn to_blocks(
    layout: &ModuleLayout,
    rows: &[OffsetBlock],
) -> Result<Vec<Block>, MapError> {
    let mut blocks = Vec::with_capacity(rows.len());
    for r in rows {
        let Some(body) = layout.body_of(r.function) else {
            return Err(MapError::Blocks(format!(
                "block {}..{}: function {} is not a function defined in module {}",
                r.start, r.end, r.function, layout.sha256
            )));
        };
        if r.start < body.start || r.end > body.end {
            return Err(MapError::Blocks(format!(
                "block {}..{} lies outside the body of function {} ({}..{}) in module {}",
                r.start, r.end, r.function, body.start, body.end, layout.sha256
            )));
        }
        blocks.push(Block {
            start: r.start - layout.code_section_offset,
            end: r.end - layout.code_section_offset,
            count: r.count,
        });
    }
    blocks.sort_unstable_by_key(|b| (b.start, b.end));
    if let Err(i) = check_blocks(&blocks) {
        let b = blocks[i];
        return Err(MapError::Blocks(format!(
            "block at module offset {} overlaps the block before it",
            b.start + layout.code_section_offset
        )));
    }
    Ok(blocks)
}

/// Refuses DWARF that does not describe this code: every live line-table
/// row must start inside a function body. A tool that rewrites a module
/// and its DWARF (wasm-bindgen through walrus; releases before 0.27.2 are
/// known to get it wrong) can leave rows pointing between or past the
/// bodies; mapping them would report the wrong lines with confidence.
pub fn check_rows_in_bodies(layout: &ModuleLayout, rows: &[RowRange]) -> Result<(), MapError> {
    let mut outside = 0usize;
    let mut first = None;
    for r in rows {
        // A hostile row can sit at the top of the address space.
        let off = r.start.saturating_add(layout.code_section_offset);
        if layout.body_at(off).is_none() {
            outside += 1;
            first.get_or_insert(off);
        }
    }
    // A stray row or two is noise a linker can leave; more is a mismatch.
    if outside > 0 && (outside >= 16 || outside * 1000 > rows.len()) {
        return Err(MapError::Dwarf(format!(
            "the line table does not agree with the code: {outside} of {} rows lie outside every \
             function body (first at module offset {:#x}); the module was probably rewritten by a \
             tool that did not update its DWARF (e.g. walrus before 0.27.2, used by wasm-bindgen), \
             so it cannot be mapped reliably",
            rows.len(),
            first.unwrap_or(0)
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dwarf_rows_outside_the_bodies_are_refused() {
        // (import "e" "f" (func)) (func nop) (func nop): bodies at module
        // offsets 32..35 and 36..39, code payload at 30, so DWARF addresses
        // 2..5 and 6..9.
        let mut m = b"\0asm\x01\0\0\0".to_vec();
        m.extend([1, 4, 1, 0x60, 0, 0]);
        m.extend([2, 7, 1, 1, b'e', 1, b'f', 0, 0]);
        m.extend([3, 3, 2, 0, 0]);
        m.extend([10, 9, 2, 3, 0, 0x01, 0x0b, 3, 0, 0x01, 0x0b]);
        let layout = ModuleLayout::parse(&m).unwrap();
        let row = |start| RowRange {
            start,
            end: start + 1,
            file: 0,
            line: 1,
            col: 0,
        };
        let good: Vec<_> = (0..2000).map(|i| row(2 + i % 3)).collect();
        assert!(check_rows_in_bodies(&layout, &good).is_ok());
        let mut one_stray = good.clone();
        one_stray[0] = row(5); // the second body's size byte
        assert!(check_rows_in_bodies(&layout, &one_stray).is_ok());
        // Found by the mapper fuzzer: a row near u64::MAX overflowed the
        // offset (fuzz/regressions/mapper/row-near-u64-max-overflow).
        let mut top = good.clone();
        top[0] = row(u64::MAX - 2);
        assert!(check_rows_in_bodies(&layout, &top).is_ok());
        let shifted: Vec<_> = (0..100).map(|i| row(5 + i % 10)).collect();
        let e = check_rows_in_bodies(&layout, &shifted)
            .unwrap_err()
            .to_string();
        assert!(e.contains("does not agree with the code"), "{e}");
    }
}
