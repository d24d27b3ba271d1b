//! Why a run failed, and the warnings about what did not stop it.

use std::fmt;
use std::io::{self, Write};

use wasm_cov_cli::one_line;
use wasm_cov_format::FormatError;

use crate::cli::TOOL;
use crate::html::HtmlError;

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
    #[error("{name}: {message}")]
    Diff { name: String, message: String },
    #[error("{command}: {message}")]
    Git { command: String, message: String },
    #[error("--diff and --diff-base both name the change; give one")]
    DiffTwice,
    #[error("{0} needs --diff FILE or --diff-base REF")]
    NoDiff(&'static str),
    /// The inputs together name no source file: usually a CI step that ran
    /// no tests, or read the wrong folder. An empty report that passes
    /// would hide that.
    #[error(
        "no coverage records in {inputs}: nothing ran, or the coverage went elsewhere \
         (--allow-empty accepts an empty report)"
    )]
    NoRecords { inputs: String },
    /// Every file was left out by `--include` / `--exclude`.
    #[error(
        "{filters} left none of the {files} files in the inputs \
         (--allow-empty accepts an empty report)"
    )]
    AllFiltered { filters: String, files: usize },
}

/// `a.lcov, b.json`, with at most `max` names and `and N more` after them,
/// so a shard glob of a thousand files still gives one readable line.
pub(crate) fn name_list<T: fmt::Display>(items: &[T], max: usize) -> String {
    let mut s = items
        .iter()
        .take(max)
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    if items.len() > max {
        s.push_str(&format!(" and {} more", items.len() - max));
    }
    s
}

/// Writes `cov-report: warning: ...` to `stderr`, on one line whatever a
/// path in it holds.
///
/// `run` takes its stderr as an argument so tests can read it, so this
/// writes there rather than through `wasm_cov_cli::warn!`, with the same
/// text.
pub(crate) fn warn(stderr: &mut dyn Write, msg: fmt::Arguments<'_>) -> io::Result<()> {
    writeln!(stderr, "{TOOL}: warning: {}", one_line(&msg.to_string()))
}
