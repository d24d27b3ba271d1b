//! Exclusion markers in source comments, as lcov's geninfo reads them, plus
//! this project's own spelling:
//!
//! | lcov              | also accepted      | excludes |
//! |-------------------|--------------------|----------|
//! | `LCOV_EXCL_LINE`  | `cov:ignore-line`  | the line it is on |
//! | `LCOV_EXCL_START` | `cov:ignore-start` | from this line ... |
//! | `LCOV_EXCL_STOP`  | `cov:ignore-stop`  | ... through this one |
//! | `LCOV_EXCL_BR_LINE`, `LCOV_EXCL_BR_START`, `LCOV_EXCL_BR_STOP` | | branches only |
//!
//! An excluded line is dropped from the report as if it had no code: its
//! count, its branches, and the functions declared on it.
//!
//! Refs: geninfo(1), "EXCLUSION MARKERS"; lcovrc(5) `lcov_excl_*`.

use wasm_cov_format::FileCoverage;

/// Inclusive line ranges, sorted and disjoint.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ranges(Vec<(u32, u32)>);

impl Ranges {
    fn push(&mut self, start: u32, end: u32) {
        match self.0.last_mut() {
            Some((_, e)) if start <= e.saturating_add(1) => *e = (*e).max(end),
            _ => self.0.push((start, end)),
        }
    }

    pub fn contains(&self, line: u32) -> bool {
        let i = self.0.partition_point(|&(_, end)| end < line);
        self.0.get(i).is_some_and(|&(start, _)| start <= line)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn as_slice(&self) -> &[(u32, u32)] {
        &self.0
    }
}

/// What the markers of one source file exclude.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Exclusions {
    /// Lines excluded entirely.
    pub lines: Ranges,
    /// Lines whose branches only are excluded.
    pub branches: Ranges,
}

/// A marker that does not pair up: reported, never fatal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarkerWarning {
    pub line: u32,
    pub message: String,
}

struct Family {
    line: &'static str,
    start: &'static str,
    stop: &'static str,
    branches_only: bool,
}

const FAMILIES: [Family; 3] = [
    Family {
        line: "LCOV_EXCL_LINE",
        start: "LCOV_EXCL_START",
        stop: "LCOV_EXCL_STOP",
        branches_only: false,
    },
    Family {
        line: "cov:ignore-line",
        start: "cov:ignore-start",
        stop: "cov:ignore-stop",
        branches_only: false,
    },
    Family {
        line: "LCOV_EXCL_BR_LINE",
        start: "LCOV_EXCL_BR_START",
        stop: "LCOV_EXCL_BR_STOP",
        branches_only: true,
    },
];

/// Finds the markers in `text`. A `START` without a `STOP` excludes to the
/// end of the file, as lcov does; a `STOP` without a `START` is ignored.
/// Both are reported.
pub fn scan_markers(text: &str) -> (Exclusions, Vec<MarkerWarning>) {
    let mut ex = Exclusions::default();
    let mut warnings = Vec::new();
    // Most files have no marker at all: one pass over the text decides that.
    if !text.contains("LCOV_EXCL") && !text.contains("cov:ignore") {
        return (ex, warnings);
    }
    let mut open: [Option<u32>; 3] = [None; 3];
    for (i, line) in text.lines().enumerate() {
        let no = u32::try_from(i + 1).unwrap_or(u32::MAX);
        if !line.contains("LCOV_EXCL") && !line.contains("cov:ignore") {
            continue;
        }
        for (fam, slot) in FAMILIES.iter().zip(open.iter_mut()) {
            let target = if fam.branches_only {
                &mut ex.branches
            } else {
                &mut ex.lines
            };
            if line.contains(fam.line) {
                target.push(no, no);
            }
            if line.contains(fam.start) {
                if let Some(prev) = *slot {
                    warnings.push(MarkerWarning {
                        line: no,
                        message: format!(
                            "{} while the one on line {prev} is still open",
                            fam.start
                        ),
                    });
                } else {
                    *slot = Some(no);
                }
            }
            if line.contains(fam.stop) {
                match slot.take() {
                    Some(start) => target.push(start, no),
                    None => warnings.push(MarkerWarning {
                        line: no,
                        message: format!("{} without a {} before it; ignored", fam.stop, fam.start),
                    }),
                }
            }
        }
    }
    for (fam, slot) in FAMILIES.iter().zip(open) {
        if let Some(start) = slot {
            let target = if fam.branches_only {
                &mut ex.branches
            } else {
                &mut ex.lines
            };
            // Past the last line too: coverage data may name lines beyond
            // the end of a stale source.
            target.push(start, u32::MAX);
            warnings.push(MarkerWarning {
                line: start,
                message: format!(
                    "{} without a {}; excluding to the end of the file",
                    fam.start, fam.stop
                ),
            });
        }
    }
    // Ranges were pushed per family in the order found; keep them sorted
    // and merged for `contains`.
    for r in [&mut ex.lines, &mut ex.branches] {
        let mut v = std::mem::take(&mut r.0);
        v.sort_unstable();
        for (s, e) in v {
            r.push(s, e);
        }
    }
    warnings.sort_by_key(|w| w.line);
    (ex, warnings)
}

