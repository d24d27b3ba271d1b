//! `--engine wasmtime`: the direct path (libtest on wasm32-wasip1, a wasip1
//! program such as a doctest, a `__run_tests` compat module) on an embedded
//! wasmtime instead of Node. The same contract as `js/runner.cjs`: tests
//! listed by libtest itself, each in a fresh instance of one compiled
//! module (`InstancePre`) on a pool of `--test-threads` worker threads, a
//! trap or `--timeout` fails only its test, output in libtest's words, and
//! the same artifacts in the same formats (`direct::publish_*`).
//!
//! Counts survive everything: each instance's counters are read when it
//! ends (after a trap too: a core instance's memory stays readable), the
//! counters of tests still running reach the main thread every
//! `--flush-interval` from their epoch callbacks, and the main thread
//! rewrites `v8-coverage.json` and `per-test.jsonl` at that pace, so a
//! SIGKILL loses at most one interval. Ctrl-C and SIGTERM stop every test
//! at its next epoch tick and save what ran.

mod instance;

use std::collections::{HashMap, VecDeque};
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use wasm_cov_cli::Exit;
use wasm_cov_format::{ModuleLayout, Outcome};
use wasm_cov_instrument::Instrumented;

use crate::counters::{instrument_module, Counters};
use crate::direct::{
    publish_coverage, publish_results, Module, RawDump, RawResults, RawTest, RawTestHits,
};
use crate::harness::Harness;
use crate::session::{note, Options, Outputs, WasiWorld};
use instance::{Ran, Shared, TICK};

/// The pseudo-test the `--list` runs count under.
const NO_TEST: &str = "<no test>";

/// Set to 1 in the environment: the tests' clock and random source are
/// fixed, as the equality tests' Node preload fixes them
/// (`crates/wasm-cov-instrument/tests/js/deterministic-wasi.cjs`).
pub const DETERMINISTIC_ENV: &str = "WASM_RUN_DETERMINISTIC_WASI";

/// A message from a worker.
enum Msg {
    Started {
        id: usize,
    },
    /// The counters of a test still running.
    Flush {
        id: usize,
        counts: Vec<u64>,
    },
    Done {
        id: usize,
        ran: Box<Ran>,
    },
}

/// One test to run.
struct Job {
    id: usize,
    name: String,
    args: Vec<String>,
}

/// Runs a libtest, program or compat module on wasmtime and publishes what
/// it counted and how each test ended.
pub(crate) fn run(opts: &Options, module: &Module<'_>) -> Result<Exit> {
    let Module {
        path: wasm,
        bytes,
        layout,
        ..
    } = *module;
    if opts.counters == Counters::V8 {
        bail!("--counters v8 reads V8's own counters, and --engine wasmtime has no V8: use --counters inject (the default) or off");
    }
    let instrumented = match opts.counters {
        Counters::Inject => {
            Some(instrument_module(bytes, false).with_context(|| wasm.display().to_string())?)
        }
        Counters::V8 | Counters::Off => None,
    };
    let world = WasiWorld::new(opts, wasm)?;
    let engine = instance::engine()?;
    let code = instrumented.as_ref().map_or(bytes, |i| &i.wasm[..]);
    let compiled = wasmtime::Module::new(&engine, code)
        .map_err(|e| anyhow!("wasmtime cannot compile {}: {e:#}", wasm.display()))?;
    let pre = instance::instance_pre(&engine, &compiled)?;
    let outputs = Outputs::new(&opts.out)?;
    outputs.save_module(bytes, &layout.sha256)?;

    // While the tests run, Ctrl-C and SIGTERM stop them and save what ran
    // (the handlers go with the run: cargo wasm-cov runs this in-process).
    let stop = Arc::new(AtomicBool::new(false));
    let mut handlers = Vec::new();
    for sig in [
        signal_hook::consts::SIGINT,
        signal_hook::consts::SIGTERM,
        signal_hook::consts::SIGHUP,
    ] {
        handlers.push(
            signal_hook::flag::register(sig, stop.clone())
                .context("cannot install the signal handler")?,
        );
    }
    let result = run_tests(
        opts,
        module,
        instrumented.as_ref(),
        world,
        engine,
        pre,
        &outputs,
        &stop,
    );
    for id in handlers {
        signal_hook::low_level::unregister(id);
    }
    result
}

