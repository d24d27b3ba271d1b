//! The in-memory coverage model every report is made from: per source file,
//! line counts, functions and branches. LCOV and the mapper's JSON are two
//! spellings of it.

use std::collections::BTreeMap;

/// Coverage of many source files, keyed by path. `BTreeMap` keeps every
/// output sorted and byte-identical for the same input.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Coverage {
    pub files: BTreeMap<String, FileCoverage>,
}

/// Coverage of one source file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileCoverage {
    /// Line number (1-based) to execution count. A line present here is
    /// instrumentable; a count of 0 means it never ran.
    pub lines: BTreeMap<u32, u64>,
    /// Function name to its declaration line and entry count.
    pub functions: BTreeMap<String, FunctionCoverage>,
    /// `(line, block, branch)` to the times that branch was taken; `None`
    /// means the block holding the branch never ran (LCOV's `-`).
    pub branches: BTreeMap<(u32, u32, u32), Option<u64>>,
    /// Parts of partly run lines: `(line, column)` (1-based) to where the
    /// part ends and its count. Only lines whose parts disagree have any.
    /// LCOV cannot say this; the mapper JSON can.
    pub segments: BTreeMap<(u32, u32), Segment>,
}

/// A part of a line, from its key's column up to `end_line:end_col`
/// (exclusive; `end_col` 0 means to the end of `end_line`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Segment {
    pub end_line: u32,
    pub end_col: u32,
    pub count: u64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FunctionCoverage {
    pub line: u32,
    pub count: u64,
}

/// Found/hit counts of one file or of a whole report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    pub lines_found: u64,
    pub lines_hit: u64,
    pub functions_found: u64,
    pub functions_hit: u64,
    pub branches_found: u64,
    pub branches_hit: u64,
}

impl Totals {
    pub fn add(&mut self, other: &Totals) {
        self.lines_found += other.lines_found;
        self.lines_hit += other.lines_hit;
        self.functions_found += other.functions_found;
        self.functions_hit += other.functions_hit;
        self.branches_found += other.branches_found;
        self.branches_hit += other.branches_hit;
    }

    /// Percentage of lines hit; `None` when there are no lines at all, which
    /// a report shows as `-` rather than pretending it is 0 or 100.
    pub fn line_pct(&self) -> Option<f64> {
        pct(self.lines_hit, self.lines_found)
    }
    pub fn function_pct(&self) -> Option<f64> {
        pct(self.functions_hit, self.functions_found)
    }
    pub fn branch_pct(&self) -> Option<f64> {
        pct(self.branches_hit, self.branches_found)
    }
}

fn pct(hit: u64, found: u64) -> Option<f64> {
    (found > 0).then(|| hit as f64 * 100.0 / found as f64)
}

impl FileCoverage {
    /// Adds `count` to `line`, saturating.
    pub fn add_line(&mut self, line: u32, count: u64) {
        let c = self.lines.entry(line).or_insert(0);
        *c = c.saturating_add(count);
    }

    /// Adds a function's entry count; the same name seen twice (another
    /// instantiation, another input) sums, keeping the smallest line.
    pub fn add_function(&mut self, name: &str, line: u32, count: u64) {
        match self.functions.get_mut(name) {
            Some(f) => {
                f.count = f.count.saturating_add(count);
                if line != 0 && (f.line == 0 || line < f.line) {
                    f.line = line;
                }
            }
            None => {
                self.functions
                    .insert(name.to_owned(), FunctionCoverage { line, count });
            }
        }
    }

    pub fn add_branch(&mut self, key: (u32, u32, u32), taken: Option<u64>) {
        let slot = self.branches.entry(key).or_insert(None);
        *slot = match (*slot, taken) {
            (None, t) | (t, None) => t,
            (Some(a), Some(b)) => Some(a.saturating_add(b)),
        };
    }

    /// Merges `other` into `self`: counts add (saturating), lines, functions
    /// and branches are the union.
    pub fn merge(&mut self, other: &FileCoverage) {
        for (&line, &count) in &other.lines {
            self.add_line(line, count);
        }
        for (name, f) in &other.functions {
            self.add_function(name, f.line, f.count);
        }
        for (&key, &taken) in &other.branches {
            self.add_branch(key, taken);
        }
        for (&key, seg) in &other.segments {
            self.add_segment(key, *seg);
        }
    }

    /// Adds a segment's count; the same start seen again sums, keeping the
    /// later end.
    pub fn add_segment(&mut self, start: (u32, u32), seg: Segment) {
        match self.segments.get_mut(&start) {
            Some(s) => {
                s.count = s.count.saturating_add(seg.count);
                if (seg.end_line, seg.end_col) > (s.end_line, s.end_col) {
                    s.end_line = seg.end_line;
                    s.end_col = seg.end_col;
                }
            }
            None => {
                self.segments.insert(start, seg);
            }
        }
    }

    pub fn totals(&self) -> Totals {
        Totals {
            lines_found: self.lines.len() as u64,
            lines_hit: self.lines.values().filter(|&&c| c > 0).count() as u64,
            functions_found: self.functions.len() as u64,
            functions_hit: self.functions.values().filter(|f| f.count > 0).count() as u64,
            branches_found: self.branches.len() as u64,
            branches_hit: self
                .branches
                .values()
                .filter(|t| matches!(t, Some(c) if *c > 0))
                .count() as u64,
        }
    }
}

impl Coverage {
    /// The record for `path`, created empty if it is new.
    pub fn file_mut(&mut self, path: &str) -> &mut FileCoverage {
        self.files.entry(path.to_owned()).or_default()
    }

    pub fn merge(&mut self, other: &Coverage) {
        for (path, file) in &other.files {
            self.file_mut(path).merge(file);
        }
    }

    pub fn totals(&self) -> Totals {
        let mut t = Totals::default();
        for f in self.files.values() {
            t.add(&f.totals());
        }
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_saturates_and_unions() {
        let mut a = FileCoverage::default();
        a.add_line(1, u64::MAX);
        a.add_line(2, 0);
        a.add_function("f", 1, 3);
        a.add_branch((1, 0, 0), None);
        let mut b = FileCoverage::default();
        b.add_line(1, 1);
        b.add_line(3, 4);
        b.add_function("f", 1, 2);
        b.add_function("g", 9, 0);
        b.add_branch((1, 0, 0), Some(2));
        a.merge(&b);
        assert_eq!(a.lines, BTreeMap::from([(1, u64::MAX), (2, 0), (3, 4)]));
        assert_eq!(a.functions["f"].count, 5);
        assert_eq!(a.functions["g"], FunctionCoverage { line: 9, count: 0 });
        assert_eq!(a.branches[&(1, 0, 0)], Some(2));
        let t = a.totals();
        assert_eq!((t.lines_found, t.lines_hit), (3, 2));
        assert_eq!((t.functions_found, t.functions_hit), (2, 1));
        assert_eq!((t.branches_found, t.branches_hit), (1, 1));
    }

    #[test]
    fn empty_totals_have_no_percentage() {
        assert_eq!(Totals::default().line_pct(), None);
    }
}
