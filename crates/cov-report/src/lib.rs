//! `cov-report`: the last stage of the wasm coverage pipeline.
//!
//! ```text
//! wasm-run ─▶ v8cov-extract ─▶ wasm-cov-mapper ──LCOV | mapper JSON──▶ cov-report
//! ```
//!
//! It reads any number of LCOV tracefiles (the mapper's or any other tool's:
//! cargo-llvm-cov, grcov, geninfo) and mapper JSON documents, merges them
//! into one [`Coverage`] with source paths normalised, applies path filters
//! and exclusion markers, and writes any of: LCOV, an HTML report, Cobertura
//! XML, a JSON summary, a Markdown summary and the terminal table. Coverage
//! bars (`--fail-under-*`) turn the answer into exit status 1.

mod cobertura;
mod escape;
mod exclude;
mod html;
mod paths;
mod sources;
mod summary;
mod table;
mod threshold;

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::{self, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use clap::Parser;
use regex::Regex;
use wasm_cov_format::{
    detect_kind, open_input, read_lcov, write_lcov, AtomicOutput, Coverage, FormatError, InputKind,
    MappedCoverage,
};

pub use cobertura::{write_cobertura, CoberturaOptions};
pub use escape::{Esc, EscAttr};
pub use exclude::{apply_exclusions, scan_markers, Exclusions, MarkerWarning};
pub use html::{
    is_safe_page_name, page_names, write_file_page, write_html_dir, write_index, FileView,
    HtmlError, HtmlOptions,
};
pub use paths::{normalize_path, PathRewriter};
pub use sources::{load_sources, Source};
pub use summary::{write_json_summary, write_markdown, MarkdownOptions};
pub use table::{missing_lines, percent, write_table, TableOptions};
pub use threshold::{check as check_thresholds, Metric, Outcome, Percent};

/// Everything went fine.
pub const EXIT_OK: u8 = 0;
/// Ran fine but the answer is no: a `--fail-under-*` bar was not met.
pub const EXIT_FAILED: u8 = 1;
/// Usage or input error.
pub const EXIT_ERROR: u8 = 2;

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

  # Straight from the mapper:
  wasm-cov-mapper ... | cov-report

Inputs may be LCOV tracefiles from any tool or wasm-cov-mapper JSON; the kind
is detected from the content. V8 coverage JSON must go through v8cov-extract
and wasm-cov-mapper first. Mangled Rust function names (raw llvm-cov export)
are demangled, so they merge with the mapper's.

Exclusion markers in source comments drop lines from every output:
LCOV_EXCL_LINE, LCOV_EXCL_START ... LCOV_EXCL_STOP (or cov:ignore-line,
cov:ignore-start ... cov:ignore-stop), and LCOV_EXCL_BR_LINE,
LCOV_EXCL_BR_START ... LCOV_EXCL_BR_STOP for branches only.

Exit status: 0 ok, 1 a --fail-under bar was not met (every output is still
written), 2 usage or input error.";

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
    pub inputs: Vec<PathBuf>,

    /// Write the merged coverage as an LCOV tracefile (for genhtml, Codecov,
    /// Coveralls, IDEs).
    #[arg(long, value_name = "FILE", help_heading = "Outputs")]
    pub lcov: Option<PathBuf>,

    /// Write an HTML report into DIR: DIR/index.html and DIR/files/. The
    /// pages are self-contained and work offline.
    #[arg(long, value_name = "DIR", help_heading = "Outputs")]
    pub html: Option<PathBuf>,

    /// Write Cobertura XML (GitLab coverage visualisation, Jenkins).
    #[arg(long, value_name = "FILE", help_heading = "Outputs")]
    pub cobertura: Option<PathBuf>,

    /// Write a JSON summary: totals and per file, lines, functions and
    /// branches, each with total, covered and pct.
    #[arg(long, value_name = "FILE", help_heading = "Outputs")]
    pub json_summary: Option<PathBuf>,

    /// Write a Markdown summary, e.g. to "$GITHUB_STEP_SUMMARY".
    #[arg(long, value_name = "FILE", help_heading = "Outputs")]
    pub markdown: Option<PathBuf>,

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
    /// merges with one with relative paths.
    #[arg(long, value_name = "DIR", help_heading = "Paths")]
    pub source_root: Option<PathBuf>,

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

    /// Ignore LCOV_EXCL_* and cov:ignore-* markers in the sources.
    #[arg(long, help_heading = "Filters")]
    pub no_exclusion_markers: bool,

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
}

