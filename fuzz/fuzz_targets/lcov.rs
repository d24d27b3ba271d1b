//! The LCOV reader (and cov-report's input sniffing, which also reads the
//! mapper's JSON) must never panic, and what it accepts must survive a write
//! and a second read with the same lines, branches and files.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wasm_cov_format::{read_lcov, write_lcov};

fuzz_target!(|data: &[u8]| {
    // cov-report's whole front end: sniff LCOV vs mapper JSON vs V8 JSON.
    let _ = cov_report::parse_coverage("fuzz", data);
    let Ok(cov) = read_lcov(data) else { return };
    let mut out = Vec::new();
    write_lcov(&cov, &mut out).expect("writing to a Vec cannot fail");
    let again = read_lcov(out.as_slice()).expect("our own LCOV must read back");
    assert_eq!(cov.files.len(), again.files.len());
    for ((p1, f1), (p2, f2)) in cov.files.iter().zip(&again.files) {
        assert_eq!(p1, p2);
        assert_eq!(f1.lines, f2.lines);
        assert_eq!(f1.branches, f2.branches);
    }
});
