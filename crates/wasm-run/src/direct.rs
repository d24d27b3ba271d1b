//! The direct path: modules wasm-run instantiates itself (libtest on
//! wasm32-wasip1, a plain wasip1 program, a `__run_tests` compat module),
//! run by `js/runner.cjs`. This file is the Rust half of that protocol: the
//! config the runner reads ([`RunnerConfig`]), the two files it writes back
//! ([`RawDump`], [`RawResults`]), and its exit statuses ([`RunnerExit`]).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use wasm_cov_cli::Exit;
use wasm_cov_format::{
    ModuleLayout, Outcome, PerTest, TestOutcome, TestReport, V8Coverage, V8_WASM_VERSION,
};

use crate::convert::{self, fits, RawBlock, Summed};
use crate::counters::{instrument_module, Counters};
use crate::harness::Harness;
use crate::node::V8_FLAGS;
use crate::session::{abs, note, Options, Outputs, Session, WasiWorld};
use wasm_cov_instrument::{Block, Instrumented};

use crate::session::js;

/// Node options of the runner beyond [`V8_FLAGS`]: Node's warning about
/// `node:wasi` would land in every run.log, and Rust's debug builds need a
/// deeper stack than Node's default.
const RUNNER_NODE_ARGS: [&str; 2] = ["--disable-warning=ExperimentalWarning", "--stack-size=2048"];

/// How the runner's Node process ends; the same table is `EXIT` in
/// `js/runner.cjs` (a unit test compares them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RunnerExit {
    /// Every test passed.
    Ok = 0,
    /// Some test failed, timed out or trapped.
    Failed = 1,
    /// The runner itself failed (it said why on stderr).
    HarnessError = 3,
    /// Stopped by a signal; what ran is saved.
    Interrupted = 4,
}

impl RunnerExit {
    /// Each status with its name in the JS table.
    const TABLE: [(RunnerExit, &'static str); 4] = [
        (RunnerExit::Ok, "OK"),
        (RunnerExit::Failed, "FAILED"),
        (RunnerExit::HarnessError, "HARNESS_ERROR"),
        (RunnerExit::Interrupted, "INTERRUPTED"),
    ];

    fn from_code(code: i32) -> Option<RunnerExit> {
        Self::TABLE
            .iter()
            .map(|&(e, _)| e)
            .find(|&e| e as i32 == code)
    }
}

/// `config.json`, what `js/runner.cjs` reads (as `config.*`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct RunnerConfig<'a> {
    /// [`Harness::name`]: `libtest`, `program` or `compat`.
    harness: &'static str,
    /// The module that runs: the saved copy, or with `counters` = inject
    /// the instrumented one made from it.
    wasm: PathBuf,
    /// [`Counters::name`]: `inject`, `v8` or `off`.
    counters: &'static str,
    /// inject: the counter memory's export and its number of counters.
    counters_export: Option<&'static str>,
    blocks: usize,
    /// inject: the blocks whose counts are derived (`counters.cjs`'s
    /// `Derivation`), empty when every block has an increment.
    derived: DerivedConfig,
    /// [`STATS_ENV`]: where the runner writes its counter statistics.
    stats_out: Option<PathBuf>,
    /// The arguments after `--`.
    args: Vec<String>,
    /// Where the runner writes [`RawDump`].
    raw_out: PathBuf,
    /// Where the runner writes [`RawResults`].
    results_out: PathBuf,
    /// A folder for the tests' captured output.
    scratch: PathBuf,
    /// `argv[0]` of the module.
    program_name: String,
    /// `program`: the name of its one test.
    test_name: Option<&'a str>,
    /// Worker threads.
    threads: usize,
    /// Per test; 0 = none.
    timeout_ms: u64,
    /// How often [`RawDump`] is rewritten.
    flush_ms: u64,
    env: &'a BTreeMap<String, String>,
    preopens: &'a BTreeMap<String, String>,
    /// `--partition`, for `js/partition.cjs`.
    partition: Option<PartitionConfig<'a>>,
}

/// A path: with `--counters inject` the Node runner writes there how many
/// blocks have an increment and how many block entries those counted,
/// `{"blocks", "counted", "entries", "increments"}` (for `make bench`).
pub const STATS_ENV: &str = "WASM_RUN_COUNTER_STATS";

