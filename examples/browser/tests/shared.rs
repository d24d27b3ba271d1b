//! The shared-worker suite.
mod common;

use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_shared_worker);

#[wasm_bindgen_test]
fn shared_worker_xors() {
    assert_eq!(browser_demo::worker_only(3), 6);
    common::check_shared();
}
