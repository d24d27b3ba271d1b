//! The command line: the clap [`Cli`], checked once into `session::Options`,
//! and [`run`], which picks the path (`direct.rs` or `exec.rs`).

use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::{Parser, ValueEnum};
use wasm_cov_cli::Exit;
use wasm_cov_format::{is_component, ComponentLayout, ModuleLayout, Partition};

use crate::browser::{browser_version, find_browser, test_mode, Browser, TestMode};
use crate::counters::{check_inject, node_version, Counters};
use crate::direct::{self, Component, Module};
use crate::exec;
use crate::harness::{detect, imports_wasi, Harness};
use crate::locate::find_node;
use crate::locate::HOW_TO_GET_NODE;
use crate::node::check_node;
use crate::session::Options;

/// Run Rust tests compiled to wasm under Node and record their wasm block counts.
///
/// libtest binaries (wasm32-wasip1) run each test in a fresh instance of one
/// compiled module, in parallel worker threads, so a panic (a trap on wasm)
/// fails only its own test and a hung test can be timed out; output follows
/// libtest's. A plain wasip1 program (a doctest) runs once as one test.
/// wasm32-wasip2 test binaries and programs (components) run the same way
/// on the embedded wasmtime, and their code module is what is counted.
/// wasm-bindgen-test suites run under wasm-bindgen-test-runner.
/// Coverage is written even when tests fail, time out, or the run is stopped.
#[derive(Debug, Parser)]
#[command(name = "wasm-run", version, after_help = AFTER_HELP)]
pub struct Cli {
    /// Folder for v8-coverage.json, modules/, tests.json and run.log.
    /// Default: coverage/<crate name from the wasm file>, or coverage/exec.
    #[arg(long, short, value_name = "DIR")]
    pub out: Option<PathBuf>,

    /// Node to use (>= 22; >= 25 for --counters v8). Default: $WASM_RUN_NODE, then the project's
    /// pinned node_modules/.bin/node, then PATH.
    #[arg(long, value_name = "PATH")]
    pub node: Option<PathBuf>,

    /// Check which --counters modes the Node found can do (inject: Node >=
    /// 22, v8: Node >= 25), print what it is, and exit.
    #[arg(long, conflicts_with_all = ["exec", "wasm"])]
    pub check: bool,

    /// How the module runs its tests.
    #[arg(long, value_enum, default_value_t = Harness::Auto)]
    pub harness: Harness,

    /// With --harness program: the name of its one test in tests.json.
    /// Default: the wasm file's name without .wasm.
    #[arg(long, value_name = "NAME")]
    pub test_name: Option<String>,

    /// Tests run at once (libtest). Default: the number of cores.
    #[arg(long, value_name = "N")]
    pub test_threads: Option<usize>,

    /// End a test that runs longer than SECS, report it as failed (timed
    /// out), keep its coverage, and go on.
    #[arg(long, value_name = "SECS")]
    pub timeout: Option<f64>,

    /// Preopen HOST (at GUEST, default the same path) for the tests' WASI
    /// file access. The crate folder and the temp folder always are.
    #[arg(long = "dir", value_name = "HOST[:GUEST]")]
    pub dirs: Vec<String>,

    /// Set an environment variable for the tests (repeatable).
    #[arg(long = "env", value_name = "KEY=VALUE")]
    pub envs: Vec<String>,

    /// Give the tests all of wasm-run's environment variables.
    #[arg(long)]
    pub inherit_env: bool,

    /// How often the counters are saved while tests run, so a run killed
    /// with SIGKILL still leaves what it counted until then.
    #[arg(long, value_name = "SECS", default_value_t = 2.0)]
    pub flush_interval: f64,

    /// The browser for browser suites (`run_in_browser` and the worker
    /// modes): chrome (headless Chromium, found as chromium on PATH) or
    /// firefox (headless Firefox, found as firefox-esr or firefox; needs
    /// --counters inject). Default: $WASM_RUN_BROWSER, else chrome.
    /// $WASM_RUN_BROWSER_BIN overrides the binary.
    #[arg(long, value_enum, value_name = "BROWSER")]
    pub browser: Option<Browser>,

