use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = v8cov_extract::Cli::parse();
    match v8cov_extract::run(&cli) {
        Ok(code) => ExitCode::from(code),
        // `| head` closing the pipe early is not an error.
        Err(e) if wasm_cov_format::is_broken_pipe(e.as_ref()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("v8cov-extract: error: {e:#}");
            ExitCode::from(2)
        }
    }
}
