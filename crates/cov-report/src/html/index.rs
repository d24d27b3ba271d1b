//! `index.html`: the totals, then sortable tables of directories (when
//! there is more than one) and of files, each row with a bar per metric.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, Write};

use wasm_cov_format::{Coverage, FileCoverage, Totals};

use super::chrome::{
    cards, cards_and, chips, foot, foot_with, head, head_with, level, metrics, pct_value,
    CONTEXT_SCRIPT, CONTEXT_STYLE,
};
use super::{HtmlOptions, CHANGED_PAGE, DIRS_DIR, FILES_DIR, TESTS_PAGE};
use crate::contexts::Contexts;
use crate::escape::{Esc, EscAttr, JsonStr};
use crate::patch::Patch;
use crate::paths::dir_of;
use crate::ratio::Ratio;

/// One metric cell: bar, percentage, hit/found; sorts by percentage.
pub(super) fn metric_td(s: &mut String, r: Ratio) {
    let v = pct_value(r);
    let width = if r.found == 0 {
        "0"
    } else {
        v.trim_start_matches('-')
    };
    let n = if r.found == 0 {
        String::new()
    } else {
        r.to_string()
    };
    // Writing to a String cannot fail.
    let _ = write!(
        s,
        "<td class=\"m {}\" data-v=\"{v}\"><div class=\"mc\"><div class=\"bar\"><span style=\"width:{width}%\"></span></div><span class=\"p\">{}</span><span class=\"n\">{n}</span></div></td>",
        level(r),
        r.percent_1dp()
    );
}

fn metric_heads(branches: bool) -> &'static str {
    if branches {
        "<th>Lines</th><th>Functions</th><th>Branches</th>"
    } else {
        "<th>Lines</th><th>Functions</th>"
    }
}

fn metric_tds(s: &mut String, t: &Totals, branches: bool) {
    for (_, _, r) in metrics(t, branches) {
        metric_td(s, r);
    }
}

/// The totals of each file of `cov`, in its order. Computed once per
/// report: each is a walk over every line and branch of the file, and the
/// index, the directory pages and their tables all need them.
pub(super) fn file_totals(cov: &Coverage) -> Vec<Totals> {
    cov.files.values().map(FileCoverage::totals).collect()
}

/// Each directory of `cov` (the folder part of its paths) with its totals
/// and number of files; `totals` is [`file_totals`] of `cov`.
pub(super) fn directories<'a>(
    cov: &'a Coverage,
    totals: &[Totals],
) -> BTreeMap<&'a str, (Totals, usize)> {
    let mut dirs: BTreeMap<&str, (Totals, usize)> = BTreeMap::new();
    for (path, ft) in cov.files.keys().zip(totals) {
        let e = dirs.entry(dir_of(path)).or_default();
        e.0.add(ft);
        e.1 += 1;
    }
    dirs
}

/// The sortable table of `files`, linked to their pages under `prefix`.
fn files_table<'a>(
    w: &mut impl Write,
    files: impl Iterator<Item = (&'a String, &'a Totals)>,
    pages: &BTreeMap<String, String>,
    prefix: &str,
    branches: bool,
) -> io::Result<()> {
    let mut s = String::with_capacity(1 << 16);
    let _ = write!(
        s,
        "<div class=\"tools\"><h2>Files</h2><input id=\"filter\" type=\"search\" placeholder=\"Filter files\" aria-label=\"Filter files\"></div>\n\
         <table class=\"list sortable\" id=\"files\"><thead><tr><th>File</th>{}</tr></thead><tbody>\n",
        metric_heads(branches)
    );
    for (path, ft) in files {
        let page = pages.get(path).map(String::as_str).unwrap_or_default();
        let _ = write!(
            s,
            "<tr data-path=\"{}\"><td class=\"name\"><a href=\"{prefix}{FILES_DIR}/{}\">{}</a></td>",
            EscAttr(path),
            EscAttr(page),
            Esc(path)
        );
        metric_tds(&mut s, ft, branches);
        s.push_str("</tr>\n");
        if s.len() > 1 << 16 {
            w.write_all(s.as_bytes())?;
            s.clear();
        }
    }
    s.push_str("</tbody></table>\n");
    w.write_all(s.as_bytes())
}

/// Writes `index.html`. `pages` maps each path of `cov` to its page's file
/// name in [`FILES_DIR`]; `dir_pages` each directory to its page in
/// [`DIRS_DIR`] (empty when there are none).
pub fn write_index(
    w: &mut impl Write,
    cov: &Coverage,
    pages: &BTreeMap<String, String>,
    dir_pages: &BTreeMap<String, String>,
    patch: Option<&Patch>,
    contexts: Option<&Contexts>,
    opts: &HtmlOptions,
) -> io::Result<()> {
    let totals = file_totals(cov);
    write_index_with(w, cov, &totals, pages, dir_pages, patch, contexts, opts)
}