/// [`run`], from the compiled module on.
#[allow(clippy::too_many_arguments)]
fn run_tests(
    opts: &Options,
    module: &Module<'_>,
    instrumented: Option<&Instrumented>,
    world: WasiWorld,
    engine: wasmtime::Engine,
    pre: wasmtime::InstancePre<instance::Ctx>,
    outputs: &Outputs,
    stop: &Arc<AtomicBool>,
) -> Result<Exit> {
    let Module {
        path: wasm,
        layout,
        harness,
        ..
    } = *module;
    let shared = Arc::new(Shared {
        engine: engine.clone(),
        pre,
        harness,
        world,
        program_name: wasm
            .file_name()
            .map_or_else(|| "test.wasm".into(), |n| n.to_string_lossy().into_owned()),
        counters: instrumented.map(|i| (i.counters_export, i.blocks.len())),
        timeout: opts.timeout.map(Duration::from_secs_f64),
        flush: Duration::from_secs_f64(opts.flush_interval),
        stop: stop.clone(),
        deterministic: std::env::var_os(DETERMINISTIC_ENV).is_some_and(|v| v == "1"),
    });
    let ticking = Arc::new(AtomicBool::new(true));
    let ticker = {
        let (engine, ticking) = (engine.clone(), ticking.clone());
        std::thread::spawn(move || {
            while ticking.load(Ordering::Relaxed) {
                std::thread::sleep(TICK);
                engine.increment_epoch();
            }
        })
    };
    let mut r = Runner {
        shared,
        outputs,
        wasm,
        layout,
        instrumented,
        opts,
        log: String::new(),
        totals: Totals::new(instrumented.map_or(0, |i| i.blocks.len())),
        results: HashMap::new(),
        plan: Vec::new(),
        filtered_out: 0,
        failures: Vec::new(),
        started: Instant::now(),
    };
    let ended = r.go(module.test_name.as_deref());
    ticking.store(false, Ordering::Relaxed);
    let _ = ticker.join();
    let written = r.publish(stop.load(Ordering::Relaxed));
    outputs.write("run.log", r.log.as_bytes())?;
    let failed = ended?;
    written?;
    let where_ = outputs.dir.display();
    if stop.load(Ordering::Relaxed) {
        bail!("stopped before all tests ran; the coverage and results of what ran are in {where_}");
    }
    if opts.counters == Counters::Off {
        note(format_args!(
            "--counters off: no coverage; test results written to {where_}/tests.json"
        ));
    } else {
        note(format_args!(
            "coverage written to {where_}/v8-coverage.json"
        ));
    }
    Ok(Exit::no_if(failed))
}

/// The main thread's side of a run.
struct Runner<'a> {
    shared: Arc<Shared>,
    outputs: &'a Outputs,
    wasm: &'a std::path::Path,
    layout: &'a ModuleLayout,
    instrumented: Option<&'a Instrumented>,
    opts: &'a Options,
    /// Everything printed, for run.log.
    log: String,
    totals: Totals,
    results: HashMap<String, RawTest>,
    /// Test names in the order they were listed.
    plan: Vec<String>,
    filtered_out: u64,
    failures: Vec<(String, String)>,
    started: Instant,
}

