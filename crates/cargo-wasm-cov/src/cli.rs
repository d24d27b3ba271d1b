//! The command line: what `cargo test` and cargo-llvm-cov users already
//! type. Parsing only; `run` and the modules it calls do the work.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use cov_report::Percent;

const AFTER_HELP: &str = "\
Examples:
  cargo wasm-cov                          # test the current package, print a table
  cargo wasm-cov --workspace --html --open
  cargo wasm-cov -p core --features extra --lcov --output-path lcov.info
  cargo wasm-cov --no-report --features a && cargo wasm-cov --no-report --features b
  cargo wasm-cov report --merge native.lcov --html
  cargo wasm-cov -v -- some_test_name     # -v prints each stage's command line
  cargo wasm-cov --no-report --partition slice:2/3 --output-dir shard-2   # one CI job of 3
  cargo wasm-cov report --runs shard-1 shard-2 shard-3 --lcov --output-path lcov.info

Artifacts go to --output-dir (default <target dir>/wasm-cov): runs/<test binary>/
(v8-coverage.json, modules/, tests.json, run.log), offsets.csv, coverage.json
(mapper JSON) and lcov.info; html/ with --html. The build uses
<target dir>/wasm-cov-target so ordinary builds stay warm.

Exit status: 0 ok, 1 a test failed or a --fail-under bar was missed (reports
are still written), 2 an error, or no test ran at all (one line says why:
a feature off, required-features, filters; no report). Settings in Cargo.toml:
[package.metadata.wasm-cov] / [workspace.metadata.wasm-cov] (docs/cargo-wasm-cov.md).";

/// Code coverage of a project's tests on WebAssembly (libtest on
/// wasm32-wasip1 or wasm32-wasip2, or wasm-bindgen-test), on stable Rust.
///
/// Builds the tests for wasm with DWARF, runs them under Node (browser
/// suites in headless Chromium or Firefox; wasip2 components on an
/// embedded wasmtime) with 64-bit block counters that wasm-run injects
/// into the module, and maps and reports the counts (v8cov-extract,
/// wasm-cov-mapper, cov-report), leaving every stage's artifacts in
/// --output-dir. Native hosts' tests that load the workspace's plugins
/// through wasm-cov-wasmtime add the plugin lines they reach.
#[derive(Debug, Parser)]
#[command(
    name = "cargo-wasm-cov",
    bin_name = "cargo wasm-cov",
    version,
    after_help = AFTER_HELP,
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    #[command(flatten)]
    pub test: TestArgs,

    #[command(flatten)]
    pub report: ReportArgs,

    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Report on the runs already in --output-dir (after --no-report runs),
    /// merged, optionally with other tools' LCOV.
    Report(ReportCmd),
    /// Remove --output-dir (the runs and reports), not the build.
    Clean(CleanCmd),
    /// The runner cargo calls for each doctest (set as
    /// CARGO_TARGET_WASM32_WASIP1_RUNNER by cargo wasm-cov itself).
    #[command(name = "__doctest-runner", hide = true)]
    DoctestRunner(DoctestRunnerArgs),
    /// wasm-run in a child process, so its output can be captured (the
    /// `--list` runs of `--partition`).
    #[command(name = "__wasm-run", hide = true)]
    WasmRun(WasmRunArgs),
}

/// The hidden subcommand that runs wasm-run in a child.
pub const WASM_RUN_CMD: &str = "__wasm-run";

#[derive(Debug, Args)]
pub struct WasmRunArgs {
    /// wasm-run's own arguments.
    #[arg(last = true)]
    pub args: Vec<OsString>,
}

#[derive(Debug, Args)]
pub struct ReportCmd {
    /// Also merge this LCOV file (e.g. `cargo llvm-cov --lcov` of the
    /// native tests). Repeatable.
    #[arg(long, value_name = "FILE.lcov")]
    pub merge: Vec<PathBuf>,