/// `config.derived`: wasm-cov-instrument's `Derived` list and frame
/// ranges, flat for `counters.cjs`'s `Derivation`: `blocks[i]`'s rule is
/// `rules` from `at[i]` on, `[plus count, minus count, live count, plus...,
/// minus..., live...]`; `starts`, `ends` and `framed` are the frame ranges.
#[derive(Debug, Serialize, Default)]
struct DerivedConfig {
    blocks: Vec<u32>,
    at: Vec<u32>,
    rules: Vec<u32>,
    starts: Vec<u32>,
    ends: Vec<u32>,
    framed: Vec<u32>,
}

impl DerivedConfig {
    fn of(i: &Instrumented) -> DerivedConfig {
        let mut c = DerivedConfig::default();
        for d in &i.derived {
            c.blocks.push(d.block);
            c.at.push(c.rules.len() as u32);
            c.rules
                .extend([d.plus.len(), d.minus.len(), d.live.len()].map(|n| n as u32));
            c.rules.extend(d.plus.iter().chain(&d.minus).chain(&d.live));
        }
        for r in &i.frame_ranges {
            c.starts.push(r.start);
            c.ends.push(r.end);
            c.framed.push(r.block);
        }
        c
    }
}

/// `config.partition`: shard `shard` of `total`, dealt by `kind` (and the
/// binary id `binary`, for hash), as `Partition::deal` deals.
#[derive(Debug, Serialize)]
struct PartitionConfig<'a> {
    kind: &'static str,
    shard: u32,
    total: u32,
    binary: &'a str,
}

/// `config.rawOut`: with V8's counters, V8's raw blocks, one list per
/// module; with injected ones, the summed counters, one per block of the
/// block table (written as decimal digits, so exact as u64).
#[derive(Deserialize, Default)]
pub(crate) struct RawDump {
    #[serde(default)]
    pub modules: Vec<Vec<RawBlock>>,
    #[serde(default)]
    pub counts: Option<Vec<u64>>,
    /// inject: each test's non-zero counters, `[k0, c0, k1, c1, ...]`.
    #[serde(default)]
    pub tests: Option<Vec<RawTestHits>>,
}

#[derive(Deserialize)]
pub(crate) struct RawTestHits {
    pub name: String,
    pub hits: Vec<u64>,
}

/// `config.resultsOut`: how each test ended.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RawResults {
    pub harness: String,
    pub tests: Vec<RawTest>,
    pub filtered_out: u64,
    pub duration_ms: f64,
    pub interrupted: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RawTest {
    pub name: String,
    pub outcome: Outcome,
    pub duration_ms: f64,
    pub message: Option<String>,
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

/// The module to run and how.
pub(crate) struct Module<'a> {
    pub path: &'a Path,
    pub bytes: &'a [u8],
    pub layout: &'a ModuleLayout,
    pub harness: Harness,
    /// `program`: the name of its one test.
    pub test_name: Option<String>,
    /// A component (wasm32-wasip2) whose code module `bytes` are: it runs
    /// whole, on wasmtime.
    pub component: Option<Component<'a>>,
}

/// A component and its code module, the one with the code and the DWARF.
#[cfg_attr(not(feature = "wasmtime"), allow(dead_code))]
pub(crate) struct Component<'a> {
    pub bytes: &'a [u8],
    pub code: wasm_cov_format::CoreModule,
}

