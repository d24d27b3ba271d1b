//! The service-worker suite.
mod common;

use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_service_worker);

#[wasm_bindgen_test]
fn service_worker_xors() {
    assert_eq!(browser_demo::worker_only(2), 7);
    common::check_shared();
}
