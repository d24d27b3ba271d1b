//! `cargo wasm-cov`: the driver of the wasm coverage pipeline for a user's
//! own crate or workspace.
//!
//! It adds no stage and hides no artifact: it builds the tests with
//! `cargo test --no-run` for the wasm target (the user's rustflags kept,
//! the coverage flags added), then runs the same four stages the Makefile
//! runs (wasm-run for each test binary, v8cov-extract, wasm-cov-mapper,
//! cov-report), in-process, through their own command lines, leaving their
//! files in `--output-dir`. `-v` prints each stage's command line.
//!
//! - `cli`: the command line.
//! - `workspace`: packages, targets and `[*.metadata.wasm-cov]` settings.
//! - `flags`: the rustflags cargo would use, plus ours.
//! - `compile`: `cargo test --no-run` and its JSON messages.
//! - `provision`: Node and wasm-bindgen-test-runner, found or installed.
//! - `runs`: one wasm-run command line per test binary.
//! - `doctest`: doctests through a runner that is this program.
//! - `partition`: `--partition`, which tests this shard runs.
//! - `stages`: the four stage tools, in-process.
//! - `stdout`: stdout kept for a report that goes there.
//! - `report`: the runs in the output folder to the reports.
//! - `untested`: why a test target ran no test (a feature off).

/// Builds an argument list from anything path- or string-like.
macro_rules! args {
    ($($a:expr),* $(,)?) => {
        vec![$(::std::ffi::OsString::from($a)),*]
    };
}

mod cli;
mod compile;
mod doctest;
mod flags;
mod hosts;
mod partition;
mod provision;
mod report;
mod runs;
mod stages;
mod stdout;
mod untested;
mod workspace;

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use wasm_cov_cli::Exit;

pub use cli::{Cli, Command, CommonArgs, ReportArgs, TestArgs};
pub use flags::{coverage_flags, BuildFlags};
pub use stages::{command_line, Stages};

/// Runs what the command line asks.
pub fn run(cli: Cli) -> Result<Exit> {
    match cli.command {
        Some(Command::Report(r)) => {
            let cwd = std::env::current_dir()?;
            let meta = workspace::load(None, r.common.offline)?;
            let settings = workspace::Settings::load(&meta, &[])?;
            let out = output_dir(&r.common, &meta, &cwd);
            let sources: Vec<PathBuf> = r.runs.iter().map(|d| cwd.join(d)).collect();
            let sources = if sources.is_empty() {
                vec![out.clone()]
            } else {
                report::check_shards(&sources)?;
                sources
            };
            report::report(
                &out,
                &sources,
                meta.workspace_root.as_std_path(),
                &r.report,
                &settings,
                &r.merge,
                Stages {
                    verbose: r.common.verbose,
                },
            )
        }
        Some(Command::Clean(c)) => {
            let cwd = std::env::current_dir()?;
            let meta = workspace::load(None, c.common.offline)?;
            let out = output_dir(&c.common, &meta, &cwd);
            if out.exists() {
                std::fs::remove_dir_all(&out)
                    .with_context(|| format!("cannot remove {}", out.display()))?;
            }
            Ok(Exit::Ok)
        }
        Some(Command::DoctestRunner(d)) => doctest::runner(&d),
        Some(Command::WasmRun(w)) => Stages { verbose: false }.wasm_run(&w.args),
        None => test(&cli.test, &cli.report, &cli.common),
    }
}

fn output_dir(common: &CommonArgs, meta: &cargo_metadata::Metadata, cwd: &Path) -> PathBuf {
    match &common.output_dir {
        Some(d) => cwd.join(d),
        None => meta.target_directory.as_std_path().join("wasm-cov"),
    }
}

