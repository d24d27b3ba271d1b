//! `cov-report`: the last stage of the wasm coverage pipeline.
//!
//! ```text
//! wasm-run ─▶ v8cov-extract ─▶ wasm-cov-mapper ──LCOV | mapper JSON──▶ cov-report
//! ```
//!
//! It reads any number of LCOV tracefiles (the mapper's or any other tool's)
//! and mapper JSON documents, merges them into one [`Coverage`] with source
//! paths normalised, writes that as LCOV if asked, and prints a per-file
//! summary table.

mod paths;
mod table;

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use clap::Parser;
use wasm_cov_format::{
    detect_kind, read_input, read_lcov, write_lcov, AtomicOutput, Coverage, FormatError, InputKind,
    MappedCoverage,
};

pub use paths::{normalize_path, PathRewriter};
pub use table::{missing_lines, percent, write_table, TableOptions};

/// Everything went fine.
pub const EXIT_OK: u8 = 0;
/// Ran fine but the answer is no. Reserved for coverage thresholds.
pub const EXIT_FAILED: u8 = 1;
/// Usage or input error.
pub const EXIT_ERROR: u8 = 2;

const AFTER_HELP: &str = "\
Example:
  # Merge the coverage of two test runs, one of them reached through a
  # different working directory, and keep the merged tracefile for genhtml:
  cov-report unit.lcov integration.json --strip-prefix /home/ci/proj \\
      --lcov merged.lcov --show-missing

  File        Lines  Line %  Functions   Fn %  Missing
  ----------------------------------------------------
  src/lib.rs   6/10   60.0%        2/3  66.7%  3-5, 9
  ----------------------------------------------------
  TOTAL        6/10   60.0%        2/3  66.7%

  # Or straight from the mapper:
  wasm-cov-mapper ... | cov-report

Inputs may be LCOV tracefiles from any tool or wasm-cov-mapper JSON; the kind
is detected from the content. V8 coverage JSON must go through v8cov-extract
and wasm-cov-mapper first.

Exit status: 0 ok, 2 usage or input error.";

/// Merge wasm coverage reports and print a per-file summary.
///
/// Reads LCOV tracefiles and wasm-cov-mapper JSON, merges them (counts add
/// up; `./src/a.rs` and `src/x/../a.rs` are one file) and prints lines,
/// functions and, where present, branches covered per source file.
#[derive(Debug, Clone, Parser)]
#[command(name = "cov-report", version, after_help = AFTER_HELP)]
pub struct Cli {
    /// Coverage files to merge: LCOV or wasm-cov-mapper JSON. `-`, or no
    /// INPUT at all, reads standard input.
    #[arg(value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,

    /// Also write the merged coverage as an LCOV tracefile to OUT. `-` writes
    /// it to standard output, and then the table is not printed.
    #[arg(long, value_name = "OUT")]
    pub lcov: Option<PathBuf>,

    /// Do not print the table.
    #[arg(long, short)]
    pub quiet: bool,

    /// Remove the leading directory PREFIX from source paths before merging.
    /// Repeatable; where several match, the longest wins.
    #[arg(long, value_name = "PREFIX")]
    pub strip_prefix: Vec<String>,

    /// Add a column listing the uncovered lines, as ranges like `12-15, 40`.
    #[arg(long)]
    pub show_missing: bool,
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
}

/// Runs `cov-report` with `args`, writing the table (and `--lcov -`) to
/// `stdout`. Returns the exit status for a run that did not fail.
pub fn run(args: &Cli, stdout: &mut dyn Write) -> anyhow::Result<u8> {
    let stdin = [PathBuf::from("-")];
    let inputs: &[PathBuf] = if args.inputs.is_empty() {
        &stdin
    } else {
        &args.inputs
    };
    if inputs.iter().filter(|p| is_stdio(p)).count() > 1 {
        return Err(Error::StdinTwice.into());
    }

    let rewriter = PathRewriter::new(&args.strip_prefix);
    let mut merged = Coverage::default();
    for input in inputs {
        let name = display_name(input);
        let bytes = read_input(input).map_err(|error| Error::Read {
            name: name.clone(),
            error,
        })?;
        let cov = parse_coverage(&name, &bytes)?;
        merge_into(&mut merged, &cov, &rewriter);
    }

    let lcov_to_stdout = args.lcov.as_deref().is_some_and(is_stdio);
    match args.lcov.as_deref() {
        Some(_) if lcov_to_stdout => {
            write_lcov(&merged, &mut *stdout).map_err(|source| Error::Write {
                name: "<stdout>".to_owned(),
                source,
            })?;
        }
        Some(path) => {
            // Only now, with every input read, so a bad input leaves no file.
            let mut out = AtomicOutput::create(Some(path)).map_err(Error::CreateOutput)?;
            let write = |source| Error::Write {
                name: path.display().to_string(),
                source,
            };
            write_lcov(&merged, &mut out).map_err(write)?;
            out.commit().map_err(write)?;
        }
        None => {}
    }

    if !args.quiet && !lcov_to_stdout {
        let opts = TableOptions {
            show_missing: args.show_missing,
        };
        write_table(&merged, opts, stdout).map_err(|source| Error::Write {
            name: "<stdout>".to_owned(),
            source,
        })?;
    }
    Ok(EXIT_OK)
}

/// Parses one input document of whatever kind it is. `name` is only for
/// the error message.
pub fn parse_coverage(name: &str, bytes: &[u8]) -> Result<Coverage, Error> {
    let parse = |error| Error::Parse {
        name: name.to_owned(),
        error,
    };
    match detect_kind(bytes) {
        InputKind::Lcov => read_lcov(bytes).map_err(parse),
        InputKind::MappedJson => Ok(MappedCoverage::from_json(bytes)
            .map_err(parse)?
            .to_coverage()),
        InputKind::V8Json => Err(Error::V8Input {
            name: name.to_owned(),
        }),
    }
}

/// Merges `cov` into `into` under rewritten paths, so that spellings of one
/// file become one record.
pub fn merge_into(into: &mut Coverage, cov: &Coverage, rewriter: &PathRewriter) {
    for (path, file) in &cov.files {
        into.file_mut(&rewriter.rewrite(path)).merge(file);
    }
}

/// True if `err` (or what caused it) is a write to a closed pipe, which the
/// binary treats as a normal end (`cov-report | head`).
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<io::Error>()
            .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
    })
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
        assert_eq!(run(&cli, &mut out).unwrap(), EXIT_OK);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "TN:\nSF:a.rs\nFNF:0\nFNH:0\nDA:1,2\nLF:1\nLH:1\nend_of_record\n"
        );
    }
}