    /// wasm-bindgen-test-runner to use. Default: $WASM_BINDGEN_TEST_RUNNER,
    /// then the project's .tools/bin, then PATH.
    #[arg(long, value_name = "PATH")]
    pub wasm_bindgen_runner: Option<PathBuf>,

    /// Where the block counts come from. inject: counters inserted into the
    /// module by wasm-run (64-bit, per instance; the code still tiers up;
    /// Node >= 22). v8: V8's own --wasm-code-coverage counters (32-bit;
    /// Node >= 25; runs 2-3x slower). off: no coverage at all, only
    /// tests.json and run.log (no v8-coverage.json); the baseline for
    /// benchmarks. Default: inject. For the modules wasm-run instantiates
    /// itself, the blocks whose counts follow from others' get no increment
    /// and are derived, traps included ($WASM_RUN_COUNT_EVERY_BLOCK=1 gives
    /// every block its own). Under wasm-bindgen and --exec, the Node hook
    /// instruments each module as Node compiles it; in browsers, the module
    /// is instrumented as the page fetches it (v8 there needs Chromium).
    #[arg(long, value_enum, value_name = "MODE")]
    pub counters: Option<Counters>,

    /// The engine for WASI modules (libtest, a program, compat): node, or
    /// wasmtime (embedded, 48.0.8; no Node needed). Both count the same
    /// blocks and write the same files. A wasm32-wasip2 component runs on
    /// wasmtime only; wasm-bindgen suites run under Node or in a browser
    /// whatever this says. Default: $WASM_RUN_ENGINE, else node (wasmtime
    /// for a component).
    #[arg(long, value_enum, value_name = "ENGINE")]
    pub engine: Option<Engine>,

    /// Run only this shard's share of the tests, for CI jobs that split a
    /// suite: slice:M/N or count:M/N deal a libtest binary's tests
    /// round-robin in libtest's order (one binary, so the two are the
    /// same), hash:M/N by a stable hash of --binary-id and the test's name.
    /// A module that runs whole (a program, --harness compat, a
    /// wasm-bindgen suite) runs in the one shard its --binary-id hashes
    /// to; the others run nothing. The output folder records the shard
    /// in shard.json, and libtest's --list runs count in one shard only,
    /// so the shards' v8-coverage.json files, given together to
    /// v8cov-extract, count what one unpartitioned run counts.
    #[arg(long, value_name = "KIND:M/N")]
    pub partition: Option<Partition>,

    /// The binary's id for --partition: what hash: deals by, and what
    /// places a module that runs whole. Default: the crate name from the
    /// wasm file (`demo` for demo-1a2b3c4d5e6f7a8b.wasm). cargo wasm-cov
    /// and nextest use `pkg` (the library), `pkg::NAME` (tests/NAME.rs),
    /// `pkg::bin/NAME`.
    #[arg(long, value_name = "ID", requires = "partition")]
    pub binary_id: Option<String>,

    /// Run COMMAND (after --) with the coverage hook in every Node process
    /// it starts, instead of running a .wasm.
    #[arg(long)]
    pub exec: bool,

    /// The test module (.wasm).
    #[arg(value_name = "TEST.wasm", required_unless_present_any = ["exec", "check"])]
    pub wasm: Option<PathBuf>,

    /// Arguments for the tests (libtest: filters, --skip, --exact, --ignored,
    /// --include-ignored, --list, --nocapture, --test-threads; a program:
    /// its argv after the program name), or with --exec the command and
    /// its arguments.
    #[arg(last = true, value_name = "ARGS")]
    pub args: Vec<OsString>,

    /// Say what a failure on wasm means (a panic aborts) after a run whose
    /// tests panicked. Not a flag: cargo wasm-cov, which runs many test
    /// binaries, turns it off and says it once for all of them.
    #[arg(skip = true)]
    pub hints: bool,
}

const AFTER_HELP: &str = "\
Examples:
  wasm-run target/wasm32-wasip1/debug/deps/demo-1a2b3c4d5e6f7a8b.wasm
  wasm-run --out cov --timeout 60 demo.wasm -- classify --skip slow
  wasm-run --harness program --test-name 'src/lib.rs - add (line 5)' rust_out.wasm -- ARGS
  wasm-run --exec -- cargo test --target wasm32-unknown-unknown
  wasm-run --check

