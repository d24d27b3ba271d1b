//! wasm-run: the first stage of the wasm coverage pipeline.
//!
//! Runs Rust tests compiled to WebAssembly under Node with V8's wasm block
//! counters on, and writes to `--out`:
//! `v8-coverage.json`, `modules/<sha256>.wasm` (the exact bytes that ran),
//! `tests.json` (per-test outcomes) and `run.log` (everything Node printed).
//! Formats: `wasm-cov-format` and `docs/formats.md`.
//!
//! Three ways in:
//! - a test `.wasm` that wasm-run instantiates itself (libtest on
//!   wasm32-wasip1, or a `__run_tests` compat module), through
//!   `js/runner.cjs`;
//! - a `#[wasm_bindgen_test]` suite, run by `wasm-bindgen-test-runner` with
//!   the hook injected;
//! - `--exec -- COMMAND`: any command, with `js/hook.cjs` injected into
//!   every Node process it starts.

mod child;
mod convert;
mod harness;
mod node;

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};
use clap::Parser;
use wasm_cov_format::{
    AtomicOutput, ModuleLayout, Outcome, ScriptCoverage, TestOutcome, TestReport, V8Coverage,
    V8_WASM_VERSION,
};

pub use convert::{fits, match_entry, to_functions, RawBlock, Summed};
pub use harness::{detect, Harness};
pub use node::{check_node, find_node, FoundNode, NodeReport};

const RUNNER_JS: &str = include_str!("js/runner.cjs");
const HOOK_JS: &str = include_str!("js/hook.cjs");

/// Run Rust tests compiled to wasm under Node and record V8's wasm block counts.
///
/// libtest binaries (wasm32-wasip1) run each test in a fresh instance of one
/// compiled module, in parallel worker threads, so a panic (a trap on wasm)
/// fails only its own test and a hung test can be timed out; output follows
/// libtest's. wasm-bindgen-test suites run under wasm-bindgen-test-runner.
/// Coverage is written even when tests fail, time out, or the run is stopped.
#[derive(Debug, Parser)]
#[command(
    name = "wasm-run",
    version,
    after_help = "\
Examples:
  wasm-run target/wasm32-wasip1/debug/deps/demo-1a2b3c4d5e6f7a8b.wasm
  wasm-run --out cov --timeout 60 demo.wasm -- classify --skip slow
  wasm-run --exec -- cargo test --target wasm32-unknown-unknown
  wasm-run --check

Then: v8cov-extract cov/v8-coverage.json | wasm-cov-mapper --modules cov/modules

Exit status: 0 all tests passed, 1 some failed (coverage still written),
2 usage or tool error, or the run was stopped (what ran is still written).
With --exec: the command's own exit status."
)]
pub struct Cli {
    /// Folder for v8-coverage.json, modules/, tests.json and run.log.
    /// Default: coverage/<crate name from the wasm file>, or coverage/exec.
    #[arg(long, short, value_name = "DIR")]
    pub out: Option<PathBuf>,

    /// Node to use (>= 25). Default: $WASM_RUN_NODE, then the project's
    /// pinned node_modules/.bin/node, then PATH.
    #[arg(long, value_name = "PATH")]
    pub node: Option<PathBuf>,

    /// Check that the Node found can count wasm blocks, print what it is, and exit.
    #[arg(long, conflicts_with_all = ["exec", "wasm"])]
    pub check: bool,

    /// How the module runs its tests.
    #[arg(long, value_enum, default_value_t = Harness::Auto)]
    pub harness: Harness,

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

    /// wasm-bindgen-test-runner to use. Default: $WASM_BINDGEN_TEST_RUNNER,
    /// then the project's .tools/bin, then PATH.
    #[arg(long, value_name = "PATH")]
    pub wasm_bindgen_runner: Option<PathBuf>,

    /// Run COMMAND (after --) with the coverage hook in every Node process
    /// it starts, instead of running a .wasm.
    #[arg(long)]
    pub exec: bool,

    /// The test module (.wasm).
    #[arg(value_name = "TEST.wasm", required_unless_present_any = ["exec", "check"])]
    pub wasm: Option<PathBuf>,

    /// Arguments for the tests (libtest: filters, --skip, --exact, --ignored,
    /// --include-ignored, --list, --nocapture, --test-threads), or with
    /// --exec the command and its arguments.
    #[arg(last = true, value_name = "ARGS")]
    pub args: Vec<OsString>,
}

