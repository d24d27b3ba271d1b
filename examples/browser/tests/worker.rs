//! The dedicated-worker suite.
mod common;

use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_dedicated_worker);

#[wasm_bindgen_test]
fn worker_xors() {
    assert_eq!(browser_demo::worker_only(1), 4);
    common::check_shared();
}