/// Build, run, report.
fn test(args: &TestArgs, report_args: &ReportArgs, common: &CommonArgs) -> Result<Exit> {
    let cwd = std::env::current_dir()?;
    let stages = Stages {
        verbose: common.verbose,
    };
    let meta = workspace::load(args.manifest_path.as_deref(), common.offline)?;
    let selected = workspace::select(&meta, args, &cwd)?;
    if selected.is_empty() {
        anyhow::bail!("no package selected");
    }
    let settings = workspace::Settings::load(&meta, &selected)?;
    // Hosts run natively, after everything on wasm; they are never built
    // for it.
    let (hosts, plugins) = hosts::find(&meta, &selected, args, &settings)?;
    let selected: Vec<&cargo_metadata::Package> = selected
        .into_iter()
        .filter(|p| !hosts.iter().any(|h| h.id == p.id))
        .collect();
    if !hosts.is_empty() && plugins.is_empty() {
        anyhow::bail!(
            "host {} has no plugin to load: name the plugins with --plugin or `plugins` in [workspace.metadata.wasm-cov]",
            hosts[0].name
        );
    }
    let out = output_dir(common, &meta, &cwd);
    let build_dir = meta.target_directory.as_std_path().join("wasm-cov-target");

    // One build per target; the user's own selection flags pass through
    // unchanged unless the selection needs both targets.
    if let Some(e) = args.engine.as_deref() {
        if e != "node" && e != "wasmtime" {
            anyhow::bail!("--engine {e}: the engines are node and wasmtime");
        }
    }
    let configured = match (&args.target, &settings.target) {
        (None, None) => flags::configured_target(&cwd)?,
        _ => None,
    };
    let mut groups: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for p in &selected {
        let chosen = args.target.as_ref().or(settings.target.as_ref());
        let t = match chosen.or(configured.as_ref()) {
            Some(t) => t.clone(),
            None => workspace::auto_target(p).to_owned(),
        };
        groups.entry(t).or_default().push(p.name.to_string());
    }
    let split = groups.len() > 1;
    let any_kind = args.lib || args.bins || args.tests || !args.test.is_empty();
    let mut run_doc = !args.no_run && (args.doc || (!any_kind && !args.no_doc));
    if args.no_run && args.doc {
        anyhow::bail!("--no-run builds no doctests (rustdoc builds and runs them at once)");
    }
    if run_doc && !stages::wasm_run_runs_programs() {
        if args.doc {
            anyhow::bail!("--doc: this wasm-run cannot run doctests yet (no --harness program)");
        }
        eprintln!("cargo-wasm-cov: doctests skipped: this wasm-run has no --harness program yet");
        run_doc = false;
    }

    let plan_browser = args.browser.clone().or_else(|| settings.browser.clone());
    if plan_browser.is_some() && !stages::wasm_run_has_browsers() {
        anyhow::bail!(
            "--browser (or `browser` in metadata.wasm-cov): this wasm-run has no --browser yet"
        );
    }
    // Before the build, which can take minutes: a missing Node or runner
    // is said at once.
    let node = if args.no_run {
        PathBuf::new()
    } else {
        provision::node(common.node.as_deref(), common.offline)?
    };
    let bindgen_pkgs: Vec<_> = selected
        .iter()
        .copied()
        .filter(|p| workspace::uses_wasm_bindgen_test(p))
        .collect();
    // Only for wasm-bindgen-test suites: a wasip1 crate never needs it.
    let bindgen_runner = if groups.contains_key(flags::UNKNOWN)
        && !bindgen_pkgs.is_empty()
        && !args.doc
        && !args.no_run
    {
        let version = workspace::locked_wasm_bindgen(&meta, &bindgen_pkgs);
        Some(provision::wasm_bindgen_runner(
            common.wasm_bindgen_runner.as_deref(),
            version.as_deref(),
            common.offline,
        )?)
    } else {
        None
    };

    // A report on stdout must not mix with the build's and the tests' output.
    let quiet_stdout = stdout::StdoutToStderr::new(
        !args.no_run && !args.no_report && report_args.goes_to_stdout(),
    );
    let mut bins = Vec::new();
    let mut pkg_features: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut flags_by_target = BTreeMap::new();
    for (target, pkgs) in &groups {
        let flags = flags::resolve(&cwd, target)?;
        if !args.doc {
            // Named one by one when the selection's own flags would take
            // in a host too (`--workspace`), which is never built for wasm.
            let named = split || !hosts.is_empty();
            let mut cargo_args = compile::selection_args(args, named.then_some(pkgs.as_slice()));
            cargo_args.extend(compile::kind_args(args));
            let built = compile::build(
                &meta,
                target,
                &build_dir,
                &flags,
                &cargo_args,
                common.offline,
                common.verbose,
                args.manifest_path.as_deref(),
            )?;
            bins.extend(built.bins);
            pkg_features.extend(built.features);
        }
        flags_by_target.insert(target.clone(), flags);
    }
    if args.no_run {
        let mut stdout = std::io::stdout().lock();
        for b in &bins {
            writeln!(stdout, "{}", b.wasm.display())?;
        }
        return Ok(Exit::Ok);
    }
    let doc_pkgs: Vec<&cargo_metadata::Package> = selected
        .iter()
        .copied()
        .filter(|p| p.targets.iter().any(|t| t.is_lib()))
        .collect();
    let doctests_to_run = run_doc && !doc_pkgs.is_empty();
    // Test and bin targets cargo skipped for their required-features.
    let skipped = if args.doc {
        Vec::new()
    } else {
        untested::required_skipped(
            &selected,
            &pkg_features,
            &tested_kinds(args),
            meta.workspace_root.as_std_path(),
        )
    };
    let qualify = selected.len() > 1;
    if bins.is_empty() && !doctests_to_run && hosts.is_empty() {
        anyhow::bail!(
            "no test ran: {}",
            NothingRan {
                untested: &skipped,
                qualify,
                ..NothingRan::default()
            }
        );
    }

    let runs = out.join("runs");
    // Runs kept for a later report (--no-report) must not mix shards.
    let shard_file = out.join(report::SHARD_FILE);
    if args.no_report && runs.exists() {
        let kept = report::shard_of(&out)?.map(|r| r.partition());
        if kept != args.partition && !report::run_dirs(&runs)?.is_empty() {
            let said = |p: Option<wasm_cov_format::Partition>| {
                p.map_or_else(|| "no shard".to_owned(), |p| format!("shard {p}"))
            };
            anyhow::bail!(
                "{} holds the runs of {}, and this run is {}: use another --output-dir, or `cargo wasm-cov clean` first",
                out.display(),
                said(kept),
                said(args.partition)
            );
        }
    }
    if !args.no_report && runs.exists() {
        std::fs::remove_dir_all(&runs)
            .with_context(|| format!("cannot remove the old runs in {}", runs.display()))?;
    }
    std::fs::create_dir_all(&runs).with_context(|| format!("cannot create {}", runs.display()))?;
    if args.partition.is_none() && shard_file.is_file() {
        std::fs::remove_file(&shard_file)
            .with_context(|| format!("cannot remove {}", shard_file.display()))?;
    }

    let timeout = args.timeout.or(settings.timeout);
    let plan = runs::RunPlan {
        node: node.clone(),
        wasm_bindgen_runner: bindgen_runner,
        timeout,
        browser: plan_browser,
        test_threads: args.test_threads.or(settings.test_threads),
        engine: args.engine.clone(),
        test_args: args.args.clone(),
        workspace_root: meta.workspace_root.clone().into_std_path_buf(),
    };
    let mut failed = false;
    let mut broken: Vec<String> = Vec::new();
    let shard = match args.partition {
        Some(p) => {
            let s = plan_shard(
                p,
                &bins,
                &plan,
                &runs,
                &ShardInputs {
                    groups: &groups,
                    doc_pkgs: if run_doc { &doc_pkgs } else { &[] },
                    hosts: &hosts,
                    args,
                    build_dir: &build_dir,
                    flags_by_target: &flags_by_target,
                    node: &node,
                    timeout,
                    common,
                },
                &mut broken,
            )?;
            let record = wasm_cov_format::ShardRecord::new(p, s.tests, s.whole);
            record
                .save(&out)
                .with_context(|| format!("cannot write {}", shard_file.display()))?;
            eprintln!(
                "cargo-wasm-cov: shard {p}: {} of {} tests{}",
                s.tests,
                s.of,
                match s.whole {
                    0 => String::new(),
                    n => format!(" and {n} suite(s) that run whole"),
                }
            );
            if s.tests == 0 && s.whole == 0 && broken.is_empty() {
                drop(quiet_stdout);
                eprintln!(
                    "cargo-wasm-cov: shard {p} was dealt no test (more shards than tests); {} records it",
                    shard_file.display()
                );
                return Ok(Exit::Ok);
            }
            Some(s)
        }
        None => None,
    };
    let mut unrunnable: Vec<String> = Vec::new();
    // Test binaries with no test in them: a library without tests (not
    // worth a word), or a test file compiled out (said below).
    let mut empty: Vec<&compile::TestBinary> = Vec::new();
    let mut tally = Tally::default();
    // Tests that panicked and trapped, in every run: one hint at the end.
    let mut panicked: Vec<String> = Vec::new();
    let mut browser_ready = false;
    for (i, bin) in bins.iter().enumerate() {
        // Read once: the checks below look at the module's bytes, and
        // only wasm32-unknown-unknown binaries need them.
        let bytes = (bin.target == flags::UNKNOWN)
            .then(|| std::fs::read(&bin.wasm).ok())
            .flatten();
        let layout = bytes
            .as_deref()
            .and_then(|b| wasm_cov_format::ModuleLayout::parse(b).ok());
        if layout.as_ref().and_then(wasm_run::has_tests) == Some(false) {
            // Nothing to run, and nothing to count: wasm-bindgen-test-runner
            // would compile no module of it.
            empty.push(bin);
            continue;
        }
        if layout.as_ref().is_some_and(plain_tests_on_unknown) {
            unrunnable.push(bin.source.clone());
            continue;
        }
        // This shard's tests of it, and whether it keeps the counts of
        // its listing runs.
        let mut bin_plan = plan.clone();
        let mut strip = false;
        let mut dealt = String::new();
        if let (Some(s), Some(p)) = (&shard, args.partition) {
            let share = &s.bins[i];
            if !share.runs(p) {
                continue;
            }
            if let partition::Share::Tests { mine, of, owner } = share {
                if !mine.is_empty() {
                    bin_plan.test_args = partition::exact_args(&plan.test_args, mine);
                }
                strip = *owner != p.shard;
                dealt = format!(" [{} of {of} tests]", mine.len());
            }
        }
        eprintln!(
            "     Running {}/{} {} ({}){dealt}",
            i + 1,
            bins.len(),
            bin.source,
            bin.package
        );
        let stem = bin
            .wasm
            .file_stem()
            .map_or_else(|| "tests".into(), |s| s.to_string_lossy().into_owned());
        let run_dir = runs::unique_dir(&runs, &stem);
        let a = bin_plan.wasm_run_args(bin, &run_dir);
        // One test binary that cannot run (a browser suite without a
        // browser) is an error, but the others still run and report.
        let ran = ensure_browser(bytes.as_deref(), &plan, common.offline, &mut browser_ready)
            .and_then(|()| stages.wasm_run(&a));
        // wasm-bindgen-test-runner passes a binary with no
        // #[wasm_bindgen_test] in it; plain #[test]s in it never ran.
        let ran_nothing = || {
            std::fs::read_to_string(run_dir.join("run.log"))
                .is_ok_and(|log| log.lines().any(|l| l.trim() == "no tests to run!"))
        };
        if let Some(r) = ran.as_ref().ok().and_then(|_| read_tests(&run_dir)) {
            tally.add(&r);
            // Only a clean run that listed nothing is an empty binary; a
            // run that broke off early lists nothing either.
            if matches!(ran, Ok(Exit::Ok)) && r.tests.is_empty() && r.filtered_out == 0 {
                empty.push(bin);
            }
        }
        if matches!(ran, Ok(Exit::No)) {
            panicked.extend(wasm_run::panicked_in(&run_dir));
        }
        if strip && ran.is_ok() {
            // Another shard keeps the counts of this binary's listing.
            if let Err(e) = partition::strip_listing(&run_dir) {
                eprintln!(
                    "cargo-wasm-cov: error: {}: {}",
                    bin.source,
                    wasm_cov_cli::one_line(&format!("{e:#}"))
                );
                broken.push(bin.source.clone());
                let _ = std::fs::remove_dir_all(&run_dir);
                continue;
            }
        }
        match ran {
            Ok(Exit::Ok) if ran_nothing() => unrunnable.push(bin.source.clone()),
            Ok(Exit::Ok) => {}
            Ok(Exit::No) => failed = true,
            Ok(Exit::Error) => {
                broken.push(bin.source.clone());
            }
            Err(e) => bin_error(bin, &e, &mut broken),
        }
    }

    if run_doc {
        for (target, pkgs) in &groups {
            let pkgs: Vec<&cargo_metadata::Package> = doc_pkgs
                .iter()
                .copied()
                .filter(|p| pkgs.iter().any(|n| n == p.name.as_str()))
                .collect();
            if pkgs.is_empty() {
                continue;
            }
            let names: Vec<String> = pkgs.iter().map(|p| p.name.to_string()).collect();
            // Under --partition, one cargo test --doc per package, each
            // with its share: doctest names are only unique within one.
            let mut calls: Vec<(Vec<OsString>, Option<PathBuf>)> = Vec::new();
            match (&shard, flags::is_wasi(target)) {
                (Some(s), true) => {
                    for n in &names {
                        let Some(partition::Share::Tests { mine, .. }) = s.doctests.get(n) else {
                            continue;
                        };
                        if mine.is_empty() {
                            continue;
                        }
                        let mut a = compile::selection_args(args, Some(std::slice::from_ref(n)));
                        if !args.args.is_empty() {
                            a.push("--".into());
                            a.extend(args.args.iter().cloned());
                        }
                        let only = runs.join(format!(".doctests-{n}"));
                        write_atomic(&only, mine.join("\n").as_bytes())
                            .with_context(|| format!("cannot write {}", only.display()))?;
                        calls.push((a, Some(only)));
                    }
                }
                _ => {
                    let mut cargo_args = compile::selection_args(args, Some(&names));
                    if !args.args.is_empty() {
                        cargo_args.push("--".into());
                        cargo_args.extend(args.args.iter().cloned());
                    }
                    calls.push((cargo_args, None));
                }
            }
            for (cargo_args, only) in &calls {
                let run = doctest::DoctestRun {
                    target,
                    target_dir: &build_dir,
                    flags: &flags_by_target[target.as_str()],
                    cargo_args,
                    runs: &runs.join("doctests"),
                    node: &node,
                    timeout,
                    engine: args.engine.as_deref(),
                    only: only.as_deref(),
                    offline: common.offline,
                    verbose: common.verbose,
                };
                if !flags::is_wasi(target) {
                    // wasm-bindgen-test-runner finds no tests in a doctest
                    // binary and passes it: say so instead of counting a pass.
                    let count = doctest::count_doctests(&run);
                    if count == Some(0) {
                        continue;
                    }
                    let n = count
                        .map_or_else(|| "the doctests".to_owned(), |n| format!("{n} doctest(s)"));
                    eprintln!(
                        "cargo-wasm-cov: {n} of {} not run on {target}: wasm-bindgen-test-runner \
                     skips them (\"no tests to run!\"); they are not counted as passed",
                        names.join(", ")
                    );
                    continue;
                }
                failed |= !doctest::run_doctests(&run)?;
            }
        }
    }

    let mut hosts_ran = false;
    // A shard runs the hosts dealt to it, whole.
    let hosts: Vec<_> = hosts
        .iter()
        .enumerate()
        .filter(|(i, _)| shard.as_ref().is_none_or(|s| s.hosts[*i]))
        .map(|(_, h)| *h)
        .collect();
    if !hosts.is_empty() {
        hosts::build_plugins(&cwd, &plugins, args, common.offline, common.verbose)?;
        for host in &hosts {
            let run_dir = runs::unique_dir(&runs, &format!("host-{}", host.name));
            match hosts::run_host_tests(host, &run_dir, args, common.offline, common.verbose) {
                Ok(passed) => {
                    hosts_ran = true;
                    failed |= !passed;
                }
                Err(e) => {
                    eprintln!(
                        "cargo-wasm-cov: error: {}",
                        wasm_cov_cli::one_line(&format!("{e:#}"))
                    );
                    // Not a run folder the report can read.
                    let _ = std::fs::remove_dir_all(&run_dir);
                    broken.push(format!("host {}", host.name));
                }
            }
        }
    }

    if let Some(h) = wasm_run::panic_hint(&panicked) {
        eprintln!("cargo-wasm-cov: {h}");
    }
    // Test files compiled out by a #![cfg], and targets cargo skipped.
    let mut untested: Vec<untested::Untested> = empty
        .iter()
        .filter_map(|b| {
            let src =
                std::fs::read_to_string(meta.workspace_root.as_std_path().join(&b.source)).ok()?;
            Some(untested::Untested {
                source: b.source.clone(),
                package: b.package.clone(),
                why: untested::cfg_of(&src, &b.features)?,
            })
        })
        .collect();
    untested.extend(skipped);
    let doctests_ran = report::run_dirs(&runs.join("doctests")).is_ok_and(|d| !d.is_empty());
    if tally.ran == 0 && !doctests_ran && !hosts_ran {
        drop(quiet_stdout);
        anyhow::bail!(
            "no test ran: {}",
            NothingRan {
                untested: &untested,
                qualify,
                unrunnable: &unrunnable,
                broken: &broken,
                tally,
            }
        );
    }
    if let Some(line) = untested::describe(&untested, qualify) {
        eprintln!("cargo-wasm-cov: note: {line}");
    }
    if !unrunnable.is_empty() {
        eprintln!("cargo-wasm-cov: {}", plain_on_unknown(&unrunnable));
    }
    drop(quiet_stdout);
    if args.no_report {
        eprintln!(
            "cargo-wasm-cov: runs saved in {}; `cargo wasm-cov report` merges them",
            runs.display()
        );
        return Ok(Exit::no_if(failed));
    }
    let exit = report::report(
        &out,
        std::slice::from_ref(&out),
        meta.workspace_root.as_std_path(),
        report_args,
        &settings,
        &[],
        stages,
    )?;
    if !broken.is_empty() {
        eprintln!(
            "cargo-wasm-cov: error: {} test binar{} could not run (see above): {}; the report covers the others",
            broken.len(),
            if broken.len() == 1 { "y" } else { "ies" },
            broken.join(", ")
        );
        return Ok(Exit::Error);
    }
    if failed {
        eprintln!("cargo-wasm-cov: some tests failed (see above); the report covers what ran");
        return Ok(Exit::No);
    }
    Ok(exit)
}

