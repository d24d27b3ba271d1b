//! The terminal summary: one row per source file and a total.

use std::fmt::Write as _;
use std::io::{self, Write};

use wasm_cov_format::{Coverage, FileCoverage, Totals};

use crate::patch::Patch;
use crate::ratio::Ratio;

/// What the table shows beyond the fixed columns.
#[derive(Debug, Clone, Copy, Default)]
pub struct TableOptions<'a> {
    /// Adds a last column listing the uncovered line ranges.
    pub show_missing: bool,
    /// Adds patch coverage columns: of the lines of code this change added
    /// or modified, how many ran (`-` for a file it did not touch).
    pub patch: Option<&'a Patch>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Align {
    Left,
    Right,
}

/// Writes the summary table for `cov`.
///
/// Columns are as wide as their widest cell, numbers right-aligned, and
/// trailing blanks trimmed, so the output is stable for golden tests. The
/// branch columns appear only when some file has branch data: most inputs
/// have none, and a column of `-` would be noise.
pub fn write_table(cov: &Coverage, opts: TableOptions<'_>, w: &mut dyn Write) -> io::Result<()> {
    let total = cov.totals();
    let branches = total.branches_found > 0;

    let mut header = vec!["File", "Lines", "Line %", "Functions", "Fn %"];
    if branches {
        header.extend(["Branches", "Br %"]);
    }
    if opts.patch.is_some() {
        header.extend(["Patch", "Patch %"]);
    }
    if opts.show_missing {
        header.push("Missing");
    }
    let align: Vec<Align> = header
        .iter()
        .map(|&h| match h {
            "File" | "Missing" => Align::Left,
            _ => Align::Right,
        })
        .collect();

    let row = |name: &str, t: &Totals, file: Option<&FileCoverage>| -> Vec<String> {
        let mut metrics = vec![Ratio::lines(t), Ratio::functions(t)];
        if branches {
            metrics.push(Ratio::branches(t));
        }
        let mut cells = vec![name.to_owned()];
        for r in metrics {
            cells.extend([r.to_string(), r.percent_1dp()]);
        }
        if let Some(patch) = opts.patch {
            let r = match file {
                Some(f) => patch.file(name, f).map(|fp| fp.ratio()),
                None => Some(patch.total(cov)),
            };
            match r {
                Some(r) => cells.extend([r.to_string(), r.percent_1dp()]),
                None => cells.extend(["-".to_owned(), "-".to_owned()]),
            }
        }
        if opts.show_missing {
            cells.push(file.map(missing_lines).unwrap_or_default());
        }
        cells
    };

    let header: Vec<String> = header.iter().map(|&h| h.to_owned()).collect();
    let body: Vec<Vec<String>> = cov
        .files
        .iter()
        .map(|(path, f)| row(path, &f.totals(), Some(f)))
        .collect();
    let footer = row("TOTAL", &total, None);

    let mut widths = vec![0usize; header.len()];
    for cells in std::iter::once(&header)
        .chain(&body)
        .chain(std::iter::once(&footer))
    {
        for (w, cell) in widths.iter_mut().zip(cells) {
            *w = (*w).max(width(cell));
        }
    }
    // The rule is as wide as the header: it spans every column but not the
    // cells of the ragged Missing column, which can be very long.
    let header_width = |i: usize, w: usize| {
        if opts.show_missing && i == widths.len() - 1 {
            width(&header[i])
        } else {
            w
        }
    };
    let rule_width: usize = widths
        .iter()
        .enumerate()
        .map(|(i, &w)| header_width(i, w))
        .sum::<usize>()
        + 2 * (widths.len() - 1);
    let rule = "-".repeat(rule_width);

    let line = |cells: &[String]| -> String {
        let mut out = String::new();
        for (i, ((cell, &w), &a)) in cells.iter().zip(&widths).zip(&align).enumerate() {
            if i > 0 {
                out.push_str("  ");
            }
            let pad = w.saturating_sub(width(cell));
            // Writing to a String cannot fail.
            let _ = match a {
                Align::Left => write!(out, "{cell}{:pad$}", ""),
                Align::Right => write!(out, "{:pad$}{cell}", ""),
            };
        }
        out.truncate(out.trim_end().len());
        out
    };

    writeln!(w, "{}", line(&header))?;
    writeln!(w, "{rule}")?;
    for cells in &body {
        writeln!(w, "{}", line(cells))?;
    }
    writeln!(w, "{rule}")?;
    writeln!(w, "{}", line(&footer))?;
    Ok(())
}

