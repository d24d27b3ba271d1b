use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = wasm_cov_mapper::Cli::parse();
    match wasm_cov_mapper::run(&cli) {
        Ok(code) => ExitCode::from(code),
        // `| head` closing the pipe early is not an error.
        Err(e) if wasm_cov_format::is_broken_pipe(e.as_ref()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("wasm-cov-mapper: error: {e:#}");
            ExitCode::from(2)
        }
    }
}
