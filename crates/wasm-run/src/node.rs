//! Proving that a Node counts wasm blocks, and the V8 flags that make it.

use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::locate::{Found, HOW_TO_GET_NODE};

/// The V8 flags that turn on wasm block counting, in one place: the probe
/// below and `js/runner.cjs` get them on Node's command line, and
/// `js/hook.cjs` sets them from `$WASM_RUN_V8_FLAGS` (see `exec.rs`).
/// `--no-wasm-lazy-compilation` makes V8 compile, and so count, functions
/// that never run (`V8-WASM-COVERAGE.md`).
pub const V8_FLAGS: [&str; 3] = [
    "--wasm-code-coverage",
    "--allow-natives-syntax",
    "--no-wasm-lazy-compilation",
];

/// What `--check` found.
#[derive(Debug, Clone)]
pub struct NodeReport {
    pub node_version: String,
    pub v8_version: String,
    /// Blocks V8 reported for the probe module.
    pub blocks: usize,
}

/// A tiny module, `(func (export "f") (param i32) (result i32) (if (result
/// i32) (local.get 0) (then (i32.const 1)) (else (i32.const 2))))`, called
/// with 1, 1, 1, 0: its `then` block must count 3 and its `else` block 1.
const PROBE: &str = r#"
const bytes = new Uint8Array([0,97,115,109,1,0,0,0, 1,6,1,0x60,1,0x7f,1,0x7f, 3,2,1,0,
  7,5,1,1,0x66,0,0, 10,14,1,12,0,0x20,0,0x04,0x7f,0x41,1,0x05,0x41,2,0x0b,0x0b]);
const f = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports.f;
f(1); f(1); f(1); f(0);
const cov = new Function('return %DebugCollectWasmCoverage()')();
const counts = cov.length === 1 ? cov[0].map((b) => b.count).join(',') : '';
console.log(JSON.stringify({ node: process.version, v8: process.versions.v8, blocks: cov.length === 1 ? cov[0].length : 0, ok: counts === '4,3,1,4' }));
"#;

/// Proves that `node` counts wasm blocks by running a probe module and
/// checking V8's counts; returns what it saw.
pub fn check_node(node: &Found) -> Result<NodeReport> {
    let out = Command::new(&node.path)
        .args(V8_FLAGS)
        .args(["-e", PROBE])
        .output()
        .with_context(|| {
            format!(
                "cannot run Node at {} (from {})",
                node.path.display(),
                node.origin
            )
        })?;
    if !out.status.success() {
        let version = Command::new(&node.path)
            .arg("--version")
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
            .unwrap_or_else(|| "of unknown version".to_owned());
        bail!(
            "Node at {} (from {}) is {version} and cannot count wasm blocks; {HOW_TO_GET_NODE}",
            node.path.display(),
            node.origin
        );
    }
    #[derive(serde::Deserialize)]
    struct Probe {
        node: String,
        v8: String,
        blocks: usize,
        ok: bool,
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let probe: Probe = serde_json::from_str(text.trim()).with_context(|| {
        format!(
            "Node at {} printed something unexpected for the coverage probe: {}",
            node.path.display(),
            text.trim()
        )
    })?;
    if !probe.ok {
        bail!(
            "Node at {} ({}, V8 {}) accepts --wasm-code-coverage but did not count the probe module correctly; {HOW_TO_GET_NODE}",
            node.path.display(),
            probe.node,
            probe.v8
        );
    }
    Ok(NodeReport {
        node_version: probe.node,
        v8_version: probe.v8,
        blocks: probe.blocks,
    })
}