Then: v8cov-extract cov/v8-coverage.json | wasm-cov-mapper --modules cov/modules

Exit status: 0 all tests passed, 1 some failed (coverage still written),
2 usage or tool error, or the run was stopped (what ran is still written).
A program passes when it exits with 0. With --exec: the command's own exit status.";

/// `--counters` on the direct path when none is given.
pub const DIRECT_DEFAULT: Counters = Counters::Inject;
/// `--counters` on the Node hook path (wasm-bindgen suites under Node,
/// `--exec`) when none is given.
pub const HOOK_DEFAULT: Counters = Counters::Inject;
/// `--counters` for browser suites when none is given: the only kind
/// Firefox has, and the faster one in Chromium.
pub const BROWSER_DEFAULT: Counters = Counters::Inject;

/// `--engine`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Engine {
    /// Node's V8, with `node:wasi`.
    Node,
    /// wasmtime, embedded in wasm-run, with wasmtime-wasi.
    Wasmtime,
}

impl Engine {
    pub fn name(self) -> &'static str {
        match self {
            Engine::Node => "node",
            Engine::Wasmtime => "wasmtime",
        }
    }
}

/// `--engine`, else `$WASM_RUN_ENGINE`, else Node (wasmtime for a
/// component, which Node cannot run).
fn chosen_engine(cli: &Cli, component: bool) -> Result<Engine> {
    if let Some(e) = cli.engine {
        return Ok(e);
    }
    match std::env::var("WASM_RUN_ENGINE") {
        Ok(v) if !v.is_empty() => Engine::from_str(&v, true)
            .map_err(|_| anyhow::anyhow!("WASM_RUN_ENGINE={v} is not node or wasmtime")),
        _ if component => Ok(Engine::Wasmtime),
        _ => Ok(Engine::Node),
    }
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// One of the exit codes every tool shares.
    Exit(Exit),
    /// `--exec` (and a wasm-bindgen suite): the command's own exit status,
    /// which wasm-run passes on whatever its number.
    Command(u8),
}

impl Status {
    /// The shared exit code closest to it: a command's 0 and 1 mean what
    /// they mean for the tools, any other status is an error.
    pub fn exit(self) -> Exit {
        match self {
            Status::Exit(exit) => exit,
            Status::Command(0) => Exit::Ok,
            Status::Command(1) => Exit::No,
            Status::Command(_) => Exit::Error,
        }
    }
}

/// The process status: the command's own one as it is.
impl From<Status> for ExitCode {
    fn from(status: Status) -> ExitCode {
        match status {
            Status::Exit(exit) => exit.into(),
            Status::Command(code) => ExitCode::from(code),
        }
    }
}

