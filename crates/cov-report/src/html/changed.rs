//! `changed.html`: the files a change (`--diff`) touched, each with its
//! patch coverage and the changed lines of code no test ran, linked to
//! their rows on the file's page.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, Write};

use wasm_cov_format::Coverage;

use super::chrome::{card, foot, head, level};
use super::index::metric_td;
use super::{HtmlOptions, FILES_DIR};
use crate::escape::{Esc, EscAttr};
use crate::patch::Patch;

/// Writes the changed-files page. `pages` maps report paths to page names.
pub fn write_changed(
    w: &mut impl Write,
    cov: &Coverage,
    patch: &Patch,
    pages: &BTreeMap<String, String>,
    opts: &HtmlOptions,
) -> io::Result<()> {
    let total = patch.total(cov);
    head(w, &format!("Changed files — {}", opts.title))?;
    write!(
        w,
        "<header class=\"top\"><a class=\"brand\" id=\"up\" href=\"index.html\">← {}</a><span class=\"path\">changed by <b>{}</b></span><span class=\"chips\"><span class=\"chip {}\">Patch <b>{}</b> {total}</span></span></header>\n<main>\n",
        Esc(&opts.title),
        Esc(&patch.label),
        level(total),
        total.percent_1dp()
    )?;
    writeln!(w, "<section class=\"cards\">")?;
    card(w, "Patch", "changed lines of code", total)?;
    writeln!(w, "</section>")?;

    let files: Vec<_> = patch.files(cov).collect();
    let mut s = String::with_capacity(512 * (files.len() + 1));
    let _ = writeln!(
        s,
        "<h2>Changed files</h2>\n<table class=\"list sortable\" id=\"changed\"><thead><tr><th>File</th><th>Patch</th><th class=\"num\">Changed lines</th><th>Uncovered changed lines</th></tr></thead><tbody>"
    );
    for (path, fp) in &files {
        let page = pages.get(*path).map(String::as_str).unwrap_or_default();
        let changed = patch.changed_lines(path).map_or(0, |c| c.len());
        let _ = write!(
            s,
            "<tr><td class=\"name\"><a href=\"{FILES_DIR}/{}\">{}</a></td>",
            EscAttr(page),
            Esc(path)
        );
        metric_td(&mut s, fp.ratio());
        let _ = write!(
            s,
            "<td class=\"num\" data-v=\"{changed}\">{changed}</td><td class=\"lines\">"
        );
        let mut first = true;
        for (line, _) in fp.lines.iter().filter(|(_, c)| *c == 0) {
            let sep = if first { "" } else { " " };
            first = false;
            let _ = write!(
                s,
                "{sep}<a href=\"{FILES_DIR}/{}#L{line}\">{line}</a>",
                EscAttr(page)
            );
        }
        s.push_str("</td></tr>\n");
    }
    s.push_str("</tbody></table>\n");
    if files.is_empty() {
        s.push_str("<p class=\"note\">The change touches no file of this report.</p>\n");
    }
    let untouched = patch
        .changed
        .iter()
        .filter(|(p, lines)| !lines.is_empty() && !cov.files.contains_key(p.as_str()))
        .count();
    if untouched > 0 {
        let _ = writeln!(
            s,
            "<p class=\"muted\">{untouched} other changed file{} hold no code of this report.</p>",
            if untouched == 1 { "" } else { "s" }
        );
    }
    s.push_str("</main>\n");
    w.write_all(s.as_bytes())?;
    foot(w)
}