/// Why a run failed. Each message names the input or output it is about and
/// fits on one line.
//
// The underlying errors are part of the message, not `#[source]`s:
// `FormatError::Json` already shows its serde error, so an error chain printed
// with `{:#}` would repeat it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{name}: {error}")]
    Read { name: String, error: io::Error },
    #[error("{name}: {error}")]
    Parse { name: String, error: FormatError },
    #[error(
        "{name}: this is V8 coverage JSON; run v8cov-extract and wasm-cov-mapper on it \
         first and give cov-report the mapper's output"
    )]
    V8Input { name: String },
    #[error("standard input (`-`) is named more than once")]
    StdinTwice,
    #[error("{0} and {1} both write to standard output (`-`); give one of them a file")]
    StdoutTwice(&'static str, &'static str),
    #[error("--html needs a directory, not `-`")]
    HtmlToStdout,
    #[error("{flag} {pattern:?}: {message}")]
    Regex {
        flag: &'static str,
        pattern: String,
        message: String,
    },
    /// `AtomicOutput::create` names the path itself.
    #[error("{0}")]
    CreateOutput(io::Error),
    // `source` stays an error source so the binary can tell a closed pipe.
    #[error("{name}")]
    Write {
        name: String,
        #[source]
        source: io::Error,
    },
    #[error(transparent)]
    Html(#[from] HtmlError),
}

/// The merged, filtered coverage with what was learnt from the sources.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub coverage: Coverage,
    pub sources: BTreeMap<String, Source>,
    pub exclusions: BTreeMap<String, Exclusions>,
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

/// Keeps the files `include` (if any is given) and not `exclude` match.
pub fn filter_paths(cov: &mut Coverage, include: &[Regex], exclude: &[Regex]) {
    cov.files.retain(|path, _| {
        (include.is_empty() || include.iter().any(|r| r.is_match(path)))
            && !exclude.iter().any(|r| r.is_match(path))
    });
}

