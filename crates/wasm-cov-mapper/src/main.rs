use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = wasm_cov_mapper::Cli::parse();
    wasm_cov_cli::main("wasm-cov-mapper", || wasm_cov_mapper::run(&cli))
}
