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

/// Whether a raw coverage entry belongs to `layout`: every block fits in a
/// function body and, since wasm-run always compiles eagerly
/// (`--no-wasm-lazy-compilation`), every function body has a block at its
/// start. The second condition makes a match by accident practically
/// impossible.
pub fn fits(layout: &ModuleLayout, raw: &[RawBlock]) -> Option<Vec<FunctionCoverage>> {
    let functions = to_functions(layout, raw).ok()?;
    let complete = functions.len() == layout.bodies.len()
        && functions
            .iter()
            .all(|f| f.ranges.len() > 1 && f.ranges[1].start_offset == f.ranges[0].start_offset);
    complete.then_some(functions)
}

/// Finds the one module among `candidates` that `raw` belongs to.
/// `Ok(None)`: none fits. Two different modules fitting is an error,
/// never a guess.
pub fn match_entry<'a>(
    candidates: &'a [ModuleLayout],
    raw: &[RawBlock],
) -> Result<Option<(&'a ModuleLayout, Vec<FunctionCoverage>)>> {
    let mut found: Option<(&ModuleLayout, Vec<FunctionCoverage>)> = None;
    for layout in candidates {
        if found
            .as_ref()
            .is_some_and(|(f, _)| f.sha256 == layout.sha256)
        {
            continue;
        }
        if let Some(functions) = fits(layout, raw) {
            if let Some((other, _)) = &found {
                bail!(
                    "a coverage entry of {} blocks fits two modules, {} and {}; refusing to guess which ran",
                    raw.len(),
                    other.sha256,
                    layout.sha256
                );
            }
            found = Some((layout, functions));
        }
    }
    Ok(found)
}

/// Counts of one module summed over several entries (instances in several
/// processes): function index -> (start, end) -> count.
#[derive(Debug, Default)]
pub struct Summed {
    functions: BTreeMap<u32, (String, BlockCounts)>,
}

/// `(start, end)` -> count for one function.
type BlockCounts = BTreeMap<(u64, u64), u64>;

impl Summed {
    /// Adds converted functions; ranges[0] (the whole body) is rebuilt at
    /// the end from the summed entry block.
    pub fn add(&mut self, functions: &[FunctionCoverage]) {
        for f in functions {
            let Some(index) = f.function_index else {
                continue;
            };
            let slot = self
                .functions
                .entry(index)
                .or_insert_with(|| (f.function_name.clone(), BTreeMap::new()));
            for r in f.ranges.iter().skip(1) {
                let c = slot.1.entry((r.start_offset, r.end_offset)).or_insert(0);
                *c = c.saturating_add(r.count);
            }
        }
    }

    pub fn into_functions(self, layout: &ModuleLayout) -> Vec<FunctionCoverage> {
        let mut out = Vec::with_capacity(self.functions.len());
        for (index, (name, blocks)) in self.functions {
            let Some(body) = layout.body_of(index) else {
                continue;
            };
            let entry = blocks.get(&(body.start, body.end)).copied().or_else(|| {
                blocks
                    .iter()
                    .find(|((s, _), _)| *s == body.start)
                    .map(|(_, c)| *c)
            });
            let mut ranges = vec![CoverageRange {
                start_offset: body.start,
                end_offset: body.end,
                count: entry.unwrap_or(0),
            }];
            ranges.extend(blocks.into_iter().map(|((s, e), count)| CoverageRange {
                start_offset: s,
                end_offset: e,
                count,
            }));
            out.push(FunctionCoverage {
                function_name: name,
                function_index: Some(index),
                is_block_coverage: true,
                ranges,
            });
        }
        out
    }
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
    fn matches_by_layout_and_sums_entries() {
        let l = tiny();
        let raw = [[0u64, 2, 5], [4, 6, 1]];
        let candidates = [l.clone()];
        let (m, f) = match_entry(&candidates, &raw).unwrap().unwrap();
        assert_eq!(m.sha256, l.sha256);
        // An entry missing a function's entry block is not this module's.
        assert!(match_entry(&candidates, &[[0, 2, 5]]).unwrap().is_none());
        let mut sum = Summed::default();
        sum.add(&f);
        sum.add(&f);
        let out = sum.into_functions(&l);
        assert_eq!(out[0].ranges[0].count, 10);
        assert_eq!(out[1].ranges[1].count, 2);
    }

    #[test]
    fn rejects_blocks_of_another_layout() {
        let l = tiny();
        assert!(to_functions(&l, &[[0, 10, 1]]).is_err()); // runs past body
        assert!(to_functions(&l, &[[3, 3, 1]]).is_err()); // in the size LEB
        assert!(to_functions(&l, &[[100, 101, 1]]).is_err());
    }
}
