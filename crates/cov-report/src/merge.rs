//! From many inputs to one report: merging under one spelling of each
//! path and each function name, path filters, and the sources with their
//! exclusion markers.

use std::collections::btree_map::Entry;
use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::PathBuf;

use regex::Regex;
use wasm_cov_format::{Coverage, FileCoverage};

use crate::contexts::Contexts;
use crate::error::warn;
use crate::exclude::{apply_exclusions, scan_markers, Exclusions};
use crate::functions::{fold_by_line, merge_functions};
use crate::patch::Patch;
use crate::paths::PathRewriter;
use crate::sources::{load_sources, Source};

/// The merged, filtered coverage with what was learnt from the sources.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub coverage: Coverage,
    pub sources: BTreeMap<String, Source>,
    pub exclusions: BTreeMap<String, Exclusions>,
    /// The change patch coverage is measured on (`--diff`), if any.
    pub patch: Option<Patch>,
    /// Which tests ran which lines, when an input had per-test data.
    pub contexts: Option<Contexts>,
}

/// [`merge_into`] for a `cov` that is no longer needed: a file `into` does
/// not have yet is moved in whole instead of being added line by line, which
/// is most of the work when one input is read (and the first of many).
pub fn merge_owned(into: &mut Coverage, cov: Coverage, rewriter: &PathRewriter) {
    for (path, mut file) in cov.files {
        fold_by_line(&mut file);
        match into.files.entry(rewriter.rewrite(&path)) {
            Entry::Vacant(slot) => {
                slot.insert(file);
            }
            Entry::Occupied(mut slot) => merge_file(slot.get_mut(), file),
        }
    }
}

/// Merges `cov` into `into` under rewritten paths, so that spellings of one
/// file become one record, and one function per declaration line
/// (`functions`), named for display.
pub fn merge_into(into: &mut Coverage, cov: &Coverage, rewriter: &PathRewriter) {
    for (path, file) in &cov.files {
        let mut file = file.clone();
        fold_by_line(&mut file);
        merge_file(into.file_mut(&rewriter.rewrite(path)), file);
    }
}

/// Counts add and lines and branches unite; functions match by line.
fn merge_file(into: &mut FileCoverage, mut file: FileCoverage) {
    let functions = std::mem::take(&mut file.functions);
    into.merge(&file);
    merge_functions(into, functions);
}

/// Keeps the files `include` (if any is given) and not `exclude` match.
pub fn filter_paths(cov: &mut Coverage, include: &[Regex], exclude: &[Regex]) {
    cov.files.retain(|path, _| {
        (include.is_empty() || include.iter().any(|r| r.is_match(path)))
            && !exclude.iter().any(|r| r.is_match(path))
    });
}

/// How sources are found and used.
#[derive(Debug, Clone)]
pub struct SourceOptions {
    /// Where relative paths are read from; only files under it are read.
    pub root: PathBuf,
    /// Also read files outside `root` (`--allow-sources-outside-root`).
    pub outside_root: bool,
    /// Apply exclusion markers.
    pub markers: bool,
}

/// Reads the sources of `cov` under `opts.root` and, if `opts.markers`,
/// applies their exclusion markers. Marker problems are reported on
/// `stderr` as warnings.
pub fn prepare_report(
    mut coverage: Coverage,
    opts: &SourceOptions,
    stderr: &mut dyn Write,
) -> io::Result<Report> {
    let sources = load_sources(&coverage, &opts.root, opts.outside_root);
    let mut exclusions = BTreeMap::new();
    if opts.markers {
        for (path, src) in &sources {
            let Some(text) = &src.text else { continue };
            let (ex, warnings) = scan_markers(text);
            for w in warnings {
                warn(stderr, format_args!("{path}:{}: {}", w.line, w.message))?;
            }
            if ex != Exclusions::default() {
                if let Some(f) = coverage.files.get_mut(path) {
                    apply_exclusions(f, &ex);
                }
                exclusions.insert(path.clone(), ex);
            }
        }
    }
    Ok(Report {
        coverage,
        sources,
        exclusions,
        patch: None,
        contexts: None,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]
mod tests {
    use super::*;
    use crate::input::parse_coverage;

    #[test]
    fn merges_spellings_of_one_file() {
        let a = parse_coverage("a", b"SF:./src/lib.rs\nDA:1,1\nDA:2,0\nend_of_record\n").unwrap();
        let b = parse_coverage(
            "b",
            br#"{"format":"wasm-cov-mapper","version":1,"files":[{"path":"src/x/../lib.rs","lines":[{"line":2,"count":3}]}]}"#,
        )
        .unwrap();
        let mut merged = Coverage::default();
        let rw = PathRewriter::default();
        merge_into(&mut merged, &a, &rw);
        merge_into(&mut merged, &b, &rw);
        assert_eq!(merged.files.len(), 1);
        let f = &merged.files["src/lib.rs"];
        assert_eq!(f.lines.get(&1), Some(&1));
        assert_eq!(f.lines.get(&2), Some(&3));
    }

    #[test]
    fn mangled_names_merge_with_demangled_ones() {
        let mut cov = Coverage::default();
        let f = cov.file_mut("src/lib.rs");
        f.add_function("_ZN4demo8classify17h0123456789abcdefE", 6, 2);
        f.add_function("demo::classify", 6, 3);
        let mut owned = Coverage::default();
        merge_owned(&mut owned, cov.clone(), &PathRewriter::default());
        let mut borrowed = Coverage::default();
        merge_into(&mut borrowed, &cov, &PathRewriter::default());
        for merged in [owned, borrowed] {
            let fns = &merged.files["src/lib.rs"].functions;
            assert_eq!(fns.keys().collect::<Vec<_>>(), ["demo::classify"]);
            assert_eq!(fns["demo::classify"].count, 5);
        }
    }
}
