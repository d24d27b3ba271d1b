use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = wasm_run::Cli::parse();
    let mut ran = None;
    let exit = wasm_cov_cli::main("wasm-run", || {
        let status = wasm_run::run(&cli)?;
        ran = Some(status);
        Ok(status.exit())
    });
    // --exec ends with the command's own status, whatever its number.
    ran.map_or(exit, ExitCode::from)
}
