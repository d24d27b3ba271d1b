//! Cobertura XML, for GitLab's coverage visualisation and Jenkins.
//!
//! One `<package>` per directory, one `<class>` per source file (named by
//! its file name, `filename` the path as in the report, which GitLab matches
//! against the repository relative to a `<source>`), one `<method>` per
//! function, on its declaration line. Rates follow coverage.py: 4 decimals,
//! `1` when there is nothing to measure.
//!
//! Refs: Cobertura coverage-04.dtd (tests/fixtures/report/coverage-04.dtd);
//! GitLab "Cobertura coverage report" artifacts.

use std::collections::BTreeMap;
use std::io::{self, Write};

use wasm_cov_format::{Coverage, FileCoverage, Totals};

use crate::escape::{Esc, EscAttr};
use crate::paths::{base_of, dir_of};
use crate::ratio::Ratio;

/// What the document says beyond the coverage itself.
#[derive(Debug, Clone, Default)]
pub struct CoberturaOptions {
    /// `<source>` entries: where the relative `filename`s are rooted.
    pub sources: Vec<String>,
    /// The `timestamp` attribute (seconds). Kept fixed (0, or
    /// `SOURCE_DATE_EPOCH`) so equal input gives equal bytes.
    pub timestamp: u64,
}

/// Per line: branches found and covered.
fn branches_by_line(f: &FileCoverage) -> BTreeMap<u32, (u64, u64)> {
    let mut m: BTreeMap<u32, (u64, u64)> = BTreeMap::new();
    for (&(line, _, _), taken) in &f.branches {
        let e = m.entry(line).or_default();
        e.0 += 1;
        if matches!(taken, Some(c) if *c > 0) {
            e.1 += 1;
        }
    }
    m
}

/// Writes `cov` as a Cobertura document.
pub fn write_cobertura(
    cov: &Coverage,
    opts: &CoberturaOptions,
    mut w: impl Write,
) -> io::Result<()> {
    let t = cov.totals();
    writeln!(w, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        w,
        r#"<!DOCTYPE coverage SYSTEM "http://cobertura.sourceforge.net/xml/coverage-04.dtd">"#
    )?;
    writeln!(
        w,
        r#"<coverage line-rate="{}" branch-rate="{}" lines-covered="{}" lines-valid="{}" branches-covered="{}" branches-valid="{}" complexity="0" version="cov-report {}" timestamp="{}">"#,
        Ratio::lines(&t).fraction(),
        Ratio::branches(&t).fraction(),
        t.lines_hit,
        t.lines_found,
        t.branches_hit,
        t.branches_found,
        env!("CARGO_PKG_VERSION"),
        opts.timestamp
    )?;
    writeln!(w, "  <sources>")?;
    for s in &opts.sources {
        writeln!(w, "    <source>{}</source>", Esc(s))?;
    }
    writeln!(w, "  </sources>")?;
    writeln!(w, "  <packages>")?;
    let mut packages: BTreeMap<&str, Vec<(&str, &FileCoverage)>> = BTreeMap::new();
    for (path, f) in &cov.files {
        packages.entry(dir_of(path)).or_default().push((path, f));
    }
    for (dir, files) in &packages {
        let mut pt = Totals::default();
        for (_, f) in files {
            pt.add(&f.totals());
        }
        writeln!(
            w,
            r#"    <package name="{}" line-rate="{}" branch-rate="{}" complexity="0">"#,
            EscAttr(dir),
            Ratio::lines(&pt).fraction(),
            Ratio::branches(&pt).fraction()
        )?;
        writeln!(w, "      <classes>")?;
        for (path, f) in files {
            write_class(&mut w, path, f)?;
        }
        writeln!(w, "      </classes>")?;
        writeln!(w, "    </package>")?;
    }
    writeln!(w, "  </packages>")?;
    writeln!(w, "</coverage>")?;
    Ok(())
}

fn write_class(w: &mut impl Write, path: &str, f: &FileCoverage) -> io::Result<()> {
    let t = f.totals();
    writeln!(
        w,
        r#"        <class name="{}" filename="{}" line-rate="{}" branch-rate="{}" complexity="0">"#,
        EscAttr(base_of(path)),
        EscAttr(path),
        Ratio::lines(&t).fraction(),
        Ratio::branches(&t).fraction()
    )?;
    let mut fns: Vec<_> = f.functions.iter().collect();
    fns.sort_by(|a, b| (a.1.line, a.0).cmp(&(b.1.line, b.0)));
    if fns.is_empty() {
        writeln!(w, "          <methods/>")?;
    } else {
        writeln!(w, "          <methods>")?;
        for (name, func) in fns {
            let hit = u64::from(func.count > 0);
            writeln!(
                w,
                r#"            <method name="{}" signature="" line-rate="{}" branch-rate="1" complexity="0">"#,
                EscAttr(name),
                Ratio::new(hit, 1).fraction()
            )?;
            if func.line == 0 {
                writeln!(w, "              <lines/>")?;
            } else {
                writeln!(w, "              <lines>")?;
                writeln!(
                    w,
                    r#"                <line number="{}" hits="{}" branch="false"/>"#,
                    func.line, func.count
                )?;
                writeln!(w, "              </lines>")?;
            }
            writeln!(w, "            </method>")?;
        }
        writeln!(w, "          </methods>")?;
    }
    let branches = branches_by_line(f);
    // A line with branches but no DA record still gets a <line>, with the
    // hits of... nothing: 0, since nothing says it ran.
    let mut lines: BTreeMap<u32, u64> = f.lines.clone();
    for &l in branches.keys() {
        lines.entry(l).or_insert(0);
    }
    if lines.is_empty() {
        writeln!(w, "          <lines/>")?;
    } else {
        writeln!(w, "          <lines>")?;
        for (line, hits) in &lines {
            match branches.get(line) {
                Some(&(found, hit)) => {
                    let r = Ratio::new(hit, found);
                    writeln!(
                        w,
                        r#"            <line number="{line}" hits="{hits}" branch="true" condition-coverage="{}% ({r})"/>"#,
                        r.floor_percent()
                    )?
                }
                None => writeln!(
                    w,
                    r#"            <line number="{line}" hits="{hits}" branch="false"/>"#
                )?,
            }
        }
        writeln!(w, "          </lines>")?;
    }
    writeln!(w, "        </class>")?;
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]
mod tests {
    use super::*;

    #[test]
    fn escapes_names() {
        let mut cov = Coverage::default();
        let f = cov.file_mut("src/<a>&\"b\".rs");
        f.add_line(1, 1);
        f.add_function("<T as Tr<'a>>::f", 1, 1);
        let mut out = Vec::new();
        write_cobertura(&cov, &CoberturaOptions::default(), &mut out).unwrap();
        let xml = String::from_utf8(out).unwrap();
        assert!(
            xml.contains(r#"filename="src/&lt;a&gt;&amp;&quot;b&quot;.rs""#),
            "{xml}"
        );
        assert!(
            xml.contains(r#"name="&lt;T as Tr&lt;&#39;a&gt;&gt;::f""#),
            "{xml}"
        );
    }
}