/// Display width of a cell. Counting chars rather than terminal columns is
/// exact for the ASCII paths that are the norm and close enough for others;
/// it is not worth a dependency.
fn width(s: &str) -> usize {
    s.chars().count()
}

/// The uncovered lines of `file` as ranges, e.g. `12-15, 40`.
///
/// A range runs over consecutive *instrumented* lines: lines with no code
/// between two uncovered ones (blank lines, comments) do not split it, since
/// nothing there could have run.
pub fn missing_lines(file: &FileCoverage) -> String {
    let mut ranges: Vec<(u32, u32)> = Vec::new();
    let mut open = false;
    for (&line, &count) in &file.lines {
        match ranges.last_mut() {
            Some((_, end)) if open && count == 0 => *end = line,
            _ if count == 0 => ranges.push((line, line)),
            _ => {}
        }
        open = count == 0;
    }
    let mut out = String::new();
    for (i, (start, end)) in ranges.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        // Writing to a String cannot fail.
        let _ = if start == end {
            write!(out, "{start}")
        } else {
            write!(out, "{start}-{end}")
        };
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]
mod tests {
    use super::*;

    fn file(lines: &[(u32, u64)]) -> FileCoverage {
        let mut f = FileCoverage::default();
        for &(l, c) in lines {
            f.add_line(l, c);
        }
        f
    }

    #[test]
    fn missing_ranges_span_uninstrumented_gaps() {
        let f = file(&[
            (3, 1),
            (12, 0),
            (13, 0),
            (15, 0), // 14 has no code: still one range
            (16, 2),
            (17, 0), // alone between two covered lines
            (18, 5),
            (40, 0),
            (41, 0),
        ]);
        assert_eq!(missing_lines(&f), "12-15, 17, 40-41");
        assert_eq!(missing_lines(&file(&[(1, 1), (2, 3)])), "");
        assert_eq!(missing_lines(&file(&[(7, 0)])), "7");
        assert_eq!(missing_lines(&FileCoverage::default()), "");
    }

    fn sample() -> Coverage {
        let mut cov = Coverage::default();
        let a = cov.file_mut("src/lib.rs");
        for (l, c) in [(1, 4), (2, 4), (3, 0), (4, 0), (6, 0), (7, 1), (9, 0)] {
            a.add_line(l, c);
        }
        a.add_function("demo::f", 1, 4);
        a.add_function("demo::g", 9, 0);
        let b = cov.file_mut("src/very/long/path/util.rs");
        for l in 1..=12 {
            b.add_line(l, 1);
        }
        b.add_function("demo::util", 1, 1);
        cov.file_mut("src/empty.rs");
        cov
    }

    fn render(cov: &Coverage, show_missing: bool) -> String {
        let mut out = Vec::new();
        write_table(
            cov,
            TableOptions {
                show_missing,
                patch: None,
            },
            &mut out,
        )
        .unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn table_golden() {
        let want = "\
File                        Lines  Line %  Functions    Fn %
------------------------------------------------------------
src/empty.rs                  0/0       -        0/0       -
src/lib.rs                    3/7   42.9%        1/2   50.0%
src/very/long/path/util.rs  12/12  100.0%        1/1  100.0%
------------------------------------------------------------
TOTAL                       15/19   78.9%        2/3   66.7%
";
        assert_eq!(render(&sample(), false), want);
    }

    #[test]
    fn table_golden_with_branches_and_missing() {
        let mut cov = sample();
        let a = cov.file_mut("src/lib.rs");
        a.add_branch((2, 0, 0), Some(3));
        a.add_branch((2, 0, 1), Some(0));
        a.add_branch((7, 0, 0), None);
        let want = "\
File                        Lines  Line %  Functions    Fn %  Branches   Br %  Missing
--------------------------------------------------------------------------------------
src/empty.rs                  0/0       -        0/0       -       0/0      -
src/lib.rs                    3/7   42.9%        1/2   50.0%       1/3  33.3%  3-6, 9
src/very/long/path/util.rs  12/12  100.0%        1/1  100.0%       0/0      -
--------------------------------------------------------------------------------------
TOTAL                       15/19   78.9%        2/3   66.7%       1/3  33.3%
";
        assert_eq!(render(&cov, true), want);
    }

    #[test]
    fn empty_coverage_still_has_a_total() {
        let want = "\
File   Lines  Line %  Functions  Fn %
-------------------------------------
-------------------------------------
TOTAL    0/0       -        0/0     -
";
        assert_eq!(render(&Coverage::default(), false), want);
    }
}
