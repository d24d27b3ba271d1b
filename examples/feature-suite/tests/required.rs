//! Built only with the `futures` feature (`required-features` in
//! Cargo.toml): a default build skips it.

use wasm_bindgen_test::wasm_bindgen_test;

#[wasm_bindgen_test]
fn evens() {
    assert!(feature_suite::is_even(4));
}
