use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = wasm_cov_mapper::Cli::parse();
    match wasm_cov_mapper::run(&cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("wasm-cov-mapper: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// `| head` closing the pipe early is not an error.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