/// Runs what the command line asks.
pub fn run(cli: &Cli) -> Result<Status> {
    if cli.check {
        return check(cli, &mut std::io::stdout().lock()).map(Status::Exit);
    }
    if cli.flush_interval <= 0.0 || !cli.flush_interval.is_finite() {
        bail!("--flush-interval must be a positive number of seconds");
    }
    if cli.timeout.is_some_and(|t| t <= 0.0 || !t.is_finite()) {
        bail!("--timeout must be a positive number of seconds");
    }
    let options = |out: PathBuf| Options {
        out,
        node: cli.node.clone(),
        flush_interval: cli.flush_interval,
        timeout: cli.timeout,
        test_threads: cli.test_threads,
        dirs: cli.dirs.clone(),
        envs: cli.envs.clone(),
        inherit_env: cli.inherit_env,
        args: cli.args.clone(),
        counters: Counters::V8,
        partition: None,
    };
    let hooked = |out: PathBuf| Options {
        counters: cli.counters.unwrap_or(HOOK_DEFAULT),
        ..options(out)
    };
    if cli.exec {
        if cli.partition.is_some() {
            bail!("--partition splits the tests of a .wasm; with --exec, split the command's own tests (cargo test -- --partition is not libtest's)");
        }
        if cli.args.is_empty() {
            bail!("--exec needs a command after --, e.g. wasm-run --exec -- cargo test");
        }
        let out = cli
            .out
            .clone()
            .unwrap_or_else(|| PathBuf::from("coverage/exec"));
        return exec::run(&hooked(out), &cli.args, "exec", None, None).map(Status::Command);
    }
    let Some(wasm) = &cli.wasm else {
        bail!("no test module given");
    };
    let file = std::fs::read(wasm).with_context(|| format!("cannot read {}", wasm.display()))?;
    // A component (wasm32-wasip2) is counted, saved and mapped by its code
    // module, and runs whole.
    let component = if is_component(&file) {
        let parts = ComponentLayout::parse(&file).with_context(|| wasm.display().to_string())?;
        let Some(code) = parts
            .code_module()
            .with_context(|| wasm.display().to_string())?
            .cloned()
        else {
            bail!(
                "{}: a component whose core modules have no DWARF, so nothing in it can be mapped to source lines (build it with -C debuginfo=2)",
                wasm.display()
            );
        };
        Some(code)
    } else {
        None
    };
    let bytes = match &component {
        Some(code) => &file[code.range.clone()],
        None => &file[..],
    };
    let layout = ModuleLayout::parse(bytes).with_context(|| wasm.display().to_string())?;
    let harness = match cli.harness {
        Harness::Auto => detect(&layout).with_context(|| wasm.display().to_string())?,
        h => h,
    };
    check_harness(harness, &layout, wasm, component.is_some())?;
    if cli.test_name.is_some() && harness != Harness::Program {
        bail!(
            "--test-name is for --harness program; {} runs as {}",
            wasm.display(),
            harness.name()
        );
    }
    let out = cli
        .out
        .clone()
        .unwrap_or_else(|| Path::new("coverage").join(crate_name(wasm)));
    let binary_id = cli.binary_id.clone().unwrap_or_else(|| crate_name(wasm));
    let opts = Options {
        partition: cli.partition.map(|p| (p, binary_id.clone())),
        ..options(out)
    };
    let out_dir = opts.out.clone();
    // A module that runs whole runs in one shard; the others say so.
    if let Some(p) = cli.partition {
        if harness != Harness::Libtest && !p.holds_whole(&binary_id) {
            return crate::shard::skip(p, &binary_id, &out_dir, wasm, harness.name())
                .map(|()| Status::Exit(Exit::Ok));
        }
    }
    let status = match harness {
        Harness::WasmBindgen => {
            if cli.engine == Some(Engine::Wasmtime) {
                bail!(
                    "{}: a wasm-bindgen-test suite, which runs under Node or in a browser; --engine wasmtime runs WASI modules",
                    wasm.display()
                );
            }
            let mode = test_mode(bytes, |k| std::env::var_os(k))
                .with_context(|| wasm.display().to_string())?;
            let runner = cli.wasm_bindgen_runner.as_deref();
            if mode.in_browser() {
                let browser = chosen_browser(cli)?;
                let counters = cli.counters.unwrap_or(BROWSER_DEFAULT);
                if browser == Browser::Firefox && counters == Counters::V8 {
                    bail!("--counters v8 needs Chromium (Firefox has no V8); use --counters inject with --browser firefox");
                }
                let bin = find_browser(browser, env_path("WASM_RUN_BROWSER_BIN"))
                    .with_context(|| format!("{} is a {} suite", wasm.display(), mode.name()))?;
                // Which browser ran is part of the result.
                crate::session::note(format_args!(
                    "browser: {} ({})",
                    browser_version(&bin).unwrap_or_else(|| "version unknown".into()),
                    bin.display()
                ));
                let opts = Options { counters, ..opts };
                exec::run_browser(&opts, runner, wasm, &layout, browser, &bin).map(Status::Command)
            } else if mode == TestMode::Node {
                let opts = Options {
                    counters: cli.counters.unwrap_or(HOOK_DEFAULT),
                    ..opts
                };
                exec::run_wasm_bindgen(&opts, runner, wasm, &layout).map(Status::Command)
            } else {
                bail!(
                    "{}: a {} suite; wasm-run runs wasm-bindgen-test suites in Node and in browsers only",
                    wasm.display(),
                    mode.name()
                )
            }
        }
        _ => {
            let test_name = (harness == Harness::Program).then(|| {
                cli.test_name.clone().unwrap_or_else(|| {
                    wasm.file_stem()
                        .map_or_else(|| "program".into(), |s| s.to_string_lossy().into_owned())
                })
            });
            let module = Module {
                path: wasm,
                bytes,
                layout: &layout,
                harness,
                test_name,
                component: component.map(|code| Component { bytes: &file, code }),
            };
            let opts = Options {
                counters: cli.counters.unwrap_or(DIRECT_DEFAULT),
                ..opts
            };
            let engine = chosen_engine(cli, module.component.is_some())?;
            if module.component.is_some() && engine == Engine::Node {
                bail!(
                    "{}: a wasm component (wasm32-wasip2), which runs on --engine wasmtime; Node runs core modules only",
                    wasm.display()
                );
            }
            match engine {
                Engine::Node => direct::run(&opts, &module).map(Status::Exit),
                Engine::Wasmtime => run_on_wasmtime(&opts, &module).map(Status::Exit),
            }
        }
    }?;
    if let Some(p) = cli.partition {
        crate::shard::record(p, &out_dir, harness != Harness::Libtest)?;
    }
    if cli.hints && status.exit() == Exit::No {
        if let Some(h) = crate::hint::panic_hint(&panicked_in(&out_dir)) {
            crate::session::note(format_args!("{h}"));
        }
    }
    Ok(status)
}

