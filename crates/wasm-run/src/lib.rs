//! wasm-run: the first stage of the wasm coverage pipeline.
//!
//! Runs a `wasm32-wasip1` libtest binary under Node with V8's wasm block
//! counters on, and writes `DIR/v8-coverage.json` plus
//! `DIR/modules/<sha256>.wasm`, the exact bytes that ran. The formats are
//! defined in `wasm-cov-format` and `docs/formats.md`.

mod convert;
mod node;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};
use clap::Parser;
use wasm_cov_format::{AtomicOutput, ModuleLayout, V8Coverage, V8_WASM_VERSION};

pub use convert::{to_functions, RawBlock};
pub use node::{check_node, find_node, FoundNode};

const LIBTEST_JS: &str = include_str!("js/libtest.cjs");

/// Run a wasm32-wasip1 test binary under Node and record V8's wasm block counts.
///
/// Each test runs in a fresh instance of one compiled module, so a failing
/// test (a panic traps on wasm) fails alone and the rest still run. Output
/// follows libtest's. Coverage is written even when tests fail.
#[derive(Debug, Parser)]
#[command(
    name = "wasm-run",
    version,
    after_help = "\
Examples:
  wasm-run --out coverage/demo target/wasm32-wasip1/debug/deps/demo-1a2b.wasm
  wasm-run --out cov demo.wasm -- classify --skip slow

Then: v8cov-extract cov/v8-coverage.json | wasm-cov-mapper --modules cov/modules

Exit status: 0 all tests passed, 1 some failed (coverage still written),
2 usage or tool error."
)]
pub struct Cli {
    /// Folder for v8-coverage.json and modules/ (created if missing).
    #[arg(long, short, value_name = "DIR", default_value = "coverage")]
    pub out: PathBuf,

    /// Node to use (>= 25). Default: $WASM_RUN_NODE, then the project's
    /// pinned node_modules/.bin/node, then PATH.
    #[arg(long, value_name = "PATH")]
    pub node: Option<PathBuf>,

    /// The test binary (.wasm) built for wasm32-wasip1.
    #[arg(value_name = "TEST.wasm")]
    pub wasm: PathBuf,

    /// Arguments for libtest: filters, --skip, --exact, --ignored,
    /// --include-ignored, --list.
    #[arg(last = true, value_name = "ARGS")]
    pub args: Vec<OsString>,
}