/// Runs `cov-report` with `args`. The table (and any output named `-`) goes
/// to `stdout`; warnings and unmet bars go to `stderr`. Returns the exit
/// status for a run that did not fail.
pub fn run(args: &Cli, stdout: &mut dyn Write, stderr: &mut dyn Write) -> anyhow::Result<u8> {
    let stdin = [PathBuf::from("-")];
    let inputs: &[PathBuf] = if args.inputs.is_empty() {
        &stdin
    } else {
        &args.inputs
    };
    if inputs.iter().filter(|p| is_stdio(p)).count() > 1 {
        return Err(Error::StdinTwice.into());
    }
    if let Some(dir) = &args.html {
        if is_stdio(dir) {
            return Err(Error::HtmlToStdout.into());
        }
        if dir.exists() && !dir.is_dir() {
            return Err(Error::Html(HtmlError {
                path: dir.display().to_string(),
                error: io::Error::other("exists and is not a directory"),
            })
            .into());
        }
    }
    let file_outputs: [(&'static str, Option<&Path>); 4] = [
        ("--lcov", args.lcov.as_deref()),
        ("--cobertura", args.cobertura.as_deref()),
        ("--json-summary", args.json_summary.as_deref()),
        ("--markdown", args.markdown.as_deref()),
    ];
    let to_stdout: Vec<&'static str> = file_outputs
        .iter()
        .filter(|(_, p)| p.is_some_and(is_stdio))
        .map(|(flag, _)| *flag)
        .collect();
    if let [a, b, ..] = to_stdout[..] {
        return Err(Error::StdoutTwice(a, b).into());
    }
    let include = compile("--include", &args.include)?;
    let exclude = compile("--exclude", &args.exclude)?;

    let root = args
        .source_root
        .clone()
        .unwrap_or_else(|| PathBuf::from("."));
    let mut prefixes = args.strip_prefix.clone();
    if let Some(r) = &args.source_root {
        if let Some(abs) = std::path::absolute(r)
            .ok()
            .and_then(|a| a.to_str().map(str::to_owned))
        {
            prefixes.push(abs);
        }
    }
    let rewriter = PathRewriter::new(&prefixes);

    let mut merged = Coverage::default();
    for input in inputs {
        let name = display_name(input);
        // Streamed: an LCOV file is read a line at a time (each line
        // capped), never held whole.
        let reader = open_input(input).map_err(|error| Error::Read {
            name: name.clone(),
            error,
        })?;
        let cov = read_coverage(&name, reader)?;
        merge_owned(&mut merged, cov, &rewriter);
    }
    filter_paths(&mut merged, &include, &exclude);

    let report = prepare_report(merged, &root, !args.no_exclusion_markers, stderr)?;
    let cov = &report.coverage;

    let mut bars = Vec::new();
    for (metric, bar) in [
        (Metric::Lines, args.fail_under_lines),
        (Metric::Functions, args.fail_under_functions),
        (Metric::Branches, args.fail_under_branches),
    ] {
        if let Some(bar) = bar {
            bars.push((metric, bar));
        }
    }
    let outcomes = check_thresholds(&cov.totals(), &bars);

    if let Some(path) = &args.lcov {
        emit(path, stdout, |w| write_lcov(cov, w))?;
    }
    if let Some(path) = &args.cobertura {
        let opts = CoberturaOptions {
            sources: vec![root.display().to_string()],
            timestamp: source_date_epoch(),
        };
        emit(path, stdout, |w| write_cobertura(cov, &opts, w))?;
    }
    if let Some(path) = &args.json_summary {
        emit(path, stdout, |w| write_json_summary(cov, w))?;
    }
    if let Some(path) = &args.markdown {
        let opts = MarkdownOptions {
            title: args.title.clone(),
            show_missing: args.show_missing,
        };
        emit(path, stdout, |w| write_markdown(cov, &opts, &outcomes, w))?;
    }
    if let Some(dir) = &args.html {
        warn_missing_sources(&report, stderr)?;
        let opts = HtmlOptions {
            title: args.title.clone(),
        };
        write_html_dir(dir, cov, &report.sources, &report.exclusions, &opts)?;
    }

    if !args.quiet && to_stdout.is_empty() {
        let opts = TableOptions {
            show_missing: args.show_missing,
        };
        write_table(cov, opts, stdout).map_err(|source| Error::Write {
            name: "<stdout>".to_owned(),
            source,
        })?;
    }

    let failed: Vec<&Outcome> = outcomes.iter().filter(|o| !o.met()).collect();
    if failed.is_empty() {
        return Ok(EXIT_OK);
    }
    // The table (if any) must come before the verdict when both go to a
    // terminal.
    stdout.flush().map_err(|source| Error::Write {
        name: "<stdout>".to_owned(),
        source,
    })?;
    for o in failed {
        writeln!(stderr, "cov-report: {o}")?;
    }
    Ok(EXIT_FAILED)
}

/// Reads the sources of `cov` under `root` and, if `markers`, applies their
/// exclusion markers. Marker problems are reported on `stderr` as warnings.
pub fn prepare_report(
    mut coverage: Coverage,
    root: &Path,
    markers: bool,
    stderr: &mut dyn Write,
) -> io::Result<Report> {
    let sources = load_sources(&coverage, root);
    let mut exclusions = BTreeMap::new();
    if markers {
        for (path, src) in &sources {
            let Some(text) = &src.text else { continue };
            let (ex, warnings) = scan_markers(text);
            for w in warnings {
                writeln!(
                    stderr,
                    "cov-report: warning: {}:{}: {}",
                    path.replace(['\r', '\n'], " "),
                    w.line,
                    w.message
                )?;
            }
            if ex != Exclusions::default() {
                if let Some(f) = coverage.files.get_mut(path) {
                    apply_exclusions(f, &ex);
                }
                exclusions.insert(path.clone(), ex);
            }
        }
    }
    Ok(Report {
        coverage,
        sources,
        exclusions,
    })
}

fn warn_missing_sources(report: &Report, stderr: &mut dyn Write) -> io::Result<()> {
    let missing: Vec<(&String, &Source)> = report
        .sources
        .iter()
        .filter(|(_, s)| s.text.is_none())
        .collect();
    if let Some((path, src)) = missing.first() {
        writeln!(
            stderr,
            "cov-report: warning: {} of {} source files not found (first: {} at {}); their HTML pages show counts without text (see --source-root)",
            missing.len(),
            report.sources.len(),
            path.replace(['\r', '\n'], " "),
            src.location.display().to_string().replace(['\r', '\n'], " ")
        )?;
    }
    Ok(())
}

/// Writes one output: to `stdout` for `-`, else atomically to `path`.
fn emit(
    path: &Path,
    stdout: &mut dyn Write,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<(), Error> {
    if is_stdio(path) {
        return write(stdout).map_err(|source| Error::Write {
            name: "<stdout>".to_owned(),
            source,
        });
    }
    // Only now, with every input read, so a bad input leaves no file.
    let mut out = AtomicOutput::create(Some(path)).map_err(Error::CreateOutput)?;
    let err = |source| Error::Write {
        name: path.display().to_string(),
        source,
    };
    write(&mut out).map_err(err)?;
    out.commit().map_err(err)
}

/// `SOURCE_DATE_EPOCH` if set (the reproducible-builds convention), else 0:
/// a report's bytes depend on its input only.
fn source_date_epoch() -> u64 {
    std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}

/// Parses one input document of whatever kind it is. `name` is only for
/// the error message.
pub fn parse_coverage(name: &str, bytes: &[u8]) -> Result<Coverage, Error> {
    read_coverage(name, bytes)
}

/// [`parse_coverage`] from a stream: the kind is told from the first 4096
/// bytes, then LCOV is read a line at a time and JSON straight into its
/// document, so the input is never held whole.
pub fn read_coverage(name: &str, mut r: impl Read) -> Result<Coverage, Error> {
    let parse = |error| Error::Parse {
        name: name.to_owned(),
        error,
    };
    let mut head = Vec::with_capacity(4096);
    (&mut r)
        .take(4096)
        .read_to_end(&mut head)
        .map_err(|error| Error::Read {
            name: name.to_owned(),
            error,
        })?;
    let kind = detect_kind(&head);
    let all = BufReader::new(io::Cursor::new(head).chain(r));
    match kind {
        InputKind::Lcov => read_lcov(all).map_err(parse),
        InputKind::MappedJson => Ok(MappedCoverage::from_reader(all)
            .map_err(parse)?
            .to_coverage()),
        InputKind::V8Json => Err(Error::V8Input {
            name: name.to_owned(),
        }),
    }
}

/// A Rust symbol as people read it. `llvm-cov export` writes mangled names
/// (`_RNvCs..._4demo8classify`, `_ZN4demo8classify17h...E`); the mapper and
/// cargo-llvm-cov write demangled ones, without the hash. Anything else is
/// returned as it is.
pub fn demangle(name: &str) -> Cow<'_, str> {
    let looks_mangled = ["_ZN", "_R", "__ZN", "__R"]
        .iter()
        .any(|p| name.starts_with(p));
    if looks_mangled {
        if let Ok(d) = rustc_demangle::try_demangle(name) {
            return Cow::Owned(format!("{d:#}"));
        }
    }
    Cow::Borrowed(name)
}

/// [`merge_into`] for a `cov` that is no longer needed: a file `into` does
/// not have yet is moved in whole instead of being added line by line, which
/// is most of the work when one input is read (and the first of many).
pub fn merge_owned(into: &mut Coverage, cov: Coverage, rewriter: &PathRewriter) {
    for (path, mut file) in cov.files {
        if file
            .functions
            .keys()
            .any(|n| matches!(demangle(n), Cow::Owned(_)))
        {
            // Two mangled names may demangle to one; add_function sums them.
            for (name, f) in std::mem::take(&mut file.functions) {
                file.add_function(&demangle(&name), f.line, f.count);
            }
        }
        match into.files.entry(rewriter.rewrite(&path)) {
            std::collections::btree_map::Entry::Vacant(slot) => {
                slot.insert(file);
            }
            std::collections::btree_map::Entry::Occupied(mut slot) => slot.get_mut().merge(&file),
        }
    }
}

/// Merges `cov` into `into` under rewritten paths, so that spellings of one
/// file become one record, and with function names demangled.
pub fn merge_into(into: &mut Coverage, cov: &Coverage, rewriter: &PathRewriter) {
    for (path, file) in &cov.files {
        let target = into.file_mut(&rewriter.rewrite(path));
        if file
            .functions
            .keys()
            .any(|n| matches!(demangle(n), Cow::Owned(_)))
        {
            let mut file = file.clone();
            file.functions.clear();
            for (name, f) in &cov.files[path].functions {
                file.add_function(&demangle(name), f.line, f.count);
            }
            target.merge(&file);
        } else {
            target.merge(file);
        }
    }
}

/// True if `err` (or what caused it) is a write to a closed pipe, which the
/// binary treats as a normal end (`cov-report | head`).
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    wasm_cov_format::is_broken_pipe(err.as_ref())
}

