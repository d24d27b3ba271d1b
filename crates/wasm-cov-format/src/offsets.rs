//! The offsets CSV: one row per executed-or-not basic block.
//!
//! Refs: docs/formats.md, "Offsets CSV". The exact header line is the
//! format's version marker; a future version will change it.

use std::collections::BTreeMap;
use std::io::{Read, Write};

use serde::{Deserialize, Serialize};

use crate::io::{LineLimit, LineTooLong};
use crate::FormatError;

pub const OFFSETS_HEADER: &str = "module,function,start,end,count";

/// One basic block. Offsets are absolute module byte offsets, `end`
/// exclusive; `module` is the lowercase hex SHA-256 of the module bytes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct OffsetRow {
    pub module: String,
    pub function: u32,
    pub start: u64,
    pub end: u64,
    pub count: u64,
}

/// Writes the header and `rows` in the order given (callers sort them).
pub fn write_offsets<'a>(
    rows: impl IntoIterator<Item = &'a OffsetRow>,
    w: impl Write,
) -> Result<(), FormatError> {
    let mut wtr = csv::WriterBuilder::new().has_headers(false).from_writer(w);
    wtr.write_record(OFFSETS_HEADER.split(','))
        .map_err(csv_err)?;
    for row in rows {
        wtr.serialize(row).map_err(csv_err)?;
    }
    wtr.flush()?;
    Ok(())
}

/// Writes the header and each module's blocks (callers sort both), the
/// same bytes [`write_offsets`] writes for the same rows, without an
/// [`OffsetRow`] (and its hash) per block: no field ever needs quoting.
pub fn write_offsets_grouped<'a, B>(
    groups: impl IntoIterator<Item = (&'a str, B)>,
    w: impl Write,
) -> Result<(), FormatError>
where
    B: IntoIterator<Item = OffsetBlock>,
{
    let mut w = std::io::BufWriter::with_capacity(64 << 10, w);
    w.write_all(OFFSETS_HEADER.as_bytes())?;
    w.write_all(b"\n")?;
    let mut line = Vec::with_capacity(160);
    for (module, blocks) in groups {
        for b in blocks {
            line.clear();
            line.extend_from_slice(module.as_bytes());
            for v in [u64::from(b.function), b.start, b.end, b.count] {
                line.push(b',');
                push_decimal(&mut line, v);
            }
            line.push(b'\n');
            w.write_all(&line)?;
        }
    }
    w.flush()?;
    Ok(())
}

fn push_decimal(out: &mut Vec<u8>, mut v: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
}

/// The longest line the offsets reader accepts. A row is at most about 140
/// bytes; the cap keeps the csv crate from buffering a hostile multi-GB
/// field.
pub const MAX_OFFSETS_LINE: usize = 64 << 10;

/// Reads and validates an offsets CSV: exact header, 64-hex module hashes,
/// `start < end`, non-negative counts that fit in 64 bits, lines of at most
/// [`MAX_OFFSETS_LINE`] bytes. Memory is the rows read, not the file.
pub fn read_offsets(r: impl Read) -> Result<Vec<OffsetRow>, FormatError> {
    let r = LineLimit::new(r, MAX_OFFSETS_LINE);
    let mut rdr = csv::ReaderBuilder::new().has_headers(false).from_reader(r);
    let mut records = rdr.records();
    match records.next() {
        None => return Err(FormatError::line(1, "empty file, expected the header")),
        Some(rec) => {
            let rec = rec.map_err(csv_err)?;
            let got: Vec<&str> = rec.iter().collect();
            if got.join(",") != OFFSETS_HEADER {
                return Err(FormatError::line(
                    1,
                    format!("header is {:?}, expected {OFFSETS_HEADER:?}", got.join(",")),
                ));
            }
        }
    }
    let mut rows = Vec::new();
    for rec in records {
        let rec = rec.map_err(csv_err)?;
        rows.push(check_row(&rec)?);
    }
    Ok(rows)
}