/// Runs a libtest, program or compat module with `js/runner.cjs`, then
/// publishes whatever the runner left, whatever happened to it.
pub(crate) fn run(opts: &Options, module: &Module<'_>) -> Result<Exit> {
    let Module {
        path: wasm, layout, ..
    } = *module;
    let session = Session::start(opts)?;
    let outputs = &session.outputs;
    // Run the saved copy: the bytes on record are the bytes that ran.
    let saved = outputs.save_module(module.bytes, &layout.sha256)?;
    // inject: run an instrumented copy; every offset written refers to the
    // saved original.
    let instrumented = match opts.counters {
        Counters::Inject => {
            let i = instrument_module(module.bytes, true, true)
                .with_context(|| wasm.display().to_string())?;
            let path = session.temp("instrumented.wasm");
            std::fs::write(&path, &i.wasm).context("cannot write the instrumented module")?;
            Some((i, path))
        }
        Counters::V8 | Counters::Off => None,
    };
    let runner = session.write_js(js::RUNNER)?;
    let scratch = session.temp_dir("scratch")?;
    let raw_out = session.temp("raw-coverage.json");
    let results_out = session.temp("results.json");
    let world = WasiWorld::new(opts, wasm)?;
    let threads = opts
        .test_threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let config = RunnerConfig {
        harness: module.harness.name(),
        wasm: match &instrumented {
            Some((_, path)) => path.clone(),
            None => abs(&saved)?,
        },
        counters: opts.counters.name(),
        counters_export: instrumented.as_ref().map(|(i, _)| i.counters_export),
        blocks: instrumented.as_ref().map_or(0, |(i, _)| i.blocks.len()),
        derived: instrumented
            .as_ref()
            .map(|(i, _)| DerivedConfig::of(i))
            .unwrap_or_default(),
        stats_out: std::env::var_os(STATS_ENV).map(PathBuf::from),
        args: opts
            .args
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect(),
        raw_out: raw_out.clone(),
        results_out: results_out.clone(),
        scratch,
        program_name: wasm
            .file_name()
            .map_or_else(|| "test.wasm".into(), |n| n.to_string_lossy().into_owned()),
        test_name: module.test_name.as_deref(),
        threads: threads.max(1),
        timeout_ms: opts.timeout_ms(),
        flush_ms: opts.flush_ms(),
        env: &world.env,
        preopens: &world.preopens,
        partition: opts.partition.as_ref().map(|(p, binary)| PartitionConfig {
            kind: p.kind.name(),
            shard: p.shard,
            total: p.total,
            binary,
        }),
    };
    let config_path = session.temp("config.json");
    std::fs::write(&config_path, serde_json::to_vec(&config)?)
        .context("cannot write the runner's config")?;

    let mut cmd = Command::new(&session.node.path);
    // Only V8's counters need V8's flags; without them the code tiers up.
    if opts.counters == Counters::V8 {
        cmd.args(V8_FLAGS);
    }
    cmd.args(RUNNER_NODE_ARGS)
        .arg(&runner)
        .arg(&config_path)
        .current_dir(&world.cwd);
    let finished = crate::child::run_teed(&mut cmd, &session.node.path.display().to_string())?;
    outputs.write("run.log", &finished.log)?;

    let mut wrote_coverage = false;
    if let Ok(raw) = std::fs::read(&raw_out) {
        let dump: RawDump =
            serde_json::from_slice(&raw).context("the runner's raw coverage is malformed")?;
        publish_coverage(
            outputs,
            wasm,
            layout,
            instrumented.as_ref().map(|(i, _)| i),
            dump,
        )?;
        wrote_coverage = true;
    }
    if let Ok(raw) = std::fs::read(&results_out) {
        let r: RawResults =
            serde_json::from_slice(&raw).context("the runner's results are malformed")?;
        publish_results(outputs, layout, r, None)?;
    }
    let where_ = outputs.dir.display();
    let code = finished.status.code();
    let off = opts.counters == Counters::Off;
    match (code.and_then(RunnerExit::from_code), wrote_coverage || off) {
        (Some(e @ (RunnerExit::Ok | RunnerExit::Failed)), true) => {
            if off {
                note(format_args!("--counters off: no coverage; test results written to {where_}/tests.json"));
            } else {
                note(format_args!("coverage written to {where_}/v8-coverage.json"));
            }
            Ok(Exit::no_if(e == RunnerExit::Failed))
        }
        (Some(RunnerExit::Interrupted), true) => {
            bail!("stopped before all tests ran; the coverage and results of what ran are in {where_}")
        }
        (Some(RunnerExit::HarnessError), _) => bail!("the Node runner failed (see above)"),
        _ => match code {
            Some(c) => bail!("Node exited with status {c} without finishing (see {where_}/run.log)"),
            None if wrote_coverage => bail!(
                "Node was killed by a signal; coverage saved up to its last flush (every {} s) is in {where_}",
                opts.flush_interval
            ),
            None => bail!("Node was killed by a signal before it saved any coverage"),
        },
    }
}

