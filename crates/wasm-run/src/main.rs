use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // The Node hook's call to instrument a module (`--counters inject`).
    if let Some(code) = wasm_run::instrument_main(&std::env::args_os().collect::<Vec<_>>()) {
        return code;
    }
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