/// Removes what `ex` excludes from `file`. Returns how many lines went.
pub fn apply_exclusions(file: &mut FileCoverage, ex: &Exclusions) -> usize {
    if ex.lines.is_empty() && ex.branches.is_empty() {
        return 0;
    }
    let before = file.lines.len();
    file.lines.retain(|&l, _| !ex.lines.contains(l));
    file.branches
        .retain(|&(l, _, _), _| !ex.lines.contains(l) && !ex.branches.contains(l));
    file.functions
        .retain(|_, f| f.line == 0 || !ex.lines.contains(f.line));
    file.segments.retain(|&(l, _), _| !ex.lines.contains(l));
    before - file.lines.len()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]
mod tests {
    use super::*;

    #[test]
    fn finds_lines_and_ranges_of_both_spellings() {
        let src = "\
fn a() {}
fn b() {} // LCOV_EXCL_LINE
// LCOV_EXCL_START
fn c() {}
// LCOV_EXCL_STOP
fn d() {} // cov:ignore-line
/* cov:ignore-start */
fn e() {}
/* cov:ignore-stop */
if x { y } // LCOV_EXCL_BR_LINE
fn f() {}
";
        let (ex, w) = scan_markers(src);
        assert_eq!(w, []);
        assert_eq!(ex.lines.as_slice(), [(2, 9)]);
        assert_eq!(ex.branches.as_slice(), [(10, 10)]);
        assert!(!ex.lines.contains(1) && ex.lines.contains(4) && !ex.lines.contains(10));
    }

    #[test]
    fn unbalanced_markers_warn() {
        let (ex, w) = scan_markers("LCOV_EXCL_STOP\na\nLCOV_EXCL_START\nb\n");
        assert_eq!(ex.lines.as_slice(), [(3, u32::MAX)]);
        assert_eq!(w.len(), 2);
        assert_eq!(w[0].line, 1);
        assert!(w[0].message.contains("without a LCOV_EXCL_START"), "{w:?}");
        assert_eq!(w[1].line, 3);
        assert!(w[1].message.contains("to the end of the file"), "{w:?}");
        let (_, w) = scan_markers("cov:ignore-start\ncov:ignore-start\ncov:ignore-stop\n");
        assert_eq!(w.len(), 1);
        assert!(w[0].message.contains("still open"), "{w:?}");
    }

    #[test]
    fn applying_drops_lines_branches_and_functions() {
        let mut f = FileCoverage::default();
        for l in 1..=6 {
            f.add_line(l, u64::from(l % 2));
        }
        f.add_function("kept", 1, 1);
        f.add_function("gone", 3, 0);
        f.add_function("unknown_line", 0, 0);
        f.add_branch((5, 0, 0), Some(1));
        f.add_branch((6, 0, 0), None);
        f.add_branch((3, 0, 0), None);
        let (ex, _) = scan_markers("\n\nLCOV_EXCL_START\nLCOV_EXCL_STOP\n\nLCOV_EXCL_BR_LINE\n");
        assert_eq!(apply_exclusions(&mut f, &ex), 2);
        assert_eq!(f.lines.keys().copied().collect::<Vec<_>>(), [1, 2, 5, 6]);
        assert_eq!(
            f.functions.keys().collect::<Vec<_>>(),
            ["kept", "unknown_line"]
        );
        assert_eq!(f.branches.keys().copied().collect::<Vec<_>>(), [(5, 0, 0)]);
    }
}
