//! LCOV tracefiles, as written by geninfo and read by genhtml.
//!
//! Refs: geninfo(1) "TRACEFILE FORMAT" (lcov 1.x and 2.x).

use std::io::{BufRead, Write};

use crate::model::{Coverage, FileCoverage};
use crate::FormatError;

/// The longest LCOV line the reader accepts, `\n` excluded. The longest
/// real lines are `FN`/`FNDA` with a Rust name of a deeply generic function,
/// a few kilobytes; paths end at 4 KiB.
pub const MAX_LCOV_LINE: usize = 1 << 20;

/// Writes `cov` as an LCOV tracefile: one record per file, sorted by path,
/// functions sorted by line then name, so equal input gives equal bytes.
pub fn write_lcov(cov: &Coverage, w: impl Write) -> std::io::Result<()> {
    write_lcov_test(cov, "", w)
}

/// [`write_lcov`] with `TN:<test>` on each record: one test's section of a
/// per-test tracefile. `test` must be a name from [`lcov_test_names`].
pub fn write_lcov_test(cov: &Coverage, test: &str, mut w: impl Write) -> std::io::Result<()> {
    for (path, file) in &cov.files {
        writeln!(w, "TN:{test}")?;
        writeln!(w, "SF:{path}")?;
        let mut fns: Vec<_> = file.functions.iter().collect();
        fns.sort_by(|a, b| (a.1.line, a.0).cmp(&(b.1.line, b.0)));
        for (name, f) in &fns {
            writeln!(w, "FN:{},{name}", f.line)?;
        }
        for (name, f) in &fns {
            writeln!(w, "FNDA:{},{name}", f.count)?;
        }
        let t = file.totals();
        writeln!(w, "FNF:{}", t.functions_found)?;
        writeln!(w, "FNH:{}", t.functions_hit)?;
        for (&(line, block, branch), taken) in &file.branches {
            match taken {
                Some(c) => writeln!(w, "BRDA:{line},{block},{branch},{c}")?,
                None => writeln!(w, "BRDA:{line},{block},{branch},-")?,
            }
        }
        if !file.branches.is_empty() {
            writeln!(w, "BRF:{}", t.branches_found)?;
            writeln!(w, "BRH:{}", t.branches_hit)?;
        }
        for (line, count) in &file.lines {
            writeln!(w, "DA:{line},{count}")?;
        }
        writeln!(w, "LF:{}", t.lines_found)?;
        writeln!(w, "LH:{}", t.lines_hit)?;
        writeln!(w, "end_of_record")?;
    }
    Ok(())
}

/// The `TN:` names of `tests` (in the same order): every character that is
/// not an ASCII letter, digit or `_` becomes `_` (genhtml 1.16 accepts only
/// word characters there: `tests::two_axles` is `tests__two_axles`). A name
/// already taken by an earlier test gets `_2`, `_3`, ... appended, so each
/// test keeps a section of its own.
pub fn lcov_test_names(tests: &[String]) -> Vec<String> {
    let mut taken = std::collections::HashSet::new();
    tests
        .iter()
        .map(|t| {
            let base: String = t
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '_' {
                        c
                    } else {
                        '_'
                    }
                })
                .collect();
            let mut name = base.clone();
            let mut n = 1;
            while !taken.insert(name.clone()) {
                n += 1;
                name = format!("{base}_{n}");
            }
            name
        })
        .collect()
}

/// Reads an LCOV tracefile.
///
/// Accepts what genhtml accepts: records in any order, a path appearing in
/// several records (merged), `FN` with an end line (lcov 2), `DA` with a
/// checksum, `FNL`/`FNA` (lcov 2.2), `VER`, and the summary lines (`LF`,
/// `FNF`, ...), which are recomputed rather than trusted. Rejects, with the
/// line number: data outside a record, a record that never ends, and counts
/// that are not non-negative integers, and lines longer than
/// [`MAX_LCOV_LINE`] (read no further, so a hostile file cannot make the
/// reader hold more than that much of one line).
pub fn read_lcov(r: impl BufRead) -> Result<Coverage, FormatError> {
    read_lcov_with(r, |_| {})
}

