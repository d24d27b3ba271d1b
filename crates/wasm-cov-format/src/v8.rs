//! `v8-coverage.json`: V8's own coverage shape plus a `wasm` object on the
//! entries that are wasm modules.
//!
//! Refs: Chrome DevTools Protocol `Profiler.ScriptCoverage`; Node's
//! `NODE_V8_COVERAGE` output; docs/formats.md, "v8-coverage.json".

use serde::{Deserialize, Serialize};

/// The wasm extension's version, written as `wasmCoverageVersion`.
pub const V8_WASM_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct V8Coverage {
    pub result: Vec<ScriptCoverage>,
    /// Absent in files Node wrote by itself (JavaScript only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wasm_coverage_version: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScriptCoverage {
    pub script_id: String,
    pub url: String,
    pub functions: Vec<FunctionCoverage>,
    /// Present exactly on wasm modules.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wasm: Option<WasmScript>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WasmScript {
    /// Lowercase hex SHA-256 of the exact module bytes that ran.
    pub sha256: String,
    /// Path of the saved module, relative to the JSON file's folder.
    pub module: String,
    /// Module offset of the code section payload (where its function count
    /// starts). DWARF addresses are relative to it.
    pub code_section_offset: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FunctionCoverage {
    pub function_name: String,
    /// Index in the function index space (imports included). Wasm only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function_index: Option<u32>,
    pub is_block_coverage: bool,
    pub ranges: Vec<CoverageRange>,
}

/// For wasm: absolute module byte offsets, `endOffset` exclusive. The first
/// range of a function is its whole body with the entry count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CoverageRange {
    pub start_offset: u64,
    pub end_offset: u64,
    pub count: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_wasm_and_keeps_js_entries() {
        let text = r#"{"result":[{"scriptId":"7","url":"file:///x.js","functions":[{"functionName":"","isBlockCoverage":true,"ranges":[{"startOffset":0,"endOffset":40,"count":1}]}]},{"scriptId":"9","url":"wasm://wasm/ab12cd34","functions":[{"functionName":"f","functionIndex":3,"isBlockCoverage":true,"ranges":[{"startOffset":100,"endOffset":140,"count":2},{"startOffset":100,"endOffset":110,"count":2}]}],"wasm":{"sha256":"ab12","module":"modules/ab12.wasm","codeSectionOffset":95}}],"wasmCoverageVersion":1}"#;
        let doc: V8Coverage = serde_json::from_str(text).unwrap();
        assert!(doc.result[0].wasm.is_none());
        assert_eq!(doc.result[1].wasm.as_ref().unwrap().code_section_offset, 95);
        assert_eq!(serde_json::to_string(&doc).unwrap(), text);
    }
}
