//! The page of one source file: a sticky header with its totals, its
//! functions, then the source with counts, covered and uncovered lines,
//! partly run lines and branch outcomes.

use std::fmt::Write as _;
use std::io::{self, Write};

use wasm_cov_format::FileCoverage;

use super::chrome::{chips, foot_with, head_with, level, CONTEXT_SCRIPT, CONTEXT_STYLE};
use super::highlight::{highlight_line, Class, State};
use super::{FileView, HtmlOptions, CHANGED_PAGE, DIRS_DIR};
use crate::contexts::{Contexts, FileSets};
use crate::escape::{push_escaped, Esc, EscAttr, JsonStr};
use crate::paths::{base_of, dir_of};
use crate::ratio::Ratio;
use crate::sources::Source;

/// A count as people read it: `999`, `1.2k`, `34M`; the exact number goes
/// in a `title`.
pub fn compact_count(n: u64) -> String {
    let mut s = String::new();
    push_compact_count(&mut s, n);
    s
}

/// Appends [`compact_count`] of `n`: the page of a large file shows
/// thousands, so without a `String` each.
fn push_compact_count(s: &mut String, n: u64) {
    const UNITS: [(u64, &str); 4] = [
        (1_000_000_000_000, "T"),
        (1_000_000_000, "G"),
        (1_000_000, "M"),
        (1_000, "k"),
    ];
    for (size, unit) in UNITS {
        if n >= size {
            // n / size, in tenths; at most u64::MAX / 100.
            let tenths = u64::try_from(u128::from(n) * 10 / u128::from(size)).unwrap_or(u64::MAX);
            push_u64(s, tenths / 10);
            if tenths < 100 {
                s.push('.');
                push_u64(s, tenths % 10);
            }
            s.push_str(unit);
            return;
        }
    }
    push_u64(s, n);
}

