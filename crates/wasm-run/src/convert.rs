//! Turning V8's raw wasm block counters into the `v8-coverage.json` contract.

use std::collections::BTreeMap;

use anyhow::{bail, Result};
use wasm_cov_format::{
    v8_block_to_module, CoverageRange, FunctionCoverage, ModuleLayout, ScriptCoverage, WasmScript,
};

/// One raw block as `%DebugCollectWasmCoverage()` gives it: offsets
/// relative to the first function body, `end` inclusive.
pub type RawBlock = [u64; 3];

/// Checks that every raw block lies inside one function body of `layout`
/// and converts the lot into per-function coverage (absolute offsets, end
/// exclusive; first range = whole body with the entry count).
///
/// Returns `Err` with the first block that does not fit, which is how a
/// coverage entry is told apart from another module's.
pub fn to_functions(layout: &ModuleLayout, raw: &[RawBlock]) -> Result<Vec<FunctionCoverage>> {
    let Some(first) = layout.first_body_offset() else {
        bail!("module has no function bodies");
    };
    let mut per_fn: BTreeMap<u32, Vec<CoverageRange>> = BTreeMap::new();
    for &[start, end, count] in raw {
        if end < start {
            bail!("raw block [{start}, {end}] ends before it starts");
        }
        let (s, e) = v8_block_to_module(first, start, end);
        let Some(body) = layout.body_at(s) else {
            bail!("block at module offset {s:#x} lies in no function body");
        };
        if e > body.end {
            bail!(
                "block {s:#x}..{e:#x} runs past the end of function {} ({:#x})",
                body.index,
                body.end
            );
        }
        per_fn.entry(body.index).or_default().push(CoverageRange {
            start_offset: s,
            end_offset: e,
            count,
        });
    }
    let mut out = Vec::with_capacity(per_fn.len());
    for (index, mut blocks) in per_fn {
        // Checked above: every index came from a body.
        let Some(body) = layout.body_of(index) else {
            bail!("function {index} has no body");
        };
        blocks.sort_by_key(|b| (b.start_offset, b.end_offset));
        let entry = blocks
            .iter()
            .find(|b| b.start_offset == body.start)
            .map_or(0, |b| b.count);
        let mut ranges = Vec::with_capacity(blocks.len() + 1);
        ranges.push(CoverageRange {
            start_offset: body.start,
            end_offset: body.end,
            count: entry,
        });
        ranges.extend(blocks);
        out.push(FunctionCoverage {
            function_name: layout.function_name(index),
            function_index: Some(index),
            is_block_coverage: true,
            ranges,
        });
    }
    Ok(out)
}

/// Builds the script entry for one module.
pub fn script(
    layout: &ModuleLayout,
    script_id: usize,
    url: String,
    functions: Vec<FunctionCoverage>,
) -> ScriptCoverage {
    ScriptCoverage {
        script_id: script_id.to_string(),
        url,
        functions,
        wasm: Some(WasmScript {
            sha256: layout.sha256.clone(),
            module: format!("modules/{}.wasm", layout.sha256),
            code_section_offset: layout.code_section_offset,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two defined functions; see wasm-cov-format's module tests for the
    /// offsets: bodies at 32..35 and 36..39, code payload at 30.
    fn tiny() -> ModuleLayout {
        let mut m = b"\0asm\x01\0\0\0".to_vec();
        m.extend([1, 4, 1, 0x60, 0, 0]);
        m.extend([2, 7, 1, 1, b'e', 1, b'f', 0, 0]);
        m.extend([3, 3, 2, 0, 0]);
        m.extend([10, 9, 2, 3, 0, 0x01, 0x0b, 3, 0, 0x01, 0x0b]);
        ModuleLayout::parse(&m).unwrap()
    }

    #[test]
    fn converts_and_groups_by_function() {
        let l = tiny();
        // Raw: relative to 32, inclusive.
        let f = to_functions(&l, &[[4, 6, 0], [0, 1, 5], [2, 2, 3]]).unwrap();
        assert_eq!(f.len(), 2);
        assert_eq!(f[0].function_index, Some(1));
        assert_eq!(f[0].function_name, "wasm-function[1]");
        let r: Vec<_> = f[0]
            .ranges
            .iter()
            .map(|r| (r.start_offset, r.end_offset, r.count))
            .collect();
        assert_eq!(r, [(32, 35, 5), (32, 34, 5), (34, 35, 3)]);
        assert_eq!(f[1].ranges[0].start_offset, 36);
        assert_eq!(f[1].ranges[1].end_offset, 39);
    }

    #[test]
    fn rejects_blocks_of_another_layout() {
        let l = tiny();
        assert!(to_functions(&l, &[[0, 10, 1]]).is_err()); // runs past body
        assert!(to_functions(&l, &[[3, 3, 1]]).is_err()); // in the size LEB
        assert!(to_functions(&l, &[[100, 101, 1]]).is_err());
    }
}
