//! The `cov-report` binary: argument parsing and exit status only; the work
//! is in the library.

use std::io::{self, Write};
use std::process::ExitCode;

use clap::Parser;
use cov_report::{is_broken_pipe, run, Cli, EXIT_ERROR, EXIT_OK};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut stdout = io::BufWriter::new(io::stdout().lock());
    let mut stderr = io::stderr().lock();
    let result = run(&cli, &mut stdout, &mut stderr).and_then(|code| {
        stdout.flush()?;
        Ok(code)
    });
    match result {
        Ok(code) => ExitCode::from(code),
        // `cov-report | head` closing the pipe early is not an error.
        Err(e) if is_broken_pipe(&e) => ExitCode::from(EXIT_OK),
        Err(e) => {
            // One line, whatever a file name or message holds.
            let msg = format!("{e:#}").replace(['\r', '\n'], " ");
            eprintln!("cov-report: error: {msg}");
            ExitCode::from(EXIT_ERROR)
        }
    }
}
