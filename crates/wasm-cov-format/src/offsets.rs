//! The offsets CSV: one row per executed-or-not basic block.
//!
//! Refs: docs/formats.md, "Offsets CSV". The exact header line is the
//! format's version marker; a future version will change it.

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
        let line = rec.position().map_or(0, |p| p.line());
        let mut row: OffsetRow = rec
            .deserialize(None)
            .map_err(|e| FormatError::line(line, describe_field(&rec, &e)))?;
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
        rows.push(row);
    }
    Ok(rows)
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
        }
    }
}
