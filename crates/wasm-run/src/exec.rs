//! The hooked path: a command wasm-run does not control (`--exec -- CMD`,
//! or wasm-bindgen-test-runner for a `#[wasm_bindgen_test]` suite), with
//! `js/hook.cjs` loaded into every Node process it starts. This file is the
//! Rust half of that protocol: the environment variables the hook reads
//! (`WASM_RUN_*`, below) and the dumps it writes back ([`HookDump`]).

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};
use serde::Deserialize;
use wasm_cov_format::{
    ModuleLayout, Outcome, PerTest, ScriptCoverage, TestOutcome, TestReport, V8Coverage,
    V8_WASM_VERSION,
};

use wasm_cov_instrument::BlockTable;

use crate::browser::Browser;
use crate::convert::{self, match_entry, RawBlock, Summed};
use crate::counters::Counters;
use crate::locate::{locate, WASM_BINDGEN_TEST_RUNNER};
use crate::node::V8_FLAGS;
use crate::session::{abs, note, Options, Session};

use crate::session::js;

/// The folder the hook writes `modules/<sha256>.wasm` and `raw-<pid>.json`
/// into; the hook does nothing where it is unset.
const HOOK_DIR: &str = "WASM_RUN_HOOK_DIR";
/// The browser binary `js/browser.cjs` starts.
const BROWSER_BIN: &str = "WASM_RUN_BROWSER_BIN";
/// Which browser that binary is (`chrome` or `firefox`), so the driver
/// knows the protocol to speak.
const BROWSER_KIND: &str = "WASM_RUN_BROWSER";
/// How long `js/browser.cjs` waits for a suite's result, in milliseconds.
const BROWSER_TIMEOUT_MS: &str = "WASM_RUN_BROWSER_TIMEOUT_MS";
/// Where `js/browser.cjs` writes the page's JavaScript coverage.
const BROWSER_JS_COVERAGE: &str = "WASM_RUN_JS_COVERAGE_DIR";
/// Milliseconds between the hook's counter flushes.
const FLUSH_MS: &str = "WASM_RUN_FLUSH_MS";
/// [`V8_FLAGS`], joined by spaces.
const V8_FLAGS_VAR: &str = "WASM_RUN_V8_FLAGS";
/// `inject`, `v8` or `off` (`--counters`).
const COUNTERS_VAR: &str = "WASM_RUN_COUNTERS";
/// With `inject`: the program the hook runs as `PROGRAM __instrument IN
/// OUT TABLE` to instrument a module ([`instrument_main`]): wasm-run
/// itself, or cargo-wasm-cov when it runs the stages in-process.
const INSTRUMENTER_VAR: &str = "WASM_RUN_INSTRUMENTER";
/// The hidden first argument of [`instrument_main`].
pub const INSTRUMENT_ARG: &str = "__instrument";

/// `PROGRAM __instrument [--unshared] IN OUT TABLE`: instruments the module
/// `IN` into `OUT` and writes its block table (`docs/formats.md` §3b) to
/// `TABLE`. The Node hook calls it synchronously, at the moment a process
/// compiles a module, which is the only place a wasm-bindgen module can be
/// instrumented (wasm-bindgen refuses a second memory); the browser driver
/// calls it with `--unshared` as the page fetches a module, since a page
/// reads its counters on its own thread and a shared memory would need a
/// cross-origin isolated page. `None` when
/// `argv` is not such a call; every binary that can be the instrumenter
/// calls this first in its `main`.
pub fn instrument_main(argv: &[OsString]) -> Option<std::process::ExitCode> {
    if argv.get(1).is_none_or(|a| a != INSTRUMENT_ARG) {
        return None;
    }
    Some(wasm_cov_cli::main("wasm-run", || {
        let (shared, rest) = match &argv[2..] {
            [flag, rest @ ..] if flag == "--unshared" => (false, rest),
            rest => (true, rest),
        };
        let [input, out, table] = rest else {
            bail!("usage: {INSTRUMENT_ARG} [--unshared] IN.wasm OUT.wasm TABLE.json");
        };
        let bytes = std::fs::read(input)
            .with_context(|| format!("cannot read {}", Path::new(input).display()))?;
        // wasm-bindgen suites keep their instance across traps and JS
        // exceptions, so every block keeps its own counter.
        let done = crate::counters::instrument_module(&bytes, shared, false)
            .with_context(|| Path::new(input).display().to_string())?;
        std::fs::write(out, &done.wasm)
            .with_context(|| format!("cannot write {}", Path::new(out).display()))?;
        let mut json = Vec::new();
        done.table(&wasm_cov_format::sha256_hex(&bytes))
            .write_json(&mut json)?;
        std::fs::write(table, json)
            .with_context(|| format!("cannot write {}", Path::new(table).display()))?;
        Ok(wasm_cov_cli::Exit::Ok)
    }))
}

