//! The `v8cov-extract` binary: parse the arguments, run, exit.

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = v8cov_extract::Cli::parse();
    wasm_cov_cli::main("v8cov-extract", || v8cov_extract::run(&cli))
}
