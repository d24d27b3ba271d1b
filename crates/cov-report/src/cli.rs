//! The command line: what `cov-report` accepts, checked before any input is
//! read, and the run it drives from inputs to outputs and exit status.

use std::io::Write;
use std::path::PathBuf;

use clap::Parser;
use regex::Regex;
use wasm_cov_cli::{Exit, InputArg, OutputArg};

use crate::error::{name_list, warn, Error};
use crate::html::check_dir;
use crate::input::read_inputs;
use crate::merge::{filter_paths, prepare_report, SourceOptions};
use crate::output::write_outputs;
use crate::patch::{default_diff_root, load_patch, DiffSource, Patch};
use crate::paths::PathRewriter;
use crate::threshold::{check as check_thresholds, check_patch, Metric, Outcome, Percent};

/// The name messages start with.
pub const TOOL: &str = "cov-report";

const AFTER_HELP: &str = "\
Examples:
  # Merge wasm coverage with a native cargo-llvm-cov run of the same crate,
  # write every report, and fail CI below 80% of lines:
  cov-report coverage.json native.lcov --source-root . \\
      --lcov merged.lcov --html coverage-html --cobertura cobertura.xml \\
      --json-summary summary.json --markdown \"$GITHUB_STEP_SUMMARY\" \\
      --fail-under-lines 80 --show-missing

  File        Lines  Line %  Functions   Fn %  Missing
  ----------------------------------------------------
  src/lib.rs   6/10   60.0%        2/3  66.7%  3-5, 9
  ----------------------------------------------------
  TOTAL        6/10   60.0%        2/3  66.7%
  cov-report: lines: 60.00% (6/10) is below --fail-under-lines 80 by 20.00 points; 2 more lines must be covered

  # Merge the shards of a CI matrix, leaving out tests and generated code:
  cov-report shard-*.lcov --exclude '^tests/' --exclude '/generated/' --lcov all.lcov

  # Patch coverage: of the lines of code changed since origin/main, how
  # many ran; fail a pull request below 80%:
  cov-report coverage.json --diff-base origin/main --fail-under-patch 80 \\
      --markdown \"$GITHUB_STEP_SUMMARY\"

  # Straight from the mapper:
  wasm-cov-mapper ... | cov-report

Inputs may be LCOV tracefiles from any tool or wasm-cov-mapper JSON; the kind
is detected from the content. V8 coverage JSON must go through v8cov-extract
and wasm-cov-mapper first. Functions are matched across inputs by file and
declaration line, so llvm-cov's mangled per-instantiation records and the
mapper's merge into one function each; names are shown demangled.

Exclusion markers in source comments drop lines from every output:
LCOV_EXCL_LINE, LCOV_EXCL_START ... LCOV_EXCL_STOP (or cov:ignore-line,
cov:ignore-start ... cov:ignore-stop), and LCOV_EXCL_BR_LINE,
LCOV_EXCL_BR_START ... LCOV_EXCL_BR_STOP for branches only.

Exit status: 0 ok, 1 a --fail-under bar was not met (every output is still
written), 2 usage or input error, or an empty report: inputs with no coverage
records, or filters that leave no file (--allow-empty accepts both).";

/// Merge coverage reports and write them as HTML, LCOV, Cobertura, JSON,
/// Markdown and a terminal table.
///
/// Reads LCOV tracefiles and wasm-cov-mapper JSON, merges them (counts add
/// up; `./src/a.rs` and `src/x/../a.rs` are one file) and reports lines,
/// functions and, where present, branches covered per source file.
#[derive(Debug, Clone, Parser)]
#[command(name = "cov-report", version, after_help = AFTER_HELP)]
pub struct Cli {
    /// Coverage files to merge: LCOV or wasm-cov-mapper JSON. `-`, or no
    /// INPUT at all, reads standard input.
    #[arg(value_name = "INPUT")]
    pub inputs: Vec<InputArg>,

    /// Write the merged coverage as an LCOV tracefile (for genhtml, Codecov,
    /// Coveralls, IDEs).
    #[arg(long, value_name = "FILE", help_heading = "Outputs")]
    pub lcov: Option<OutputArg>,

    /// Write an HTML report into DIR: DIR/index.html and DIR/files/. The
    /// pages are self-contained and work offline.
    #[arg(long, value_name = "DIR", help_heading = "Outputs")]
    pub html: Option<OutputArg>,

    /// Write Cobertura XML (GitLab coverage visualisation, Jenkins).
    #[arg(long, value_name = "FILE", help_heading = "Outputs")]
    pub cobertura: Option<OutputArg>,