/// [`read_lcov`], showing `watch` each line (without its `\n`) before it
/// is parsed: for a caller that wants more of a line than the coverage
/// (cov-report's per-test `TN:` sections), without reading the input
/// twice.
pub fn read_lcov_with(
    mut r: impl BufRead,
    mut watch: impl FnMut(&[u8]),
) -> Result<Coverage, FormatError> {
    let mut parser = Parser::default();
    let lines = for_each_line(&mut r, |no, raw| {
        watch(raw);
        parser.line(no, raw)
    })?;
    parser.finish(lines)
}

/// Calls `f` with each line of `r` and its number (from 1), `\n` not
/// included; returns the number of lines. A line that lies whole in `r`'s
/// buffer is passed in place; one across refills is gathered, up to
/// [`MAX_LCOV_LINE`] bytes: a longer line is an error before the rest of
/// it is read.
fn for_each_line(
    r: &mut impl BufRead,
    mut f: impl FnMut(u64, &[u8]) -> Result<(), FormatError>,
) -> Result<u64, FormatError> {
    let too_long =
        |no: u64| FormatError::line(no + 1, format!("longer than {MAX_LCOV_LINE} bytes"));
    let mut no = 0u64;
    // The start of a line that the buffer ends inside.
    let mut partial = Vec::new();
    loop {
        let buf = match r.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(FormatError::Io(e)),
        };
        if buf.is_empty() {
            if !partial.is_empty() {
                no += 1;
                f(no, &partial)?;
            }
            return Ok(no);
        }
        let mut start = 0;
        for end in memchr::memchr_iter(b'\n', buf) {
            let part = &buf[start..end];
            start = end + 1;
            if partial.len() + part.len() > MAX_LCOV_LINE {
                return Err(too_long(no));
            }
            no += 1;
            if partial.is_empty() {
                f(no, part)?;
            } else {
                partial.extend_from_slice(part);
                f(no, &partial)?;
                partial.clear();
            }
        }
        let rest = &buf[start..];
        if partial.len() + rest.len() > MAX_LCOV_LINE {
            return Err(too_long(no));
        }
        partial.extend_from_slice(rest);
        let n = buf.len();
        r.consume(n);
    }
}

/// The reader's state between lines.
#[derive(Default)]
struct Parser {
    cov: Coverage,
    current: Option<(String, Record)>,
    // lcov 2.2 FNL/FNA pairs: index -> (line, names seen).
    fnl: std::collections::BTreeMap<String, u32>,
}

impl Parser {
    fn line(&mut self, no: u64, raw: &[u8]) -> Result<(), FormatError> {
        // Nearly every line of a tracefile is a plain `DA` or `BRDA`: those
        // are read straight from the bytes. Anything else, and any spelling
        // the fast path does not take (spaces, a checksum, a bad number),
        // goes the general way below, which gives the same result or the
        // error.
        if let Some((_, rec)) = self.current.as_mut() {
            if let Some(rest) = raw.strip_prefix(b"DA:") {
                if let Some(da) = fast_da(rest) {
                    rec.lines.push(da);
                    return Ok(());
                }
            } else if let Some(rest) = raw.strip_prefix(b"BRDA:") {
                if let Some((key, taken)) = fast_brda(rest) {
                    rec.branches.push((key, taken));
                    return Ok(());
                }
            }
        }
        let text =
            std::str::from_utf8(raw).map_err(|_| FormatError::line(no, "not valid UTF-8"))?;
        let text = text.trim_end_matches('\r').trim();
        if text.is_empty() || text.starts_with('#') {
            return Ok(());
        }
        let (key, val) = text.split_once(':').unwrap_or((text, ""));
        match key {
            "TN" | "VER" => {}
            "SF" => {
                if let Some((path, _)) = &self.current {
                    return Err(FormatError::line(
                        no,
                        format!("SF before end_of_record of the record for {path}"),
                    ));
                }
                if val.is_empty() {
                    return Err(FormatError::line(no, "SF with an empty path"));
                }
                if val.contains('\0') {
                    return Err(FormatError::line(no, "SF path contains a NUL byte"));
                }
                self.current = Some((val.to_owned(), Record::default()));
                self.fnl.clear();
            }
            "end_of_record" => match self.current.take() {
                Some((path, rec)) => {
                    let file = rec.finish();
                    // The first record of a path (nearly always the only
                    // one) is moved in, not copied entry by entry.
                    match self.cov.files.entry(path) {
                        std::collections::btree_map::Entry::Vacant(slot) => {
                            slot.insert(file);
                        }
                        std::collections::btree_map::Entry::Occupied(mut slot) => {
                            slot.get_mut().merge(&file);
                        }
                    }
                }
                None => return Err(FormatError::line(no, "end_of_record without SF")),
            },
            _ => {
                let Some((_, rec)) = self.current.as_mut() else {
                    return Err(FormatError::line(no, format!("{key} before SF")));
                };
                // The general path numbers unnamed branches by those
                // already in the map, so the fast path's go in first.
                if key == "BRDA" {
                    rec.flush_branches();
                }
                parse_data(no, key, val, &mut rec.file, &mut self.fnl)?;
            }
        }
        Ok(())
    }

