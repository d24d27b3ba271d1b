//! `--counters`: where the block counts come from on the direct path, and
//! what each mode needs of Node.
//!
//! - `inject`: the module is instrumented here, in Rust, by
//!   `wasm-cov-instrument` before Node starts; each instance counts into a
//!   shared memory of its own, which `js/runner.cjs` sums (64-bit).
//! - `v8`: V8's `--wasm-code-coverage` counters (`node.rs`'s flags).
//! - `off`: no counting at all, the baseline for benchmarks.
//!
//! Instrumented modules are not cached: instrumenting takes about 0.06 s for
//! an 11 MB test binary, less than Node takes to start (`docs/formats.md`).

use std::process::Command;

use anyhow::{bail, Context, Result};
use clap::ValueEnum;
use wasm_cov_instrument::{instrument, Instrumented, Options as InstrumentOptions};

use crate::locate::{Found, HOW_TO_GET_NODE};

/// `--counters`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Counters {
    /// Counters inserted into the module by wasm-run (64-bit, per instance).
    Inject,
    /// V8's own counters (`--wasm-code-coverage`, Node >= 25).
    V8,
    /// No coverage: tests.json and run.log only.
    Off,
}

impl Counters {
    pub fn name(self) -> &'static str {
        match self {
            Counters::Inject => "inject",
            Counters::V8 => "v8",
            Counters::Off => "off",
        }
    }
}

/// Set to 1, every block gets an increment of its own, none is derived: for
/// comparing the two in benchmarks, and for ruling derivation out.
pub const EVERY_BLOCK_ENV: &str = "WASM_RUN_COUNT_EVERY_BLOCK";

/// Instruments `bytes` for the runner, with a `shared` counter memory or
/// not. `derive`: the runner fills in derived counters
/// (`wasm_cov_instrument::derive_counts`) with each instance's live frames,
/// so the blocks after calls need no increment (unless [`EVERY_BLOCK_ENV`]
/// is 1).
pub(crate) fn instrument_module(bytes: &[u8], shared: bool, derive: bool) -> Result<Instrumented> {
    let mut opts = InstrumentOptions::default();
    opts.shared = shared;
    opts.derive = derive && std::env::var_os(EVERY_BLOCK_ENV).is_none_or(|v| v != "1");
    instrument(bytes, &opts)
        .context("cannot insert block counters into the module (try --counters v8)")
}

/// What `--counters inject` needs: Node >= 22 (multi-memory). Proved by
/// running an instrumented probe module and reading its counters from the
/// shared counter memory.
pub fn check_inject(node: &Found) -> Result<NodeVersion> {
    let probe = instrument_module(&PROBE_WASM, true, false)?;
    let hex: String = probe.wasm.iter().map(|b| format!("{b:02x}")).collect();
    let js = format!(
        "const v = {{ node: process.version, v8: process.versions.v8 }};\n\
         try {{\n\
           const m = new WebAssembly.Module(Buffer.from('{hex}', 'hex'));\n\
           const i = new WebAssembly.Instance(m, {{}});\n\
           const f = i.exports.f; f(1); f(1); f(1); f(0);\n\
           const c = new BigUint64Array(i.exports.{export}.buffer, 0, {n});\n\
           v.counts = [...c].join(',');\n\
         }} catch (e) {{ v.error = String(e && e.message || e); }}\n\
         console.log(JSON.stringify(v));",
        export = probe.counters_export,
        n = probe.blocks.len()
    );
    let out = Command::new(&node.path)
        .args(["-e", &js])
        .output()
        .with_context(|| format!("cannot run Node at {}", node.path.display()))?;
    #[derive(serde::Deserialize)]
    struct Probe {
        node: String,
        v8: String,
        counts: Option<String>,
        error: Option<String>,
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let Ok(p) = serde_json::from_str::<Probe>(text.trim()) else {
        bail!(
            "Node at {} (from {}) is {} and cannot run the counters probe \
             (--counters inject needs Node 22 or later); {HOW_TO_GET_NODE}",
            node.path.display(),
            node.origin,
            node_version(node)
        );
    };
    let version = NodeVersion {
        node: p.node,
        v8: p.v8,
    };
    match (p.counts, p.error) {
        // Entry, then, else, after the if: as V8 counts them.
        (Some(c), _) if c == "4,3,1,4" => Ok(version),
        (Some(c), _) => bail!(
            "Node at {} ({}) ran the instrumented probe but counted {c}, not 4,3,1,4",
            node.path.display(),
            version.node
        ),
        (None, e) => bail!(
            "Node at {} (from {}) is {} and cannot run instrumented modules ({}); \
             --counters inject needs Node 22 or later (multi-memory); {HOW_TO_GET_NODE}",
            node.path.display(),
            node.origin,
            version.node,
            e.unwrap_or_default()
        ),
    }
}

/// `node --version`, or words saying it is unknown.
pub fn node_version(node: &Found) -> String {
    Command::new(&node.path)
        .arg("--version")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|| "of unknown version".to_owned())
}

/// Node's and its V8's versions.
#[derive(Debug, Clone)]
pub struct NodeVersion {
    pub node: String,
    pub v8: String,
}

/// `(memory 1) (func (export "f") (param i32) (result i32) (if (result i32)
/// (local.get 0) (then (i32.const 1)) (else (i32.const 2))))`: the probe
/// of `node.rs` plus a memory, so that instrumented it has two, as every
/// instrumented test binary has.
const PROBE_WASM: [u8; 48] = [
    0, 97, 115, 109, 1, 0, 0, 0, 1, 6, 1, 0x60, 1, 0x7f, 1, 0x7f, 3, 2, 1, 0, 5, 3, 1, 0, 1, 7, 5,
    1, 1, 0x66, 0, 0, 10, 14, 1, 12, 0, 0x20, 0, 0x04, 0x7f, 0x41, 1, 0x05, 0x41, 2, 0x0b, 0x0b,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_probe_has_four_blocks_and_two_memories() {
        let i = instrument_module(&PROBE_WASM, true, false).unwrap();
        assert_eq!(i.blocks.len(), 4);
        assert_eq!(i.counters_memory, 1);
    }
}
