//! The small summaries: JSON for badges and scripts, Markdown for a CI job
//! page (`$GITHUB_STEP_SUMMARY`, a GitLab MR note).

use std::io::{self, Write};

use wasm_cov_format::{Coverage, Totals};

use crate::ratio::Ratio;
use crate::table::missing_lines;
use crate::threshold::Outcome;

/// Name and version of the JSON summary document.
pub const SUMMARY_FORMAT: &str = "cov-report-summary";
pub const SUMMARY_VERSION: u32 = 1;

fn json_metrics(w: &mut impl Write, t: &Totals) -> io::Result<()> {
    let m = |r: Ratio| {
        format!(
            r#"{{"total":{},"covered":{},"pct":{}}}"#,
            r.found,
            r.hit,
            r.percent_json()
        )
    };
    write!(
        w,
        r#""lines":{},"functions":{},"branches":{}"#,
        m(Ratio::lines(t)),
        m(Ratio::functions(t)),
        m(Ratio::branches(t))
    )
}

/// Writes the JSON summary: totals, then one entry per file in path order.
///
/// ```text
/// {"format":"cov-report-summary","version":1,
///  "totals":{"lines":{"total":28,"covered":20,"pct":71.43},"functions":{..},"branches":{..}},
///  "files":[{"path":"src/lib.rs","lines":{..},"functions":{..},"branches":{..}}]}
/// ```
pub fn write_json_summary(cov: &Coverage, mut w: impl Write) -> io::Result<()> {
    write!(
        w,
        r#"{{"format":"{SUMMARY_FORMAT}","version":{SUMMARY_VERSION},"totals":{{"#
    )?;
    json_metrics(&mut w, &cov.totals())?;
    write!(w, "}},\n\"files\":[")?;
    for (i, (path, f)) in cov.files.iter().enumerate() {
        let sep = if i == 0 { "\n" } else { ",\n" };
        // serde_json escapes a string exactly as JSON wants it; writing to
        // a String cannot fail.
        let name = serde_json::to_string(path).unwrap_or_default();
        write!(w, "{sep}{{\"path\":{name},")?;
        json_metrics(&mut w, &f.totals())?;
        write!(w, "}}")?;
    }
    writeln!(w, "\n]}}")?;
    Ok(())
}

/// Escapes text for a Markdown table cell: everything that could start
/// markup or end the cell, and HTML, since renderers allow inline HTML.
struct Md<'a>(&'a str);

impl std::fmt::Display for Md<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for c in self.0.chars() {
            match c {
                '<' => f.write_str("&lt;")?,
                '>' => f.write_str("&gt;")?,
                '&' => f.write_str("&amp;")?,
                '|' => f.write_str("\\|")?,
                '\\' | '`' | '*' | '_' | '[' | ']' | '#' | '~' | '!' | '(' | ')' => {
                    write!(f, "\\{c}")?
                }
                c if c.is_control() => f.write_str(" ")?,
                c => write!(f, "{c}")?,
            }
        }
        Ok(())
    }
}

/// What the Markdown summary shows.
#[derive(Debug, Clone, Default)]
pub struct MarkdownOptions {
    pub title: String,
    pub show_missing: bool,
}

fn cell(r: Ratio) -> String {
    if r.found == 0 {
        "-".to_owned()
    } else {
        format!("{} ({r})", r.percent_1dp())
    }
}

/// Writes the Markdown summary: a one-row total table, the thresholds if
/// any were given, and the per-file table folded in a `<details>`.
pub fn write_markdown(
    cov: &Coverage,
    opts: &MarkdownOptions,
    outcomes: &[Outcome],
    mut w: impl Write,
) -> io::Result<()> {
    let t = cov.totals();
    let branches = t.branches_found > 0;
    writeln!(w, "## {}\n", Md(&opts.title))?;
    let head = if branches {
        "| | Lines | Functions | Branches |\n|---|---:|---:|---:|"
    } else {
        "| | Lines | Functions |\n|---|---:|---:|"
    };
    writeln!(w, "{head}")?;
    write!(
        w,
        "| **Total** | **{}** | {} |",
        cell(Ratio::lines(&t)),
        cell(Ratio::functions(&t))
    )?;
    if branches {
        write!(w, " {} |", cell(Ratio::branches(&t)))?;
    }
    writeln!(w)?;
    if !outcomes.is_empty() {
        writeln!(w)?;
        for o in outcomes {
            let mark = if o.met() { "✅" } else { "❌" };
            writeln!(w, "- {mark} {}", Md(&o.to_string()))?;
        }
    }
    let n = cov.files.len();
    writeln!(
        w,
        "\n<details><summary>{n} file{}</summary>\n",
        if n == 1 { "" } else { "s" }
    )?;
    write!(w, "| File | Lines | Functions |")?;
    if branches {
        write!(w, " Branches |")?;
    }
    if opts.show_missing {
        write!(w, " Missing |")?;
    }
    write!(w, "\n|---|---:|---:|")?;
    if branches {
        write!(w, "---:|")?;
    }
    if opts.show_missing {
        write!(w, "---|")?;
    }
    writeln!(w)?;
    for (path, f) in &cov.files {
        let ft = f.totals();
        write!(
            w,
            "| {} | {} | {} |",
            Md(path),
            cell(Ratio::lines(&ft)),
            cell(Ratio::functions(&ft))
        )?;
        if branches {
            write!(w, " {} |", cell(Ratio::branches(&ft)))?;
        }
        if opts.show_missing {
            write!(w, " {} |", missing_lines(f))?;
        }
        writeln!(w)?;
    }
    writeln!(w, "\n</details>")?;
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]
mod tests {
    use super::*;

    #[test]
    fn json_summary_is_valid_json_with_escaped_paths() {
        let mut cov = Coverage::default();
        cov.file_mut("a\"\\\n.rs").add_line(1, 1);
        cov.file_mut("b.rs").add_line(1, 0);
        let mut out = Vec::new();
        write_json_summary(&cov, &mut out).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["files"][0]["path"], "a\"\\\n.rs");
        assert_eq!(v["totals"]["lines"]["pct"], 50);
        assert_eq!(v["totals"]["branches"]["pct"], serde_json::Value::Null);
    }

    #[test]
    fn markdown_escapes_cells() {
        assert_eq!(
            Md("a|b<script>*x*_[l](u)`").to_string(),
            "a\\|b&lt;script&gt;\\*x\\*\\_\\[l\\]\\(u\\)\\`"
        );
    }
}
