//! The suite in a service worker.
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_service_worker);
include!("suite/mod.rs");