/// Runs the tests; returns the exit status (0 passed, 1 failed).
pub fn run(cli: &Cli) -> Result<u8> {
    let bytes =
        std::fs::read(&cli.wasm).with_context(|| format!("cannot read {}", cli.wasm.display()))?;
    let layout = ModuleLayout::parse(&bytes).with_context(|| format!("{}", cli.wasm.display()))?;
    if !layout
        .imported_functions
        .iter()
        .any(|f| f.starts_with("wasi_snapshot_preview1::"))
    {
        bail!(
            "{}: imports no WASI functions, so it is not a wasm32-wasip1 libtest binary \
             (build the tests with --target wasm32-wasip1)",
            cli.wasm.display()
        );
    }
    let node = find_node(cli.node.as_deref())?;
    check_node(&node)?;

    // Save the module first and run that very file: the bytes on record are
    // the bytes that ran.
    let modules_dir = cli.out.join("modules");
    std::fs::create_dir_all(&modules_dir)
        .with_context(|| format!("cannot create {}", modules_dir.display()))?;
    let saved = modules_dir.join(format!("{}.wasm", layout.sha256));
    if !saved.is_file() || std::fs::read(&saved).ok().as_deref() != Some(&bytes[..]) {
        let mut out = AtomicOutput::create(Some(&saved))
            .with_context(|| format!("cannot write {}", saved.display()))?;
        std::io::Write::write_all(&mut out, &bytes)?;
        out.commit()
            .with_context(|| format!("cannot write {}", saved.display()))?;
    }

    let tmp = tempfile::Builder::new()
        .prefix("wasm-run-")
        .tempdir()
        .context("cannot create a temporary folder")?;
    let harness = tmp.path().join("libtest.cjs");
    std::fs::write(&harness, LIBTEST_JS).context("cannot write the Node harness")?;
    let raw_out = tmp.path().join("raw-coverage.json");
    let program_name = cli
        .wasm
        .file_name()
        .map_or_else(|| "test.wasm".into(), |n| n.to_string_lossy().into_owned());
    let config = serde_json::json!({
        "wasm": abs(&saved)?,
        "args": cli.args.iter().map(|a| a.to_string_lossy()).collect::<Vec<_>>(),
        "rawOut": raw_out,
        "tmpDir": tmp.path(),
        "programName": program_name,
    });
    let config_path = tmp.path().join("config.json");
    std::fs::write(&config_path, serde_json::to_vec(&config)?)?;

    let mut cmd = Command::new(&node.path);
    cmd.args([
        "--wasm-code-coverage",
        "--allow-natives-syntax",
        "--no-wasm-lazy-compilation",
        "--disable-warning=ExperimentalWarning",
    ])
    .arg(&harness)
    .arg(&config_path);
    let status = cmd
        .status()
        .with_context(|| format!("cannot start {}", node.path.display()))?;
    let tests_failed = match status.code() {
        Some(0) => false,
        Some(1) => true,
        Some(3) => bail!("the Node harness failed (see above)"),
        Some(c) => bail!("Node exited with unexpected status {c}: {}", describe(&cmd)),
        None => bail!("Node was killed by a signal: {}", describe(&cmd)),
    };

    let raw = std::fs::read(&raw_out).context("Node wrote no coverage")?;
    let doc = build_document(&layout, &raw, &cli.wasm)?;
    let json_path = cli.out.join("v8-coverage.json");
    let mut out = AtomicOutput::create(Some(&json_path))
        .with_context(|| format!("cannot write {}", json_path.display()))?;
    serde_json::to_writer(&mut out, &doc)?;
    out.commit()
        .with_context(|| format!("cannot write {}", json_path.display()))?;
    eprintln!("wasm-run: coverage written to {}", json_path.display());
    Ok(u8::from(tests_failed))
}

#[derive(serde::Deserialize)]
struct RawDump {
    modules: Vec<Vec<RawBlock>>,
}

/// Matches each raw entry to the module by layout and converts it.
fn build_document(layout: &ModuleLayout, raw: &[u8], wasm: &Path) -> Result<V8Coverage> {
    let dump: RawDump =
        serde_json::from_slice(raw).context("the harness's raw coverage is malformed")?;
    let url = abs(wasm)
        .map(|p| format!("file://{}", p.display()))
        .unwrap_or_else(|_| format!("wasm://wasm/{}", &layout.sha256[..8]));
    let mut result = Vec::new();
    for (i, blocks) in dump.modules.iter().enumerate() {
        // Only our module runs in this process; anything else is a surprise
        // worth stopping for rather than mapping garbage.
        let functions = to_functions(layout, blocks).with_context(|| {
            format!(
                "V8 coverage entry {i} does not match the layout of {}",
                wasm.display()
            )
        })?;
        result.push(convert::script(layout, i + 1, url.clone(), functions));
    }
    if result.is_empty() {
        bail!("V8 reported no wasm coverage (was --wasm-code-coverage ignored?)");
    }
    Ok(V8Coverage {
        result,
        wasm_coverage_version: Some(V8_WASM_VERSION),
    })
}

fn abs(p: &Path) -> Result<PathBuf> {
    std::path::absolute(p).with_context(|| format!("cannot resolve {}", p.display()))
}

fn describe(cmd: &Command) -> String {
    let mut s = cmd.get_program().to_string_lossy().into_owned();
    for a in cmd.get_args() {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }
}
