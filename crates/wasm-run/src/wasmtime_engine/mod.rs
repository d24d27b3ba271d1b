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

mod cache;
mod instance;
mod libtest;
mod totals;

use std::collections::{HashMap, VecDeque};
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use wasm_cov_cli::Exit;
use wasm_cov_format::{sha256_hex, ComponentSource, ModuleLayout, Outcome};
use wasm_cov_instrument::{body_entries, Instrumented};

use crate::counters::{instrument_module, Counters};
use crate::direct::{publish_coverage, publish_results, Module, RawDump, RawResults, RawTest};
use crate::harness::Harness;
use crate::session::{note, Options, Outputs, WasiWorld};
use instance::{Ran, Shared, TICK};
use libtest::{test_output, Args, Ignored};
use totals::Totals;

/// The pseudo-test the `--list` runs count under.
pub(super) const NO_TEST: &str = "<no test>";

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
        harness,
        ..
    } = *module;
    if opts.counters == Counters::V8 {
        bail!("--counters v8 reads V8's own counters, and --engine wasmtime has no V8: use --counters inject (the default) or off");
    }
    if module.component.is_some() && harness == Harness::Compat {
        bail!(
            "{}: a component; --harness compat runs core modules that export __run_tests",
            wasm.display()
        );
    }
    let instrumented = match opts.counters {
        Counters::Inject => {
            // Blocks are derived as on Node, with each trap's live frames
            // from its `WasmBacktrace` (instance.rs). A component's code
            // module keeps every increment: wasmtime's frame offsets inside
            // a component are not yet checked against the spliced module.
            let derive = module.component.is_none();
            Some(
                instrument_module(bytes, false, derive)
                    .with_context(|| wasm.display().to_string())?,
            )
        }
        Counters::V8 | Counters::Off => None,
    };
    let world = WasiWorld::new(opts, wasm)?;
    let engine = instance::engine(module.component.is_some())?;
    let code = instrumented.as_ref().map_or(bytes, |i| &i.wasm[..]);
    let cannot = |e: wasmtime::Error| anyhow!("wasmtime cannot compile {}: {e:#}", wasm.display());
    let pre = match &module.component {
        None => {
            let compiled = wasmtime::Module::new(&engine, code).map_err(cannot)?;
            instance::module_pre(&engine, &compiled)?
        }
        Some(c) => {
            // The instrumented code module in the original's place.
            let spliced;
            let whole = match &instrumented {
                Some(_) => {
                    spliced = wasm_cov_format::splice(c.bytes, &c.code, code);
                    &spliced[..]
                }
                None => c.bytes,
            };
            let compiled = wasmtime::component::Component::new(&engine, whole).map_err(cannot)?;
            instance::component_pre(&engine, &compiled)
                .with_context(|| wasm.display().to_string())?
        }
    };
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
    pre: instance::Pre,
    outputs: &Outputs,
    stop: &Arc<AtomicBool>,
) -> Result<Exit> {
    let Module {
        path: wasm,
        layout,
        harness,
        ..
    } = *module;
    let entries = match instrumented {
        Some(i) if !i.derived.is_empty() => body_entries(&i.wasm)?,
        _ => Vec::new(),
    };
    let shared = Arc::new(Shared {
        engine: engine.clone(),
        pre,
        harness,
        world,
        program_name: wasm
            .file_name()
            .map_or_else(|| "test.wasm".into(), |n| n.to_string_lossy().into_owned()),
        counters: instrumented.map(|i| (i.counters_export, i.blocks.len())),
        derived: Arc::new(
            instrumented
                .map(Instrumented::derivation)
                .unwrap_or_default(),
        ),
        entries,
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
        component: module.component.as_ref().map(|c| ComponentSource {
            sha256: sha256_hex(c.bytes),
            core_module: c.code.index,
        }),
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
    /// The component whose code module ran, if it was one.
    component: Option<ComponentSource>,
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
                let mut listings = Vec::new();
                let listed = self.list(&parsed.select, &[], &mut listings)?;
                ignored = self.list(&parsed.select, &["--ignored"], &mut listings)?;
                let total = if parsed.select.is_empty() {
                    listed.len()
                } else {
                    self.list(&[], &[], &mut listings)?.len()
                };
                self.plan = match parsed.ignored {
                    Ignored::Only => listed.into_iter().filter(|t| ignored.contains(t)).collect(),
                    _ => listed,
                };
                // Under --partition, this shard's share; the listing runs
                // count in one shard only (`Partition::deal`'s owner).
                let mut keep = true;
                if let Some((p, binary)) = &self.opts.partition {
                    let dealt = p.deal(0, binary, &self.plan);
                    keep = dealt.owner() == p.shard;
                    self.plan = dealt.mine.iter().map(|&i| self.plan[i].clone()).collect();
                }
                if keep {
                    for counts in &listings {
                        self.totals.finish(counts.as_deref(), NO_TEST);
                    }
                }
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

    /// libtest's own list of the tests (`--list --format terse`). Its
    /// counts wait in `listings` until it is known whether they count
    /// (under the pseudo-test); a failed listing's count at once.
    fn list(
        &mut self,
        select: &[String],
        extra: &[&str],
        listings: &mut Vec<Option<Vec<u64>>>,
    ) -> Result<Vec<String>> {
        let args: Vec<String> = ["--list", "--format", "terse"]
            .iter()
            .chain(extra)
            .map(|s| (*s).to_owned())
            .chain(select.iter().cloned())
            .collect();
        let mut ran = instance::run(&self.shared, &args, |_| {});
        listings.push(ran.counts.take());
        if ran.code != Some(0) {
            for counts in listings.iter() {
                self.totals.finish(counts.as_deref(), NO_TEST);
            }
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
        publish_results(self.outputs, self.layout, results, self.component.clone())
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
