//! Per-test block counts: which blocks each test ran, and how often.
//!
//! Written by wasm-run beside `v8-coverage.json` (`per-test.jsonl`, from
//! its own counters: one instance is one test) and by v8cov-extract
//! `--per-test` (the same format, summed across inputs); read by
//! wasm-cov-mapper `--per-test`.
//!
//! Refs: docs/formats.md, "Per-test block counts". JSON lines: a header,
//! then per module one `module` line with its block list, followed by one
//! `test` line per test that ran any of its blocks, with sparse,
//! delta-coded `(block index, count)` pairs.

use std::collections::BTreeMap;
use std::io::{BufRead, Write};

use serde::{Deserialize, Serialize};

use crate::io::{read_line_capped, LineError};
use crate::FormatError;

/// Value of the header's `format` member.
pub const PER_TEST_FORMAT: &str = "wasm-cov-per-test";
/// The version this build writes and the only one it reads.
pub const PER_TEST_VERSION: u32 = 1;
/// The pseudo-test that holds counts that belong to no test: the `--list`
/// runs, start-up, inputs without per-test data.
pub const NO_TEST: &str = "<no test>";
/// The longest line the reader accepts: a module line of a large module
/// (regex-syntax's 109 031 blocks take 2.4 MB), with room to spare.
pub const MAX_PER_TEST_LINE: usize = 256 << 20;

/// A block of a module, as in the offsets CSV: function index, absolute
/// module offsets, `end` exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PerTestBlock {
    pub function: u32,
    pub start: u64,
    pub end: u64,
}

impl PerTestBlock {
    /// The offsets CSV's order: start, end, function.
    fn key(&self) -> (u64, u64, u32) {
        (self.start, self.end, self.function)
    }
}

/// One module's blocks and each test's counts of them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PerTestModule {
    /// Sorted by start, end, function; each once.
    pub blocks: Vec<PerTestBlock>,
    /// Test name -> `(block index, count)`, indices ascending, counts > 0.
    pub tests: BTreeMap<String, Vec<(u32, u64)>>,
}

/// A whole per-test document: modules by SHA-256 (lowercase hex).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PerTest {
    pub modules: BTreeMap<String, PerTestModule>,
}

#[derive(Serialize, Deserialize)]
#[cfg_attr(test, serde(deny_unknown_fields))]
struct Header {
    format: String,
    version: u32,
}

#[derive(Serialize, Deserialize)]
#[cfg_attr(test, serde(deny_unknown_fields))]
struct ModuleLine {
    module: String,
    blocks: Vec<(u32, u64, u64)>,
}

#[derive(Serialize, Deserialize)]
#[cfg_attr(test, serde(deny_unknown_fields))]
struct TestLine {
    test: String,
    hits: Vec<u64>,
}

impl PerTestModule {
    /// Adds `count` runs of block `index` to `test`, saturating. Keeps the
    /// hits sorted; cheapest when indices arrive ascending.
    pub fn add_hit(&mut self, test: &str, index: u32, count: u64) {
        if count == 0 {
            return;
        }
        let hits = match self.tests.get_mut(test) {
            Some(h) => h,
            None => self.tests.entry(test.to_owned()).or_default(),
        };
        match hits.last_mut() {
            Some(last) if last.0 == index => last.1 = last.1.saturating_add(count),
            Some(last) if last.0 > index => match hits.binary_search_by_key(&index, |h| h.0) {
                Ok(i) => hits[i].1 = hits[i].1.saturating_add(count),
                Err(i) => hits.insert(i, (index, count)),
            },
            _ => hits.push((index, count)),
        }
    }

    /// Each block's count summed over all tests, saturating: equal to the
    /// totals of `v8-coverage.json` for the same run.
    pub fn totals(&self) -> Vec<u64> {
        let mut sum = vec![0u64; self.blocks.len()];
        for hits in self.tests.values() {
            for &(k, c) in hits {
                let s = &mut sum[k as usize];
                *s = s.saturating_add(c);
            }
        }
        sum
    }
}

impl PerTest {
    /// Adds `other` into `self`: block lists are united, each test's counts
    /// of the same block added with saturation.
    pub fn merge(&mut self, other: PerTest) {
        for (sha, m) in other.modules {
            match self.modules.get_mut(&sha) {
                None => {
                    self.modules.insert(sha, m);
                }
                Some(mine) if mine.blocks == m.blocks => {
                    for (name, hits) in m.tests {
                        for (k, c) in hits {
                            mine.add_hit(&name, k, c);
                        }
                    }
                }
                Some(mine) => {
                    let mut all = mine.blocks.clone();
                    all.extend_from_slice(&m.blocks);
                    all.sort_by_key(PerTestBlock::key);
                    all.dedup();
                    let index = |b: &PerTestBlock| {
                        all.binary_search_by_key(&b.key(), PerTestBlock::key)
                            .expect("united list holds every block") as u32
                    };
                    let mut merged = PerTestModule {
                        blocks: Vec::new(),
                        tests: BTreeMap::new(),
                    };
                    for src in [std::mem::take(mine), m] {
                        for (name, hits) in src.tests {
                            for (k, c) in hits {
                                merged.add_hit(&name, index(&src.blocks[k as usize]), c);
                            }
                        }
                    }
                    merged.blocks = all;
                    *mine = merged;
                }
            }
        }
    }