/// One block of a module as [`read_offsets_grouped`] gives it: an
/// [`OffsetRow`] without its module hash, which the group holds once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OffsetBlock {
    pub function: u32,
    pub start: u64,
    pub end: u64,
    pub count: u64,
}

impl From<&OffsetRow> for OffsetBlock {
    fn from(r: &OffsetRow) -> Self {
        OffsetBlock {
            function: r.function,
            start: r.start,
            end: r.end,
            count: r.count,
        }
    }
}

/// [`read_offsets`] grouped by module (lowercase hash), each group's blocks
/// in file order. The same input is accepted and the same errors are
/// given; what differs is the cost: each hash is stored once, not per row,
/// and a plain row's fields are split and parsed as bytes, without serde.
/// A row the fast path does not take (quotes, a sign, a bad field) goes
/// through [`read_offsets`]'s own per-row code, so its error is the same.
pub fn read_offsets_grouped(
    r: impl Read,
) -> Result<BTreeMap<String, Vec<OffsetBlock>>, FormatError> {
    let r = LineLimit::new(r, MAX_OFFSETS_LINE);
    // Larger reads than csv's 8 KiB: a tenth of the system calls.
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .buffer_capacity(64 << 10)
        .from_reader(r);
    let mut header = csv::StringRecord::new();
    if !rdr.read_record(&mut header).map_err(csv_err)? {
        return Err(FormatError::line(1, "empty file, expected the header"));
    }
    let got: Vec<&str> = header.iter().collect();
    if got.join(",") != OFFSETS_HEADER {
        return Err(FormatError::line(
            1,
            format!("header is {:?}, expected {OFFSETS_HEADER:?}", got.join(",")),
        ));
    }
    let mut groups: BTreeMap<String, Vec<OffsetBlock>> = BTreeMap::new();
    // The module being filled: rows come grouped, so this is nearly always
    // the one the next row names.
    let mut current: Option<(String, Vec<OffsetBlock>)> = None;
    let mut rec = csv::ByteRecord::new();
    loop {
        let before = rdr.position().clone();
        if !rdr.read_byte_record(&mut rec).map_err(csv_err)? {
            break;
        }
        // The hash is borrowed from the record on the fast path: no
        // allocation per row.
        let slow;
        let (module, block): (&[u8], OffsetBlock) = match fast_row(&rec) {
            Some(block) => (&rec[0], block),
            None => {
                slow = slow_row(&rec, &before)?;
                (slow.module.as_bytes(), OffsetBlock::from(&slow))
            }
        };
        let same = current
            .as_ref()
            .is_some_and(|(m, _)| m.as_bytes().eq_ignore_ascii_case(module));
        if !same {
            if let Some((m, blocks)) = current.take() {
                groups.entry(m).or_default().extend(blocks);
            }
            let mut m = String::from_utf8_lossy(module).into_owned();
            m.make_ascii_lowercase();
            let blocks = groups.remove(&m).unwrap_or_default();
            current = Some((m, blocks));
        }
        if let Some((_, blocks)) = current.as_mut() {
            blocks.push(block);
        }
    }
    if let Some((m, blocks)) = current {
        groups.entry(m).or_default().extend(blocks);
    }
    Ok(groups)
}

/// A plain row (a 64-hex hash, decimal digits, `start < end`), parsed as
/// bytes; `None` for anything else, which [`slow_row`] then judges.
fn fast_row(rec: &csv::ByteRecord) -> Option<OffsetBlock> {
    if rec.len() != 5 {
        return None;
    }
    let module = &rec[0];
    if module.len() != 64 || !module.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    let block = OffsetBlock {
        function: u32::try_from(digits(&rec[1])?).ok()?,
        start: digits(&rec[2])?,
        end: digits(&rec[3])?,
        count: digits(&rec[4])?,
    };
    (block.start < block.end).then_some(block)
}

/// A non-empty run of ASCII digits as a u64; `None` on anything else or
/// overflow.
fn digits(field: &[u8]) -> Option<u64> {
    if field.is_empty() || field.len() > 20 {
        return None;
    }
    let mut v: u64 = 0;
    for &b in field {
        let d = b.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(u64::from(d))?;
    }
    Some(v)
}

