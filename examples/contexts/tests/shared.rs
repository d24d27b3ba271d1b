//! The suite in a shared worker.
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_shared_worker);
include!("suite/mod.rs");
