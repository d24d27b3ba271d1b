//! Instruments one module from the command line, for experiments and timing:
//!
//!     cargo run --release -p wasm-cov-instrument --example instrument -- IN.wasm OUT.wasm TABLE.json
//!
//! Prints the time the instrumenting took and the block count on stderr.
use std::time::Instant;

use sha2::{Digest, Sha256};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [input, output, table] = &args[..] else {
        return Err("usage: instrument IN.wasm OUT.wasm TABLE.json".into());
    };
    let wasm = std::fs::read(input)?;
    let t = Instant::now();
    let out = wasm_cov_instrument::instrument(&wasm, &wasm_cov_instrument::Options::default())?;
    let took = t.elapsed();
    let sha: String = Sha256::digest(&wasm)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    std::fs::write(output, &out.wasm)?;
    out.table(&sha)
        .write_json(std::io::BufWriter::new(std::fs::File::create(table)?))?;
    eprintln!(
        "instrumented {input}: {} blocks, {} -> {} bytes in {:.3} s",
        out.blocks.len(),
        wasm.len(),
        out.wasm.len(),
        took.as_secs_f64()
    );
    Ok(())
}