/// Writes `v8-coverage.json` (and, with injected counters, `per-test.jsonl`)
/// from what a run counted; every offset refers to the original `wasm`.
pub(crate) fn publish_coverage(
    outputs: &Outputs,
    wasm: &Path,
    layout: &ModuleLayout,
    instrumented: Option<&Instrumented>,
    mut dump: RawDump,
) -> Result<()> {
    if let Some(i) = instrumented {
        let per_test = per_test(
            &i.blocks,
            &layout.sha256,
            dump.counts.as_deref(),
            dump.tests.take().unwrap_or_default(),
        )?;
        let mut bytes = Vec::new();
        per_test.write(&mut bytes)?;
        outputs.write("per-test.jsonl", &bytes)?;
        dump.modules = vec![injected_raw(
            &i.blocks,
            i.first_body_offset,
            dump.counts.as_deref(),
        )?];
    }
    let mut sum = Summed::default();
    for (i, blocks) in dump.modules.iter().enumerate() {
        let Some(functions) = fits(layout, blocks) else {
            bail!("V8 coverage entry {i} does not match the layout of {} (another module ran in the runner?)", wasm.display());
        };
        sum.add(&functions);
    }
    let url = file_url(wasm, &layout.sha256);
    let doc = V8Coverage {
        result: vec![convert::script(layout, 1, url, sum.into_functions(layout))],
        wasm_coverage_version: Some(V8_WASM_VERSION),
    };
    outputs.write_json("v8-coverage.json", &doc)?;
    if instrumented.is_none() {
        // V8's counters have no per-test split: a per-test.jsonl of an
        // earlier inject run would no longer match this JSON.
        outputs.remove_stale("per-test.jsonl")?;
    }
    Ok(())
}

/// Writes `tests.json`.
pub(crate) fn publish_results(
    outputs: &Outputs,
    layout: &ModuleLayout,
    r: RawResults,
    component: Option<wasm_cov_format::ComponentSource>,
) -> Result<()> {
    let mut report = TestReport::new(
        &r.harness,
        Some(layout.sha256.clone()),
        r.tests.into_iter().map(RawTest::into_outcome).collect(),
        r.filtered_out,
        r.duration_ms,
        r.interrupted,
    );
    report.component = component;
    outputs.write_json("tests.json", &report)?;
    Ok(())
}

/// The injected counters as V8's raw blocks (relative to the first body,
/// `end` inclusive), so both modes go through one conversion.
fn injected_raw(
    blocks: &[Block],
    first_body: u64,
    counts: Option<&[u64]>,
) -> Result<Vec<RawBlock>> {
    let Some(counts) = counts else {
        bail!("the runner wrote no injected counters");
    };
    if counts.len() != blocks.len() {
        bail!(
            "the runner wrote {} counters for {} blocks",
            counts.len(),
            blocks.len()
        );
    }
    Ok(blocks
        .iter()
        .zip(counts)
        .map(|(b, &count)| {
            let (start, end) = b.v8_raw(first_body);
            [start, end, count]
        })
        .collect())
}

/// The runner's per-test counters as the per-test document: one module,
/// the block table as its block list. Checks that they sum to the totals,
/// as the format promises.
fn per_test(
    blocks: &[Block],
    sha256: &str,
    counts: Option<&[u64]>,
    tests: Vec<RawTestHits>,
) -> Result<PerTest> {
    let mut m = crate::split::module(blocks);
    for t in tests {
        crate::split::add(&mut m, &t.name, crate::split::pairs(&t.hits), &"the runner")?;
    }
    if counts.is_some_and(|c| c != m.totals()) {
        bail!("the runner's per-test counters do not add up to its totals");
    }
    let mut doc = PerTest::default();
    doc.modules.insert(sha256.to_owned(), m);
    Ok(doc)
}