/// Runs what the command line asks; returns the exit status.
pub fn run(cli: &Cli) -> Result<u8> {
    if cli.check {
        return check(cli);
    }
    if cli.flush_interval <= 0.0 || !cli.flush_interval.is_finite() {
        bail!("--flush-interval must be a positive number of seconds");
    }
    if cli.timeout.is_some_and(|t| t <= 0.0 || !t.is_finite()) {
        bail!("--timeout must be a positive number of seconds");
    }
    if cli.exec {
        if cli.args.is_empty() {
            bail!("--exec needs a command after --, e.g. wasm-run --exec -- cargo test");
        }
        let out = cli
            .out
            .clone()
            .unwrap_or_else(|| PathBuf::from("coverage/exec"));
        return run_exec(cli, &cli.args, &out, "exec", None);
    }
    let Some(wasm) = &cli.wasm else {
        bail!("no test module given");
    };
    let bytes = std::fs::read(wasm).with_context(|| format!("cannot read {}", wasm.display()))?;
    let layout = ModuleLayout::parse(&bytes).with_context(|| wasm.display().to_string())?;
    let harness = match cli.harness {
        Harness::Auto => detect(&layout).with_context(|| wasm.display().to_string())?,
        h => h,
    };
    if harness == Harness::Libtest
        && !layout
            .imported_functions
            .iter()
            .any(|f| f.starts_with("wasi_snapshot_preview1::"))
    {
        bail!(
            "{}: imports no WASI functions, so it is not a wasm32-wasip1 libtest binary \
             (build the tests with --target wasm32-wasip1)",
            wasm.display()
        );
    }
    let out = cli
        .out
        .clone()
        .unwrap_or_else(|| Path::new("coverage").join(crate_name(wasm)));
    match harness {
        Harness::WasmBindgen => {
            let runner = find_wasm_bindgen_runner(cli.wasm_bindgen_runner.as_deref())?;
            let mut command = vec![runner.into_os_string(), abs(wasm)?.into_os_string()];
            command.extend(cli.args.iter().cloned());
            run_exec(cli, &command, &out, "wasm-bindgen", Some(&layout))
        }
        _ => run_direct(cli, wasm, &bytes, &layout, harness, &out),
    }
}