    /// Merge the runs of these output folders (each a CI shard's
    /// --output-dir, or any earlier run's) instead of --output-dir's own;
    /// the reports go to --output-dir. Shards of one --partition are
    /// checked: the same shard twice, or shards of different partitions,
    /// is an error. A shard missing is said, and the report covers the
    /// others.
    #[arg(long, value_name = "DIR", num_args = 1..)]
    pub runs: Vec<PathBuf>,

    #[command(flatten)]
    pub report: ReportArgs,

    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Debug, Args)]
pub struct CleanCmd {
    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Debug, Args)]
pub struct DoctestRunnerArgs {
    /// The folder that gets one run folder per doctest.
    #[arg(long, value_name = "DIR")]
    pub runs: PathBuf,
    /// The Node to run it with.
    #[arg(long, value_name = "PATH")]
    pub node: Option<PathBuf>,
    /// Timeout in seconds.
    #[arg(long, value_name = "SECS")]
    pub timeout: Option<f64>,
    /// wasm-run's --engine.
    #[arg(long, value_name = "NAME")]
    pub engine: Option<String>,
    /// Run only the doctests this file names, one a line (--partition).
    #[arg(long, value_name = "FILE")]
    pub only: Option<PathBuf>,
    /// Print the wasm-run command line.
    #[arg(short, long)]
    pub verbose: bool,
    /// The doctest's .wasm and its arguments, as cargo passes them to a runner.
    #[arg(last = true, required = true)]
    pub program: Vec<OsString>,
}

/// What to build and run: `cargo test`'s selection flags, passed on to it.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Package selection")]
pub struct TestArgs {
    /// Package to test (repeatable).
    #[arg(short, long = "package", value_name = "SPEC")]
    pub package: Vec<String>,
    /// Test every member of the workspace.
    #[arg(long, alias = "all")]
    pub workspace: bool,
    /// Leave out this package (with --workspace; repeatable).
    #[arg(long, value_name = "SPEC", requires = "workspace")]
    pub exclude: Vec<String>,
    /// Path to Cargo.toml.
    #[arg(long, value_name = "PATH")]
    pub manifest_path: Option<PathBuf>,

