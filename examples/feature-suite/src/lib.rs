//! A library with no tests of its own (that is no warning): its suites are
//! in `tests/`, behind the `futures` feature. `// cov:` comments mark lines
//! the driver tests look up.

use wasm_bindgen::prelude::*;

/// Halves `x`, rounding down; reached by `tests/web.rs`.
#[wasm_bindgen]
pub fn halve(x: u32) -> u32 {
    x / 2 // cov: feature-halve
}

/// Reached by `tests/required.rs`.
pub fn is_even(x: u32) -> bool {
    x % 2 == 0 // cov: feature-is-even
}
