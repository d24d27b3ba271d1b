//! Compiled out unless `extra` is on: no file of the report without it.
#![cfg(feature = "extra")]

#[test]
fn extra_triples() {
    assert_eq!(beta::extra(2), 6);
}
