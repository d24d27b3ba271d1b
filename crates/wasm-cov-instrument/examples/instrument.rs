//! Instruments one module from the command line, for experiments and timing:
//!
//!     cargo run --release -p wasm-cov-instrument --example instrument -- IN.wasm OUT.wasm TABLE.json
//!
//! `WASM_COV_NOT_SHARED=1` makes the counter memory unshared (to measure
//! what `shared` costs); `WASM_COV_ATOMIC=1` uses atomic increments.
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
    let mut opts = wasm_cov_instrument::Options::default();
    opts.shared = std::env::var_os("WASM_COV_NOT_SHARED").is_none();
    opts.atomic = std::env::var_os("WASM_COV_ATOMIC").is_some();
    let out = wasm_cov_instrument::instrument(&wasm, &opts)?;
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