/// `--check`: say which Node, which V8, and whether counting works.
fn check(cli: &Cli) -> Result<u8> {
    let node = find_node(cli.node.as_deref())?;
    let report = check_node(&node)?;
    println!("node: {} (from {})", node.path.display(), node.origin);
    println!(
        "version: {} (V8 {})",
        report.node_version, report.v8_version
    );
    println!(
        "wasm block coverage: works (a probe module's {} blocks were counted exactly)",
        report.blocks
    );
    Ok(0)
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

/// The crate folder of a cargo-built test binary: the parent of the nearest
/// `target` folder above it, if that holds a Cargo.toml.
pub fn crate_dir(wasm: &Path) -> Option<PathBuf> {
    let wasm = std::path::absolute(wasm).ok()?;
    let target = wasm
        .ancestors()
        .find(|a| a.file_name().is_some_and(|n| n == "target"))?;
    let dir = target.parent()?;
    dir.join("Cargo.toml").is_file().then(|| dir.to_path_buf())
}

/// Where the outputs go; every file is written atomically.
struct Outputs {
    dir: PathBuf,
}

impl Outputs {
    fn new(dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(dir.join("modules"))
            .with_context(|| format!("cannot create {}", dir.join("modules").display()))?;
        Ok(Outputs {
            dir: dir.to_path_buf(),
        })
    }

    fn write(&self, name: &str, bytes: &[u8]) -> Result<PathBuf> {
        let path = self.dir.join(name);
        let mut out = AtomicOutput::create(Some(&path))
            .with_context(|| format!("cannot write {}", path.display()))?;
        std::io::Write::write_all(&mut out, bytes)
            .with_context(|| format!("cannot write {}", path.display()))?;
        out.commit()
            .with_context(|| format!("cannot write {}", path.display()))?;
        Ok(path)
    }

    /// Saves a module under its hash, unless the same bytes are there.
    fn save_module(&self, bytes: &[u8], sha256: &str) -> Result<PathBuf> {
        let name = format!("modules/{sha256}.wasm");
        let path = self.dir.join(&name);
        if std::fs::read(&path).ok().as_deref() == Some(bytes) {
            return Ok(path);
        }
        self.write(&name, bytes)
    }

    fn write_json(&self, name: &str, value: &impl serde::Serialize) -> Result<PathBuf> {
        self.write(name, &serde_json::to_vec(value)?)
    }
}

fn secs_to_ms(s: f64) -> u64 {
    (s * 1000.0).round().max(1.0) as u64
}

/// Runs a libtest or compat module with `js/runner.cjs`.
fn run_direct(
    cli: &Cli,
    wasm: &Path,
    bytes: &[u8],
    layout: &ModuleLayout,
    harness: Harness,
    out_dir: &Path,
) -> Result<u8> {
    let node = find_node(cli.node.as_deref())?;
    check_node(&node)?;
    let outputs = Outputs::new(out_dir)?;
    // Run the saved copy: the bytes on record are the bytes that ran.
    let saved = outputs.save_module(bytes, &layout.sha256)?;

    let tmp = tempfile::Builder::new()
        .prefix("wasm-run-")
        .tempdir()
        .context("cannot create a temporary folder")?;
    let runner = tmp.path().join("runner.cjs");
    std::fs::write(&runner, RUNNER_JS).context("cannot write the Node runner")?;
    let scratch = tmp.path().join("scratch");
    std::fs::create_dir_all(&scratch)?;
    let raw_out = tmp.path().join("raw-coverage.json");
    let results_out = tmp.path().join("results.json");
    let cwd = crate_dir(wasm).map_or_else(std::env::current_dir, Ok)?;
    let threads = cli
        .test_threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let config = serde_json::json!({
        "harness": harness.name(),
        "wasm": abs(&saved)?,
        "args": cli.args.iter().map(|a| a.to_string_lossy()).collect::<Vec<_>>(),
        "rawOut": raw_out,
        "resultsOut": results_out,
        "scratch": scratch,
        "programName": wasm.file_name().map_or_else(|| "test.wasm".into(), |n| n.to_string_lossy().into_owned()),
        "threads": threads.max(1),
        "timeoutMs": cli.timeout.map_or(0, secs_to_ms),
        "flushMs": secs_to_ms(cli.flush_interval),
        "env": test_env(cli)?,
        "preopens": preopens(cli, &cwd)?,
    });
    let config_path = tmp.path().join("config.json");
    std::fs::write(&config_path, serde_json::to_vec(&config)?)?;

    let mut cmd = Command::new(&node.path);
    cmd.args([
        "--wasm-code-coverage",
        "--allow-natives-syntax",
        "--no-wasm-lazy-compilation",
        "--disable-warning=ExperimentalWarning",
        "--stack-size=2048",
    ])
    .arg(&runner)
    .arg(&config_path)
    .current_dir(&cwd);
    let finished = child::run_teed(&mut cmd, &format!("{}", node.path.display()))?;
    outputs.write("run.log", &finished.log)?;

    // Publish whatever the runner left, whatever happened to it.
    let mut wrote_coverage = false;
    if let Ok(raw) = std::fs::read(&raw_out) {
        let dump: RawDump =
            serde_json::from_slice(&raw).context("the runner's raw coverage is malformed")?;
        let url = file_url(wasm, &layout.sha256);
        let mut sum = Summed::default();
        for (i, blocks) in dump.modules.iter().enumerate() {
            let Some(functions) = fits(layout, blocks) else {
                bail!("V8 coverage entry {i} does not match the layout of {} (another module ran in the runner?)", wasm.display());
            };
            sum.add(&functions);
        }
        let doc = V8Coverage {
            result: vec![convert::script(layout, 1, url, sum.into_functions(layout))],
            wasm_coverage_version: Some(V8_WASM_VERSION),
        };
        outputs.write_json("v8-coverage.json", &doc)?;
        wrote_coverage = true;
    }
    if let Ok(raw) = std::fs::read(&results_out) {
        let r: RawResults =
            serde_json::from_slice(&raw).context("the runner's results are malformed")?;
        let report = TestReport::new(
            &r.harness,
            Some(layout.sha256.clone()),
            r.tests.into_iter().map(RawTest::into_outcome).collect(),
            r.filtered_out,
            r.duration_ms,
            r.interrupted,
        );
        outputs.write_json("tests.json", &report)?;
    }
    let where_ = outputs.dir.display();
    match finished.status.code() {
        Some(c @ (0 | 1)) if wrote_coverage => {
            eprintln!("wasm-run: coverage written to {where_}/v8-coverage.json");
            Ok(c as u8)
        }
        Some(4) if wrote_coverage => {
            bail!("stopped before all tests ran; the coverage and results of what ran are in {where_}")
        }
        Some(3) => bail!("the Node runner failed (see above)"),
        Some(c) => bail!("Node exited with status {c} without finishing (see {where_}/run.log)"),
        None if wrote_coverage => bail!(
            "Node was killed by a signal; coverage saved up to its last flush (every {} s) is in {where_}",
            cli.flush_interval
        ),
        None => bail!("Node was killed by a signal before it saved any coverage"),
    }
}

#[derive(serde::Deserialize)]
struct RawDump {
    modules: Vec<Vec<RawBlock>>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawResults {
    harness: String,
    tests: Vec<RawTest>,
    filtered_out: u64,
    duration_ms: f64,
    interrupted: bool,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawTest {
    name: String,
    outcome: Outcome,
    duration_ms: f64,
    message: Option<String>,
}

impl RawTest {
    fn into_outcome(self) -> TestOutcome {
        TestOutcome {
            name: self.name,
            outcome: self.outcome,
            duration_ms: self.duration_ms,
            message: self.message,
        }
    }
}

fn test_env(cli: &Cli) -> Result<BTreeMap<String, String>> {
    let mut env = BTreeMap::new();
    if cli.inherit_env {
        for (k, v) in std::env::vars_os() {
            if let (Ok(k), Ok(v)) = (k.into_string(), v.into_string()) {
                env.insert(k, v);
            }
        }
    }
    for kv in &cli.envs {
        let Some((k, v)) = kv.split_once('=') else {
            bail!("--env {kv:?}: expected KEY=VALUE");
        };
        env.insert(k.to_owned(), v.to_owned());
    }
    Ok(env)
}

/// WASI preopens, guest path -> host path: the crate folder (also as `.`,
/// since cargo runs tests there), the temp folder, and every --dir.
fn preopens(cli: &Cli, cwd: &Path) -> Result<BTreeMap<String, String>> {
    let mut map = BTreeMap::new();
    let cwd = abs(cwd)?;
    map.insert(".".to_owned(), cwd.to_string_lossy().into_owned());
    map.insert(
        cwd.to_string_lossy().into_owned(),
        cwd.to_string_lossy().into_owned(),
    );
    let tmp = std::env::temp_dir();
    map.insert(
        tmp.to_string_lossy().into_owned(),
        tmp.to_string_lossy().into_owned(),
    );
    for d in &cli.dirs {
        let (host, guest) = match d.split_once(':') {
            Some((h, g)) => (h, g.to_owned()),
            None => (
                d.as_str(),
                abs(Path::new(d))?.to_string_lossy().into_owned(),
            ),
        };
        let host = abs(Path::new(host))?;
        if !host.is_dir() {
            bail!("--dir {d:?}: {} is not a folder", host.display());
        }
        map.insert(guest, host.to_string_lossy().into_owned());
    }
    Ok(map)
}

fn find_wasm_bindgen_runner(flag: Option<&Path>) -> Result<PathBuf> {
    if let Some(p) = flag {
        return Ok(p.to_path_buf());
    }
    if let Some(p) = std::env::var_os("WASM_BINDGEN_TEST_RUNNER").filter(|v| !v.is_empty()) {
        return Ok(PathBuf::from(p));
    }
    if let Ok(exe) = std::env::current_exe() {
        for dir in exe.ancestors().skip(1) {
            let candidate = dir.join(".tools/bin/wasm-bindgen-test-runner");
            if candidate.is_file() {
                return Ok(candidate);
            }
        }
    }
    node::search_path("wasm-bindgen-test-runner").context(
        "this is a wasm-bindgen-test module, and no wasm-bindgen-test-runner was found \
         (--wasm-bindgen-runner, $WASM_BINDGEN_TEST_RUNNER, .tools/bin, PATH); install the \
         wasm-bindgen-cli whose version equals the wasm-bindgen crate in your Cargo.lock: \
         cargo install wasm-bindgen-cli --version X.Y.Z",
    )
}

/// Runs `command` with the hook in every Node process it starts, then
/// matches each process's counters to the modules it compiled.
fn run_exec(
    cli: &Cli,
    command: &[OsString],
    out_dir: &Path,
    harness: &str,
    expected: Option<&ModuleLayout>,
) -> Result<u8> {
    let node = find_node(cli.node.as_deref())?;
    check_node(&node)?;
    let outputs = Outputs::new(out_dir)?;
    let tmp = tempfile::Builder::new()
        .prefix("wasm-run-")
        .tempdir()
        .context("cannot create a temporary folder")?;
    let hook = tmp.path().join("hook.cjs");
    std::fs::write(&hook, HOOK_JS).context("cannot write the Node hook")?;
    let hook_dir = tmp.path().join("hook");
    let js_dir = tmp.path().join("js");
    std::fs::create_dir_all(&hook_dir)?;
    std::fs::create_dir_all(&js_dir)?;

    let mut node_options = std::env::var("NODE_OPTIONS").unwrap_or_default();
    if !node_options.is_empty() {
        node_options.push(' ');
    }
    node_options.push_str(&format!("--require \"{}\"", hook.display()));
    // The command's Node processes must be ours (>= 25): put its folder first.
    let node_dir = abs(&node.path)?
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let mut path = vec![node_dir];
    if let Some(p) = std::env::var_os("PATH") {
        path.extend(std::env::split_paths(&p));
    }
    let mut cmd = Command::new(&command[0]);
    cmd.args(&command[1..])
        .env("NODE_OPTIONS", node_options)
        .env("WASM_RUN_HOOK_DIR", &hook_dir)
        .env(
            "WASM_RUN_FLUSH_MS",
            secs_to_ms(cli.flush_interval).to_string(),
        )
        .env("NODE_V8_COVERAGE", &js_dir)
        .env("PATH", std::env::join_paths(path)?);
    if let Some(t) = cli.timeout {
        // wasm-bindgen-test-runner's own per-suite timeout, in seconds.
        cmd.env("WASM_BINDGEN_TEST_TIMEOUT", (t.ceil() as u64).to_string());
    }
    let shown = command
        .iter()
        .map(|a| a.to_string_lossy())
        .collect::<Vec<_>>()
        .join(" ");
    let started = std::time::Instant::now();
    let finished = child::run_teed(&mut cmd, &shown)?;
    outputs.write("run.log", &finished.log)?;

    // Every module any process compiled, by hash.
    let mut layouts: BTreeMap<String, ModuleLayout> = BTreeMap::new();
    if let Ok(entries) = std::fs::read_dir(hook_dir.join("modules")) {
        for e in entries.flatten() {
            let p = e.path();
            if p.extension().is_none_or(|x| x != "wasm") {
                continue;
            }
            let bytes = std::fs::read(&p)?;
            let layout = ModuleLayout::parse(&bytes)
                .with_context(|| format!("a module the command compiled ({})", p.display()))?;
            outputs.save_module(&bytes, &layout.sha256)?;
            layouts.insert(layout.sha256.clone(), layout);
        }
    }
    let mut sums: BTreeMap<String, Summed> = BTreeMap::new();
    let mut unmatched = 0usize;
    let mut processes = 0usize;
    for e in std::fs::read_dir(&hook_dir)?.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if !(name.starts_with("raw-") && name.ends_with(".json")) {
            continue;
        }
        processes += 1;
        let dump: HookDump = serde_json::from_slice(&std::fs::read(e.path())?)
            .with_context(|| format!("the hook's dump {name} is malformed"))?;
        let candidates: Vec<ModuleLayout> = dump
            .modules
            .iter()
            .filter_map(|h| layouts.get(h).cloned())
            .collect();
        for blocks in &dump.coverage {
            if blocks.is_empty() {
                continue;
            }
            match match_entry(&candidates, blocks)? {
                Some((layout, functions)) => sums
                    .entry(layout.sha256.clone())
                    .or_default()
                    .add(&functions),
                None => unmatched += 1,
            }
        }
    }
    if unmatched > 0 {
        eprintln!(
            "wasm-run: warning: {unmatched} coverage entr{} matched no module the process compiled from bytes \
             (modules compiled inside worker threads are not captured); left out",
            if unmatched == 1 { "y" } else { "ies" }
        );
    }
    let mut result: Vec<ScriptCoverage> = read_js_coverage(&js_dir, &hook);
    let mut next_id = 1_000_000;
    for (sha, sum) in sums {
        let layout = &layouts[&sha];
        next_id += 1;
        result.push(convert::script(
            layout,
            next_id,
            format!("wasm://wasm/{}", &sha[..8]),
            sum.into_functions(layout),
        ));
    }
    if let Some(expected) = expected {
        if !layouts.contains_key(&expected.sha256) && layouts.is_empty() {
            eprintln!("wasm-run: warning: no Node process compiled any wasm module");
        }
    } else if layouts.is_empty() {
        eprintln!("wasm-run: warning: no Node process started by the command compiled a wasm module (is it a Node test runner?)");
    }
    let doc = V8Coverage {
        result,
        wasm_coverage_version: Some(V8_WASM_VERSION),
    };
    outputs.write_json("v8-coverage.json", &doc)?;
    let tests = parse_test_lines(&String::from_utf8_lossy(&finished.log));
    let report = TestReport::new(
        harness,
        None,
        tests,
        0,
        started.elapsed().as_secs_f64() * 1000.0,
        finished.interrupted,
    );
    outputs.write_json("tests.json", &report)?;
    eprintln!(
        "wasm-run: coverage of {} module(s) from {processes} Node process(es) written to {}/v8-coverage.json",
        layouts.len(),
        outputs.dir.display()
    );
    if finished.interrupted {
        bail!(
            "stopped; the coverage of what ran is in {}",
            outputs.dir.display()
        );
    }
    match finished.status.code() {
        Some(c) => Ok(u8::try_from(c).unwrap_or(2)),
        None => bail!(
            "{shown} was killed by a signal; coverage saved up to then is in {}",
            outputs.dir.display()
        ),
    }
}

#[derive(serde::Deserialize)]
struct HookDump {
    modules: Vec<String>,
    coverage: Vec<Vec<RawBlock>>,
}

/// JavaScript coverage that Node wrote for NODE_V8_COVERAGE, minus our hook.
fn read_js_coverage(dir: &Path, hook: &Path) -> Vec<ScriptCoverage> {
    let hook_url = format!("file://{}", hook.display());
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    let mut files: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    files.sort();
    for f in files {
        let Ok(bytes) = std::fs::read(&f) else {
            continue;
        };
        match serde_json::from_slice::<V8Coverage>(&bytes) {
            Ok(doc) => out.extend(
                doc.result
                    .into_iter()
                    .filter(|s| s.url != hook_url && !s.url.starts_with("node:")),
            ),
            Err(e) => eprintln!(
                "wasm-run: warning: skipping unreadable JS coverage {}: {e}",
                f.display()
            ),
        }
    }
    out
}

/// Per-test outcomes from libtest-style lines (`test NAME ... ok`), as
/// wasm-bindgen-test-runner and cargo print them.
pub fn parse_test_lines(log: &str) -> Vec<TestOutcome> {
    let mut tests = Vec::new();
    for line in log.lines() {
        let Some(rest) = line.strip_prefix("test ") else {
            continue;
        };
        let Some((name, result)) = rest.rsplit_once(" ... ") else {
            continue;
        };
        let outcome = match result.trim() {
            "ok" => Outcome::Passed,
            r if r.starts_with("FAIL") => Outcome::Failed,
            r if r.starts_with("ignored") => Outcome::Ignored,
            _ => continue,
        };
        tests.push(TestOutcome {
            name: name.to_owned(),
            outcome,
            duration_ms: 0.0,
            message: None,
        });
    }
    tests
}

fn file_url(wasm: &Path, sha256: &str) -> String {
    abs(wasm)
        .map(|p| format!("file://{}", p.display()))
        .unwrap_or_else(|_| format!("wasm://wasm/{}", &sha256[..8]))
}

fn abs(p: &Path) -> Result<PathBuf> {
    std::path::absolute(p).with_context(|| format!("cannot resolve {}", p.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
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

    #[test]
    fn parses_libtest_and_wasm_bindgen_lines() {
        let t = parse_test_lines("running 3 tests\ntest a::b ... ok\ntest c ... FAIL\ntest d ... ignored\ntest result: ok.\n");
        let got: Vec<_> = t.iter().map(|t| (t.name.as_str(), t.outcome)).collect();
        assert_eq!(
            got,
            [
                ("a::b", Outcome::Passed),
                ("c", Outcome::Failed),
                ("d", Outcome::Ignored)
            ]
        );
    }
}
