//! v8cov-extract against parsing the same file into a `serde_json::Value`,
//! timed in one process so Node-free start-up and page cache do not count
//! (`docs/performance.md`, "v8cov-extract"):
//!
//! ```sh
//! cargo run --release -p v8cov-extract --example bench_extract -- V8_COVERAGE_JSON [RUNS]
//! ```
//!
//! Each run reads the file anew. "extract" is what the tool does for one
//! input: read, parse, sum the blocks, check them against the saved
//! modules, write the CSV (to a temporary file, as the tool does).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark: a failure is a crash with its message"
)]

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use clap::Parser;

fn main() {
    let mut args = std::env::args().skip(1);
    let json = args
        .next()
        .expect("usage: bench_extract V8_COVERAGE_JSON [RUNS]");
    let runs: usize = args
        .next()
        .map_or(15, |r| r.parse().expect("RUNS: a number"));
    let path = Path::new(&json);
    let out = std::env::temp_dir().join(format!("bench-extract-{}.csv", std::process::id()));
    let out_s = out.display().to_string();

    let value = || {
        let bytes = std::fs::read(path).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        std::hint::black_box(v);
    };
    let library = || {
        let bytes = std::fs::read(path).unwrap();
        let doc: wasm_cov_format::V8Coverage = serde_json::from_slice(&bytes).unwrap();
        drop(bytes);
        let mut acc = BTreeMap::new();
        v8cov_extract::accumulate(&doc, &mut acc).unwrap();
        v8cov_extract::check_modules(&doc, path.parent().unwrap_or(Path::new(""))).unwrap();
        v8cov_extract::write(&acc, std::io::sink()).unwrap();
    };
    let tool = || {
        let cli =
            v8cov_extract::Cli::try_parse_from(["v8cov-extract", &json, "-o", &out_s]).unwrap();
        v8cov_extract::run(&cli).unwrap();
    };
    let cases: [(&str, &dyn Fn()); 3] = [
        ("serde_json::Value (read + parse)", &value),
        (
            "extract, library (read, parse, sum, check, write to sink)",
            &library,
        ),
        ("extract, the tool's run() (writes the CSV file)", &tool),
    ];
    // One warm-up each, then the runs interleaved so load hits all alike.
    for (_, f) in &cases {
        f();
    }
    let mut times: Vec<Vec<Duration>> = vec![Vec::new(); cases.len()];
    for _ in 0..runs {
        for (i, (_, f)) in cases.iter().enumerate() {
            let t = Instant::now();
            f();
            times[i].push(t.elapsed());
        }
    }
    let _ = std::fs::remove_file(&out);
    let size = std::fs::metadata(path).map_or(0, |m| m.len());
    println!(
        "{} ({:.1} MB), median of {runs} runs:",
        path.display(),
        size as f64 / 1e6
    );
    let base = median(&mut times[0]);
    for (i, (name, _)) in cases.iter().enumerate() {
        let m = median(&mut times[i]);
        println!(
            "  {:<60} {:>8.1} ms  {:.2}x",
            name,
            m.as_secs_f64() * 1e3,
            m.as_secs_f64() / base.as_secs_f64()
        );
    }
}

fn median(v: &mut [Duration]) -> Duration {
    v.sort();
    v[v.len() / 2]
}