/// Writes the page of one source file. Links go up to `../index.html`.
pub fn write_file_page(
    w: &mut impl Write,
    view: &FileView<'_>,
    opts: &HtmlOptions,
) -> io::Result<()> {
    let f = view.coverage;
    let t = f.totals();
    let has_branches = t.branches_found > 0;
    let sets = view.contexts.and_then(|c| c.file_sets(view.path));
    let (css, script) = match sets {
        Some(_) => (CONTEXT_STYLE, CONTEXT_SCRIPT),
        None => ("", ""),
    };
    head_with(w, &format!("{} — {}", view.path, opts.title), css)?;

    let (dir, base) = (dir_of(view.path), base_of(view.path));
    write!(w, "<header class=\"top\"><a class=\"brand\" id=\"up\" href=\"../index.html\">← {}</a><span class=\"path\">", Esc(&opts.title))?;
    if view.path.contains('/') {
        let sep = if dir.ends_with('/') { "" } else { "/" };
        match view.dir_page {
            Some(page) => write!(
                w,
                "<a href=\"../{DIRS_DIR}/{}\">{}</a>{sep}",
                EscAttr(page),
                Esc(dir)
            )?,
            None => write!(w, "{}{sep}", Esc(dir))?,
        }
    }
    write!(w, "<b>{}</b></span><span class=\"chips\">", Esc(base))?;
    chips(w, &t, has_branches)?;
    if let Some(changed) = view.changed {
        let code: Vec<u64> = changed
            .iter()
            .filter_map(|l| f.lines.get(l).copied())
            .collect();
        let r = Ratio::new(
            code.iter().filter(|&&c| c > 0).count() as u64,
            code.len() as u64,
        );
        write!(
            w,
            "<a class=\"chip {}\" href=\"../{CHANGED_PAGE}\" title=\"Changed lines of code that ran\">Patch <b>{}</b> {r}</a>",
            level(r),
            r.percent_1dp()
        )?;
    }
    write!(w, "</span><span class=\"nav\">")?;
    if t.lines_hit < t.lines_found {
        write!(
            w,
            "<button id=\"prev\" title=\"Previous uncovered lines (k)\">↑</button><button id=\"next\" title=\"Next uncovered lines (j)\">↓ Next uncovered</button>"
        )?;
    }
    if t.lines_hit > 0 {
        write!(
            w,
            "<button id=\"hide\" title=\"Hide or show covered lines (c)\">Hide covered</button>"
        )?;
    }
    for (id, page, label, key) in [
        ("prevfile", view.prev_page, "‹ File", "["),
        ("nextfile", view.next_page, "File ›", "]"),
    ] {
        if let Some(page) = page {
            write!(
                w,
                "<a id=\"{id}\" href=\"{}\" title=\"{label} ({key})\"><button tabindex=\"-1\">{label}</button></a>",
                EscAttr(page)
            )?;
        }
    }
    writeln!(
        w,
        "<button id=\"helpbtn\" title=\"Keyboard shortcuts (?)\">?</button></span></header>\n<main>"
    )?;

    let text_lines = view.source.and_then(Source::lines);
    let last_data_line = f
        .lines
        .keys()
        .next_back()
        .copied()
        .into_iter()
        .chain(f.functions.values().map(|x| x.line))
        .chain(f.branches.keys().map(|k| k.0))
        .max()
        .unwrap_or(0);
    match (&text_lines, view.source) {
        (None, Some(source)) if source.outside_root => {
            writeln!(
                w,
                "<div class=\"note\">This file, <code>{}</code>, is outside <code>--source-root</code>, so its text is not shown: file names in coverage data are untrusted, and a report copies only sources under its root. This page lists line numbers and counts. <code>--allow-sources-outside-root</code> shows the text.</div>",
                Esc(&source.location.display().to_string())
            )?;
        }
        (None, source) => {
            let loc = source
                .map(|s| s.location.display().to_string())
                .unwrap_or_else(|| view.path.to_owned());
            writeln!(
                w,
                "<div class=\"note\">The source file was not found at <code>{}</code>, so this page lists line numbers and counts without the text. Point <code>--source-root</code> at the directory the paths are relative to.</div>",
                Esc(&loc)
            )?;
        }
        (Some(lines), _) if (lines.len() as u64) < u64::from(last_data_line) => {
            writeln!(
                w,
                "<div class=\"note\">The source has {} lines but the coverage data names line {last_data_line}: the file has probably changed since the coverage was taken, and the counts may not match the text.</div>",
                lines.len()
            )?;
        }
        _ => {}
    }

    if !f.functions.is_empty() {
        let mut fns: Vec<_> = f.functions.iter().collect();
        fns.sort_by(|a, b| (a.1.line, a.0).cmp(&(b.1.line, b.0)));
        let mut s = String::with_capacity(200 * fns.len());
        let _ = write!(
            s,
            "<details class=\"fns\"{}><summary>Functions<span>{} of {} called</span></summary>\n\
             <table class=\"list sortable compact\"><thead><tr><th>Function</th><th class=\"num\">Line</th><th class=\"num\">Calls</th></tr></thead><tbody>\n",
            // A long list would push the code out of sight; it starts folded.
            if fns.len() <= 12 { " open" } else { "" },
            t.functions_hit,
            t.functions_found
        );
        for (name, func) in fns {
            let cls = if func.count == 0 {
                " class=\"fn0\""
            } else {
                ""
            };
            let line = if func.line == 0 {
                format!(
                    "<td class=\"name\">{}</td><td class=\"num\" data-v=\"0\">-</td>",
                    Esc(name)
                )
            } else {
                format!(
                    "<td class=\"name\"><a href=\"#L{l}\">{}</a></td><td class=\"num\" data-v=\"{l}\"><a href=\"#L{l}\">{l}</a></td>",
                    Esc(name),
                    l = func.line
                )
            };
            let cnt = if func.count == 0 {
                "<span class=\"cnt0\">0</span>".to_owned()
            } else {
                format!(
                    "<span title=\"{}\">{}</span>",
                    func.count,
                    compact_count(func.count)
                )
            };
            let _ = writeln!(
                s,
                "<tr{cls}>{line}<td class=\"num\" data-v=\"{}\">{cnt}</td></tr>",
                func.count
            );
        }
        s.push_str("</tbody></table></details>\n");
        w.write_all(s.as_bytes())?;
    }

    write_code(w, view, text_lines.as_deref(), has_branches)?;
    let changed_key = if view.changed.is_some() {
        "<span><i class=\"chg\"></i>changed</span>"
    } else {
        ""
    };
    writeln!(
        w,
        "<div class=\"legend\"><span><i style=\"background:var(--hit)\"></i>covered</span><span><i style=\"background:var(--miss)\"></i>not covered</span><span><i style=\"background:var(--excl)\"></i>excluded by a marker</span>{changed_key}<span>keys: <kbd>j</kbd> <kbd>k</kbd> next / previous uncovered, <kbd>[</kbd> <kbd>]</kbd> files, <kbd>u</kbd> index, <kbd>?</kbd> help</span></div>\n</main>"
    )?;
    if let (Some(sets), Some(c)) = (&sets, view.contexts) {
        write_contexts(w, sets, c)?;
    }
    foot_with(w, script)
}

