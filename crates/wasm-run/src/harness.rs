//! Telling which test harness a module was built with, from its imports
//! and exports.

use anyhow::{bail, Result};
use clap::ValueEnum;
use wasm_cov_format::ModuleLayout;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Harness {
    /// Decide from the module's imports and exports.
    Auto,
    /// A wasm32-wasip1 libtest binary (plain #[test]).
    Libtest,
    /// A #[wasm_bindgen_test] suite, run by wasm-bindgen-test-runner.
    WasmBindgen,
    /// A module exporting `__run_tests() -> i32` (0 = pass).
    Compat,
}

impl Harness {
    /// The name in `tests.json` and in the runner's config.
    pub fn name(self) -> &'static str {
        match self {
            Harness::Auto => "auto",
            Harness::Libtest => "libtest",
            Harness::WasmBindgen => "wasm-bindgen",
            Harness::Compat => "compat",
        }
    }
}

/// Whether the module imports WASI, as every wasm32-wasip1 binary does.
pub fn imports_wasi(layout: &ModuleLayout) -> bool {
    layout
        .imported_functions
        .iter()
        .any(|f| f.starts_with("wasi_snapshot_preview1::"))
}

/// `__wbindgen_*` anywhere means wasm-bindgen (such a module may also
/// import WASI); then WASI means libtest; then `__run_tests` means compat.
pub fn detect(layout: &ModuleLayout) -> Result<Harness> {
    let wbg =
        |s: &str| s.contains("__wbindgen") || s.starts_with("__wbg_") || s.contains("::__wbg_");
    if layout.imported_functions.iter().any(|i| wbg(i)) || layout.exports.iter().any(|e| wbg(e)) {
        return Ok(Harness::WasmBindgen);
    }
    if imports_wasi(layout) {
        return Ok(Harness::Libtest);
    }
    if layout.exports.iter().any(|e| e == "__run_tests") {
        return Ok(Harness::Compat);
    }
    let show = |v: &[String]| {
        if v.is_empty() {
            "none".to_owned()
        } else if v.len() > 8 {
            format!("{}, ... ({} in all)", v[..8].join(", "), v.len())
        } else {
            v.join(", ")
        }
    };
    bail!(
        "cannot tell how to run this module: no WASI imports (libtest on wasm32-wasip1), \
         no __wbindgen imports or exports (wasm-bindgen-test), no __run_tests export (compat); \
         it imports {} and exports {}; pick one with --harness",
        show(&layout.imported_functions),
        show(&layout.exports)
    )
}