impl Runner<'_> {
    /// Runs the tests; true when one failed.
    fn go(&mut self, test_name: Option<&str>) -> Result<bool> {
        let harness = self.shared.harness;
        let args: Vec<String> = self
            .opts
            .args
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        // libtest requests that libtest answers by itself, unchanged.
        if harness == Harness::Libtest
            && args
                .iter()
                .any(|a| matches!(a.as_str(), "--list" | "--help" | "-h" | "--bench"))
        {
            let ran = instance::run(&self.shared, &args, |_| {});
            self.totals.finish(ran.counts.as_deref(), NO_TEST);
            self.print_out(&ran.stdout);
            self.print_err(&ran.stderr);
            if let Some(t) = &ran.trap {
                self.print_err(&format!("{t}\n"));
            }
            return Ok(!(ran.trap.is_none() && ran.code == Some(0)));
        }
        let program = harness == Harness::Program;
        let parsed = if program {
            Args::default()
        } else {
            Args::parse(&args)
        };
        let threads = parsed
            .threads
            .or(self.opts.test_threads)
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
            .max(1);
        let mut ignored = Vec::new();
        match harness {
            Harness::Compat => self.plan = vec!["__run_tests".to_owned()],
            Harness::Program => self.plan = vec![test_name.unwrap_or("program").to_owned()],
            _ => {
                let listed = self.list(&parsed.select, &[])?;
                ignored = self.list(&parsed.select, &["--ignored"])?;
                let total = if parsed.select.is_empty() {
                    listed.len()
                } else {
                    self.list(&[], &[])?.len()
                };
                self.plan = match parsed.ignored {
                    Ignored::Only => listed.into_iter().filter(|t| ignored.contains(t)).collect(),
                    _ => listed,
                };
                self.filtered_out = (total - self.plan.len().min(total)) as u64;
            }
        }
        if !program {
            let n = self.plan.len();
            self.print_out(&format!(
                "\nrunning {n} test{}\n",
                if n == 1 { "" } else { "s" }
            ));
        }
        let mut queue = VecDeque::new();
        for name in self.plan.clone() {
            let is_ignored = ignored.contains(&name);
            if is_ignored && parsed.ignored == Ignored::Normal {
                self.print_out(&format!("test {name} ... ignored\n"));
                self.results.insert(
                    name.clone(),
                    RawTest {
                        name,
                        outcome: Outcome::Ignored,
                        duration_ms: 0.0,
                        message: None,
                    },
                );
                continue;
            }
            let mut job_args = if program {
                args.clone()
            } else if harness == Harness::Compat {
                Vec::new()
            } else {
                ["--exact", &name, "--nocapture", "--test-threads", "1"]
                    .map(str::to_owned)
                    .to_vec()
            };
            if is_ignored {
                job_args.push("--ignored".to_owned());
            }
            queue.push_back(Job {
                id: queue.len(),
                name,
                args: job_args,
            });
        }
        self.run_queue(queue, threads, program, parsed.nocapture);
        if self.shared.stop.load(Ordering::Relaxed) {
            self.print_err("\nwasm-run: stopped; coverage of what ran is kept\n");
        }
        if !program {
            self.summary();
        }
        Ok(!self.failures.is_empty())
    }

    /// libtest's own list of the tests (`--list --format terse`), counted
    /// under the pseudo-test.
    fn list(&mut self, select: &[String], extra: &[&str]) -> Result<Vec<String>> {
        let args: Vec<String> = ["--list", "--format", "terse"]
            .iter()
            .chain(extra)
            .map(|s| (*s).to_owned())
            .chain(select.iter().cloned())
            .collect();
        let ran = instance::run(&self.shared, &args, |_| {});
        self.totals.finish(ran.counts.as_deref(), NO_TEST);
        if ran.code != Some(0) {
            let why = ran.trap.clone().unwrap_or_else(|| match ran.code {
                Some(c) => format!("exit status {c}"),
                None => "no exit status".to_owned(),
            });
            bail!(
                "listing the tests failed ({why}):\n{}{}",
                ran.stdout,
                ran.stderr
            );
        }
        Ok(ran
            .stdout
            .lines()
            .filter_map(|l| l.strip_suffix(": test"))
            .map(str::to_owned)
            .collect())
    }

    /// Runs the jobs on `threads` workers, recording each as it ends and
    /// flushing the counters every interval.
    fn run_queue(&mut self, queue: VecDeque<Job>, threads: usize, program: bool, nocapture: bool) {
        let names: Vec<String> = queue.iter().map(|j| j.name.clone()).collect();
        let pending = queue.len();
        if pending == 0 {
            return;
        }
        let queue = Arc::new(Mutex::new(queue));
        let (tx, rx) = mpsc::channel::<Msg>();
        let workers: Vec<_> = (0..threads.min(pending))
            .map(|_| {
                let (queue, tx, shared) = (queue.clone(), tx.clone(), self.shared.clone());
                std::thread::spawn(move || loop {
                    let job = queue.lock().ok().and_then(|mut q| q.pop_front());
                    let Some(job) = job else { break };
                    if shared.stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let id = job.id;
                    let _ = tx.send(Msg::Started { id });
                    let flush_tx = Mutex::new(tx.clone());
                    let ran = instance::run(&shared, &job.args, move |counts| {
                        if let Ok(t) = flush_tx.lock() {
                            let _ = t.send(Msg::Flush { id, counts });
                        }
                    });
                    let _ = tx.send(Msg::Done {
                        id,
                        ran: Box::new(ran),
                    });
                })
            })
            .collect();
        drop(tx);
        let mut running: HashMap<usize, (Instant, bool)> = HashMap::new();
        let mut last_flush = Instant::now();
        loop {
            if self.shared.stop.load(Ordering::Relaxed) {
                if let Ok(mut q) = queue.lock() {
                    q.clear();
                }
            }
            match rx.recv_timeout(TICK * 10) {
                Ok(Msg::Started { id }) => {
                    running.insert(id, (Instant::now(), false));
                }
                Ok(Msg::Flush { id, counts }) => self.totals.live(id, &names[id], counts),
                Ok(Msg::Done { id, ran }) => {
                    running.remove(&id);
                    self.totals.end(id);
                    self.totals.finish(ran.counts.as_deref(), &names[id]);
                    self.record(&names[id], &ran, program, nocapture);
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => break,
            }
            for (id, (since, warned)) in running.iter_mut() {
                if !*warned && since.elapsed() >= Duration::from_secs(60) {
                    *warned = true;
                    let line =
                        format!("test {} has been running for over 60 seconds\n", names[*id]);
                    // A program's stdout is its own.
                    if program {
                        self.print_err(&line);
                    } else {
                        self.print_out(&line);
                    }
                }
            }
            if last_flush.elapsed() >= self.shared.flush {
                last_flush = Instant::now();
                if let Err(e) = self.publish_coverage() {
                    note(format_args!("saving the counters failed: {e:#}"));
                }
            }
        }
        for w in workers {
            let _ = w.join();
        }
    }

    /// One test's end, in libtest's words (a program's own output as it is).
    fn record(&mut self, name: &str, ran: &Ran, program: bool, nocapture: bool) {
        if ran.stopped {
            // Not run to its end: `not-run` in tests.json, its counts kept.
            return;
        }
        let passed = ran.trap.is_none() && ran.code == Some(0);
        let outcome = if ran.timed_out {
            Outcome::TimedOut
        } else if passed {
            Outcome::Passed
        } else {
            Outcome::Failed
        };
        let mut message = test_output(ran, (!program).then_some(name));
        if ran.timed_out {
            let secs = self.shared.timeout.map_or(0.0, |t| t.as_secs_f64());
            let text = format!("(timed out after {secs} s; its coverage up to then is kept)");
            message = if message.is_empty() {
                text
            } else {
                format!("{message}\n{text}")
            };
        }
        if program {
            self.print_out(&ran.stdout);
            self.print_err(&ran.stderr);
            if let Some(t) = &ran.trap {
                self.print_err(&format!("{t}\n"));
            }
        } else {
            let word = if passed { "ok" } else { "FAILED" };
            let extra = if ran.timed_out { " (timed out)" } else { "" };
            self.print_out(&format!("test {name} ... {word}{extra}\n"));
            if passed && nocapture && !message.is_empty() {
                self.print_out(&format!("{message}\n"));
            }
        }
        if !passed {
            self.failures.push((name.to_owned(), message.clone()));
        }
        self.results.insert(
            name.to_owned(),
            RawTest {
                name: name.to_owned(),
                outcome,
                duration_ms: ran.duration.as_secs_f64() * 1000.0,
                message: (!passed && !message.is_empty()).then_some(message),
            },
        );
    }

    fn summary(&mut self) {
        let mut text = String::new();
        if !self.failures.is_empty() {
            text.push_str("\nfailures:\n\n");
            for (name, message) in &self.failures {
                text.push_str(&format!("---- {name} stdout ----\n{message}\n\n"));
            }
            text.push_str("\nfailures:\n");
            for (name, _) in &self.failures {
                text.push_str(&format!("    {name}\n"));
            }
        }
        let count = |o: Outcome| self.results.values().filter(|r| r.outcome == o).count();
        text.push_str(&format!(
            "\ntest result: {}. {} passed; {} failed; {} ignored; 0 measured; {} filtered out; finished in {:.2}s\n\n",
            if self.failures.is_empty() { "ok" } else { "FAILED" },
            count(Outcome::Passed),
            self.failures.len(),
            count(Outcome::Ignored),
            self.filtered_out,
            self.started.elapsed().as_secs_f64()
        ));
        self.print_out(&text);
    }

    /// Writes the coverage so far (finished instances and the last
    /// counters of running ones).
    fn publish_coverage(&self) -> Result<()> {
        let Some(i) = self.instrumented else {
            return Ok(());
        };
        let (counts, tests) = self.totals.dump();
        let dump = RawDump {
            modules: Vec::new(),
            counts: Some(counts),
            tests: Some(tests),
        };
        publish_coverage(self.outputs, self.wasm, self.layout, Some(i), dump)
    }

    /// The run's last coverage and `tests.json`.
    fn publish(&self, interrupted: bool) -> Result<()> {
        self.publish_coverage()?;
        let tests = self
            .plan
            .iter()
            .map(|name| match self.results.get(name) {
                Some(r) => RawTest {
                    name: r.name.clone(),
                    outcome: r.outcome,
                    duration_ms: r.duration_ms,
                    message: r.message.clone(),
                },
                None => RawTest {
                    name: name.clone(),
                    outcome: Outcome::NotRun,
                    duration_ms: 0.0,
                    message: None,
                },
            })
            .collect();
        let results = RawResults {
            harness: self.shared.harness.name().to_owned(),
            tests,
            filtered_out: self.filtered_out,
            duration_ms: self.started.elapsed().as_secs_f64() * 1000.0,
            interrupted,
        };
        publish_results(self.outputs, self.layout, results)
    }

    fn print_out(&mut self, text: &str) {
        let _ = std::io::stdout().lock().write_all(text.as_bytes());
        self.log.push_str(text);
    }

    fn print_err(&mut self, text: &str) {
        let _ = std::io::stderr().lock().write_all(text.as_bytes());
        self.log.push_str(text);
    }
}

