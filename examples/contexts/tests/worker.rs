//! The suite in a dedicated worker.
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_dedicated_worker);
include!("suite/mod.rs");
