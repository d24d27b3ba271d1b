// The tests every suite runs, included by each of tests/*.rs after its
// `wasm_bindgen_test_configure!`. Each reaches one function of the lib.

use wasm_bindgen::prelude::*;
use wasm_bindgen_test::wasm_bindgen_test;

#[wasm_bindgen(inline_js = "export function later(ms) { return new Promise((done) => setTimeout(done, ms)); }")]
extern "C" {
    /// A promise that a timer resolves: a real await point, whose
    /// continuation runs from the event loop, not from the harness.
    fn later(ms: u32) -> js_sys::Promise;
}

#[wasm_bindgen_test]
fn adds() {
    assert_eq!(contexts_demo::add(2, 3), 5);
}

#[wasm_bindgen_test]
async fn doubles_after_a_timer() {
    wasm_bindgen_futures::JsFuture::from(later(5)).await.unwrap();
    assert_eq!(contexts_demo::double(4), 8);
}

#[wasm_bindgen_test]
fn negates() {
    assert_eq!(contexts_demo::negate(3), -3);
}

#[wasm_bindgen_test]
#[ignore = "ignored tests run nothing"]
fn is_ignored() {
    assert_eq!(contexts_demo::never(1), 8);
}