/// The counts over all instances, and per test, exactly: the per-test
/// counts add up to the totals (docs/formats.md §3c), the running tests'
/// last flushed counters included in both.
struct Totals {
    n: usize,
    done: Vec<u64>,
    /// Each test's non-zero counters, ascending by index.
    per_test: HashMap<String, Vec<(u32, u64)>>,
    /// Running jobs: their test and last counters.
    running: HashMap<usize, (String, Vec<u64>)>,
}

impl Totals {
    fn new(n: usize) -> Totals {
        Totals {
            n,
            done: vec![0; n],
            per_test: HashMap::new(),
            running: HashMap::new(),
        }
    }

    fn live(&mut self, id: usize, name: &str, counts: Vec<u64>) {
        self.running.insert(id, (name.to_owned(), counts));
    }

    fn end(&mut self, id: usize) {
        self.running.remove(&id);
    }

    /// An instance that will count no more.
    fn finish(&mut self, counts: Option<&[u64]>, name: &str) {
        let Some(counts) = counts else { return };
        let sparse = sparse(counts, self.n);
        for &(k, c) in &sparse {
            let slot = &mut self.done[k as usize];
            *slot = slot.saturating_add(c);
        }
        let had = self.per_test.entry(name.to_owned()).or_default();
        *had = merge(had, &sparse);
    }

