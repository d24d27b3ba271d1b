//! A small wasm-bindgen crate with a `#[wasm_bindgen_test]` suite, so the
//! pipeline is tested on wasm32-unknown-unknown too. `// cov:` comments
//! mark lines the integration tests look up.

use wasm_bindgen::prelude::*;

/// Doubles `x`, or says it is too big.
#[wasm_bindgen]
pub fn double(x: u32) -> Option<u32> {
    if x > 1000 {
        None // cov: bindgen-too-big (no test takes it)
    } else {
        Some(x * 2) // cov: bindgen-doubled
    }
}

/// No test calls this.
#[wasm_bindgen]
pub fn unused(x: u32) -> u32 {
    x.wrapping_mul(3) // cov: bindgen-unused
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test]
    fn doubles_small_numbers() {
        assert_eq!(double(21), Some(42));
    }

    #[wasm_bindgen_test]
    fn doubles_zero() {
        assert_eq!(double(0), Some(0));
    }
}
