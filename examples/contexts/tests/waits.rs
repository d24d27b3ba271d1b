//! One test in a page that waits a few seconds, so that a test of wasm-run
//! can knock on the ports of the run meanwhile (its counters endpoint must
//! refuse whoever is not the page it started).
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

use wasm_bindgen::prelude::*;
use wasm_bindgen_test::wasm_bindgen_test;

#[wasm_bindgen(inline_js = "export function later(ms) { return new Promise((done) => setTimeout(done, ms)); }")]
extern "C" {
    fn later(ms: u32) -> js_sys::Promise;
}

#[wasm_bindgen_test]
async fn adds_after_a_while() {
    wasm_bindgen_futures::JsFuture::from(later(4000)).await.unwrap();
    assert_eq!(contexts_demo::add(2, 3), 5);
}
