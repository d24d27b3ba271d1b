//! Writing the outputs a run asked for, each to its file (atomically, and
//! only once every input was read, so a bad input leaves no output) or to
//! standard output for `-`.

use std::io::{self, Write};

use wasm_cov_cli::{AtomicOutput, OutputArg};
use wasm_cov_format::write_lcov;

use crate::cli::Cli;
use crate::cobertura::{write_cobertura, CoberturaOptions};
use crate::error::{warn, Error};
use crate::html::{write_html_dir, HtmlOptions};
use crate::merge::Report;
use crate::summary::{write_json_summary, write_markdown, MarkdownOptions};
use crate::table::{write_table, TableOptions};
use crate::threshold::Outcome;

/// Writes every output `args` names, then the table unless `--quiet` or
/// `table` is false (an output went to stdout).
pub(crate) fn write_outputs(
    args: &Cli,
    report: &Report,
    outcomes: &[Outcome],
    table: bool,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> anyhow::Result<()> {
    let cov = &report.coverage;
    if let Some(out) = &args.lcov {
        emit(out, stdout, |w| write_lcov(cov, w))?;
    }
    if let Some(out) = &args.cobertura {
        let opts = CoberturaOptions {
            sources: vec![args.root().display().to_string()],
            timestamp: source_date_epoch(),
        };
        emit(out, stdout, |w| write_cobertura(cov, &opts, w))?;
    }
    if let Some(out) = &args.json_summary {
        emit(out, stdout, |w| {
            write_json_summary(cov, report.patch.as_ref(), report.contexts.as_ref(), w)
        })?;
    }
    if let Some(out) = &args.markdown {
        let opts = MarkdownOptions {
            title: args.title.clone(),
            show_missing: args.show_missing,
        };
        emit(out, stdout, |w| {
            write_markdown(cov, &opts, outcomes, report.patch.as_ref(), w)
        })?;
    }
    if let Some(html) = &args.html {
        let dir = html.path().ok_or(Error::HtmlToStdout)?;
        warn_missing_sources(report, stderr)?;
        let opts = HtmlOptions {
            title: args.title.clone(),
        };
        write_html_dir(dir, report, &opts)?;
    }
    if !args.quiet && table {
        let opts = TableOptions {
            show_missing: args.show_missing,
            patch: report.patch.as_ref(),
        };
        write_table(cov, opts, stdout).map_err(|source| Error::Write {
            name: OutputArg::STDOUT.to_string(),
            source,
        })?;
    }
    Ok(())
}

/// Writes one output: to `stdout` for `-`, else atomically to its file.
fn emit(
    out: &OutputArg,
    stdout: &mut dyn Write,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<(), Error> {
    let err = |source| Error::Write {
        name: out.to_string(),
        source,
    };
    let Some(path) = out.path() else {
        return write(stdout).map_err(err);
    };
    // A device or a FIFO (`--lcov /dev/null`, `--json-summary /dev/stdout`,
    // a named pipe) is written to, never replaced: renaming a file over it,
    // as for a regular file, would turn `/dev/null` into a regular file for
    // the whole system when run as root.
    if std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir()) {
        let file = std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .map_err(err)?;
        let mut w = io::BufWriter::new(file);
        write(&mut w).map_err(err)?;
        return w.flush().map_err(err);
    }
    // Only now, with every input read, so a bad input leaves no file.
    let mut file = AtomicOutput::create(Some(path)).map_err(Error::CreateOutput)?;
    write(&mut file).map_err(err)?;
    file.commit().map_err(err)
}

/// `SOURCE_DATE_EPOCH` if set (the reproducible-builds convention), else 0:
/// a report's bytes depend on its input only.
fn source_date_epoch() -> u64 {
    std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}

fn warn_missing_sources(report: &Report, stderr: &mut dyn Write) -> io::Result<()> {
    let total = report.sources.len();
    let (outside, missing): (Vec<_>, Vec<_>) = report
        .sources
        .iter()
        .filter(|(_, s)| s.text.is_none())
        .partition(|(_, s)| s.outside_root);
    if let Some((path, src)) = missing.first() {
        warn(
            stderr,
            format_args!(
                "{} of {total} source files not found (first: {path} at {}); their HTML pages show counts without text (see --source-root)",
                missing.len(),
                src.location.display()
            ),
        )?;
    }
    if let Some((path, _)) = outside.first() {
        warn(
            stderr,
            format_args!(
                "{} of {total} source files are outside --source-root and were not read (first: {path}); their HTML pages show counts without text (--allow-sources-outside-root reads them)",
                outside.len(),
            ),
        )?;
    }
    Ok(())
}
