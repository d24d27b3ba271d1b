//! The suite in a page.
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);
include!("suite/mod.rs");