    /// Write a JSON summary: totals and per file, lines, functions and
    /// branches, each with total, covered and pct.
    #[arg(long, value_name = "FILE", help_heading = "Outputs")]
    pub json_summary: Option<OutputArg>,

    /// Write a Markdown summary, e.g. to "$GITHUB_STEP_SUMMARY".
    #[arg(long, value_name = "FILE", help_heading = "Outputs")]
    pub markdown: Option<OutputArg>,

    /// Do not print the table. (It is also left out when an output goes to
    /// standard output as `-`.)
    #[arg(long, short, help_heading = "Outputs")]
    pub quiet: bool,

    /// Add a column listing the uncovered lines, as ranges like `12-15, 40`,
    /// to the table and the Markdown summary.
    #[arg(long, help_heading = "Outputs")]
    pub show_missing: bool,

    /// The title of the HTML report and the Markdown summary.
    #[arg(
        long,
        value_name = "TEXT",
        default_value = "Coverage report",
        help_heading = "Outputs"
    )]
    pub title: String,

    /// Where relative source paths are read from, for the HTML pages and the
    /// exclusion markers [default: the current directory]. Absolute paths
    /// under DIR also become relative to it, so an LCOV with absolute paths
    /// merges with one with relative paths. Only sources under DIR are
    /// read.
    #[arg(long, value_name = "DIR", help_heading = "Paths")]
    pub source_root: Option<PathBuf>,

    /// Also read sources outside --source-root (after following symlinks
    /// and `..`) into the HTML pages and for exclusion markers. File names
    /// in coverage data are untrusted: by default an LCOV naming
    /// `SF:/home/you/.ssh/id_ed25519` gets a page with counts, not the key.
    #[arg(long, help_heading = "Paths")]
    pub allow_sources_outside_root: bool,

    /// Remove the leading directory PREFIX from source paths before merging.
    /// Repeatable; where several match, the longest wins.
    #[arg(long, value_name = "PREFIX", help_heading = "Paths")]
    pub strip_prefix: Vec<String>,

    /// Keep only files whose path (after --strip-prefix) matches REGEX.
    /// Repeatable: a file is kept if any matches.
    #[arg(long, value_name = "REGEX", help_heading = "Filters")]
    pub include: Vec<String>,

    /// Leave out files whose path matches REGEX. Repeatable; applied after
    /// --include.
    #[arg(long, value_name = "REGEX", help_heading = "Filters")]
    pub exclude: Vec<String>,

    /// Accept inputs with no coverage records, and filters that leave no
    /// file, and write empty reports (by default both are errors, exit 2:
    /// an empty report that passes usually hides a broken CI step).
    #[arg(long, help_heading = "Filters")]
    pub allow_empty: bool,

    /// Ignore LCOV_EXCL_* and cov:ignore-* markers in the sources.
    #[arg(long, help_heading = "Filters")]
    pub no_exclusion_markers: bool,

    /// Measure patch coverage on the change FILE holds: a unified diff as
    /// `git diff` writes it (`-` reads standard input).
    #[arg(long, value_name = "FILE", help_heading = "Patch coverage")]
    pub diff: Option<InputArg>,

    /// Measure patch coverage on the change since REF: runs `git diff REF`
    /// in the diff root (the work tree against REF; untracked files are not
    /// part of it).
    #[arg(long, value_name = "REF", help_heading = "Patch coverage")]
    pub diff_base: Option<String>,

    /// The folder the diff's paths are relative to [default: the top of the
    /// git work tree holding --source-root, else --source-root].
    #[arg(long, value_name = "DIR", help_heading = "Patch coverage")]
    pub diff_root: Option<PathBuf>,

    /// Exit 1 if less than P percent of lines are covered.
    #[arg(long, value_name = "P", help_heading = "Thresholds")]
    pub fail_under_lines: Option<Percent>,

    /// Exit 1 if less than P percent of functions are covered.
    #[arg(long, value_name = "P", help_heading = "Thresholds")]
    pub fail_under_functions: Option<Percent>,

    /// Exit 1 if less than P percent of branches are covered (a report
    /// with no branch data does not meet it).
    #[arg(long, value_name = "P", help_heading = "Thresholds")]
    pub fail_under_branches: Option<Percent>,

    /// Exit 1 if less than P percent of the lines of code the change (--diff
    /// or --diff-base) added or modified are covered. A change that touches
    /// no line of code meets it.
    #[arg(long, value_name = "P", help_heading = "Thresholds")]
    pub fail_under_patch: Option<Percent>,
}

