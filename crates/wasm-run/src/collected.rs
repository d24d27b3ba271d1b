//! What a native host's tests collected through `wasm-cov-wasmtime`, turned
//! into a run folder like every other: `v8-coverage.json` (one script per
//! plugin module) and `per-test.jsonl` (each host test's counts), beside
//! the `modules/` the library saved. From there the pipeline is the usual
//! one (`docs/formats.md`, "Host collections").
//!
//! Input, in `DIR`: `collected-<pid>.jsonl` (one per host test process:
//! a header line, then one line per collection: `{"test", "module",
//! "counts": [[block, count], ...]}`), and for each module
//! `modules/<sha256>.wasm` with its block table `modules/<sha256>.blocks.json`.

use std::collections::BTreeMap;
use std::io::BufRead;
use std::path::Path;

use anyhow::{bail, Context, Result};
use wasm_cov_format::{AtomicOutput, CollectedHeader, Collection, V8_WASM_VERSION};
use wasm_cov_format::{ModuleLayout, PerTest, V8Coverage};
use wasm_cov_format::{COLLECTED_FORMAT, COLLECTED_VERSION};
use wasm_cov_instrument::BlockTable;

use crate::convert;

/// What a folder held.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Collected {
    /// Collections read, over all files.
    pub collections: usize,
    /// Modules counted.
    pub modules: usize,
    /// Tests with counts, `<no test>` included.
    pub tests: usize,
}

/// Writes `dir/v8-coverage.json` and `dir/per-test.jsonl` from the
/// collections in `dir`. A folder with no collection is an error.
pub fn publish_collected(dir: &Path) -> Result<Collected> {
    let mut per_test = PerTest::default();
    let mut tables: BTreeMap<String, (BlockTable, ModuleLayout)> = BTreeMap::new();
    let mut found = Collected::default();
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("collected-") && n.ends_with(".jsonl"))
        })
        .collect();
    files.sort();
    if files.is_empty() {
        bail!(
            "{}: no collected-*.jsonl: no host test collected any counters (does the host call wasm_cov_wasmtime::collect, or drop a CoveredStore?)",
            dir.display()
        );
    }
    for file in &files {
        let f =
            std::fs::File::open(file).with_context(|| format!("cannot read {}", file.display()))?;
        let mut lines = std::io::BufReader::new(f).lines();
        let where_ = |n: usize| format!("{}:{n}", file.display());
        let first = lines.next().transpose()?.unwrap_or_default();
        let header: CollectedHeader = serde_json::from_str(&first).with_context(|| where_(1))?;
        if header.format != COLLECTED_FORMAT || header.version != COLLECTED_VERSION {
            bail!(
                "{}: format {} version {}, not {COLLECTED_FORMAT} version {COLLECTED_VERSION}",
                where_(1),
                header.format,
                header.version
            );
        }
        for (n, line) in lines.enumerate() {
            let line = line.with_context(|| where_(n + 2))?;
            // A process killed mid-write leaves at most a partial last line.
            let Ok(c) = serde_json::from_str::<Collection>(&line) else {
                if line.trim().is_empty() {
                    continue;
                }
                bail!("{}: not a collection", where_(n + 2));
            };
            if !tables.contains_key(&c.module) {
                tables.insert(c.module.clone(), load(dir, &c.module)?);
            }
            let (table, _) = &tables[&c.module];
            let m = per_test
                .modules
                .entry(c.module.clone())
                .or_insert_with(|| crate::split::module(&table.blocks));
            let at = where_(n + 2);
            crate::split::add(m, &c.test, c.counts.iter().map(|&[k, c]| (k, c)), &at)?;
            found.collections += 1;
        }
    }
    let mut doc = V8Coverage {
        result: Vec::new(),
        wasm_coverage_version: Some(V8_WASM_VERSION),
    };
    let mut tests = std::collections::BTreeSet::new();
    for (i, (sha, m)) in per_test.modules.iter().enumerate() {
        let (table, layout) = &tables[sha];
        let raw: Vec<convert::RawBlock> = table
            .blocks
            .iter()
            .zip(m.totals())
            .map(|(b, count)| {
                let (start, end) = b.v8_raw(table.first_body_offset);
                [start, end, count]
            })
            .collect();
        let functions = convert::to_functions(layout, &raw)
            .with_context(|| format!("modules/{sha}.blocks.json does not fit its module"))?;
        doc.result.push(convert::script(
            layout,
            i + 1,
            format!("wasm://wasm-cov-wasmtime/{sha}"),
            functions,
        ));
        tests.extend(m.tests.keys().cloned());
    }
    found.modules = doc.result.len();
    found.tests = tests.len();
    write(&dir.join("v8-coverage.json"), &serde_json::to_vec(&doc)?)?;
    let mut bytes = Vec::new();
    per_test.write(&mut bytes)?;
    write(&dir.join("per-test.jsonl"), &bytes)?;
    Ok(found)
}

/// A module's block table and layout, checked against each other.
fn load(dir: &Path, sha: &str) -> Result<(BlockTable, ModuleLayout)> {
    let modules = dir.join("modules");
    let table_path = modules.join(format!("{sha}.blocks.json"));
    let f = std::fs::File::open(&table_path)
        .with_context(|| format!("cannot read {}", table_path.display()))?;
    let table = BlockTable::read_json(std::io::BufReader::new(f))
        .with_context(|| table_path.display().to_string())?;
    let wasm_path = modules.join(format!("{sha}.wasm"));
    let bytes = std::fs::read(&wasm_path)
        .with_context(|| format!("cannot read {}", wasm_path.display()))?;
    let layout = ModuleLayout::parse(&bytes).with_context(|| wasm_path.display().to_string())?;
    if layout.sha256 != sha || table.module_sha256 != sha {
        bail!(
            "{}: its contents or its block table are not module {sha}",
            wasm_path.display()
        );
    }
    Ok((table, layout))
}

fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let mut out = AtomicOutput::create(Some(path))
        .with_context(|| format!("cannot write {}", path.display()))?;
    out.write_all(bytes)?;
    out.commit()
        .with_context(|| format!("cannot write {}", path.display()))
}