    /// The totals and each test's counters, as the runner writes them.
    fn dump(&self) -> (Vec<u64>, Vec<RawTestHits>) {
        let mut all = self.done.clone();
        let mut tests = self.per_test.clone();
        for (name, counts) in self.running.values() {
            let s = sparse(counts, self.n);
            for &(k, c) in &s {
                let slot = &mut all[k as usize];
                *slot = slot.saturating_add(c);
            }
            let had = tests.entry(name.clone()).or_default();
            *had = merge(had, &s);
        }
        let mut names: Vec<_> = tests.into_iter().collect();
        names.sort_by(|a, b| a.0.cmp(&b.0));
        let hits = names
            .into_iter()
            .map(|(name, s)| RawTestHits {
                name,
                hits: s.into_iter().flat_map(|(k, c)| [u64::from(k), c]).collect(),
            })
            .collect();
        (all, hits)
    }
}

fn sparse(counts: &[u64], n: usize) -> Vec<(u32, u64)> {
    counts
        .iter()
        .take(n)
        .enumerate()
        .filter(|(_, &c)| c != 0)
        .map(|(k, &c)| (k as u32, c))
        .collect()
}

/// Two sparse lists added, saturating.
fn merge(a: &[(u32, u64)], b: &[(u32, u64)]) -> Vec<(u32, u64)> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        match (a.get(i), b.get(j)) {
            (Some(&x), Some(&y)) if x.0 == y.0 => {
                out.push((x.0, x.1.saturating_add(y.1)));
                i += 1;
                j += 1;
            }
            (Some(&x), Some(&y)) if x.0 < y.0 => {
                out.push(x);
                i += 1;
            }
            (Some(&x), None) => {
                out.push(x);
                i += 1;
            }
            (_, Some(&y)) => {
                out.push(y);
                j += 1;
            }
            (None, None) => break,
        }
    }
    out
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum Ignored {
    #[default]
    Normal,
    Only,
    Include,
}