    /// Features to turn on (space- or comma-separated; repeatable).
    #[arg(
        short = 'F',
        long,
        value_name = "FEATURES",
        help_heading = "Feature selection"
    )]
    pub features: Vec<String>,
    /// Turn on every feature.
    #[arg(long, help_heading = "Feature selection")]
    pub all_features: bool,
    /// Do not turn on the `default` feature.
    #[arg(long, help_heading = "Feature selection")]
    pub no_default_features: bool,

    /// Test only the library's unit tests.
    #[arg(long, help_heading = "Target selection")]
    pub lib: bool,
    /// Test every binary's unit tests.
    #[arg(long, help_heading = "Target selection")]
    pub bins: bool,
    /// Test every target that has `test = true` (lib, bins, tests/*).
    #[arg(long, help_heading = "Target selection")]
    pub tests: bool,
    /// Test this integration test (tests/NAME.rs; repeatable).
    #[arg(long = "test", value_name = "NAME", help_heading = "Target selection")]
    pub test: Vec<String>,
    /// Test only the library's doctests (WASI targets only). Without any
    /// target selection flag, doctests run too, as under `cargo test`.
    #[arg(long, help_heading = "Target selection")]
    pub doc: bool,
    /// Leave out the doctests (they run by default with no target selection).
    #[arg(long, help_heading = "Target selection", conflicts_with = "doc")]
    pub no_doc: bool,

    /// A native package whose tests load the workspace's plugins through
    /// wasm-cov-wasmtime (repeatable). Default: `hosts` in
    /// [*.metadata.wasm-cov], else every selected package that depends on
    /// wasm-cov-wasmtime. Its tests run natively.
    #[arg(long, value_name = "PKG", help_heading = "Target selection")]
    pub host: Vec<String>,
    /// A package the hosts load as a wasm32-wasip2 component (repeatable),
    /// built for them with the coverage flags. Default: `plugins` in
    /// [*.metadata.wasm-cov], else every cdylib member that depends on
    /// wit-bindgen.
    #[arg(long, value_name = "PKG", help_heading = "Target selection")]
    pub plugin: Vec<String>,

    /// The wasm target: wasm32-wasip1, wasm32-wasip2 (components, run on
    /// wasmtime) or wasm32-unknown-unknown. Default: `target` in
    /// [*.metadata.wasm-cov], else cargo's `build.target` when it is one of
    /// these, else per package: wasm32-unknown-unknown when it depends on
    /// wasm-bindgen-test, else wasm32-wasip1.
    #[arg(long, value_name = "TRIPLE", help_heading = "Compilation")]
    pub target: Option<String>,
    /// Build with the release profile (the coverage flags still set
    /// opt-level=0 and full debuginfo).
    #[arg(long, short = 'r', help_heading = "Compilation")]
    pub release: bool,

    /// End a test that runs longer than SECS (wasm-run --timeout).
    #[arg(long, value_name = "SECS", help_heading = "Running")]
    pub timeout: Option<f64>,
    /// The engine for WASI suites and doctests: node or wasmtime
    /// (wasm-run --engine). Default: $WASM_RUN_ENGINE, else node on
    /// wasm32-wasip1; wasm32-wasip2 always runs on wasmtime.
    #[arg(long, value_name = "NAME", help_heading = "Running")]
    pub engine: Option<String>,
    /// The browser for wasm-bindgen-test suites that run in one: chrome
    /// (headless Chromium) or firefox (headless Firefox ESR). Default:
    /// $WASM_RUN_BROWSER, else chrome. Installed (Debian, as root) when a
    /// selected suite needs it and it is missing.
    #[arg(long, value_name = "NAME", help_heading = "Running")]
    pub browser: Option<String>,
    /// Tests run at once per binary (wasm-run --test-threads).
    #[arg(long, value_name = "N", help_heading = "Running")]
    pub test_threads: Option<usize>,
    /// Build the test binaries and print their paths on stdout, one per
    /// line; run nothing (what scripts and `wasm-run` by hand start from).
    #[arg(long, help_heading = "Running")]
    pub no_run: bool,
    /// Build and run, but write no report (merge later with `cargo wasm-cov report`).
    #[arg(long, help_heading = "Running")]
    pub no_report: bool,

    /// Run only shard M of N, as nextest deals them: slice:M/N (every
    /// selected test of every binary and the doctests, sorted by binary
    /// id, dealt round-robin), hash:M/N (by a stable hash of the binary id
    /// and the test name, so a test keeps its shard as others are added)
    /// or count:M/N (round-robin within each binary). A wasm-bindgen
    /// suite (one instance) and a native host's tests go whole to the
    /// shard their binary id hashes to. The output folder records the
    /// shard (shard.json); merge the shards with `cargo wasm-cov report
    /// --runs DIR...`.
    #[arg(long, value_name = "KIND:M/N", help_heading = "Running")]
    pub partition: Option<wasm_cov_format::Partition>,

    /// Arguments for the test binaries (libtest filters, --skip, --exact, ...).
    #[arg(last = true, value_name = "TEST ARGS")]
    pub args: Vec<OsString>,
}