/// The target kinds a selection tests, for naming the targets cargo
/// skipped: none when the user named the targets (`--test NAME` with a
/// missing required feature is cargo's own error).
fn tested_kinds(args: &TestArgs) -> Vec<&'static str> {
    let named = args.lib || args.bins || args.tests || !args.test.is_empty();
    let mut kinds = Vec::new();
    if !named || args.tests {
        kinds.push("test");
    }
    if !named || args.bins {
        kinds.push("bin");
    }
    kinds
}

/// How many tests the runs ran, or left out.
#[derive(Debug, Default, Clone, Copy)]
struct Tally {
    ran: u64,
    ignored: u64,
    filtered_out: u64,
}

impl Tally {
    fn add(&mut self, r: &wasm_cov_format::TestReport) {
        self.ran += r.passed + r.failed;
        self.ignored += r.ignored;
        self.filtered_out += r.filtered_out;
    }
}

/// The `tests.json` wasm-run wrote into a run folder, if it did.
fn read_tests(run_dir: &Path) -> Option<wasm_cov_format::TestReport> {
    let bytes = std::fs::read(run_dir.join("tests.json")).ok()?;
    wasm_cov_format::TestReport::from_json(&bytes).ok()
}

/// Plain `#[test]` binaries on wasm32-unknown-unknown, and the remedy.
fn plain_on_unknown(sources: &[String]) -> String {
    format!(
        "{} test binar{} ran no test: {}; plain #[test]s do not run on {} \
         (libtest has no output there; wasm-bindgen-test-runner says \"no tests to run!\"): \
         use #[wasm_bindgen_test], or --target {}",
        sources.len(),
        if sources.len() == 1 { "y" } else { "ies" },
        sources.join(", "),
        flags::UNKNOWN,
        flags::WASIP1
    )
}