fn is_stdio(path: &Path) -> bool {
    path.as_os_str() == "-"
}

fn display_name(path: &Path) -> String {
    if is_stdio(path) {
        "<stdin>".to_owned()
    } else {
        path.display().to_string()
    }
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
        assert_eq!(cli.inputs, [PathBuf::from("a.lcov"), PathBuf::from("-")]);
        assert_eq!(cli.lcov, Some(PathBuf::from("out.lcov")));
        assert_eq!(cli.strip_prefix, ["/x", "/y"]);
        assert!(cli.quiet && cli.show_missing);
    }

    #[test]
    fn errors_name_the_input_on_one_line() {
        let e = parse_coverage("coverage.lcov", b"TN:\n\nDA:1,1\n").unwrap_err();
        assert_eq!(e.to_string(), "coverage.lcov: line 3: DA before SF");

        let e =
            parse_coverage("m.json", br#"{"format":"wasm-cov-mapper","version":1}"#).unwrap_err();
        let msg = format!("{:#}", anyhow::Error::from(e));
        assert!(msg.starts_with("m.json: missing field `files`"), "{msg}");
        assert_eq!(msg.matches("missing field").count(), 1, "{msg}");

        let e = parse_coverage("v8.json", br#"{"result":[]}"#).unwrap_err();
        assert!(e
            .to_string()
            .starts_with("v8.json: this is V8 coverage JSON; run v8cov-extract"));
    }

    #[test]
    fn merges_spellings_of_one_file() {
        let a = parse_coverage("a", b"SF:./src/lib.rs\nDA:1,1\nDA:2,0\nend_of_record\n").unwrap();
        let b = parse_coverage(
            "b",
            br#"{"format":"wasm-cov-mapper","version":1,"files":[{"path":"src/x/../lib.rs","lines":[{"line":2,"count":3}]}]}"#,
        )
        .unwrap();
        let mut merged = Coverage::default();
        let rw = PathRewriter::default();
        merge_into(&mut merged, &a, &rw);
        merge_into(&mut merged, &b, &rw);
        assert_eq!(merged.files.len(), 1);
        let f = &merged.files["src/lib.rs"];
        assert_eq!(f.lines.get(&1), Some(&1));
        assert_eq!(f.lines.get(&2), Some(&3));
    }

    #[test]
    fn lcov_to_stdout_replaces_the_table() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("in.lcov");
        std::fs::write(&input, "SF:a.rs\nDA:1,2\nend_of_record\n").unwrap();
        let cli = Cli::try_parse_from(["cov-report", "--lcov", "-"])
            .map(|mut c| {
                c.inputs = vec![input];
                c
            })
            .unwrap();
        let mut out = Vec::new();
        assert_eq!(run(&cli, &mut out, &mut Vec::new()).unwrap(), EXIT_OK);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "TN:\nSF:a.rs\nFNF:0\nFNH:0\nDA:1,2\nLF:1\nLH:1\nend_of_record\n"
        );
    }
}
