mod common; // line 1 is code: the harness `main` rustc puts here must not show

use wasm_bindgen_test::wasm_bindgen_test;

/// The Node suite: no configure macro, so the runner picks Node.
#[wasm_bindgen_test]
fn node_adds_one() {
    assert_eq!(browser_demo::node_only(1), 2);
    common::check_shared();
}
