//! Finding a Node that can count wasm blocks.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

/// How to get a good Node, said in every error about a bad one.
const HOW_TO_GET: &str = "wasm coverage needs Node >= 25 (V8's --wasm-code-coverage); \
run `make node` in the wasm-cov checkout (npm installs the pinned Node 26), \
or pass --node PATH / set WASM_RUN_NODE";

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
    if let Some(paths) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&paths) {
            let candidate = dir.join("node");
            if candidate.is_file() {
                return Ok(FoundNode {
                    path: candidate,
                    origin: "PATH",
                });
            }
        }
    }
    bail!("no `node` found (looked at --node, $WASM_RUN_NODE, node_modules/.bin above wasm-run, and PATH); {HOW_TO_GET}")
}

/// Checks that `node` runs and has `--wasm-code-coverage`; returns its version.
pub fn check_node(node: &FoundNode) -> Result<String> {
    let out = Command::new(&node.path)
        .args(["--wasm-code-coverage", "-p", "process.version"])
        .output()
        .with_context(|| {
            format!(
                "cannot run Node at {} (from {})",
                node.path.display(),
                node.origin
            )
        })?;
    if out.status.success() {
        return Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned());
    }
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
    )
}