/// Why a run ran no test at all, in one line after "no test ran: ": each
/// reason found, with its remedy; the run then ends with status 2, since
/// there is no answer to give (not a test that failed, status 1), and no
/// report is written, which would measure nothing.
#[derive(Debug, Default)]
struct NothingRan<'a> {
    untested: &'a [untested::Untested],
    qualify: bool,
    unrunnable: &'a [String],
    broken: &'a [String],
    tally: Tally,
}

impl std::fmt::Display for NothingRan<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut reasons: Vec<String> = Vec::new();
        reasons.extend(untested::describe(self.untested, self.qualify));
        if !self.unrunnable.is_empty() {
            reasons.push(plain_on_unknown(self.unrunnable));
        }
        if !self.broken.is_empty() {
            reasons.push(format!(
                "{} test binar{} could not run (see above): {}",
                self.broken.len(),
                if self.broken.len() == 1 { "y" } else { "ies" },
                self.broken.join(", ")
            ));
        }
        let t = self.tally;
        if t.ignored > 0 {
            reasons.push(format!(
                "{} test(s) are #[ignore]d: add -- --include-ignored to run them",
                t.ignored
            ));
        }
        if t.filtered_out > 0 {
            reasons.push(format!(
                "the test filters after -- left out all {} test(s)",
                t.filtered_out
            ));
        }
        if reasons.is_empty() {
            reasons.push(
                "the selected packages have no #[test], #[wasm_bindgen_test] or doctest for wasm"
                    .to_owned(),
            );
        }
        f.write_str(&reasons.join("; "))
    }
}