/// One row the way [`read_offsets`] reads it, with its errors. `before` is
/// the reader's position before the row, where csv puts a UTF-8 error.
fn slow_row(rec: &csv::ByteRecord, before: &csv::Position) -> Result<OffsetRow, FormatError> {
    let rec = match csv::StringRecord::from_byte_record(rec.clone()) {
        Ok(r) => r,
        Err(e) => {
            let err = e.utf8_error();
            return Err(FormatError::line(
                before.line(),
                format!(
                    "CSV parse error: record {} (line {}, field: {}, byte: {}): {err}",
                    before.record(),
                    before.line(),
                    err.field(),
                    before.byte()
                ),
            ));
        }
    };
    check_row(&rec)
}

/// Deserializes and checks one record of [`read_offsets`].
fn check_row(rec: &csv::StringRecord) -> Result<OffsetRow, FormatError> {
    let line = rec.position().map_or(0, |p| p.line());
    let mut row: OffsetRow = rec
        .deserialize(None)
        .map_err(|e| FormatError::line(line, describe_field(rec, &e)))?;
    if row.module.len() != 64 || !row.module.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(FormatError::line(
            line,
            format!("module {:?} is not a SHA-256 in hex", row.module),
        ));
    }
    // Hashes compare as text; one spelling.
    row.module.make_ascii_lowercase();
    if row.start >= row.end {
        return Err(FormatError::line(
            line,
            format!("start {} is not below end {}", row.start, row.end),
        ));
    }
    Ok(row)
}

/// Names the field and quotes the value that failed to parse.
fn describe_field(rec: &csv::StringRecord, e: &csv::Error) -> String {
    if let csv::ErrorKind::Deserialize { err, .. } = e.kind() {
        if let Some(i) = err.field() {
            let name = OFFSETS_HEADER.split(',').nth(i as usize).unwrap_or("?");
            let what = if name == "module" {
                "text"
            } else {
                "a non-negative integer below 2^64"
            };
            return format!(
                "field {name}: {:?} is not {what} ({})",
                rec.get(i as usize).unwrap_or(""),
                err.kind()
            );
        }
    }
    describe_csv(e)
}

fn csv_err(e: csv::Error) -> FormatError {
    if e.is_io_error() {
        if let csv::ErrorKind::Io(io) = e.into_kind() {
            if let Some(long) = io.get_ref().and_then(|e| e.downcast_ref::<LineTooLong>()) {
                return FormatError::line(long.line, format!("longer than {} bytes", long.max));
            }
            return FormatError::Io(io);
        }
        return FormatError::Invalid("I/O error".into());
    }
    let line = e.position().map_or(0, |p| p.line());
    FormatError::line(line, describe_csv(&e))
}

