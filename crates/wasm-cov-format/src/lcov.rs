//! LCOV tracefiles, as written by geninfo and read by genhtml.
//!
//! Refs: geninfo(1) "TRACEFILE FORMAT" (lcov 1.x and 2.x).

use std::io::{BufRead, Write};

use crate::io::read_line_capped;

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
pub fn read_lcov(mut r: impl BufRead) -> Result<Coverage, FormatError> {
    let mut cov = Coverage::default();
    let mut current: Option<(String, FileCoverage)> = None;
    // lcov 2.2 FNL/FNA pairs: index -> (line, names seen).
    let mut fnl: std::collections::BTreeMap<String, u32> = Default::default();
    let mut no = 0u64;
    let mut raw = Vec::new();
    while read_line_capped(&mut r, &mut raw, MAX_LCOV_LINE).map_err(|e| match e {
        crate::io::LineError::TooLong => {
            FormatError::line(no + 1, format!("longer than {MAX_LCOV_LINE} bytes"))
        }
        crate::io::LineError::Io(e) => FormatError::Io(e),
    })? {
        no += 1;
        let text =
            std::str::from_utf8(&raw).map_err(|_| FormatError::line(no, "not valid UTF-8"))?;
        let text = text.trim_end_matches('\r').trim();
        if text.is_empty() || text.starts_with('#') {
            continue;
        }
        let (key, val) = text.split_once(':').unwrap_or((text, ""));
        match key {
            "TN" | "VER" => {}
            "SF" => {
                if let Some((path, _)) = &current {
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
                current = Some((val.to_owned(), FileCoverage::default()));
                fnl.clear();
            }
            "end_of_record" => match current.take() {
                Some((path, file)) => cov.file_mut(&path).merge(&file),
                None => return Err(FormatError::line(no, "end_of_record without SF")),
            },
            _ => {
                let Some((_, file)) = current.as_mut() else {
                    return Err(FormatError::line(no, format!("{key} before SF")));
                };
                parse_data(no, key, val, file, &mut fnl)?;
            }
        }
    }
    if let Some((path, _)) = current {
        return Err(FormatError::line(
            no,
            format!("end of input inside the record for {path} (missing end_of_record)"),
        ));
    }
    Ok(cov)
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
