//! Compiled out unless the `futures` feature is on: a default build makes
//! an empty test binary of it.
#![cfg(all(target_family = "wasm", feature = "futures"))]

use wasm_bindgen_test::wasm_bindgen_test;

#[wasm_bindgen_test]
fn halves() {
    assert_eq!(feature_suite::halve(7), 3);
}