    /// Writes the document: header, then each module (by SHA-256) with its
    /// tests (by name, byte order). Equal documents give equal bytes.
    pub fn write(&self, mut w: impl Write) -> std::io::Result<()> {
        let header = Header {
            format: PER_TEST_FORMAT.to_owned(),
            version: PER_TEST_VERSION,
        };
        serde_json::to_writer(&mut w, &header)?;
        w.write_all(b"\n")?;
        for (sha, m) in &self.modules {
            write!(w, "{{\"module\":\"{sha}\",\"blocks\":[")?;
            for (i, b) in m.blocks.iter().enumerate() {
                let sep = if i == 0 { "" } else { "," };
                write!(w, "{sep}[{},{},{}]", b.function, b.start, b.end)?;
            }
            w.write_all(b"]}\n")?;
            for (name, hits) in &m.tests {
                w.write_all(b"{\"test\":")?;
                serde_json::to_writer(&mut w, name)?;
                w.write_all(b",\"hits\":[")?;
                let mut prev = 0u32;
                for (i, &(k, c)) in hits.iter().enumerate() {
                    let (sep, delta) = if i == 0 { ("", k) } else { (",", k - prev) };
                    write!(w, "{sep}{delta},{c}")?;
                    prev = k;
                }
                w.write_all(b"]}\n")?;
            }
        }
        Ok(())
    }

    /// Reads a document, checking the header, the block lists and every
    /// hit. Errors name the line.
    pub fn read(mut r: impl BufRead) -> Result<PerTest, FormatError> {
        let mut doc = PerTest::default();
        let mut buf = Vec::new();
        let mut current: Option<String> = None;
        let mut n = 0u64;
        loop {
            let more =
                read_line_capped(&mut r, &mut buf, MAX_PER_TEST_LINE).map_err(|e| match e {
                    LineError::TooLong => {
                        FormatError::line(n + 1, format!("longer than {MAX_PER_TEST_LINE} bytes"))
                    }
                    LineError::Io(e) => FormatError::Io(e),
                })?;
            if !more {
                break;
            }
            n += 1;
            let text = buf.strip_suffix(b"\r").unwrap_or(&buf);
            if n == 1 {
                check_header(text)?;
                continue;
            }
            if text.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let value: serde_json::Value =
                serde_json::from_slice(text).map_err(|e| FormatError::line(n, e))?;
            let is = |k: &str| value.get(k).is_some();
            if is("module") {
                let m: ModuleLine =
                    serde_json::from_value(value).map_err(|e| FormatError::line(n, e))?;
                let sha = m.module.to_ascii_lowercase();
                if sha.len() != 64 || !sha.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err(FormatError::line(
                        n,
                        format!("module {:?} is not a SHA-256", m.module),
                    ));
                }
                if doc.modules.contains_key(&sha) {
                    return Err(FormatError::line(n, format!("module {sha} appears twice")));
                }
                let blocks: Vec<PerTestBlock> = m
                    .blocks
                    .into_iter()
                    .map(|(function, start, end)| PerTestBlock {
                        function,
                        start,
                        end,
                    })
                    .collect();
                for (i, b) in blocks.iter().enumerate() {
                    if b.start >= b.end {
                        return Err(FormatError::line(
                            n,
                            format!("block {i}: start {} is not below end {}", b.start, b.end),
                        ));
                    }
                    if i > 0 && blocks[i - 1].key() >= b.key() {
                        return Err(FormatError::line(n, format!("block {i} is out of order (blocks are sorted by start, end, function, each once)")));
                    }
                }
                if blocks.len() > u32::MAX as usize {
                    return Err(FormatError::line(n, "more than 2^32 - 1 blocks"));
                }
                doc.modules.insert(
                    sha.clone(),
                    PerTestModule {
                        blocks,
                        tests: BTreeMap::new(),
                    },
                );
                current = Some(sha);
            } else if is("test") {
                let t: TestLine =
                    serde_json::from_value(value).map_err(|e| FormatError::line(n, e))?;
                let Some(m) = current.as_ref().and_then(|s| doc.modules.get_mut(s)) else {
                    return Err(FormatError::line(n, "a test line before any module line"));
                };
                if m.tests.contains_key(&t.test) {
                    return Err(FormatError::line(
                        n,
                        format!("test {:?} appears twice in one module", t.test),
                    ));
                }
                m.tests.insert(
                    t.test.clone(),
                    decode_hits(&t.hits, m.blocks.len())
                        .map_err(|e| FormatError::line(n, format!("test {:?}: {e}", t.test)))?,
                );
            } else {
                return Err(FormatError::line(
                    n,
                    "neither a module line nor a test line",
                ));
            }
        }
        if n == 0 {
            return Err(FormatError::line(
                1,
                format!("empty; expected the {PER_TEST_FORMAT} header"),
            ));
        }
        Ok(doc)
    }
}