/// What `--check` says of `--engine wasmtime`.
#[cfg(feature = "wasmtime")]
const WASMTIME_LINE: &str =
    "--engine wasmtime: WASI modules and wasm32-wasip2 components, on the embedded wasmtime 48.0.8";
#[cfg(not(feature = "wasmtime"))]
const WASMTIME_LINE: &str = "--engine wasmtime: not built in (the `wasmtime` cargo feature)";

#[cfg(feature = "wasmtime")]
fn run_on_wasmtime(opts: &Options, module: &Module<'_>) -> Result<Exit> {
    crate::wasmtime_engine::run(opts, module)
}

#[cfg(not(feature = "wasmtime"))]
fn run_on_wasmtime(_: &Options, module: &Module<'_>) -> Result<Exit> {
    if module.component.is_some() {
        bail!("{}: a wasm32-wasip2 component, which runs on wasmtime, and this wasm-run was built without it (the `wasmtime` cargo feature, on by default: install without --no-default-features)", module.path.display());
    }
    bail!("this wasm-run was built without wasmtime (the `wasmtime` cargo feature, on by default); use --engine node")
}

/// The tests of the run in `out` that panicked and trapped, from its
/// `tests.json` and `run.log`; none when either is unreadable.
pub fn panicked_in(out: &Path) -> Vec<String> {
    let Some(report) = std::fs::read(out.join("tests.json"))
        .ok()
        .and_then(|b| wasm_cov_format::TestReport::from_json(&b).ok())
    else {
        return Vec::new();
    };
    let log = std::fs::read(out.join("run.log")).unwrap_or_default();
    crate::hint::panicked_tests(&report, &String::from_utf8_lossy(&log))
}

/// `--browser`, else `$WASM_RUN_BROWSER`, else Chromium.
fn chosen_browser(cli: &Cli) -> Result<Browser> {
    if let Some(b) = cli.browser {
        return Ok(b);
    }
    match std::env::var("WASM_RUN_BROWSER") {
        Ok(v) if !v.is_empty() => Browser::from_str(&v, true)
            .map_err(|_| anyhow::anyhow!("WASM_RUN_BROWSER={v} is not chrome or firefox")),
        _ => Ok(Browser::Chrome),
    }
}

