//! Summing the wasm blocks of v8-coverage.json documents into offsets rows.

use std::collections::BTreeMap;
use std::io::Write;

use anyhow::{bail, Result};
use wasm_cov_format::{write_offsets, OffsetRow, V8Coverage, V8_WASM_VERSION};

/// Block key: module hash, start, end, function index.
pub type Key = (String, u64, u64, u32);

/// Adds the wasm blocks of one document to `acc`. Returns how many wasm
/// modules it held.
pub fn accumulate(doc: &V8Coverage, acc: &mut BTreeMap<Key, u64>) -> Result<usize> {
    if let Some(v) = doc.wasm_coverage_version {
        if v != V8_WASM_VERSION {
            bail!("wasmCoverageVersion {v} is not supported (this build reads {V8_WASM_VERSION})");
        }
    }
    let mut modules = 0;
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
                let slot = acc
                    .entry((module.clone(), r.start_offset, r.end_offset, index))
                    .or_insert(0);
                *slot = slot.saturating_add(r.count);
            }
        }
    }
    Ok(modules)
}

/// Writes the accumulated blocks, sorted by module then start.
pub fn write(acc: &BTreeMap<Key, u64>, w: impl Write) -> Result<()> {
    let rows: Vec<OffsetRow> = acc
        .iter()
        .map(|((module, start, end, function), &count)| OffsetRow {
            module: module.clone(),
            function: *function,
            start: *start,
            end: *end,
            count,
        })
        .collect();
    write_offsets(&rows, w)?;
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
    fn rejects_inverted_range() {
        let mut d = doc(1);
        d.result[1].functions[0].ranges[1].start_offset = 50;
        let e = accumulate(&d, &mut BTreeMap::new())
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("result[1].functions[0].ranges[1]"), "{e}");
    }
}
