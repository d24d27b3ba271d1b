//! An integration test: a test binary of its own, a component too.

#[test]
fn counts_words_from_outside() {
    assert_eq!(wasip2::words(" a b "), 2); // cov: it-words
}