/// `$WASM_RUN_HOOK_DIR/raw-<pid>.json`: one process's raw counters, the
/// hashes of the modules it compiled, and with injected counters in a
/// wasm-bindgen-test suite, each test's share of them (`js/contexts.cjs`).
#[derive(Deserialize)]
struct HookDump {
    modules: Vec<String>,
    coverage: Vec<Vec<RawBlock>>,
    #[serde(default)]
    tests: Vec<HookTest>,
}

/// One test's counts of one module, by its block table's indices
/// (`$WASM_RUN_HOOK_DIR/inst/<module>.json`); `<no test>` holds the rest,
/// so a module's tests add up to its totals.
#[derive(Deserialize)]
struct HookTest {
    module: String,
    test: String,
    hits: Vec<u64>,
}

/// Runs a `#[wasm_bindgen_test]` suite under wasm-bindgen-test-runner
/// (`runner`: `--wasm-bindgen-runner`); returns the runner's own status.
pub(crate) fn run_wasm_bindgen(
    opts: &Options,
    runner: Option<&Path>,
    wasm: &Path,
    layout: &ModuleLayout,
) -> Result<u8> {
    let runner = locate(&WASM_BINDGEN_TEST_RUNNER, runner)?;
    let mut command = vec![runner.path.into_os_string(), abs(wasm)?.into_os_string()];
    command.extend(opts.args.iter().cloned());
    run(opts, &command, "wasm-bindgen", Some(layout), None)
}

/// Runs a browser suite (`run_in_browser`, a worker mode): `js/browser.cjs`
/// serves it through wasm-bindgen-test-runner and drives `bin` (headless
/// Chromium or Firefox) itself. Returns 0 passed, 1 failed or timed out, 2
/// the suite could not run (the driver says why).
pub(crate) fn run_browser(
    opts: &Options,
    runner: Option<&Path>,
    wasm: &Path,
    layout: &ModuleLayout,
    browser: Browser,
    bin: &Path,
) -> Result<u8> {
    let runner = locate(&WASM_BINDGEN_TEST_RUNNER, runner)?;
    let mut command = vec![runner.path.into_os_string(), abs(wasm)?.into_os_string()];
    command.extend(opts.args.iter().cloned());
    run(
        opts,
        &command,
        "wasm-bindgen",
        Some(layout),
        Some((browser, bin)),
    )
}

