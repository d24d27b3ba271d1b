//! The block table: which counter belongs to which block of the original
//! module, and its small JSON form for hosts that are not JavaScript.
//!
//! Refs: `docs/formats.md` §3b (the format); `docs/formats.md` §2 (the
//! block representation, module offsets with `end` exclusive).

use std::io::{Read, Write};

use serde::{Deserialize, Serialize};

/// The `format` member of the JSON form.
pub const TABLE_FORMAT: &str = "wasm-cov-blocks";
/// The only version of the JSON form this crate writes and reads.
pub const TABLE_VERSION: u32 = 1;

/// One basic block of the *original* module, as in `v8-coverage.json`:
/// absolute module offsets, `start` inclusive, `end` exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Block {
    /// Index in the function index space (imported functions first).
    pub function: u32,
    pub start: u64,
    pub end: u64,
}

impl Block {
    /// The block as V8's `%DebugCollectWasmCoverage()` reports it:
    /// `(start, end)` relative to the first defined function's body start,
    /// `end` inclusive. (Saturating, so a table read from a hostile file
    /// cannot make it panic.)
    pub fn v8_raw(&self, first_body_offset: u64) -> (u64, u64) {
        (
            self.start.saturating_sub(first_body_offset),
            self.end.saturating_sub(1).saturating_sub(first_body_offset),
        )
    }
}

/// Where the counters are and what each one counts. Counter `k` is the
/// little-endian u64 at byte `8 * k` of the memory exported as `export`;
/// it counts `blocks[k]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockTable {
    /// Lowercase hex SHA-256 of the original (uninstrumented) module: the
    /// module every offset here refers to.
    pub module_sha256: String,
    /// Module offset of the code section payload in the original module.
    pub code_section_offset: u64,
    /// Module offset of the first defined function's body start (0 when
    /// there is no function), the origin of V8's raw offsets.
    pub first_body_offset: u64,
    /// The export name of the counter memory.
    pub export: String,
    /// The counter memory's index in the instrumented module.
    pub memory_index: u32,
    /// One entry per counter, sorted by `start` (so also by function).
    pub blocks: Vec<Block>,
}

/// Errors of [`BlockTable::read_json`].
#[derive(Debug, thiserror::Error)]
pub enum TableError {
    #[error("block table: {0}")]
    Json(#[from] serde_json::Error),
    #[error("block table: format {format:?} version {version}, expected {TABLE_FORMAT:?} version {TABLE_VERSION}")]
    Version { format: String, version: u32 },
    #[error("block table: block {index} has start {start} >= end {end}")]
    EmptyBlock { index: usize, start: u64, end: u64 },
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, serde(deny_unknown_fields))]
struct TableDoc {
    format: String,
    version: u32,
    module: String,
    code_section_offset: u64,
    first_body_offset: u64,
    counters: CountersDoc,
    /// `[function, start, end]` per counter.
    blocks: Vec<(u32, u64, u64)>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, serde(deny_unknown_fields))]
struct CountersDoc {
    export: String,
    memory_index: u32,
    /// Bytes per counter: always 8 (little-endian u64).
    width: u32,
}

impl BlockTable {
    /// Writes the JSON form (one line, then `\n`). See `docs/formats.md` §3b.
    pub fn write_json(&self, mut w: impl Write) -> std::io::Result<()> {
        let doc = TableDoc {
            format: TABLE_FORMAT.to_owned(),
            version: TABLE_VERSION,
            module: self.module_sha256.clone(),
            code_section_offset: self.code_section_offset,
            first_body_offset: self.first_body_offset,
            counters: CountersDoc {
                export: self.export.clone(),
                memory_index: self.memory_index,
                width: 8,
            },
            blocks: self
                .blocks
                .iter()
                .map(|b| (b.function, b.start, b.end))
                .collect(),
        };
        serde_json::to_writer(&mut w, &doc)?;
        w.write_all(b"\n")
    }