impl Cli {
    /// The inputs; none at all means standard input.
    fn inputs(&self) -> &[InputArg] {
        if self.inputs.is_empty() {
            static STDIN: [InputArg; 1] = [InputArg::STDIN];
            &STDIN
        } else {
            &self.inputs
        }
    }

    /// The outputs that are files (or `-`), by flag.
    fn file_outputs(&self) -> [(&'static str, Option<&OutputArg>); 4] {
        [
            ("--lcov", self.lcov.as_ref()),
            ("--cobertura", self.cobertura.as_ref()),
            ("--json-summary", self.json_summary.as_ref()),
            ("--markdown", self.markdown.as_ref()),
        ]
    }

    /// The one output named `-`, if any; usage errors found without
    /// reading an input.
    fn check(&self) -> Result<Option<&'static str>, Error> {
        let diff_stdin = self.diff.as_ref().is_some_and(InputArg::is_stdin);
        if self.inputs().iter().filter(|i| i.is_stdin()).count() + usize::from(diff_stdin) > 1 {
            return Err(Error::StdinTwice);
        }
        if self.diff.is_some() && self.diff_base.is_some() {
            return Err(Error::DiffTwice);
        }
        if self.diff_source().is_none() {
            if self.fail_under_patch.is_some() {
                return Err(Error::NoDiff("--fail-under-patch"));
            }
            if self.diff_root.is_some() {
                return Err(Error::NoDiff("--diff-root"));
            }
        }
        if let Some(html) = &self.html {
            check_dir(html.path().ok_or(Error::HtmlToStdout)?)?;
        }
        let to_stdout: Vec<&'static str> = self
            .file_outputs()
            .iter()
            .filter(|(_, out)| out.is_some_and(OutputArg::is_stdout))
            .map(|(flag, _)| *flag)
            .collect();
        match to_stdout[..] {
            [a, b, ..] => Err(Error::StdoutTwice(a, b)),
            _ => Ok(to_stdout.first().copied()),
        }
    }

    /// The change patch coverage is measured on, if any.
    fn diff_source(&self) -> Option<DiffSource> {
        match (&self.diff, &self.diff_base) {
            (Some(file), _) => Some(DiffSource::File(file.clone())),
            (None, Some(base)) => Some(DiffSource::GitBase(base.clone())),
            (None, None) => None,
        }
    }

    /// Reads the change, if one was given, in the report's paths.
    fn patch(&self) -> Result<Option<Patch>, Error> {
        let Some(source) = self.diff_source() else {
            return Ok(None);
        };
        let root = self.root();
        let diff_root = self
            .diff_root
            .clone()
            .unwrap_or_else(|| default_diff_root(&root));
        load_patch(&source, &diff_root, &root).map(Some)
    }

    /// Where relative source paths are read from.
    pub(crate) fn root(&self) -> PathBuf {
        self.source_root
            .clone()
            .unwrap_or_else(|| PathBuf::from("."))
    }

    /// `--strip-prefix`, and the absolute `--source-root`.
    fn rewriter(&self) -> PathRewriter {
        let mut prefixes = self.strip_prefix.clone();
        if let Some(r) = &self.source_root {
            if let Some(abs) = std::path::absolute(r)
                .ok()
                .and_then(|a| a.to_str().map(str::to_owned))
            {
                prefixes.push(abs);
            }
        }
        PathRewriter::new(&prefixes)
    }

    /// The path filters as they were given, e.g. `--include "^src/"
    /// --exclude "/gen/"`, for a message.
    fn filters(&self) -> String {
        let given = self.include.iter().map(|p| ("--include", p));
        let given = given.chain(self.exclude.iter().map(|p| ("--exclude", p)));
        let list: Vec<String> = given.map(|(flag, p)| format!("{flag} {p:?}")).collect();
        name_list(&list, 8)
    }

    /// The `--fail-under-*` bars given, lines first.
    fn bars(&self) -> Vec<(Metric, Percent)> {
        [
            (Metric::Lines, self.fail_under_lines),
            (Metric::Functions, self.fail_under_functions),
            (Metric::Branches, self.fail_under_branches),
        ]
        .into_iter()
        .filter_map(|(metric, bar)| Some((metric, bar?)))
        .collect()
    }
}

fn compile(flag: &'static str, patterns: &[String]) -> Result<Vec<Regex>, Error> {
    patterns
        .iter()
        .map(|p| {
            Regex::new(p).map_err(|e| Error::Regex {
                flag,
                pattern: p.clone(),
                // regex's syntax errors draw a caret over several lines; the
                // last line says what is wrong.
                message: e
                    .to_string()
                    .lines()
                    .rev()
                    .find(|l| !l.trim().is_empty())
                    .unwrap_or("invalid regex")
                    .trim()
                    .trim_start_matches("error: ")
                    .to_owned(),
            })
        })
        .collect()
}