fn check_header(text: &[u8]) -> Result<(), FormatError> {
    let h: Header = serde_json::from_slice(text)
        .map_err(|e| FormatError::line(1, format!("not a {PER_TEST_FORMAT} header: {e}")))?;
    if h.format != PER_TEST_FORMAT {
        return Err(FormatError::line(
            1,
            format!("format is {:?}, expected {PER_TEST_FORMAT:?}", h.format),
        ));
    }
    if h.version != PER_TEST_VERSION {
        return Err(FormatError::line(
            1,
            format!("{PER_TEST_FORMAT} version {} is not supported (this build reads version {PER_TEST_VERSION})", h.version),
        ));
    }
    Ok(())
}

/// `[k0, c0, d1, c1, ...]` with `k_i = k_{i-1} + d_i` to `(k, c)` pairs.
fn decode_hits(flat: &[u64], blocks: usize) -> Result<Vec<(u32, u64)>, String> {
    if flat.len() % 2 != 0 {
        return Err("hits has an odd number of members".to_owned());
    }
    let mut out = Vec::with_capacity(flat.len() / 2);
    let mut k = 0u64;
    for (i, pair) in flat.chunks_exact(2).enumerate() {
        let (d, c) = (pair[0], pair[1]);
        if i > 0 && d == 0 {
            return Err(format!("hit {i}: index step 0 (indices must increase)"));
        }
        k = k
            .checked_add(d)
            .ok_or_else(|| format!("hit {i}: index overflows"))?;
        if k >= blocks as u64 {
            return Err(format!(
                "hit {i}: block {k} is past the module's {blocks} blocks"
            ));
        }
        if c == 0 {
            return Err(format!(
                "hit {i}: count 0 (only blocks the test ran are listed)"
            ));
        }
        out.push((k as u32, c));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHA: &str = "bc97344da9605d2b993c647ea7b9fd46e25ea2717f625d044cae9c2dbda3aece";

    fn sample() -> String {
        format!(
            "{{\"format\":\"wasm-cov-per-test\",\"version\":1}}\n\
             {{\"module\":\"{SHA}\",\"blocks\":[[46,5589,5591],[83,9196,9235],[83,9235,9240],[83,9304,9329]]}}\n\
             {{\"test\":\"<no test>\",\"hits\":[0,4]}}\n\
             {{\"test\":\"tests::a\",\"hits\":[1,1,2,1]}}\n\
             {{\"test\":\"tests::b\",\"hits\":[1,1,1,1,1,1]}}\n"
        )
    }

    #[test]
    fn round_trips_byte_for_byte() {
        let doc = PerTest::read(sample().as_bytes()).unwrap();
        let m = &doc.modules[SHA];
        assert_eq!(m.tests["tests::a"], vec![(1, 1), (3, 1)]);
        assert_eq!(m.totals(), vec![4, 2, 1, 2]);
        let mut out = Vec::new();
        doc.write(&mut out).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), sample());
    }

    #[test]
    fn rejects_unknown_versions_and_bad_hits() {
        let v2 = sample().replace("\"version\":1", "\"version\":2");
        let e = PerTest::read(v2.as_bytes()).unwrap_err().to_string();
        assert!(
            e.contains("version 2 is not supported (this build reads version 1)"),
            "{e}"
        );
        for (bad, why) in [
            ("[1,1,0,1]", "index step 0"),
            ("[4,1]", "past the module's 4 blocks"),
            ("[1,0]", "count 0"),
            ("[1]", "odd number"),
        ] {
            let text = sample().replace("[1,1,2,1]", bad);
            let e = PerTest::read(text.as_bytes()).unwrap_err().to_string();
            assert!(e.starts_with("line 4: ") && e.contains(why), "{bad}: {e}");
        }
        let e = PerTest::read(&b""[..]).unwrap_err().to_string();
        assert!(e.contains("empty"), "{e}");
    }

    #[test]
    fn merging_unites_blocks_and_sums_saturating() {
        let a = PerTest::read(sample().as_bytes()).unwrap();
        let mut b = a.clone();
        let m = b.modules.get_mut(SHA).unwrap();
        m.blocks.insert(
            1,
            PerTestBlock {
                function: 80,
                start: 9000,
                end: 9010,
            },
        );
        m.tests = BTreeMap::from([("tests::a".to_owned(), vec![(1, 7), (2, u64::MAX)])]);
        let mut sum = a.clone();
        sum.merge(b);
        let m = &sum.modules[SHA];
        assert_eq!(m.blocks.len(), 5);
        assert_eq!(m.tests["tests::a"], vec![(1, 7), (2, u64::MAX), (4, 1)]);
        let mut twice = a.clone();
        twice.merge(a.clone());
        assert_eq!(twice.modules[SHA].totals(), vec![8, 4, 2, 4]);
    }
}
