//! A plain #[test], as crates keep for native runs: on
//! wasm32-unknown-unknown libtest has nothing to print through, so nothing
//! can run it; cargo wasm-cov says so instead of failing.
#[test]
fn adds_natively() {
    assert_eq!(browser_demo::node_only(1), 2);
}
