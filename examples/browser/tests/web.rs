//! The browser suite: runs in a page.
mod common;

use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn page_triples() {
    assert_eq!(browser_demo::page_only(2), 6);
    assert_eq!(browser_demo::shared(12), 2);
    common::check_shared();
}

#[wasm_bindgen_test]
fn page_sees_a_window() {
    assert!(web_sys_free_window_check());
}

#[cfg(feature = "fail-on-purpose")]
#[wasm_bindgen_test]
fn page_fails_on_purpose() {
    assert_eq!(browser_demo::page_only(1), 4, "fails on purpose");
}

/// `window` exists in a page and not in a worker.
fn web_sys_free_window_check() -> bool {
    js_sys_global_has("window")
}

#[wasm_bindgen::prelude::wasm_bindgen(inline_js = "export function has(name) { return name in globalThis; }")]
extern "C" {
    #[wasm_bindgen(js_name = has)]
    fn js_sys_global_has(name: &str) -> bool;
}
