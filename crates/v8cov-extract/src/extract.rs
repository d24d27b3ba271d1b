//! Summing the wasm blocks of v8-coverage.json documents into offsets rows.

use std::collections::BTreeMap;
use std::io::Write;

use anyhow::{bail, Result};
use wasm_cov_format::{write_offsets_grouped, OffsetBlock, V8Coverage, V8_WASM_VERSION};

/// A block within its module, in the CSV's order: start, end, function.
pub type Key = (u64, u64, u32);

/// The blocks summed so far, by module (lowercase SHA-256): each module's
/// blocks sorted by [`Key`], each key once with its saturating sum. The
/// hash is stored once per module, not once per block.
pub type Blocks = BTreeMap<String, Vec<(Key, u64)>>;

/// Adds the wasm blocks of `doc` to `acc`; returns how many wasm modules
/// `doc` has. Fails on a malformed wasm entry, naming it by its place.
pub fn accumulate(doc: &V8Coverage, acc: &mut Blocks) -> Result<usize> {
    if let Some(v) = doc.wasm_coverage_version {
        if v != V8_WASM_VERSION {
            bail!("wasmCoverageVersion {v} is not supported (this build reads {V8_WASM_VERSION})");
        }
    }
    let mut modules = 0;
    let mut touched = Vec::new();
    for (si, script) in doc.result.iter().enumerate() {
        let Some(wasm) = &script.wasm else { continue };
        modules += 1;
        if wasm.sha256.len() != 64 || !wasm.sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
            bail!(
                "result[{si}].wasm.sha256 {:?} is not a SHA-256 in hex",
                wasm.sha256
            );
        }
        let module = wasm.sha256.to_ascii_lowercase();
        let blocks = acc.entry(module.clone()).or_default();
        touched.push(module);
        for (fi, f) in script.functions.iter().enumerate() {
            let Some(index) = f.function_index else {
                bail!("result[{si}].functions[{fi}] has no functionIndex");
            };
            // ranges[0] is the whole body; the blocks follow.
            for (ri, r) in f.ranges.iter().enumerate().skip(1) {
                if r.start_offset >= r.end_offset {
                    bail!(
                        "result[{si}].functions[{fi}].ranges[{ri}]: startOffset {} is not below endOffset {}",
                        r.start_offset,
                        r.end_offset
                    );
                }
                blocks.push(((r.start_offset, r.end_offset, index), r.count));
            }
        }
    }
    // Sorting once and summing neighbours is several times cheaper than a
    // map insert per block.
    for module in touched {
        if let Some(blocks) = acc.get_mut(&module) {
            merge_sorted(blocks);
        }
    }
    Ok(modules)
}

/// Sorts `blocks` by key and folds equal keys into one, summing counts
/// (saturating).
fn merge_sorted(blocks: &mut Vec<(Key, u64)>) {
    blocks.sort_unstable_by_key(|b| b.0);
    blocks.dedup_by(|later, kept| {
        let same = later.0 == kept.0;
        if same {
            kept.1 = kept.1.saturating_add(later.1);
        }
        same
    });
}

/// Writes the offsets CSV: sorted by module, start, end, function.
pub fn write(acc: &Blocks, w: impl Write) -> Result<()> {
    write_offsets_grouped(
        acc.iter().map(|(module, blocks)| {
            let rows = blocks
                .iter()
                .map(|&((start, end, function), count)| OffsetBlock {
                    function,
                    start,
                    end,
                    count,
                });
            (module.as_str(), rows)
        }),
        w,
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: &str = "ab12000000000000000000000000000000000000000000000000000000000000";

    fn doc(count: u64) -> V8Coverage {
        serde_json::from_str(&format!(
            r#"{{"result":[
              {{"scriptId":"1","url":"x.js","functions":[{{"functionName":"","isBlockCoverage":true,"ranges":[{{"startOffset":0,"endOffset":9,"count":1}}]}}]}},
              {{"scriptId":"2","url":"wasm://wasm/ab12","wasm":{{"sha256":"{H}","module":"modules/{H}.wasm","codeSectionOffset":30}},
               "functions":[{{"functionName":"f","functionIndex":1,"isBlockCoverage":true,"ranges":[
                 {{"startOffset":32,"endOffset":40,"count":{count}}},
                 {{"startOffset":36,"endOffset":40,"count":2}},
                 {{"startOffset":32,"endOffset":36,"count":{count}}}]}}]}}]}}"#
        ))
        .unwrap()
    }

    #[test]
    fn sums_saturating_and_sorts_by_start() {
        let mut acc = BTreeMap::new();
        assert_eq!(accumulate(&doc(u64::MAX), &mut acc).unwrap(), 1);
        accumulate(&doc(1), &mut acc).unwrap();
        let mut out = Vec::new();
        write(&acc, &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            format!(
                "module,function,start,end,count\n{H},1,32,36,{}\n{H},1,36,40,4\n",
                u64::MAX
            )
        );
    }

    #[test]
    fn a_module_without_functions_adds_no_row() {
        // A component's fixup shim has no code; the mapper never sees it.
        let mut d = doc(1);
        let shim = "cd34000000000000000000000000000000000000000000000000000000000000";
        let mut entry = d.result[1].clone();
        entry.functions.clear();
        if let Some(w) = entry.wasm.as_mut() {
            w.sha256 = shim.into();
        }
        d.result.push(entry);
        let mut acc = BTreeMap::new();
        assert_eq!(accumulate(&d, &mut acc).unwrap(), 2);
        let mut out = Vec::new();
        write(&acc, &mut out).unwrap();
        let out = String::from_utf8(out).unwrap();
        assert_eq!(out.lines().count(), 3, "{out}");
        assert!(!out.contains(shim), "{out}");
    }

    #[test]
    fn rejects_inverted_range() {
        let mut d = doc(1);
        d.result[1].functions[0].ranges[1].start_offset = 50;
        let e = accumulate(&d, &mut BTreeMap::new())
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("result[1].functions[0].ranges[1]"), "{e}");
    }
}