/// Runs `command` with the hook in every Node process it starts, then
/// matches each process's counters to the modules it compiled. Returns the
/// command's own exit status.
///
/// With `browser`, `command` is wasm-bindgen-test-runner and a browser
/// suite: `js/browser.cjs` runs it and hooks the page and its workers
/// instead of Node processes, and writes the same dumps.
pub(crate) fn run(
    opts: &Options,
    command: &[OsString],
    harness: &str,
    expected: Option<&ModuleLayout>,
    browser: Option<(Browser, &Path)>,
) -> Result<u8> {
    let session = Session::start(opts)?;
    let outputs = &session.outputs;
    let hook = session.write_js(js::HOOK)?;
    let hook_dir = session.temp_dir("hook")?;
    let js_dir = session.temp_dir("js")?;
    let driven;
    let command = match browser {
        Some(_) => {
            let driver = session.write_js(js::BROWSER)?;
            let mut c = vec![
                session.node.path.clone().into_os_string(),
                driver.into_os_string(),
            ];
            c.extend(command.iter().cloned());
            driven = c;
            &driven[..]
        }
        None => command,
    };
    let Some((program, args)) = command.split_first() else {
        bail!("no command to run");
    };

    let mut node_options = std::env::var("NODE_OPTIONS").unwrap_or_default();
    if !node_options.is_empty() {
        node_options.push(' ');
    }
    node_options.push_str(&format!("--require \"{}\"", hook.display()));
    // The command's Node processes must be ours (>= 25): put its folder first.
    let node_dir = abs(&session.node.path)?
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let mut path = vec![node_dir];
    if let Some(p) = std::env::var_os("PATH") {
        path.extend(std::env::split_paths(&p));
    }
    let mut cmd = Command::new(program);
    cmd.args(args);
    match browser {
        Some((kind, bin)) => {
            // The driver is our own Node program: no hook in it.
            cmd.env(BROWSER_BIN, bin)
                .env(BROWSER_KIND, kind.name())
                .env(BROWSER_JS_COVERAGE, &js_dir)
                .env(BROWSER_TIMEOUT_MS, opts.timeout_ms().to_string());
        }
        None => {
            cmd.env("NODE_OPTIONS", node_options)
                .env("NODE_V8_COVERAGE", &js_dir);
        }
    }
    cmd.env(COUNTERS_VAR, opts.counters.name());
    if opts.counters == Counters::Inject {
        cmd.env(
            INSTRUMENTER_VAR,
            std::env::current_exe().context("cannot find wasm-run's own path")?,
        );
    }
    cmd.env(HOOK_DIR, &hook_dir)
        .env(FLUSH_MS, opts.flush_ms().to_string())
        .env(V8_FLAGS_VAR, V8_FLAGS.join(" "))
        .env("PATH", std::env::join_paths(path)?);
    if let Some(t) = opts.timeout {
        // wasm-bindgen-test-runner's own per-suite timeout, in seconds.
        cmd.env("WASM_BINDGEN_TEST_TIMEOUT", (t.ceil() as u64).to_string());
    }
    let shown = command
        .iter()
        .map(|a| a.to_string_lossy())
        .collect::<Vec<_>>()
        .join(" ");
    let started = std::time::Instant::now();
    let finished = crate::child::run_teed(&mut cmd, &shown)?;
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
    let mut per_test = PerTest::default();
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
        add_tests(&mut per_test, &hook_dir, &name, dump.tests)?;
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
        wasm_cov_cli::warn!(
            "{unmatched} coverage entr{} matched no module the process compiled from bytes \
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
    let counting = opts.counters != Counters::Off;
    let log = String::from_utf8_lossy(&finished.log);
    // A wasm-bindgen binary without tests ("no tests to run!") compiles none.
    let no_tests = log.lines().any(|l| l.trim() == "no tests to run!");
    // A browser suite that could not run has said why.
    let driver_failed = browser.is_some() && finished.status.code() == Some(2);
    if !counting || no_tests || driver_failed {
        // Nothing to warn about.
    } else if let Some(expected) = expected {
        if !layouts.contains_key(&expected.sha256) && layouts.is_empty() {
            if browser.is_some() {
                wasm_cov_cli::warn!("the page and its workers ran no wasm module");
            } else {
                wasm_cov_cli::warn!("no Node process compiled any wasm module");
            }
        }
    } else if layouts.is_empty() {
        wasm_cov_cli::warn!(
            "no Node process started by the command compiled a wasm module (is it a Node test runner?)"
        );
    }
    if counting {
        let doc = V8Coverage {
            result,
            wasm_coverage_version: Some(V8_WASM_VERSION),
        };
        outputs.write_json("v8-coverage.json", &doc)?;
        if per_test.modules.is_empty() {
            // Not a wasm-bindgen-test suite, or V8's counters: one instance
            // ran every test, and nothing says which counted what.
            outputs.remove_stale("per-test.jsonl")?;
        } else {
            let mut bytes = Vec::new();
            per_test.write(&mut bytes)?;
            outputs.write("per-test.jsonl", &bytes)?;
        }
    }
    let tests = parse_test_lines(&log);
    let report = TestReport::new(
        harness,
        None,
        tests,
        0,
        started.elapsed().as_secs_f64() * 1000.0,
        finished.interrupted,
    );
    outputs.write_json("tests.json", &report)?;
    if counting {
        note(format_args!(
            "coverage of {} module(s) from {} written to {}/v8-coverage.json",
            layouts.len(),
            match browser {
                Some(_) => "the browser".to_owned(),
                None => format!("{processes} Node process(es)"),
            },
            outputs.dir.display()
        ));
    }
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

/// Adds one dump's per-test counts to `into`, by the block tables the
/// instrumenter left in `hook_dir/inst/`.
fn add_tests(into: &mut PerTest, hook_dir: &Path, dump: &str, tests: Vec<HookTest>) -> Result<()> {
    for t in tests {
        if !into.modules.contains_key(&t.module) {
            let path = hook_dir.join("inst").join(format!("{}.json", t.module));
            let f = std::fs::File::open(&path).with_context(|| {
                format!("{dump} names module {}, which has no block table", t.module)
            })?;
            let table = BlockTable::read_json(std::io::BufReader::new(f))
                .with_context(|| path.display().to_string())?;
            into.modules
                .insert(t.module.clone(), crate::split::module(&table.blocks));
        }
        let m = into.modules.get_mut(&t.module).expect("inserted above");
        crate::split::add(m, &t.test, crate::split::pairs(&t.hits), &dump)?;
    }
    Ok(())
}

/// JavaScript coverage that Node wrote for NODE_V8_COVERAGE, minus our own
/// scripts (the hook, the browser driver and the files they require).
fn read_js_coverage(dir: &Path, hook: &Path) -> Vec<ScriptCoverage> {
    let ours: Vec<String> = js::HOOK
        .iter()
        .chain(js::BROWSER)
        .map(|(name, _)| format!("file://{}", hook.with_file_name(name).display()))
        .collect();
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
                    .filter(|s| !ours.contains(&s.url) && !s.url.starts_with("node:")),
            ),
            Err(e) => wasm_cov_cli::warn!("skipping unreadable JS coverage {}: {e}", f.display()),
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    /// The `process.env.X` names a JS file reads.
    fn env_reads(js: &str) -> BTreeSet<&str> {
        js.match_indices("process.env.")
            .map(|(i, _)| {
                let rest = &js[i + "process.env.".len()..];
                let end = rest
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(rest.len());
                &rest[..end]
            })
            .collect()
    }

    /// Each JS file reads exactly the variables the Rust side sets for
    /// it, and never spells out the V8 flags (wasm-run's one list of them).
    #[test]
    fn each_js_file_reads_exactly_the_variables_we_set() {
        let common = [HOOK_DIR, FLUSH_MS, V8_FLAGS_VAR, COUNTERS_VAR];
        let cases = [
            ("hook.cjs", js::source(js::HOOK), &[INSTRUMENTER_VAR][..]),
            (
                "browser.cjs",
                js::source(js::BROWSER),
                &[
                    BROWSER_BIN,
                    BROWSER_KIND,
                    BROWSER_TIMEOUT_MS,
                    BROWSER_JS_COVERAGE,
                    INSTRUMENTER_VAR,
                ][..],
            ),
        ];
        for (name, src, own) in cases {
            let want: BTreeSet<&str> = common.iter().chain(own).copied().collect();
            assert_eq!(env_reads(&src), want, "{name}");
            for flag in V8_FLAGS {
                assert!(!src.contains(flag), "{name} repeats {flag}");
            }
        }
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