/// The user's libtest arguments: those that select tests (given to
/// `--list`) and those wasm-run honours itself (`js/runner.cjs`'s
/// `parseArgs`).
#[derive(Debug, Default)]
struct Args {
    select: Vec<String>,
    ignored: Ignored,
    nocapture: bool,
    threads: Option<usize>,
}

impl Args {
    fn parse(args: &[String]) -> Args {
        let mut o = Args::default();
        let mut it = args.iter();
        while let Some(a) = it.next() {
            match a.as_str() {
                "--ignored" => o.ignored = Ignored::Only,
                "--include-ignored" => o.ignored = Ignored::Include,
                "--nocapture" | "--no-capture" => o.nocapture = true,
                "--quiet" | "-q" | "--show-output" => {}
                "--test-threads" => o.threads = it.next().and_then(|n| n.parse().ok()),
                "--format" | "--color" | "-Z" => {
                    it.next();
                }
                "--skip" => {
                    o.select.push(a.clone());
                    if let Some(v) = it.next() {
                        o.select.push(v.clone());
                    }
                }
                s if s.starts_with("--test-threads=") => {
                    o.threads = s["--test-threads=".len()..].parse().ok();
                }
                s if s.starts_with("--format=") || s.starts_with("--color=") => {}
                _ => o.select.push(a.clone()),
            }
        }
        o
    }
}

