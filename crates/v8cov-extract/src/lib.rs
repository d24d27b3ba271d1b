//! v8cov-extract: the second stage of the wasm coverage pipeline.
//!
//! Reads one or more `v8-coverage.json` (as wasm-run writes them) and writes
//! the offsets CSV: one row per wasm basic block, counts of the same block
//! from several inputs summed with saturation. JavaScript entries are
//! skipped. Formats: `wasm-cov-format`, `docs/formats.md`.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::Parser;
use wasm_cov_format::{write_offsets, AtomicOutput, OffsetRow, V8Coverage, V8_WASM_VERSION};

/// Turn v8-coverage.json files into the offsets CSV (one row per wasm block).
#[derive(Debug, Parser)]
#[command(
    name = "v8cov-extract",
    version,
    after_help = "\
Examples:
  v8cov-extract coverage/v8-coverage.json -o offsets.csv
  v8cov-extract a/v8-coverage.json b/v8-coverage.json \\
      | wasm-cov-mapper --modules a/modules --modules b/modules

Output columns: module,function,start,end,count (sha256 of the module,
function index, absolute module byte offsets with end exclusive, count).

Exit status: 0 ok, 2 usage or input error."
)]
pub struct Cli {
    /// v8-coverage.json files; `-` or none reads standard input.
    #[arg(value_name = "FILE")]
    pub inputs: Vec<PathBuf>,

    /// Output file; default standard output. Written atomically.
    #[arg(short, long, value_name = "OUT")]
    pub output: Option<PathBuf>,
}

/// Block key: module hash, start, end, function index.
type Key = (String, u64, u64, u32);

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

/// Checks every wasm entry against its saved module, when the module is
/// there (`DIR/modules/<sha256>.wasm`, DIR the JSON file's folder): the
/// bytes must hash to the name, `codeSectionOffset` must be the module's,
/// and every range must lie inside the body of its function. An archived
/// JSON without its modules is extracted unchecked; the mapper checks the
/// blocks against the modules it is given.
///
/// The entry's `module` member is not used as a path: it comes from the
/// file, and a `..`, an absolute path or a NUL byte in it must not decide
/// what is read. The path is built from the validated hash.
pub fn check_modules(doc: &V8Coverage, dir: &Path) -> Result<()> {
    let mut checked: BTreeMap<String, wasm_cov_format::ModuleLayout> = BTreeMap::new();
    for (si, script) in doc.result.iter().enumerate() {
        let Some(wasm) = &script.wasm else { continue };
        let sha = wasm.sha256.to_ascii_lowercase();
        let rel = format!("modules/{sha}.wasm");
        let file = dir.join(&rel);
        if !checked.contains_key(&sha) {
            if !file.is_file() {
                continue;
            }
            let bytes =
                std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let layout = wasm_cov_format::ModuleLayout::parse(&bytes)
                .with_context(|| file.display().to_string())?;
            if layout.sha256 != sha {
                bail!(
                    "{}: its SHA-256 is {}, not the {sha} its name says",
                    file.display(),
                    layout.sha256
                );
            }
            checked.insert(sha.clone(), layout);
        }
        let Some(layout) = checked.get(&sha) else {
            continue;
        };
        if wasm.code_section_offset != layout.code_section_offset {
            bail!(
                "result[{si}].wasm.codeSectionOffset is {}, but the code section of {rel} starts at {}",
                wasm.code_section_offset,
                layout.code_section_offset
            );
        }
        for (fi, f) in script.functions.iter().enumerate() {
            let Some(index) = f.function_index else {
                continue;
            };
            let Some(body) = layout.body_of(index) else {
                bail!("result[{si}].functions[{fi}]: function {index} is not a function defined in {rel}");
            };
            for (ri, r) in f.ranges.iter().enumerate() {
                if r.start_offset < body.start || r.end_offset > body.end {
                    bail!(
                        "result[{si}].functions[{fi}].ranges[{ri}]: block {}..{} lies outside the body of function {index} ({}..{}) in {rel}",
                        r.start_offset,
                        r.end_offset,
                        body.start,
                        body.end
                    );
                }
            }
        }
    }
    Ok(())
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

pub fn run(cli: &Cli) -> Result<u8> {
    let inputs = if cli.inputs.is_empty() {
        vec![PathBuf::from("-")]
    } else {
        cli.inputs.clone()
    };
    let mut acc = BTreeMap::new();
    let mut modules = 0;
    for path in &inputs {
        let name = if path.as_os_str() == "-" {
            "<stdin>".to_owned()
        } else {
            path.display().to_string()
        };
        // Straight into the document: the file's bytes are never held
        // beside it.
        let reader = wasm_cov_format::open_json_input(path).with_context(|| name.clone())?;
        let doc: V8Coverage = serde_json::from_reader(reader).with_context(|| name.clone())?;
        modules += accumulate(&doc, &mut acc).with_context(|| name.clone())?;
        if path.as_os_str() != "-" {
            let dir = path.parent().unwrap_or(Path::new(""));
            check_modules(&doc, dir).with_context(|| name.clone())?;
        }
    }
    if modules == 0 {
        bail!("no wasm module in the input (JavaScript-only coverage? wasm-run writes the wasm entries)");
    }
    let mut out = AtomicOutput::create(cli.output.as_deref())
        .with_context(|| format!("cannot write {}", show(&cli.output)))?;
    write(&acc, &mut out)?;
    out.commit()
        .with_context(|| format!("cannot write {}", show(&cli.output)))?;
    Ok(0)
}

fn show(p: &Option<PathBuf>) -> String {
    p.as_ref()
        .map_or_else(|| "<stdout>".to_owned(), |p| p.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

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

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }
}
