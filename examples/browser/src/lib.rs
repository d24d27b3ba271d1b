//! A crate tested in Node and in browsers. `// cov:` comments mark lines
//! the integration tests look up: some only the Node suite reaches, some
//! only the browser suites.

use wasm_bindgen::prelude::*;

/// Reached by the Node suite only.
pub fn node_only(x: u32) -> u32 {
    x + 1 // cov: browser-node-only
}

/// Reached by the page suite only.
pub fn page_only(x: u32) -> u32 {
    x * 3 // cov: browser-page-only
}

/// Reached by the dedicated-worker suite only.
pub fn worker_only(x: u32) -> u32 {
    x ^ 5 // cov: browser-worker-only
}

/// Reached by every suite.
pub fn shared(x: u32) -> u32 {
    if x > 10 {
        x - 10 // cov: browser-shared-big
    } else {
        x // cov: browser-shared-small
    }
}

/// No suite calls this.
#[wasm_bindgen]
pub fn never(x: u32) -> u32 {
    x.wrapping_mul(7) // cov: browser-never
}
