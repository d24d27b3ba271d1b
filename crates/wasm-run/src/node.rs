//! Finding a Node that can count wasm blocks, and proving that it does.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

/// How to get a good Node, said in every error about a bad one.
pub const HOW_TO_GET: &str = "wasm coverage needs Node >= 25 (V8's --wasm-code-coverage); \
run `make setup` in the wasm-cov checkout (npm installs the pinned Node 26), \
`npm install node@26` and pass --node node_modules/.bin/node, or set WASM_RUN_NODE";

/// Where a Node was found, for messages.
#[derive(Debug, Clone)]
pub struct FoundNode {
    pub path: PathBuf,
    pub origin: &'static str,
}

/// `--node`, then `$WASM_RUN_NODE`, then the project's pinned Node
/// (`node_modules/.bin/node` in a folder above this executable), then `PATH`.
pub fn find_node(flag: Option<&Path>) -> Result<FoundNode> {
    if let Some(p) = flag {
        return Ok(FoundNode {
            path: p.to_path_buf(),
            origin: "--node",
        });
    }
    if let Some(p) = std::env::var_os("WASM_RUN_NODE").filter(|v| !v.is_empty()) {
        return Ok(FoundNode {
            path: PathBuf::from(p),
            origin: "$WASM_RUN_NODE",
        });
    }
    if let Ok(exe) = std::env::current_exe() {
        for dir in exe.ancestors().skip(1) {
            let candidate = dir.join("node_modules/.bin/node");
            if candidate.is_file() {
                return Ok(FoundNode {
                    path: candidate,
                    origin: "the project's pinned Node",
                });
            }
        }
    }
    if let Some(p) = search_path("node") {
        return Ok(FoundNode {
            path: p,
            origin: "PATH",
        });
    }
    bail!("no `node` found (looked at --node, $WASM_RUN_NODE, node_modules/.bin above wasm-run, and PATH); {HOW_TO_GET}")
}

/// The first `name` on `PATH`.
pub fn search_path(name: &str) -> Option<PathBuf> {
    let paths = std::env::var_os("PATH")?;
    std::env::split_paths(&paths)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

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
pub fn check_node(node: &FoundNode) -> Result<NodeReport> {
    let out = Command::new(&node.path)
        .args([
            "--wasm-code-coverage",
            "--allow-natives-syntax",
            "--no-wasm-lazy-compilation",
            "-e",
            PROBE,
        ])
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
            "Node at {} (from {}) is {version} and cannot count wasm blocks; {HOW_TO_GET}",
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
            "Node at {} ({}, V8 {}) accepts --wasm-code-coverage but did not count the probe module correctly; {HOW_TO_GET}",
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