/// The file's per-test data, once, for the page's script: `t` the tests
/// that ran a line of it as `[index in tests.html, name]`, `s` the
/// distinct sets of them as ranges of indices into `t`, `l` per line run
/// `line, set`, flat.
fn write_contexts(w: &mut impl Write, sets: &FileSets, c: &Contexts) -> io::Result<()> {
    let mut s = String::with_capacity(64 * sets.tests.len() + 8 * sets.lines.len() + 256);
    s.push_str("<script type=\"application/json\" id=\"ctx\">{\"t\":[");
    for (i, &t) in sets.tests.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push('[');
        push_u64(&mut s, t.into());
        let _ = write!(s, ",{}]", JsonStr(&c.names[t as usize]));
    }
    s.push_str("],\"s\":[");
    for (i, set) in sets.sets.iter().enumerate() {
        s.push_str(if i > 0 { ",[" } else { "[" });
        for (j, &k) in set.iter().enumerate() {
            if j > 0 {
                s.push(',');
            }
            push_u64(&mut s, k.into());
        }
        s.push(']');
    }
    s.push_str("],\"l\":[");
    for (i, &(line, set)) in sets.lines.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        push_u64(&mut s, line.into());
        s.push(',');
        push_u64(&mut s, set.into());
    }
    s.push_str("]}</script>\n");
    w.write_all(s.as_bytes())
}

fn write_code(
    w: &mut impl Write,
    view: &FileView<'_>,
    text: Option<&[&str]>,
    has_branches: bool,
) -> io::Result<()> {
    let f = view.coverage;
    let changed = |l: u32| view.changed.is_some_and(|c| c.contains(&l));
    let excluded = |l: u32| view.exclusions.is_some_and(|e| e.lines.contains(l));
    // Which lines get a row: all of the source, plus any line the data
    // names beyond it; without a source, only the lines the data names.
    let n_text = text.map_or(0, |t| t.len());
    let mut extra: Vec<u32> = f
        .lines
        .keys()
        .copied()
        .chain(f.branches.keys().map(|k| k.0))
        .filter(|&l| l as usize > n_text)
        .collect();
    extra.sort_unstable();
    extra.dedup();
    let rows = (1..=u32::try_from(n_text).unwrap_or(u32::MAX)).chain(extra);

    // Rust sources are highlighted; anything else is shown as it is.
    let rust = view.path.ends_with(".rs");
    let mut state = State::default();
    let mut tokens = Vec::new();
    let mut s = String::with_capacity(1 << 16);
    s.push_str("<div class=\"src\"><table class=\"code\"><tbody>\n");
    // Rows come in ascending order, so the lines and branches are walked
    // alongside them rather than looked up per row.
    let mut lines = f.lines.iter().peekable();
    let mut branches = f.branches.iter().peekable();
    for l in rows {
        while lines.next_if(|(&k, _)| k < l).is_some() {}
        let count = lines.next_if(|(&k, _)| k == l).map(|(_, &c)| c);
        let cls = match (count, changed(l)) {
            (Some(0), false) => " class=\"m\"",
            (Some(0), true) => " class=\"m c\"",
            (Some(_), false) => " class=\"h\"",
            (Some(_), true) => " class=\"h c\"",
            (None, false) if excluded(l) => " class=\"x\"",
            (None, true) if excluded(l) => " class=\"x c\"",
            (None, false) => "",
            (None, true) => " class=\"c\"",
        };
        // End tags of cells and rows are optional in HTML; leaving them out
        // (and the cell classes, styled by position instead) keeps a large
        // report small and fast to write.
        // Written by hand, not with `write!`: this runs once per line of
        // every source.
        s.push_str("<tr id=\"L");
        push_u64(&mut s, l.into());
        s.push('"');
        s.push_str(cls);
        s.push_str("><td>");
        push_u64(&mut s, l.into());
        s.push_str("<td");
        match count {
            Some(c) if c >= 1000 => {
                s.push_str(" title=\"");
                push_u64(&mut s, c);
                s.push_str("\">");
                push_compact_count(&mut s, c);
            }
            Some(c) => {
                s.push('>');
                push_u64(&mut s, c);
            }
            None if excluded(l) => s.push_str(" title=\"excluded\">–"),
            None => s.push('>'),
        }
        while branches.next_if(|(k, _)| k.0 < l).is_some() {}
        if has_branches {
            s.push_str("<td class=\"b\">");
            while let Some((&(_, block, branch), &taken)) = branches.next_if(|(k, _)| k.0 == l) {
                s.push_str(match taken {
                    Some(0) => "<span class=\"br n\" title=\"block ",
                    Some(_) => "<span class=\"br t\" title=\"block ",
                    None => "<span class=\"br u\" title=\"block ",
                });
                push_u64(&mut s, block.into());
                s.push_str(" branch ");
                push_u64(&mut s, branch.into());
                match taken {
                    Some(0) => s.push_str(": never taken\">−</span>"),
                    Some(c) => {
                        s.push_str(": taken ");
                        push_u64(&mut s, c);
                        s.push_str(" times\">+</span>");
                    }
                    None => s.push_str(": not run\">·</span>"),
                }
            }
        }
        s.push_str("<td>");
        if let Some(line) = text.and_then(|t| t.get(l as usize - 1)) {
            if rust {
                highlight_line(line, &mut state, &mut tokens);
            }
            let unrun = unrun_spans(f, l, line);
            write_text(&mut s, line, &tokens, unrun.as_deref().unwrap_or_default());
        }
        s.push('\n');
        if s.len() > 1 << 16 {
            w.write_all(s.as_bytes())?;
            s.clear();
        }
    }
    s.push_str("</tbody></table></div>\n");
    w.write_all(s.as_bytes())
}

