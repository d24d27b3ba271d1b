//! Shared by every suite, as published crates share test helpers.

pub fn check_shared() {
    assert_eq!(browser_demo::shared(3), 3);
}
