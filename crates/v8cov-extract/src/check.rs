//! Checking v8-coverage.json entries against the modules saved beside them.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{bail, Context, Result};
use wasm_cov_format::V8Coverage;

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