/// csv's messages repeat the position; keep only what went wrong.
fn describe_csv(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::Deserialize { err, .. } => match err.field() {
            Some(i) => {
                let name = OFFSETS_HEADER.split(',').nth(i as usize).unwrap_or("?");
                format!("field {name}: {}", err.kind())
            }
            None => err.kind().to_string(),
        },
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("{len} fields, expected {expected_len}"),
        csv::ErrorKind::Io(io) => io.to_string(),
        _ => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: &str = "ab12000000000000000000000000000000000000000000000000000000000000";

    #[test]
    fn round_trips() {
        let text = format!("{OFFSETS_HEADER}\n{H},3,100,120,7\n{H},3,120,121,0\n");
        let rows = read_offsets(text.as_bytes()).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].count, 7);
        let mut out = Vec::new();
        write_offsets(&rows, &mut out).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), text);
    }

    #[test]
    fn rejects_bad_rows_with_line_numbers() {
        let cases = [
            (
                "module,fn,start,end,count\n".to_owned(),
                "line 1: header is",
            ),
            (
                format!("{OFFSETS_HEADER}\n{H},1,5,3,1\n"),
                "line 2: start 5 is not below end 3",
            ),
            (
                format!("{OFFSETS_HEADER}\n{H},1,1,3,-1\n"),
                "line 2: field count",
            ),
            (
                format!("{OFFSETS_HEADER}\n{H},1,1,3,18446744073709551616\n"),
                "line 2: field count",
            ),
            (
                format!("{OFFSETS_HEADER}\nxyz,1,1,3,1\n"),
                "line 2: module \"xyz\"",
            ),
            (
                format!("{OFFSETS_HEADER}\n{H},1,1\n"),
                "line 2: 3 fields, expected 5",
            ),
            (String::new(), "line 1: empty file"),
            (
                format!(
                    "{OFFSETS_HEADER}\n{H},1,1,3,1\n{H},1,1,3,{}\n",
                    "9".repeat(70_000)
                ),
                "line 3: longer than 65536 bytes",
            ),
        ];
        for (text, want) in cases {
            let e = read_offsets(text.as_bytes()).unwrap_err().to_string();
            assert!(e.starts_with(want), "{text:?}: got {e:?}, want {want:?}");
            let g = read_offsets_grouped(text.as_bytes()).unwrap_err();
            assert_eq!(g.to_string(), e, "{text:?}");
        }
    }

    #[test]
    fn grouped_writer_writes_what_the_row_writer_writes() {
        let k = "cd34000000000000000000000000000000000000000000000000000000000000";
        let rows = [
            (H, 3, 100, 120, 7),
            (H, 0, 120, 121, 0),
            (k, u32::MAX, 5, u64::MAX, u64::MAX),
        ]
        .map(|(m, function, start, end, count)| OffsetRow {
            module: m.to_owned(),
            function,
            start,
            end,
            count,
        });
        let mut want = Vec::new();
        write_offsets(&rows, &mut want).unwrap();
        let mut got = Vec::new();
        let groups = [(H, &rows[..2]), (k, &rows[2..])]
            .map(|(m, rs)| (m, rs.iter().map(OffsetBlock::from).collect::<Vec<_>>()));
        write_offsets_grouped(groups, &mut got).unwrap();
        assert_eq!(
            String::from_utf8(got).unwrap(),
            String::from_utf8(want).unwrap()
        );
        let mut empty = Vec::new();
        write_offsets_grouped(Vec::<(&str, Vec<OffsetBlock>)>::new(), &mut empty).unwrap();
        assert_eq!(empty, format!("{OFFSETS_HEADER}\n").as_bytes());
    }

    /// The grouped reader against the row reader: the same blocks, or the
    /// same error, on plain and awkward RFC 4180 input.
    #[test]
    fn grouped_reads_what_rows_read() {
        let k = "CD34000000000000000000000000000000000000000000000000000000000000";
        let h = OFFSETS_HEADER;
        let ok = [
            format!("{h}\n{H},3,100,120,7\n{k},1,5,6,0\n{H},3,120,121,0\n"),
            format!("{h}\r\n{H},3,100,120,7\r\n\r\n\"{H}\",\"3\",120,121,+0"),
            format!("{h}\n{H},3,100,120,7\n{k},1,5,6,0\n{k},1,6,7,18446744073709551615\n"),
            format!("{h}\n"),
        ];
        for text in &ok {
            let rows = read_offsets(text.as_bytes()).unwrap();
            let mut want: BTreeMap<String, Vec<OffsetBlock>> = BTreeMap::new();
            for r in &rows {
                want.entry(r.module.clone()).or_default().push(r.into());
            }
            assert_eq!(
                read_offsets_grouped(text.as_bytes()).unwrap(),
                want,
                "{text:?}"
            );
        }
        let bad: [&[u8]; 5] = [
            b"module,function,start,end,count\nab\xff,1,2,3,4\n",
            b"module,function,start,end,count\n\n\nab,1,2,3,4\n",
            b"module,function,start,end\n",
            b"\xffmodule,function,start,end,count\n",
            b"module,function,start,end,count\n\"ab\n,1,2,3\n",
        ];
        for text in bad {
            let e = read_offsets(text).unwrap_err().to_string();
            assert_eq!(read_offsets_grouped(text).unwrap_err().to_string(), e);
        }
    }
}
