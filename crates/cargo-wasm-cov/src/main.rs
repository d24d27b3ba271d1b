//! `cargo-wasm-cov`, run as `cargo wasm-cov ...` (cargo passes `wasm-cov`
//! as the first argument) or directly.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let mut argv: Vec<_> = std::env::args_os().collect();
    // wasm-run's Node hook instruments modules through the program that
    // runs it, which is this one when the stages run in-process.
    if let Some(code) = wasm_run::instrument_main(&argv) {
        return code;
    }
    if argv.get(1).is_some_and(|a| a == "wasm-cov") {
        argv.remove(1);
    }
    wasm_cov_cli::main("cargo-wasm-cov", || {
        let cli = cargo_wasm_cov::Cli::parse_from(argv);
        cargo_wasm_cov::run(cli)
    })
}
