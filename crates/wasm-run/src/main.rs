use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = wasm_run::Cli::parse();
    match wasm_run::run(&cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("wasm-run: error: {e:#}");
            ExitCode::from(2)
        }
    }
}