/// The failure message of test `name` (`None`: not libtest, all its output
/// is its own), as `js/runner.cjs`'s `testOutput` makes it.
fn test_output(ran: &Ran, name: Option<&str>) -> String {
    let own = |l: &str| {
        (l.starts_with("running ") && (l.ends_with(" test") || l.ends_with(" tests")))
            || (l.starts_with("test ")
                && (l.contains(" ... ok")
                    || l.contains(" ... FAILED")
                    || l.contains(" ... ignored")))
            || l.starts_with("test result: ")
    };
    let mut text = match name {
        None => ran.stdout.trim().to_owned(),
        Some(name) => {
            let prefix = format!("test {name} ... ");
            ran.stdout
                .split('\n')
                .map(|l| l.strip_prefix(&prefix).unwrap_or(l))
                .filter(|l| !own(l))
                .collect::<Vec<_>>()
                .join("\n")
                .trim()
                .to_owned()
        }
    };
    let mut add = |s: &str| {
        if !text.is_empty() {
            text.push('\n');
        }
        text.push_str(s);
    };
    if !ran.stderr.trim().is_empty() {
        add(ran.stderr.trim());
    }
    if let Some(t) = &ran.trap {
        if !ran.timed_out {
            add(&format!("({t})"));
        }
    } else if let Some(c) = ran.code.filter(|&c| c != 0) {
        add(&format!("(exit status {c})"));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparse_counts_merge_and_saturate() {
        let a = [(0, 5), (3, u64::MAX - 1)];
        let b = [(1, 2), (3, 7), (9, 1)];
        assert_eq!(merge(&a, &b), [(0, 5), (1, 2), (3, u64::MAX), (9, 1)]);
        assert_eq!(sparse(&[0, 4, 0, 2], 3), [(1, 4)]);
    }

    #[test]
    fn the_totals_and_the_per_test_counts_add_up() {
        let mut t = Totals::new(3);
        t.finish(Some(&[1, 0, 2]), NO_TEST);
        t.finish(Some(&[0, 5, 1]), "a");
        t.live(7, "b", vec![3, 0, 0]);
        let (all, tests) = t.dump();
        assert_eq!(all, [4, 5, 3]);
        let hits: Vec<(&str, &[u64])> = tests
            .iter()
            .map(|t| (t.name.as_str(), t.hits.as_slice()))
            .collect();
        assert_eq!(
            hits,
            [
                ("<no test>", &[0, 1, 2, 2][..]),
                ("a", &[1, 5, 2, 1][..]),
                ("b", &[0, 3][..])
            ]
        );
        t.end(7);
        assert_eq!(t.dump().0, [1, 5, 3]);
    }

    #[test]
    fn libtest_arguments_split_as_the_node_runner_splits_them() {
        let args: Vec<String> = [
            "parse",
            "--skip",
            "slow",
            "--test-threads=3",
            "--ignored",
            "--nocapture",
            "--format",
            "json",
        ]
        .map(str::to_owned)
        .to_vec();
        let a = Args::parse(&args);
        assert_eq!(a.select, ["parse", "--skip", "slow"]);
        assert_eq!(a.threads, Some(3));
        assert_eq!(a.ignored, Ignored::Only);
        assert!(a.nocapture);
    }

    #[test]
    fn a_failure_message_is_the_test_output_and_why_it_ended() {
        let ran = Ran {
            code: None,
            trap: Some("wasm trap: unreachable".into()),
            timed_out: false,
            stopped: false,
            stdout: "\nrunning 1 test\ntest t ... hello\nthread 'main' panicked at src/lib.rs:3:5:\nboom\n".into(),
            stderr: String::new(),
            counts: None,
            duration: Duration::ZERO,
        };
        assert_eq!(
            test_output(&ran, Some("t")),
            "hello\nthread 'main' panicked at src/lib.rs:3:5:\nboom\n(wasm trap: unreachable)"
        );
    }
}