    /// Reads the JSON form, rejecting any other format or version.
    pub fn read_json(r: impl Read) -> Result<Self, TableError> {
        let doc: TableDoc = serde_json::from_reader(r)?;
        if doc.format != TABLE_FORMAT || doc.version != TABLE_VERSION || doc.counters.width != 8 {
            return Err(TableError::Version {
                format: doc.format,
                version: doc.version,
            });
        }
        let blocks: Vec<Block> = doc
            .blocks
            .into_iter()
            .map(|(function, start, end)| Block {
                function,
                start,
                end,
            })
            .collect();
        if let Some((index, b)) = blocks.iter().enumerate().find(|(_, b)| b.start >= b.end) {
            return Err(TableError::EmptyBlock {
                index,
                start: b.start,
                end: b.end,
            });
        }
        Ok(BlockTable {
            module_sha256: doc.module,
            code_section_offset: doc.code_section_offset,
            first_body_offset: doc.first_body_offset,
            export: doc.counters.export,
            memory_index: doc.counters.memory_index,
            blocks,
        })
    }

    /// Reads the counters out of the counter memory's bytes (a copy of the
    /// exported memory's buffer, or any prefix of it covering the counters).
    /// Missing bytes read as 0.
    pub fn counts(&self, memory: &[u8]) -> Vec<u64> {
        (0..self.blocks.len())
            .map(|k| {
                let mut le = [0u8; 8];
                if let Some(b) = memory.get(8 * k..8 * k + 8) {
                    le.copy_from_slice(b);
                }
                u64::from_le_bytes(le)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests: a panic is a failed test")]
    use super::*;

    fn table() -> BlockTable {
        BlockTable {
            module_sha256: "ab".repeat(32),
            code_section_offset: 30,
            first_body_offset: 32,
            export: "__wasm_cov_counters".into(),
            memory_index: 1,
            blocks: vec![
                Block {
                    function: 1,
                    start: 32,
                    end: 35,
                },
                Block {
                    function: 2,
                    start: 36,
                    end: 39,
                },
            ],
        }
    }

    #[test]
    fn json_round_trips_and_is_stable() {
        let mut out = Vec::new();
        table().write_json(&mut out).unwrap();
        let text = String::from_utf8(out.clone()).unwrap();
        assert_eq!(
            text,
            format!(
                "{{\"format\":\"wasm-cov-blocks\",\"version\":1,\"module\":\"{}\",\"codeSectionOffset\":30,\
                 \"firstBodyOffset\":32,\"counters\":{{\"export\":\"__wasm_cov_counters\",\"memoryIndex\":1,\
                 \"width\":8}},\"blocks\":[[1,32,35],[2,36,39]]}}\n",
                "ab".repeat(32)
            )
        );
        assert_eq!(BlockTable::read_json(&out[..]).unwrap(), table());
    }

    #[test]
    fn rejects_other_versions_and_empty_blocks() {
        let mut out = Vec::new();
        table().write_json(&mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let v2 = text.replace("\"version\":1", "\"version\":2");
        assert!(matches!(
            BlockTable::read_json(v2.as_bytes()),
            Err(TableError::Version { version: 2, .. })
        ));
        let empty = text.replace("[2,36,39]", "[2,39,39]");
        assert!(matches!(
            BlockTable::read_json(empty.as_bytes()),
            Err(TableError::EmptyBlock { index: 1, .. })
        ));
    }

    #[test]
    fn reads_little_endian_counters() {
        let mut mem = vec![0u8; 16];
        mem[0] = 5;
        mem[8..16].copy_from_slice(&(1u64 << 40).to_le_bytes());
        assert_eq!(table().counts(&mem), [5, 1 << 40]);
        assert_eq!(table().counts(&mem[..8]), [5, 0]);
        assert_eq!(table().blocks[1].v8_raw(32), (4, 6));
    }
}
