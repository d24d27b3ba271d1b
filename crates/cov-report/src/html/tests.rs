//! `tests.html`: every test of the per-test data with the lines of the
//! report it ran and links to the files it ran, each opening with that
//! test picked (`#t=N`, `N` its index in the sorted names).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, Write};

use wasm_cov_format::Coverage;

use super::chrome::{foot, head};
use super::{HtmlOptions, FILES_DIR};
use crate::contexts::Contexts;
use crate::escape::{Esc, EscAttr};

/// Writes the tests page. `pages` maps each path of `cov` to its page.
pub fn write_tests(
    w: &mut impl Write,
    cov: &Coverage,
    c: &Contexts,
    pages: &BTreeMap<String, String>,
    opts: &HtmlOptions,
) -> io::Result<()> {
    // Per test: (file, lines of it) in path order.
    let mut files: Vec<Vec<(&str, u64)>> = vec![Vec::new(); c.names.len()];
    for (path, lines) in &c.files {
        let mut n = vec![0u64; c.names.len()];
        for tests in lines.values() {
            for &t in tests {
                n[t as usize] += 1;
            }
        }
        for (t, &k) in n.iter().enumerate() {
            if k > 0 {
                files[t].push((path, k));
            }
        }
    }
    let total = cov.totals().lines_found;
    head(w, &format!("Tests — {}", opts.title))?;
    writeln!(
        w,
        "<header class=\"top\"><a class=\"brand\" id=\"up\" href=\"index.html\">← {}</a><span class=\"path\"><b>Tests</b></span><span class=\"nav\"><button id=\"helpbtn\" title=\"Keyboard shortcuts (?)\">?</button></span></header>\n<main>",
        Esc(&opts.title)
    )?;
    writeln!(
        w,
        "<p class=\"changed-link\">{} tests. <i>Lines</i> are the report's lines of code each test ran (of {total}); a file link opens the file with only that test's lines highlighted.</p>",
        c.names.len()
    )?;
    let mut s = String::with_capacity(256 * c.names.len());
    s.push_str("<table class=\"list sortable\" id=\"tests\"><thead><tr><th>Test</th><th class=\"num\">Lines</th><th class=\"num\">Files</th><th>Ran lines in</th></tr></thead><tbody>\n");
    for (t, (name, files)) in c.names.iter().zip(&files).enumerate() {
        let lines: u64 = files.iter().map(|f| f.1).sum();
        let _ = write!(
            s,
            "<tr><td class=\"name\">{}</td><td class=\"num\" data-v=\"{lines}\">{lines}</td><td class=\"num\" data-v=\"{n}\">{n}</td><td>",
            Esc(name),
            n = files.len()
        );
        for (i, (path, k)) in files.iter().enumerate() {
            let page = pages.get(*path).map(String::as_str).unwrap_or_default();
            let _ = write!(
                s,
                "{}<a href=\"{FILES_DIR}/{}#t={t}\" title=\"{k} lines\">{}</a>",
                if i == 0 { "" } else { ", " },
                EscAttr(page),
                Esc(path)
            );
        }
        s.push_str("</td></tr>\n");
        if s.len() > 1 << 16 {
            w.write_all(s.as_bytes())?;
            s.clear();
        }
    }
    s.push_str("</tbody></table>\n</main>\n");
    w.write_all(s.as_bytes())?;
    foot(w)
}