/// What to write. The table goes to stdout unless a format goes there.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Report")]
pub struct ReportArgs {
    /// Write the HTML report to <output-dir>/html/.
    #[arg(long)]
    pub html: bool,
    /// Write the HTML report and open it in a browser.
    #[arg(long)]
    pub open: bool,
    /// Print LCOV (to --output-path, or stdout). <output-dir>/lcov.info is
    /// always written.
    #[arg(long, group = "format")]
    pub lcov: bool,
    /// Print Cobertura XML (to --output-path, or stdout).
    #[arg(long, group = "format")]
    pub cobertura: bool,
    /// Print the JSON summary (totals and per file; to --output-path, or stdout).
    #[arg(long, group = "format")]
    pub json: bool,
    /// Print a Markdown summary (to --output-path, or stdout), e.g.
    /// --output-path "$GITHUB_STEP_SUMMARY".
    #[arg(long, group = "format")]
    pub markdown: bool,
    /// Where --lcov, --cobertura, --json or --markdown go.
    #[arg(long, value_name = "PATH", requires = "format")]
    pub output_path: Option<PathBuf>,
    /// List the uncovered lines in the table.
    #[arg(long)]
    pub show_missing: bool,
    /// Exit 1 if less than P percent of lines are covered.
    #[arg(long, value_name = "P")]
    pub fail_under_lines: Option<Percent>,
    /// Exit 1 if less than P percent of functions are covered.
    #[arg(long, value_name = "P")]
    pub fail_under_functions: Option<Percent>,
    /// Exit 1 if less than P percent of branches are covered.
    #[arg(long, value_name = "P")]
    pub fail_under_branches: Option<Percent>,
    /// Leave out files whose path (relative to the workspace root) matches
    /// REGEX. Repeatable.
    #[arg(long, value_name = "REGEX")]
    pub ignore_filename_regex: Vec<String>,
}

impl ReportArgs {
    /// Whether a report format is written to stdout.
    pub fn goes_to_stdout(&self) -> bool {
        (self.lcov || self.cobertura || self.json || self.markdown) && self.output_path.is_none()
    }
}

/// Where things are, and which tools to use.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Environment")]
pub struct CommonArgs {
    /// Folder for the runs and reports [default: <target dir>/wasm-cov].
    #[arg(long, value_name = "DIR")]
    pub output_dir: Option<PathBuf>,
    /// Node (>= 25) to run the tests with. Default: $WASM_RUN_NODE, a
    /// node_modules/.bin/node above this program, a new enough node on
    /// PATH, else Node 26 installed with npm into the cache.
    #[arg(long, value_name = "PATH")]
    pub node: Option<PathBuf>,
    /// wasm-bindgen-test-runner to use. Default: $WASM_BINDGEN_TEST_RUNNER,
    /// then one of the locked wasm-bindgen version found or installed into
    /// the cache.
    #[arg(long, value_name = "PATH")]
    pub wasm_bindgen_runner: Option<PathBuf>,
    /// Install nothing and let cargo use no network.
    #[arg(long)]
    pub offline: bool,
    /// Print each stage's equivalent command line.
    #[arg(short, long)]
    pub verbose: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn test_args_and_report_flags_parse() {
        let cli = Cli::try_parse_from([
            "cargo-wasm-cov",
            "-p",
            "a",
            "--features",
            "x y",
            "--lcov",
            "--output-path",
            "l.info",
            "--fail-under-lines",
            "80",
            "--",
            "filter",
        ])
        .unwrap();
        assert_eq!(cli.test.package, ["a"]);
        assert!(cli.report.lcov);
        assert_eq!(cli.test.args, ["filter"]);
        let report =
            Cli::try_parse_from(["cargo-wasm-cov", "report", "--merge", "n.lcov"]).unwrap();
        assert!(matches!(report.command, Some(Command::Report(r)) if r.merge.len() == 1));
        assert!(Cli::try_parse_from(["cargo-wasm-cov", "--json", "--lcov"]).is_err());
    }

    #[test]
    fn a_partition_is_checked_when_parsed() {
        let cli = Cli::try_parse_from(["cargo-wasm-cov", "--partition", "hash:2/3"]).unwrap();
        assert_eq!(cli.test.partition.unwrap().to_string(), "hash:2/3");
        for bad in ["slice:0/3", "slice:4/3", "foo"] {
            let e = Cli::try_parse_from(["cargo-wasm-cov", "--partition", bad]).unwrap_err();
            assert_eq!(e.exit_code(), 2, "{bad}");
        }
        let r = Cli::try_parse_from(["cargo-wasm-cov", "report", "--runs", "a", "b"]).unwrap();
        assert!(matches!(r.command, Some(Command::Report(r)) if r.runs.len() == 2));
    }
}