/// Appends `n` in decimal.
fn push_u64(s: &mut String, mut n: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    // Only ASCII digits were written.
    s.push_str(std::str::from_utf8(&buf[i..]).unwrap_or_default());
}

/// Writes one line of source: its tokens in `<i class=..>`, the parts that
/// never ran (`unrun`) in `<span class="nr">`, the text escaped. Both lists
/// are sorted byte ranges on char boundaries; where they cross, a token is
/// cut in two so the elements nest.
fn write_text(
    s: &mut String,
    line: &str,
    tokens: &[(usize, usize, Class)],
    unrun: &[(usize, usize)],
) {
    if unrun.is_empty() {
        let mut at = 0;
        for &(a, b, class) in tokens {
            push_escaped(s, &line[at..a]);
            push_token(s, &line[a..b], class);
            at = b;
        }
        push_escaped(s, &line[at..]);
        return;
    }
    let mut cuts: Vec<usize> = tokens
        .iter()
        .flat_map(|&(a, b, _)| [a, b])
        .chain(unrun.iter().flat_map(|&(a, b)| [a, b]))
        .chain([0, line.len()])
        .collect();
    cuts.sort_unstable();
    cuts.dedup();
    let (mut t, mut u, mut open) = (0, 0, false);
    for w in cuts.windows(2) {
        let (from, to) = (w[0], w[1]);
        while t < tokens.len() && tokens[t].1 <= from {
            t += 1;
        }
        while u < unrun.len() && unrun[u].1 <= from {
            u += 1;
        }
        let in_unrun = u < unrun.len() && unrun[u].0 <= from;
        if in_unrun != open {
            s.push_str(if in_unrun {
                "<span class=\"nr\" title=\"this part never ran\">"
            } else {
                "</span>"
            });
            open = in_unrun;
        }
        match tokens.get(t) {
            Some(&(a, _, class)) if a <= from => push_token(s, &line[from..to], class),
            _ => push_escaped(s, &line[from..to]),
        }
    }
    if open {
        s.push_str("</span>");
    }
}

fn push_token(s: &mut String, text: &str, class: Class) {
    s.push_str("<i class=");
    s.push_str(class.css());
    s.push('>');
    push_escaped(s, text);
    s.push_str("</i>");
}