/// [`write_index`] with the [`file_totals`] of `cov` already known.
#[allow(
    clippy::too_many_arguments,
    reason = "write_index's arguments and the totals"
)]
pub(super) fn write_index_with(
    w: &mut impl Write,
    cov: &Coverage,
    totals: &[Totals],
    pages: &BTreeMap<String, String>,
    dir_pages: &BTreeMap<String, String>,
    patch: Option<&Patch>,
    contexts: Option<&Contexts>,
    opts: &HtmlOptions,
) -> io::Result<()> {
    let mut t = Totals::default();
    for ft in totals {
        t.add(ft);
    }
    let branches = t.branches_found > 0;
    let (css, script) = match contexts {
        Some(_) => (CONTEXT_STYLE, CONTEXT_SCRIPT),
        None => ("", ""),
    };
    head_with(w, &opts.title, css)?;
    write!(
        w,
        "<header class=\"top\"><span class=\"brand\">{}</span><span class=\"path\"></span><span class=\"chips\">",
        Esc(&opts.title)
    )?;
    chips(w, &t, branches)?;
    writeln!(w, "</span><span class=\"nav\"><button id=\"helpbtn\" title=\"Keyboard shortcuts (?)\">?</button></span></header>\n<main>")?;
    cards_and(w, &t, branches, patch.map(|p| p.total(cov)))?;
    if let Some(p) = patch {
        let n = p.files(cov).count();
        writeln!(
            w,
            "<p class=\"changed-link\"><a href=\"{CHANGED_PAGE}\">Changed files ({n})</a>: patch coverage of <code>{}</code></p>",
            Esc(&p.label)
        )?;
    }
    if let Some(c) = contexts {
        writeln!(
            w,
            "<p class=\"changed-link\"><a href=\"{TESTS_PAGE}\">Tests ({})</a>: the lines each test ran; on a file page, pick a test to see its lines, or click a count to see the tests that ran it</p>",
            c.names.len()
        )?;
    }

    let dirs = directories(cov, totals);
    if dirs.len() > 1 {
        let mut s = String::with_capacity(512 * dirs.len());
        writeln!(w, "<h2>Directories</h2>")?;
        let _ = writeln!(
            s,
            "<table class=\"list sortable\" id=\"dirs\"><thead><tr><th>Directory</th>{}<th class=\"num\">Files</th></tr></thead><tbody>",
            metric_heads(branches)
        );
        for (dir, (dt, n)) in &dirs {
            let page = dir_pages.get(*dir).map(String::as_str).unwrap_or_default();
            let _ = write!(
                s,
                "<tr><td class=\"name\"><a href=\"{DIRS_DIR}/{}\">{}</a></td>",
                EscAttr(page),
                Esc(dir)
            );
            metric_tds(&mut s, dt, branches);
            let _ = writeln!(s, "<td class=\"num\" data-v=\"{n}\">{n}</td></tr>");
        }
        s.push_str("</tbody></table>\n");
        w.write_all(s.as_bytes())?;
    }
    files_table(w, cov.files.keys().zip(totals), pages, "", branches)?;
    writeln!(w, "</main>")?;
    if let Some(c) = contexts {
        write_index_contexts(w, cov, c)?;
    }
    foot_with(w, script)
}

/// For the index's test picker: `t` the test names (their index is the
/// `#t=N` of the file pages), `f` per test the rows of the files table
/// (in path order) it ran lines of, with how many: `row, lines, ...`.
fn write_index_contexts(w: &mut impl Write, cov: &Coverage, c: &Contexts) -> io::Result<()> {
    let mut per_test: Vec<Vec<(usize, u64)>> = vec![Vec::new(); c.names.len()];
    for (row, path) in cov.files.keys().enumerate() {
        let Some(lines) = c.files.get(path) else {
            continue;
        };
        let mut n = vec![0u64; c.names.len()];
        for tests in lines.values() {
            for &t in tests {
                n[t as usize] += 1;
            }
        }
        for (t, &k) in n.iter().enumerate() {
            if k > 0 {
                per_test[t].push((row, k));
            }
        }
    }
    let mut s = String::with_capacity(64 * c.names.len());
    s.push_str("<script type=\"application/json\" id=\"ctxi\">{\"t\":[");
    for (i, name) in c.names.iter().enumerate() {
        let _ = write!(s, "{}{}", if i > 0 { "," } else { "" }, JsonStr(name));
    }
    s.push_str("],\"f\":[");
    for (i, files) in per_test.iter().enumerate() {
        s.push_str(if i > 0 { ",[" } else { "[" });
        for (j, (row, k)) in files.iter().enumerate() {
            let _ = write!(s, "{}{row},{k}", if j > 0 { "," } else { "" });
        }
        s.push(']');
    }
    s.push_str("]}</script>\n");
    w.write_all(s.as_bytes())
}

/// Writes the page of directory `dir`: its totals and its files, with
/// branch columns if the report has `branches`. It lives in [`DIRS_DIR`],
/// so links go up one level.
#[allow(
    clippy::too_many_arguments,
    reason = "one page's data and the report's"
)]
pub fn write_dir_page(
    w: &mut impl Write,
    cov: &Coverage,
    totals: &[Totals],
    dir: &str,
    t: &Totals,
    branches: bool,
    pages: &BTreeMap<String, String>,
    opts: &HtmlOptions,
) -> io::Result<()> {
    head(w, &format!("{dir} — {}", opts.title))?;
    write!(
        w,
        "<header class=\"top\"><a class=\"brand\" id=\"up\" href=\"../index.html\">← {}</a><span class=\"path\"><b>{}</b></span><span class=\"chips\">",
        Esc(&opts.title),
        Esc(dir)
    )?;
    chips(w, t, branches)?;
    writeln!(w, "</span><span class=\"nav\"><button id=\"helpbtn\" title=\"Keyboard shortcuts (?)\">?</button></span></header>\n<main>")?;
    cards(w, t, branches)?;
    let files = cov
        .files
        .keys()
        .zip(totals)
        .filter(|(p, _)| dir_of(p) == dir);
    files_table(w, files, pages, "../", branches)?;
    writeln!(w, "</main>")?;
    foot(w)
}