fn file_url(wasm: &Path, sha256: &str) -> String {
    abs(wasm)
        .map(|p| format!("file://{}", p.display()))
        .unwrap_or_else(|_| format!("wasm://wasm/{}", &sha256[..8]))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    /// The runner's 64-bit arithmetic, in plain numbers: counts past 2^32
    /// and 2^53 keep every digit, sums saturate at 2^64 - 1, and the
    /// per-test counts of a test run twice add up.
    #[test]
    fn the_runner_adds_64_bit_counts_exactly() {
        let node = crate::locate::find_node(None).expect("the pinned Node (make setup)");
        let dir = tempfile::tempdir().unwrap();
        for (name, source) in js::RUNNER {
            std::fs::write(dir.path().join(name), source).unwrap();
        }
        let runner = dir.path().join("runner.cjs");
        let js = format!(
            r#"const {{ Totals, digits }} = require({runner:?});
            const mem = (...c) => {{ const b = new ArrayBuffer(8 * c.length); new BigUint64Array(b).set(c); return b; }};
            const t = new Totals(4);
            t.finish(mem(2n ** 32n + 5n, 0n, 2n ** 64n - 2n, 7n), 'a', true);
            t.finish(mem(2n ** 32n - 1n, 0n, 5n, 0n), 'a', false);
            t.finish(mem(0n, 2n ** 53n + 1n, 0n, 1n), 'b', true);
            console.log(t.json());
            console.log(digits(4294967295, 4294967295));"#
        );
        let out = Command::new(&node.path).args(["-e", &js]).output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines,
            [
                "{\"counts\":[8589934596,9007199254740993,18446744073709551615,8],\
                 \"tests\":[{\"name\":\"a\",\"hits\":[0,8589934596,2,18446744073709551615,3,7]},\
                 {\"name\":\"b\",\"hits\":[1,9007199254740993,3,1]}]}",
                "18446744073709551615",
            ]
        );
    }

    /// `const EXIT = { OK: 0, ... };` in runner.cjs, as (name, code).
    fn js_exit_table() -> BTreeSet<(String, i32)> {
        let runner_js = js::source(js::RUNNER);
        let start = runner_js
            .find("const EXIT = {")
            .expect("runner.cjs declares `const EXIT = {`");
        let body = &runner_js[start + "const EXIT = {".len()..];
        let body = &body[..body.find('}').expect("EXIT table ends")];
        body.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|entry| {
                let (name, code) = entry.split_once(':').expect("NAME: CODE");
                (
                    name.trim().to_owned(),
                    code.trim().parse().expect("a number"),
                )
            })
            .collect()
    }

    #[test]
    fn exit_codes_agree_with_the_runner() {
        let rust: BTreeSet<(String, i32)> = RunnerExit::TABLE
            .iter()
            .map(|&(e, name)| (name.to_owned(), e as i32))
            .collect();
        assert_eq!(rust, js_exit_table());
        // The runner never uses a bare number where the table has a name.
        for exit in [
            "process.exit(0",
            "process.exit(1",
            "process.exit(3",
            "process.exit(4",
        ] {
            assert!(!js::source(js::RUNNER).contains(exit), "runner.cjs: {exit}");
        }
        assert_eq!(RunnerExit::from_code(3), Some(RunnerExit::HarnessError));
        assert_eq!(RunnerExit::from_code(2), None);
    }

    #[test]
    fn the_config_holds_exactly_what_the_runner_reads() {
        let env = BTreeMap::new();
        let config = RunnerConfig {
            harness: Harness::Program.name(),
            wasm: "m.wasm".into(),
            counters: "inject",
            counters_export: Some("__wasm_cov_counters"),
            blocks: 1,
            derived: DerivedConfig::default(),
            stats_out: Some("u".into()),
            args: vec!["a".into()],
            raw_out: "r".into(),
            results_out: "s".into(),
            scratch: "t".into(),
            program_name: "m.wasm".into(),
            test_name: Some("t"),
            threads: 1,
            timeout_ms: 0,
            flush_ms: 2000,
            env: &env,
            preopens: &env,
            partition: Some(PartitionConfig {
                kind: "hash",
                shard: 1,
                total: 2,
                binary: "b",
            }),
        };
        let json = serde_json::to_value(&config).unwrap();
        let written: BTreeSet<&str> = json
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let runner_js = js::source(js::RUNNER);
        let read: BTreeSet<&str> = runner_js
            .match_indices("config.")
            .map(|(i, _)| {
                let rest = &runner_js[i + "config.".len()..];
                let end = rest
                    .find(|c: char| !c.is_ascii_alphanumeric())
                    .unwrap_or(rest.len());
                &rest[..end]
            })
            .collect();
        assert_eq!(written, read);
    }

    #[test]
    fn the_runner_gets_the_coverage_flags_from_rust() {
        // The runner's header says how it is started; the flags themselves
        // are only in V8_FLAGS.
        for flag in V8_FLAGS {
            assert!(
                !js::source(js::RUNNER).contains(flag),
                "runner.cjs repeats {flag}"
            );
        }
    }
}
