//! `collected-<pid>.jsonl`: the block counts a native host's tests
//! collected from the plugins they ran (`wasm-cov-wasmtime` writes it,
//! wasm-run turns a folder of them into `v8-coverage.json` and
//! `per-test.jsonl`).
//!
//! Refs: docs/formats.md, "Host collections".

use serde::{Deserialize, Serialize};

/// The variable that names the folder collections go to: set by `cargo
/// wasm-cov` for a host's tests; unset, `wasm-cov-wasmtime` does nothing.
pub const COLLECT_DIR_ENV: &str = "WASM_COV_WASMTIME_DIR";

pub const COLLECTED_FORMAT: &str = "wasm-cov-wasmtime-collected";
pub const COLLECTED_VERSION: u32 = 1;

/// The first line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CollectedHeader {
    pub format: String,
    pub version: u32,
}

impl Default for CollectedHeader {
    fn default() -> Self {
        CollectedHeader {
            format: COLLECTED_FORMAT.to_owned(),
            version: COLLECTED_VERSION,
        }
    }
}

/// Every other line: one module's counts in one collection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Collection {
    /// The test that ran them (`<no test>` outside any).
    pub test: String,
    /// SHA-256 of the module (`modules/<sha256>.wasm`).
    pub module: String,
    /// `[block, count]`, the nonzero counters only, `block` indexing the
    /// module's block table (`modules/<sha256>.blocks.json`).
    pub counts: Vec<[u64; 2]>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_round_trip() {
        let h = serde_json::to_string(&CollectedHeader::default()).unwrap();
        assert_eq!(h, r#"{"format":"wasm-cov-wasmtime-collected","version":1}"#);
        let c = Collection {
            test: "upper::shouts".into(),
            module: "ab".repeat(32),
            counts: vec![[0, 1], [7, 2]],
        };
        let text = serde_json::to_string(&c).unwrap();
        assert!(text.contains(r#""counts":[[0,1],[7,2]]"#), "{text}");
        assert_eq!(serde_json::from_str::<Collection>(&text).unwrap(), c);
        assert!(serde_json::from_str::<Collection>(
            r#"{"test":"t","module":"m","counts":[],"x":1}"#
        )
        .is_err());
    }
}