/// A wasm32-unknown-unknown test binary of plain `#[test]`s: libtest
/// linked with nothing to print through (no WASI, no wasm-bindgen), which
/// nothing can run. Any other binary goes to wasm-run, which says what is
/// wrong with it if anything is.
fn plain_tests_on_unknown(layout: &wasm_cov_format::ModuleLayout) -> bool {
    wasm_run::detect(layout).is_err()
        && layout.exports.iter().any(|e| e == "main")
        && !layout
            .imported_functions
            .iter()
            .any(|f| f.starts_with("wasi_snapshot_preview1::"))
}

/// Before a browser suite's first run: the browser is there, or installed
/// (provision::browser); other binaries need nothing.
fn ensure_browser(
    bytes: Option<&[u8]>,
    plan: &runs::RunPlan,
    offline: bool,
    ready: &mut bool,
) -> Result<()> {
    // No bytes: not wasm32-unknown-unknown, or unreadable (wasm-run says
    // what is wrong with it).
    let Some(bytes) = bytes.filter(|_| !*ready) else {
        return Ok(());
    };
    if wasm_run::test_mode(bytes, |k| std::env::var_os(k)).is_ok_and(|m| m.in_browser()) {
        provision::browser(plan.browser.as_deref(), offline)?;
        *ready = true;
    }
    Ok(())
}