fn env_path(key: &str) -> Option<PathBuf> {
    std::env::var_os(key)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// Refuses a module the chosen harness cannot run, before Node starts.
fn check_harness(
    harness: Harness,
    layout: &ModuleLayout,
    wasm: &Path,
    component: bool,
) -> Result<()> {
    let (what, build) = match harness {
        Harness::Libtest => ("libtest binary", "the tests"),
        Harness::Program => ("program", "it"),
        _ => return Ok(()),
    };
    if !imports_wasi(layout) {
        bail!(
            "{}: imports no WASI functions, so it is not a wasm32-wasip1 or wasm32-wasip2 {what} \
             (build {build} with --target wasm32-wasip1)",
            wasm.display()
        );
    }
    // A component's entry point is its `wasi:cli/run` export, which
    // wasmtime checks when it loads it.
    if harness == Harness::Program && !component && !layout.exports.iter().any(|e| e == "_start") {
        bail!(
            "{}: exports no _start, so it is not a program (a wasm32-wasip1 binary with main)",
            wasm.display()
        );
    }
    Ok(())
}

/// `--check`: say which Node, which V8, and which `--counters` modes it
/// can do (inject needs Node >= 22, v8 Node >= 25).
fn check(cli: &Cli, stdout: &mut dyn Write) -> Result<Exit> {
    let node = find_node(cli.node.as_deref())?;
    let inject = check_inject(&node);
    let v8 = check_node(&node);
    writeln!(
        stdout,
        "node: {} (from {})",
        node.path.display(),
        node.origin
    )?;
    match (&inject, &v8) {
        (Ok(v), _) => writeln!(stdout, "version: {} (V8 {})", v.node, v.v8)?,
        (_, Ok(r)) => writeln!(stdout, "version: {} (V8 {})", r.node_version, r.v8_version)?,
        _ => {}
    }
    match &inject {
        Ok(_) => writeln!(
            stdout,
            "--counters inject: works (an instrumented probe module was counted exactly)"
        )?,
        Err(e) => writeln!(stdout, "--counters inject: cannot: {e:#}")?,
    }
    match &v8 {
        Ok(r) => writeln!(
            stdout,
            "--counters v8: works (V8 counted a probe module's {} blocks exactly)",
            r.blocks
        )?,
        Err(e) => writeln!(stdout, "--counters v8: cannot: {e:#}")?,
    }
    writeln!(
        stdout,
        "--engine node: WASI modules, wasm-bindgen suites, browsers"
    )?;
    writeln!(stdout, "{}", WASMTIME_LINE)?;
    if inject.is_err() && v8.is_err() {
        bail!(
            "Node at {} is {}: Node 22 or later is needed (--counters inject; \
             Node 25 or later for --counters v8); {HOW_TO_GET_NODE}",
            node.path.display(),
            node_version(&node)
        );
    }
    // Browser suites need a browser; say which piece is missing, but a
    // machine without one still runs Node suites, so it is no failure.
    // Each browser, or only the one asked for.
    let asked = cli.browser.is_some() || std::env::var_os("WASM_RUN_BROWSER").is_some();
    let browsers = match chosen_browser(cli) {
        Ok(b) if asked => vec![b],
        Ok(_) => vec![Browser::Chrome, Browser::Firefox],
        Err(e) => {
            writeln!(stdout, "browser suites: cannot run: {e:#}")?;
            vec![]
        }
    };
    for b in browsers {
        match find_browser(b, env_path("WASM_RUN_BROWSER_BIN")) {
            Ok(p) => writeln!(stdout, "browser suites ({}): {}", b.name(), p.display())?,
            Err(e) => writeln!(stdout, "browser suites ({}): cannot run: {e:#}", b.name())?,
        }
    }
    Ok(Exit::Ok)
}

/// The crate name in a test binary's file name: `demo-1a2b3c4d5e6f7a8b.wasm` → `demo`.
pub fn crate_name(wasm: &Path) -> String {
    let stem = wasm
        .file_stem()
        .map_or_else(|| "tests".into(), |s| s.to_string_lossy().into_owned());
    match stem.rsplit_once('-') {
        Some((name, hash))
            if !name.is_empty()
                && hash.len() == 16
                && hash.bytes().all(|b| b.is_ascii_hexdigit()) =>
        {
            name.to_owned()
        }
        _ => stem,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed_and_its_help_names_the_program_harness() {
        Cli::command().debug_assert();
        let help = Cli::command().render_long_help().to_string();
        assert!(help.contains("program"), "{help}");
        assert!(help.contains("--test-name <NAME>"), "{help}");
    }

    #[test]
    fn crate_names_drop_cargo_hashes() {
        assert_eq!(
            crate_name(Path::new("deps/demo-bf124a2cdcc11851.wasm")),
            "demo"
        );
        assert_eq!(
            crate_name(Path::new("deps/test_version-76082cd0fe1e3e1c.wasm")),
            "test_version"
        );
        assert_eq!(crate_name(Path::new("x/my-tests.wasm")), "my-tests");
    }
}