    /// The coverage, once all `lines` lines were read.
    fn finish(self, lines: u64) -> Result<Coverage, FormatError> {
        if let Some((path, _)) = self.current {
            return Err(FormatError::line(
                lines,
                format!("end of input inside the record for {path} (missing end_of_record)"),
            ));
        }
        Ok(self.cov)
    }
}

/// One record being read: the fast path's lines and branches are kept in
/// the order they came and put into the maps once, at `end_of_record`,
/// which is several times cheaper than a map insert per line.
#[derive(Default)]
struct Record {
    file: FileCoverage,
    lines: Vec<(u32, u64)>,
    branches: Vec<((u32, u32, u32), Option<u64>)>,
}

impl Record {
    /// Adds the pending branches to the map, as `add_branch` would have.
    fn flush_branches(&mut self) {
        for (key, taken) in self.branches.drain(..) {
            self.file.add_branch(key, taken);
        }
    }

    fn finish(mut self) -> FileCoverage {
        // Equal keys are summed first (saturating sums do not depend on
        // the order), so that a sorted run builds the map in one pass.
        let lines = sum_sorted(std::mem::take(&mut self.lines), |a, b| a.saturating_add(b));
        if self.file.lines.is_empty() {
            self.file.lines = lines.into_iter().collect();
        } else {
            for (line, count) in lines {
                self.file.add_line(line, count);
            }
        }
        let branches = sum_sorted(std::mem::take(&mut self.branches), |a, b| match (a, b) {
            (None, t) | (t, None) => t,
            (Some(a), Some(b)) => Some(a.saturating_add(b)),
        });
        if self.file.branches.is_empty() {
            self.file.branches = branches.into_iter().collect();
        } else {
            for (key, taken) in branches {
                self.file.add_branch(key, taken);
            }
        }
        self.file
    }
}

/// `v` sorted by key with the values of equal keys combined by `add`.
fn sum_sorted<K: Ord + Copy, V: Copy>(mut v: Vec<(K, V)>, add: impl Fn(V, V) -> V) -> Vec<(K, V)> {
    // Tracefiles list lines in order; check before sorting.
    if !v.is_sorted_by(|a, b| a.0 < b.0) {
        v.sort_by_key(|e| e.0);
        v.dedup_by(|next, kept| {
            let same = next.0 == kept.0;
            if same {
                kept.1 = add(kept.1, next.1);
            }
            same
        });
    }
    v
}

/// `<digits>` at the start of `b` as a `u64`, and what follows; `None` if
/// there is no digit or the number overflows.
fn leading_u64(b: &[u8]) -> Option<(u64, &[u8])> {
    let n = b.iter().take_while(|c| c.is_ascii_digit()).count();
    if n == 0 {
        return None;
    }
    let mut v = 0u64;
    for &c in &b[..n] {
        v = v.checked_mul(10)?.checked_add(u64::from(c - b'0'))?;
    }
    Some((v, &b[n..]))
}

fn leading_u32(b: &[u8]) -> Option<(u32, &[u8])> {
    let (v, rest) = leading_u64(b)?;
    Some((u32::try_from(v).ok()?, rest))
}

/// `DA:` followed by exactly `<line>,<count>`.
fn fast_da(b: &[u8]) -> Option<(u32, u64)> {
    let (line, rest) = leading_u32(b)?;
    let (count, rest) = leading_u64(rest.strip_prefix(b",")?)?;
    rest.is_empty().then_some((line, count))
}