/// What `plan_shard` reads besides the binaries.
struct ShardInputs<'a> {
    groups: &'a BTreeMap<String, Vec<String>>,
    /// The packages whose doctests run (none when doctests do not).
    doc_pkgs: &'a [&'a cargo_metadata::Package],
    hosts: &'a [&'a cargo_metadata::Package],
    args: &'a TestArgs,
    build_dir: &'a Path,
    flags_by_target: &'a BTreeMap<String, flags::BuildFlags>,
    node: &'a Path,
    timeout: Option<f64>,
    common: &'a CommonArgs,
}

/// This shard's share of every unit of the run.
struct ShardPlan {
    /// One per test binary, in `bins`' order.
    bins: Vec<partition::Share>,
    /// By package, for the doctests of WASI targets.
    doctests: BTreeMap<String, partition::Share>,
    /// One per host, in order: whether this shard runs its tests.
    hosts: Vec<bool>,
    /// Tests dealt to this shard, and in all.
    tests: u64,
    of: u64,
    whole: u64,
}

/// Lists every unit (libtest's `--list` of each WASI test binary, cargo's
/// of each package's doctests) and deals them by `p`. A binary whose
/// listing fails is named in `broken` and dealt no test, alike in every
/// shard.
fn plan_shard(
    p: wasm_cov_format::Partition,
    bins: &[compile::TestBinary],
    plan: &runs::RunPlan,
    runs: &Path,
    inp: &ShardInputs<'_>,
    broken: &mut Vec<String>,
) -> Result<ShardPlan> {
    use partition::Listing;
    // (id, listing, where its share goes)
    enum Slot {
        Bin(usize),
        Doc(String),
        Host(usize),
    }
    let mut units: Vec<(String, Listing, Slot)> = Vec::new();
    for (i, bin) in bins.iter().enumerate() {
        let listing = if flags::is_wasi(&bin.target) {
            let scratch = runs.join(format!(".list-{i}"));
            match partition::list_tests(plan, bin, &scratch, inp.common.verbose) {
                Ok(names) => Listing::Tests(names),
                Err(e) => {
                    bin_error(bin, &e, broken);
                    Listing::Tests(Vec::new())
                }
            }
        } else {
            Listing::Whole
        };
        units.push((bin.binary_id.clone(), listing, Slot::Bin(i)));
    }
    for (target, pkgs) in inp.groups {
        if !flags::is_wasi(target) {
            continue;
        }
        for pkg in inp
            .doc_pkgs
            .iter()
            .filter(|p| pkgs.iter().any(|n| n == p.name.as_str()))
        {
            let name = pkg.name.to_string();
            let mut cargo_args =
                compile::selection_args(inp.args, Some(std::slice::from_ref(&name)));
            if !inp.args.args.is_empty() {
                cargo_args.push("--".into());
                cargo_args.extend(inp.args.args.iter().cloned());
            }
            let run = doctest::DoctestRun {
                target,
                target_dir: inp.build_dir,
                flags: &inp.flags_by_target[target.as_str()],
                cargo_args: &cargo_args,
                runs,
                node: inp.node,
                timeout: inp.timeout,
                engine: inp.args.engine.as_deref(),
                only: None,
                offline: inp.common.offline,
                verbose: inp.common.verbose,
            };
            let names = doctest::list_doctests(&run)?;
            units.push((
                format!("{name}::doctest/lib"),
                Listing::Tests(names),
                Slot::Doc(name),
            ));
        }
    }
    for (i, h) in inp.hosts.iter().enumerate() {
        units.push((format!("{}::host", h.name), Listing::Whole, Slot::Host(i)));
    }
    units.sort_by(|a, b| a.0.cmp(&b.0));
    let listed: Vec<(String, Listing)> = units
        .iter()
        .map(|(id, l, _)| (id.clone(), l.clone()))
        .collect();
    let shares = partition::deal(p, &listed);
    let (tests, whole) = partition::count(&shares);
    let of = listed
        .iter()
        .map(|(_, l)| match l {
            Listing::Tests(n) => n.len() as u64,
            Listing::Whole => 0,
        })
        .sum();
    let mut out = ShardPlan {
        bins: vec![partition::Share::Whole(false); bins.len()],
        doctests: BTreeMap::new(),
        hosts: vec![false; inp.hosts.len()],
        tests,
        of,
        whole,
    };
    for ((_, _, slot), share) in units.into_iter().zip(shares) {
        match slot {
            Slot::Bin(i) => out.bins[i] = share,
            Slot::Doc(name) => {
                out.doctests.insert(name, share);
            }
            Slot::Host(i) => out.hosts[i] = share.runs(p),
        }
    }
    Ok(out)
}

/// `bytes` to `path` whole or not at all.
fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut f = wasm_cov_format::AtomicOutput::create(Some(path))?;
    f.write_all(bytes)?;
    f.commit()
}

/// One test binary that could not run: one line naming it, and it joins
/// `broken` (the run goes on with the others, and ends with status 2).
fn bin_error(bin: &compile::TestBinary, e: &anyhow::Error, broken: &mut Vec<String>) {
    eprintln!(
        "cargo-wasm-cov: error: {} ({}): {}",
        bin.source,
        bin.package,
        wasm_cov_cli::one_line(&format!("{e:#}"))
    );
    broken.push(bin.source.clone());
}