/// Byte ranges of `text` (line `l`) that the segments say never ran, or
/// `None` when the line has no segments. Columns are 1-based characters;
/// ranges past the end of the text are clipped.
fn unrun_spans(f: &FileCoverage, l: u32, text: &str) -> Option<Vec<(usize, usize)>> {
    let mut segs = f.segments.range((l, 0)..=(l, u32::MAX)).peekable();
    segs.peek()?;
    // Byte offset of each character, plus the end.
    let offsets: Vec<usize> = text
        .char_indices()
        .map(|(i, _)| i)
        .chain([text.len()])
        .collect();
    let byte = |col: u32| offsets[(col.saturating_sub(1) as usize).min(offsets.len() - 1)];
    let mut spans: Vec<(usize, usize)> = Vec::new();
    for (&(_, col), seg) in segs {
        if seg.count != 0 {
            continue;
        }
        let from = byte(col);
        let to = if seg.end_line != l || seg.end_col == 0 {
            // To the end of the code: a trailing `//` comment and spaces
            // are no part of what did not run.
            let code = text[from..].find("//").map_or(text.len(), |i| from + i);
            from + text[from..code].trim_end().len()
        } else {
            byte(seg.end_col)
        };
        if from < to {
            match spans.last_mut() {
                Some(last) if last.1 >= from => last.1 = last.1.max(to),
                _ => spans.push((from, to)),
            }
        }
    }
    Some(spans)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]
mod tests {
    use super::*;
    use wasm_cov_format::Segment;

    #[test]
    fn unrun_parts_are_byte_ranges_without_trailing_comments() {
        let mut f = FileCoverage::default();
        let seg = |end_col, count| Segment {
            end_line: 3,
            end_col,
            count,
        };
        f.add_segment((3, 5), seg(28, 1));
        f.add_segment((3, 28), seg(0, 0));
        let text = "    if x < 0 { -1 } else { 1 } // note";
        let spans = unrun_spans(&f, 3, text).unwrap();
        assert_eq!(
            spans.iter().map(|&(a, b)| &text[a..b]).collect::<Vec<_>>(),
            ["1 }"]
        );
        assert_eq!(unrun_spans(&f, 4, text), None);
        // Columns count characters, not bytes; past the end is clipped.
        let mut g = FileCoverage::default();
        g.add_segment(
            (1, 3),
            Segment {
                end_line: 1,
                end_col: 99,
                count: 0,
            },
        );
        let text = "é→ab";
        assert_eq!(unrun_spans(&g, 1, text).unwrap(), [(5, 7)]);
    }

    #[test]
    fn tokens_and_unrun_parts_nest() {
        let line = "if x { \"a<b\" } else { 1 }";
        let mut tokens = Vec::new();
        highlight_line(line, &mut State::default(), &mut tokens);
        let mut s = String::new();
        write_text(&mut s, line, &tokens, &[]);
        assert_eq!(
            s,
            "<i class=k>if</i> x { <i class=s>&quot;a&lt;b&quot;</i> } <i class=k>else</i> { <i class=g>1</i> }"
        );
        // The unrun part starts inside the string and runs past it.
        let from = line.find('<').unwrap();
        let to = line.find("else").unwrap() + 2;
        s.clear();
        write_text(&mut s, line, &tokens, &[(from, to)]);
        assert_eq!(
            s,
            "<i class=k>if</i> x { <i class=s>&quot;a</i><span class=\"nr\" title=\"this part never ran\"><i class=s>&lt;b&quot;</i> } <i class=k>el</i></span><i class=k>se</i> { <i class=g>1</i> }"
        );
    }

    #[test]
    fn decimal_without_fmt() {
        for n in [0, 7, 10, 999, 1_000_001, u64::MAX] {
            let mut s = String::new();
            push_u64(&mut s, n);
            assert_eq!(s, n.to_string());
        }
    }

    #[test]
    fn compact_counts() {
        for (n, want) in [
            (0, "0"),
            (999, "999"),
            (1_000, "1.0k"),
            (1_250, "1.2k"),
            (99_999, "99k"),
            (9_999, "9.9k"),
            (123_456, "123k"),
            (4_294_967_295, "4.2G"),
            (u64::MAX, "18446744T"),
        ] {
            assert_eq!(compact_count(n), want, "{n}");
        }
    }
}