/// Warns when the change touches files but none of them is in the report:
/// usually diff paths that do not meet the report's (see --diff-root).
fn warn_unmatched_patch(
    patch: &Patch,
    cov: &wasm_cov_format::Coverage,
    stderr: &mut dyn Write,
) -> std::io::Result<()> {
    let touched: Vec<&String> = patch
        .changed
        .iter()
        .filter(|(_, lines)| !lines.is_empty())
        .map(|(p, _)| p)
        .collect();
    if let Some(first) = touched.first() {
        if !touched.iter().any(|p| cov.files.contains_key(p.as_str())) {
            warn(
                stderr,
                format_args!(
                    "{}: none of the {} files it changes is in the report (first: {first}); patch coverage has nothing to measure (is --diff-root right?)",
                    patch.label,
                    touched.len()
                ),
            )?;
        }
    }
    Ok(())
}

/// Runs `cov-report` with `args`. The table (and any output named `-`) goes
/// to `stdout`; warnings and unmet bars go to `stderr`. Returns the exit
/// status for a run that did not fail.
pub fn run(args: &Cli, stdout: &mut dyn Write, stderr: &mut dyn Write) -> anyhow::Result<Exit> {
    let to_stdout = args.check()?;
    let include = compile("--include", &args.include)?;
    let exclude = compile("--exclude", &args.exclude)?;

    let (mut merged, contexts) = read_inputs(args.inputs(), &args.rewriter())?;
    let read = merged.files.len();
    if read == 0 && !args.allow_empty {
        return Err(Error::NoRecords {
            inputs: name_list(args.inputs(), 5),
        }
        .into());
    }
    filter_paths(&mut merged, &include, &exclude);
    if read > 0 && merged.files.is_empty() && !args.allow_empty {
        return Err(Error::AllFiltered {
            filters: args.filters(),
            files: read,
        }
        .into());
    }
    let sources = SourceOptions {
        root: args.root(),
        outside_root: args.allow_sources_outside_root,
        markers: !args.no_exclusion_markers,
    };
    let mut report = prepare_report(merged, &sources, stderr)?;
    report.patch = args.patch()?;
    report.contexts = contexts.map(|mut c| {
        c.prune(&report.coverage);
        c
    });
    let mut outcomes = check_thresholds(&report.coverage.totals(), &args.bars());
    if let Some(patch) = &report.patch {
        warn_unmatched_patch(patch, &report.coverage, stderr)?;
        if let Some(bar) = args.fail_under_patch {
            outcomes.push(check_patch(patch.total(&report.coverage), bar));
        }
    }

    write_outputs(
        args,
        &report,
        &outcomes,
        to_stdout.is_none(),
        stdout,
        stderr,
    )?;

    let failed: Vec<&Outcome> = outcomes.iter().filter(|o| !o.met()).collect();
    if failed.is_empty() {
        return Ok(Exit::Ok);
    }
    // The table (if any) must come before the verdict when both go to a
    // terminal.
    stdout.flush().map_err(|source| Error::Write {
        name: OutputArg::STDOUT.to_string(),
        source,
    })?;
    for o in failed {
        writeln!(stderr, "{TOOL}: {o}")?;
    }
    Ok(Exit::No)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn parses_the_documented_flags() {
        let cli = Cli::try_parse_from([
            "cov-report",
            "a.lcov",
            "-",
            "--lcov",
            "out.lcov",
            "--strip-prefix",
            "/x",
            "--strip-prefix",
            "/y",
            "--show-missing",
            "-q",
        ])
        .unwrap();
        assert_eq!(cli.inputs, [InputArg::new("a.lcov"), InputArg::STDIN]);
        assert_eq!(cli.lcov, Some(OutputArg::new("out.lcov")));
        assert_eq!(cli.strip_prefix, ["/x", "/y"]);
        assert!(cli.quiet && cli.show_missing);
    }

    #[test]
    fn lcov_to_stdout_replaces_the_table() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("in.lcov");
        std::fs::write(&input, "SF:a.rs\nDA:1,2\nend_of_record\n").unwrap();
        let mut cli = Cli::try_parse_from(["cov-report", "--lcov", "-"]).unwrap();
        cli.inputs = vec![InputArg::new(input)];
        let mut out = Vec::new();
        assert_eq!(run(&cli, &mut out, &mut Vec::new()).unwrap(), Exit::Ok);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "TN:\nSF:a.rs\nFNF:0\nFNH:0\nDA:1,2\nLF:1\nLH:1\nend_of_record\n"
        );
    }
}