/// `BRDA:` followed by exactly `<line>,<block>,<branch>,<taken or ->`.
fn fast_brda(b: &[u8]) -> Option<((u32, u32, u32), Option<u64>)> {
    let (line, rest) = leading_u32(b)?;
    let (block, rest) = leading_u32(rest.strip_prefix(b",")?)?;
    let (branch, rest) = leading_u32(rest.strip_prefix(b",")?)?;
    let rest = rest.strip_prefix(b",")?;
    let taken = if rest == b"-" {
        None
    } else {
        let (c, rest) = leading_u64(rest)?;
        if !rest.is_empty() {
            return None;
        }
        Some(c)
    };
    Some(((line, block, branch), taken))
}

fn parse_data<'a>(
    no: u64,
    key: &str,
    val: &'a str,
    file: &mut FileCoverage,
    fnl: &mut std::collections::BTreeMap<String, u32>,
) -> Result<(), FormatError> {
    let num = |s: &str, what: &str| -> Result<u64, FormatError> {
        s.trim()
            .parse::<u64>()
            .map_err(|_| FormatError::line(no, format!("{key}: {what} {s:?} is not a count")))
    };
    let line_no = |s: &str| -> Result<u32, FormatError> {
        s.trim()
            .parse::<u32>()
            .map_err(|_| FormatError::line(no, format!("{key}: {s:?} is not a line number")))
    };
    let need = |o: Option<(&'a str, &'a str)>| -> Result<(&'a str, &'a str), FormatError> {
        o.ok_or_else(|| FormatError::line(no, format!("{key}: too few fields in {val:?}")))
    };
    match key {
        "DA" => {
            let mut parts = val.splitn(3, ',');
            let line = line_no(parts.next().unwrap_or(""))?;
            let count = num(parts.next().unwrap_or(""), "count")?;
            file.add_line(line, count);
        }
        "FN" => {
            let (line, rest) = need(val.split_once(','))?;
            let line = line_no(line)?;
            // lcov 2 writes FN:<start>,<end>,<name>; Rust names never start
            // with a digit, so a numeric second field is an end line.
            let name = match rest.split_once(',') {
                Some((end, name)) if !end.is_empty() && end.bytes().all(|b| b.is_ascii_digit()) => {
                    name
                }
                _ => rest,
            };
            file.add_function(name, line, 0);
        }
        "FNDA" => {
            let (count, name) = need(val.split_once(','))?;
            let count = num(count, "count")?;
            file.add_function(name, 0, count);
        }
        "FNL" => {
            let (idx, rest) = need(val.split_once(','))?;
            let line = line_no(rest.split(',').next().unwrap_or(""))?;
            fnl.insert(idx.to_owned(), line);
        }
        "FNA" => {
            let (idx, rest) = need(val.split_once(','))?;
            let (count, name) = need(rest.split_once(','))?;
            let line = fnl.get(idx).copied().unwrap_or(0);
            file.add_function(name, line, num(count, "count")?);
        }
        "BRDA" => {
            let mut parts = val.splitn(4, ',');
            let line = line_no(parts.next().unwrap_or(""))?;
            let block = line_no(parts.next().unwrap_or(""))?;
            // lcov 2 allows an expression as the branch name; number those
            // we cannot parse by their hash-free position instead of failing.
            let branch_s = parts.next().unwrap_or("");
            let branch = branch_s.trim().parse::<u32>().unwrap_or_else(|_| {
                file.branches
                    .range((line, block, 0)..=(line, block, u32::MAX))
                    .count() as u32
            });
            let taken = match parts.next().map(str::trim) {
                Some("-") => None,
                Some(s) => Some(num(s, "taken count")?),
                None => return Err(FormatError::line(no, "BRDA: too few fields")),
            };
            file.add_branch((line, block, branch), taken);
        }
        // Summary lines are recomputed from the data; checksums and
        // unknown future keys are ignored, as genhtml does.
        "LF" | "LH" | "FNF" | "FNH" | "BRF" | "BRH" | "MCDC" | "LN" => {}
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn test_names_are_word_characters_and_distinct() {
        let names: Vec<String> = ["tests::two_axles", "<no test>", "tests__two_axles", "a-b"]
            .map(String::from)
            .to_vec();
        assert_eq!(
            lcov_test_names(&names),
            ["tests__two_axles", "_no_test_", "tests__two_axles_2", "a_b"]
        );
    }

    fn parse(s: &str) -> Result<Coverage, FormatError> {
        read_lcov(s.as_bytes())
    }

    #[test]
    fn round_trips() {
        let text = "TN:\nSF:src/lib.rs\nFN:3,<demo::S<A, B>>::f\nFN:9,demo::g\n\
FNDA:2,<demo::S<A, B>>::f\nFNDA:0,demo::g\nFNF:2\nFNH:1\nBRDA:4,0,0,1\nBRDA:4,0,1,-\n\
BRF:2\nBRH:1\nDA:3,2\nDA:4,2\nDA:9,0\nLF:3\nLH:2\nend_of_record\n";
        let cov = parse(text).unwrap();
        let mut out = Vec::new();
        write_lcov(&cov, &mut out).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), text);
    }

    #[test]
    fn line_ending_variants_read_alike() {
        let a = parse("SF:a.rs\nDA:1,2\nend_of_record\n").unwrap();
        assert_eq!(parse("SF:a.rs\r\nDA:1,2\r\nend_of_record").unwrap(), a);
        assert_eq!(
            parse("\n\n# c\nSF:a.rs\n\nDA:1,2\nend_of_record\n\n").unwrap(),
            a
        );
        assert_eq!(parse("").unwrap(), Coverage::default());
    }

    #[test]
    fn accepts_lcov2_variants_and_merges_same_path() {
        let cov = parse(
            "VER:2\nSF:a.rs\nFN:3,7,f\nFNDA:1,f\nDA:3,1,abcdef\nend_of_record\n\
SF:a.rs\nFNL:0,3,7\nFNA:0,2,f\nDA:3,4\nDA:5,0\nend_of_record\n",
        )
        .unwrap();
        let f = &cov.files["a.rs"];
        assert_eq!(f.functions["f"].count, 3);
        assert_eq!(f.functions["f"].line, 3);
        assert_eq!(f.lines.get(&3), Some(&5));
        assert_eq!(f.lines.get(&5), Some(&0));
    }

    #[test]
    fn fast_path_takes_only_plain_da_and_brda() {
        assert_eq!(fast_da(b"12,0"), Some((12, 0)));
        assert_eq!(fast_da(b"007,18446744073709551615"), Some((7, u64::MAX)));
        for no in [
            &b"1,2,abc"[..],
            b"1,2\r",
            b" 1,2",
            b"1, 2",
            b"1,",
            b",2",
            b"1,-1",
            b"4294967296,1",
            b"1,18446744073709551616",
            b"",
        ] {
            assert_eq!(fast_da(no), None, "{:?}", String::from_utf8_lossy(no));
        }
        assert_eq!(fast_brda(b"4,0,1,-"), Some(((4, 0, 1), None)));
        assert_eq!(fast_brda(b"4,2,3,17"), Some(((4, 2, 3), Some(17))));
        for no in [
            &b"4,0,x,1"[..],
            b"4,0,1",
            b"4,0,1,",
            b"4,0,1,--",
            b"4,0,1,2,3",
            b"4,0,1,1\r",
        ] {
            assert_eq!(fast_brda(no), None, "{:?}", String::from_utf8_lossy(no));
        }
    }

    #[test]
    fn fast_and_general_lines_add_up_alike() {
        // Out of order, repeated, a checksum, CRLF, padding, branch names
        // that are expressions among numbered ones: every line is summed
        // as if each had been added to the maps one at a time.
        let max = u64::MAX;
        let cov = parse(&format!(
            "SF:a.rs\nDA:5,1\nDA:3,2\nDA:5,{max}\nend_of_record\n"
        ))
        .unwrap();
        let lines = &cov.files["a.rs"].lines;
        assert_eq!(lines, &BTreeMap::from([(3, 2), (5, max)]), "saturates");
        let cov = parse(
            "SF:a.rs\nDA:3,1\nDA:3,1,abc\r\nDA: 4 , 2 \nDA:3,5\nBRDA:4,0,0,1\nBRDA:4,0,e,-\n\
             BRDA:4,0,1,2\nBRDA:4,0,0,-\nBRDA:4,0,f,3\nend_of_record\n",
        )
        .unwrap();
        let mut want = FileCoverage::default();
        want.add_line(3, 7);
        want.add_line(4, 2);
        want.add_branch((4, 0, 0), Some(1));
        want.add_branch((4, 0, 1), Some(2));
        // `e` is the second branch of (4, 0), `f` the third.
        want.add_branch((4, 0, 2), Some(3));
        assert_eq!(cov.files["a.rs"], want);
    }

    #[test]
    fn lines_across_buffer_refills_read_alike() {
        let text = "TN:t\nSF:src/lib.rs\nFN:3,f\nFNDA:2,f\nBRDA:4,0,0,1\nBRDA:4,0,1,-\n\
DA:3,2\r\nDA:4,2\n\nDA:9,0\nend_of_record\nSF:b.rs\nDA:1,1\nend_of_record";
        let whole = parse(text).unwrap();
        let mut seen = Vec::new();
        read_lcov_with(text.as_bytes(), |l| seen.push(l.to_vec())).unwrap();
        let want: Vec<&[u8]> = text.split('\n').map(str::as_bytes).collect();
        assert_eq!(seen, want, "every line, the last without its \\n");
        for cap in 1..=text.len() {
            let r = std::io::BufReader::with_capacity(cap, text.as_bytes());
            let mut lines = Vec::new();
            let cov = read_lcov_with(r, |l| lines.push(l.to_vec())).unwrap();
            assert_eq!(cov, whole, "buffer of {cap}");
            assert_eq!(lines, want, "buffer of {cap}");
        }
        // A too-long line is found however it is split, and named.
        let long = format!("SF:a\nFN:1,{}\nend_of_record\n", "x".repeat(MAX_LCOV_LINE));
        for cap in [7, 4096, 1 << 16] {
            let r = std::io::BufReader::with_capacity(cap, long.as_bytes());
            let e = read_lcov(r).unwrap_err().to_string();
            assert_eq!(e, format!("line 2: longer than {MAX_LCOV_LINE} bytes"));
        }
        let r = std::io::BufReader::with_capacity(3, &b"SF:a\nDA:1,x\n"[..]);
        let e = read_lcov(r).unwrap_err().to_string();
        assert!(e.starts_with("line 2: DA: count \"x\""), "{e}");
    }

    #[test]
    fn rejects_bad_structure_with_line_numbers() {
        let e = parse("DA:1,1\n").unwrap_err().to_string();
        assert_eq!(e, "line 1: DA before SF");
        let e = parse("SF:a\nDA:1,1\n").unwrap_err().to_string();
        assert!(e.contains("missing end_of_record"), "{e}");
        let e = parse("SF:a\nDA:1,-1\nend_of_record\n")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("line 2: DA: count \"-1\""), "{e}");
        let e = parse("SF:a\nDA:1,99999999999999999999\nend_of_record\n")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("line 2:"), "{e}");
        let e = parse("SF:a\nDA:4294967296,1\nend_of_record\n")
            .unwrap_err()
            .to_string();
        assert_eq!(e, "line 2: DA: \"4294967296\" is not a line number");
        let e = parse("SF:a\nBRDA:1,0,0,x\nend_of_record\n")
            .unwrap_err()
            .to_string();
        assert_eq!(e, "line 2: BRDA: taken count \"x\" is not a count");
        let e = read_lcov(&b"SF:a\nDA:1,\xff\nend_of_record\n"[..])
            .unwrap_err()
            .to_string();
        assert_eq!(e, "line 2: not valid UTF-8");
        let e = parse("SF:a\nSF:b\n").unwrap_err().to_string();
        assert!(e.starts_with("line 2: SF before end_of_record"), "{e}");
        let long = format!("SF:a\nFN:1,{}\nend_of_record\n", "x".repeat(MAX_LCOV_LINE));
        let e = parse(&long).unwrap_err().to_string();
        assert_eq!(e, format!("line 2: longer than {MAX_LCOV_LINE} bytes"));
        let e = parse("SF:a\nDA:1,1\nend_of_record\nSF:\u{0}\n")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("line 4: SF path contains a NUL"), "{e}");
    }
}
