//! `index.html`: the totals, then sortable tables of directories (when
//! there is more than one) and of files, each row with a bar per metric.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, Write};

use wasm_cov_format::{Coverage, Totals};

use super::chrome::{cards, chips, foot, head, level, metrics, pct_value};
use super::{HtmlOptions, CHANGED_PAGE, FILES_DIR};
use crate::escape::{Esc, EscAttr};
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

/// Writes `index.html`. `pages` maps each path of `cov` to its page's file
/// name in [`FILES_DIR`].
pub fn write_index(
    w: &mut impl Write,
    cov: &Coverage,
    pages: &BTreeMap<String, String>,
    patch: Option<&Patch>,
    opts: &HtmlOptions,
) -> io::Result<()> {
    let t = cov.totals();
    let branches = t.branches_found > 0;
    head(w, &opts.title)?;
    write!(
        w,
        "<header class=\"top\"><span class=\"brand\">{}</span><span class=\"path\"></span><span class=\"chips\">",
        Esc(&opts.title)
    )?;
    chips(w, &t, branches)?;
    writeln!(w, "</span></header>\n<main>")?;
    cards(w, &t, branches)?;
    if let Some(p) = patch {
        let n = p.files(cov).count();
        writeln!(
            w,
            "<p class=\"changed-link\"><a href=\"{CHANGED_PAGE}\">Changed files ({n})</a>: patch coverage of <code>{}</code></p>",
            Esc(&p.label)
        )?;
    }

    let mut dirs: BTreeMap<&str, (Totals, usize)> = BTreeMap::new();
    for (path, f) in &cov.files {
        let e = dirs.entry(dir_of(path)).or_default();
        e.0.add(&f.totals());
        e.1 += 1;
    }
    let mut s = String::with_capacity(512 * (cov.files.len() + dirs.len()));
    if dirs.len() > 1 {
        writeln!(w, "<h2>Directories</h2>")?;
        let _ = writeln!(
            s,
            "<table class=\"list sortable\" id=\"dirs\"><thead><tr><th>Directory</th>{}<th class=\"num\">Files</th></tr></thead><tbody>",
            metric_heads(branches)
        );
        for (dir, (dt, n)) in &dirs {
            let filter = if *dir == "." {
                String::new()
            } else if dir.ends_with('/') {
                (*dir).to_owned()
            } else {
                format!("{dir}/")
            };
            let _ = write!(
                s,
                "<tr><td class=\"name\"><a href=\"#files\" data-filter=\"{}\">{}</a></td>",
                EscAttr(&filter),
                Esc(dir)
            );
            metric_tds(&mut s, dt, branches);
            let _ = writeln!(s, "<td class=\"num\" data-v=\"{n}\">{n}</td></tr>");
        }
        s.push_str("</tbody></table>\n");
        w.write_all(s.as_bytes())?;
        s.clear();
    }

    let _ = write!(
        s,
        "<div class=\"tools\"><h2>Files</h2><input id=\"filter\" type=\"search\" placeholder=\"Filter files\" aria-label=\"Filter files\"></div>\n\
         <table class=\"list sortable\" id=\"files\"><thead><tr><th>File</th>{}</tr></thead><tbody>\n",
        metric_heads(branches)
    );
    for (path, f) in &cov.files {
        let ft = f.totals();
        let page = pages.get(path).map(String::as_str).unwrap_or_default();
        let _ = write!(
            s,
            "<tr data-path=\"{}\"><td class=\"name\"><a href=\"{FILES_DIR}/{}\">{}</a></td>",
            EscAttr(path),
            EscAttr(page),
            Esc(path)
        );
        metric_tds(&mut s, &ft, branches);
        s.push_str("</tr>\n");
        if s.len() > 1 << 16 {
            w.write_all(s.as_bytes())?;
            s.clear();
        }
    }
    s.push_str("</tbody></table>\n</main>\n");
    w.write_all(s.as_bytes())?;
    foot(w)
}
