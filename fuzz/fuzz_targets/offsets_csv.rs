//! The offsets CSV reader: never a panic, and every file it accepts writes
//! back to rows that read back the same.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wasm_cov_format::{read_offsets, write_offsets};

fuzz_target!(|data: &[u8]| {
    let Ok(rows) = read_offsets(data) else { return };
    let mut out = Vec::new();
    write_offsets(&rows, &mut out).expect("writing to a Vec cannot fail");
    let again = read_offsets(out.as_slice()).expect("our own CSV must read back");
    assert_eq!(rows, again);
});
