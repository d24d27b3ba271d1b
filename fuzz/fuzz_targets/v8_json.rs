//! v8-coverage.json as v8cov-extract reads it: parse, validate, sum the
//! blocks, write the offsets CSV, which must read back to the same rows.
#![no_main]

use std::collections::BTreeMap;

use libfuzzer_sys::fuzz_target;
use wasm_cov_format::{read_offsets, V8Coverage};

fuzz_target!(|data: &[u8]| {
    let Ok(doc) = serde_json::from_slice::<V8Coverage>(data) else {
        return;
    };
    let mut acc = BTreeMap::new();
    if v8cov_extract::accumulate(&doc, &mut acc).is_err() {
        return;
    }
    let mut out = Vec::new();
    v8cov_extract::write(&acc, &mut out).expect("writing to a Vec cannot fail");
    let rows = read_offsets(out.as_slice()).expect("our own CSV must read back");
    assert_eq!(rows.len(), acc.values().map(Vec::len).sum::<usize>());
});
