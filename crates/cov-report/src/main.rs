//! The `cov-report` binary: argument parsing and exit status only; the work
//! is in the library.

use std::io::{self, Write};
use std::process::ExitCode;

use clap::Parser;
use cov_report::{run, Cli, TOOL};

fn main() -> ExitCode {
    wasm_cov_cli::main(TOOL, || {
        let cli = Cli::parse();
        let mut stdout = io::BufWriter::new(io::stdout().lock());
        let exit = run(&cli, &mut stdout, &mut io::stderr().lock())?;
        stdout.flush()?;
        Ok(exit)
    })
}
