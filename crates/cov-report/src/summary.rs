//! The small summaries: JSON for badges and scripts, Markdown for a CI job
//! page (`$GITHUB_STEP_SUMMARY`, a GitLab MR note).

use std::io::{self, Write};

use wasm_cov_format::{Coverage, Totals};

use crate::contexts::Contexts;
use crate::patch::Patch;
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

fn json_ratio(w: &mut impl Write, r: Ratio) -> io::Result<()> {
    write!(
        w,
        r#"{{"total":{},"covered":{},"pct":{}"#,
        r.found,
        r.hit,
        r.percent_json()
    )
}

/// Writes the JSON summary: totals, then one entry per file in path order.
/// With a change (`--diff`), `totals.patch` and, for each file it touched,
/// `patch` with the uncovered changed lines of code.
///
/// ```text
/// {"format":"cov-report-summary","version":1,
///  "totals":{"lines":{"total":28,"covered":20,"pct":71.43},"functions":{..},"branches":{..},
///            "patch":{"total":5,"covered":3,"pct":60,"diff":"git diff main"}},
///  "files":[{"path":"src/lib.rs","lines":{..},"functions":{..},"branches":{..},
///            "patch":{"total":5,"covered":3,"pct":60,"uncovered":[10,12]}}]}
/// ```
pub fn write_json_summary(
    cov: &Coverage,
    patch: Option<&Patch>,
    contexts: Option<&Contexts>,
    mut w: impl Write,
) -> io::Result<()> {
    write!(
        w,
        r#"{{"format":"{SUMMARY_FORMAT}","version":{SUMMARY_VERSION},"totals":{{"#
    )?;
    json_metrics(&mut w, &cov.totals())?;
    if let Some(p) = patch {
        write!(w, r#","patch":"#)?;
        json_ratio(&mut w, p.total(cov))?;
        // serde_json escapes a string exactly as JSON wants it.
        let label = serde_json::to_string(&p.label).unwrap_or_default();
        write!(w, r#","diff":{label}}}"#)?;
    }
    write!(w, "}},\n\"files\":[")?;
    for (i, (path, f)) in cov.files.iter().enumerate() {
        let sep = if i == 0 { "\n" } else { ",\n" };
        // serde_json escapes a string exactly as JSON wants it; writing to
        // a String cannot fail.
        let name = serde_json::to_string(path).unwrap_or_default();
        write!(w, "{sep}{{\"path\":{name},")?;
        json_metrics(&mut w, &f.totals())?;
        if let Some(fp) = patch.and_then(|p| p.file(path, f)) {
            write!(w, r#","patch":"#)?;
            json_ratio(&mut w, fp.ratio())?;
            let uncovered: Vec<String> = fp
                .lines
                .iter()
                .filter(|(_, c)| *c == 0)
                .map(|(l, _)| l.to_string())
                .collect();
            write!(w, r#","uncovered":[{}]}}"#, uncovered.join(","))?;
        }
        write!(w, "}}")?;
    }
    write!(w, "\n]")?;
    // Per-test data only when an input had it, so other summaries keep
    // their bytes.
    if let Some(c) = contexts {
        write!(w, ",\n\"tests\":[")?;
        for (i, (name, lines)) in c.names.iter().zip(c.lines_per_test()).enumerate() {
            let sep = if i == 0 { "\n" } else { ",\n" };
            let name = serde_json::to_string(name).unwrap_or_default();
            write!(w, "{sep}{{\"name\":{name},\"lines\":{lines}}}")?;
        }
        write!(w, "\n]")?;
    }
    writeln!(w, "}}")?;
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
    patch: Option<&Patch>,
    mut w: impl Write,
) -> io::Result<()> {
    let t = cov.totals();
    let branches = t.branches_found > 0;
    writeln!(w, "## {}\n", Md(&opts.title))?;
    write!(w, "| | Lines | Functions |")?;
    if branches {
        write!(w, " Branches |")?;
    }
    if patch.is_some() {
        write!(w, " Patch |")?;
    }
    write!(w, "\n|---|---:|---:|")?;
    if branches {
        write!(w, "---:|")?;
    }
    if patch.is_some() {
        write!(w, "---:|")?;
    }
    write!(
        w,
        "\n| **Total** | **{}** | {} |",
        cell(Ratio::lines(&t)),
        cell(Ratio::functions(&t))
    )?;
    if branches {
        write!(w, " {} |", cell(Ratio::branches(&t)))?;
    }
    if let Some(p) = patch {
        write!(w, " **{}** |", cell(p.total(cov)))?;
    }
    writeln!(w)?;
    if !outcomes.is_empty() {
        writeln!(w)?;
        for o in outcomes {
            let mark = if o.met() { "✅" } else { "❌" };
            writeln!(w, "- {mark} {}", Md(&o.to_string()))?;
        }
    }
    if let Some(p) = patch {
        write_patch_section(cov, p, &mut w)?;
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
    if patch.is_some() {
        write!(w, " Patch |")?;
    }
    if opts.show_missing {
        write!(w, " Missing |")?;
    }
    write!(w, "\n|---|---:|---:|")?;
    if branches {
        write!(w, "---:|")?;
    }
    if patch.is_some() {
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
        if let Some(p) = patch {
            let c = p
                .file(path, f)
                .map_or_else(|| "-".to_owned(), |fp| cell(fp.ratio()));
            write!(w, " {c} |")?;
        }
        if opts.show_missing {
            write!(w, " {} |", missing_lines(f))?;
        }
        writeln!(w)?;
    }
    writeln!(w, "\n</details>")?;
    Ok(())
}

/// The patch section, made for a pull request comment: the patch coverage
/// and, by file, the changed lines of code no test ran.
fn write_patch_section(cov: &Coverage, p: &Patch, w: &mut impl Write) -> io::Result<()> {
    let total = p.total(cov);
    writeln!(w, "\n### Patch coverage: {}\n", cell(total))?;
    writeln!(
        w,
        "Of the lines of code `{}` adds or modifies.",
        p.label.replace('`', "'")
    )?;
    let uncovered: Vec<(&str, String)> = p
        .files(cov)
        .filter(|(_, fp)| !fp.uncovered.is_empty())
        .map(|(path, fp)| (path, fp.uncovered))
        .collect();
    if total.found == 0 {
        writeln!(w, "The change touches no line of code.")?;
    } else if uncovered.is_empty() {
        writeln!(w, "Every changed line of code ran.")?;
    } else {
        writeln!(w, "\n| File | Uncovered changed lines |\n|---|---|")?;
        for (path, lines) in uncovered {
            writeln!(w, "| {} | {lines} |", Md(path))?;
        }
    }
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
        write_json_summary(&cov, None, None, &mut out).unwrap();
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
