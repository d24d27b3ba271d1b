//! Telling which test harness a module was built with, from its imports,
//! exports and function names.

use anyhow::{bail, Result};
use clap::ValueEnum;
use wasm_cov_format::ModuleLayout;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Harness {
    /// Decide from the module's imports, exports and function names.
    Auto,
    /// A wasm32-wasip1 libtest binary (plain #[test]).
    Libtest,
    /// A wasm32-wasip1 program run once as one test (a doctest): exit
    /// status 0 passes. Auto picks it for a module that exports _start and
    /// has function names but no libtest among them.
    Program,
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
            Harness::Program => "program",
            Harness::WasmBindgen => "wasm-bindgen",
            Harness::Compat => "compat",
        }
    }
}

/// Whether the module imports WASI, as every wasm32-wasip1 binary does
/// (`wasi_snapshot_preview1`), and the code module of every wasm32-wasip2
/// component (`wasi:cli/environment@0.2.6` and the like).
pub fn imports_wasi(layout: &ModuleLayout) -> bool {
    layout
        .imported_functions
        .iter()
        .any(|f| f.starts_with("wasi_snapshot_preview1::") || f.starts_with("wasi:"))
}

/// libtest's entry points, which the `main` that `rustc --test` generates
/// calls: `test::test_main_static` up to rustc 1.99, `test::test_main_env_args`
/// from 1.100 (where `test_main_static` is gone; seen on beta and nightly by
/// `make test-toolchains`), both through `test::test_main`. Their names are
/// in the name section, legacy (`_ZN4test9test_main17h…E`) or v0
/// (`_RNvCs…_4test9test_main`) mangled, or demangled.
fn has_libtest(layout: &ModuleLayout) -> bool {
    const MANGLED: [&str; 3] = [
        "4test9test_main",
        "4test16test_main_static",
        "4test18test_main_env_args",
    ];
    layout.names.values().any(|n| {
        MANGLED.iter().any(|m| n.contains(m))
            || n.contains("test::test_main_static")
            || n.contains("test::test_main_env_args")
    })
}

/// Whether a test binary holds any test, from its exports and names, so a
/// driver can tell an empty test binary (a library without tests, a test
/// file a `#![cfg]` compiled out) from one whose tests cannot run:
/// each `#[wasm_bindgen_test]` exports a `__wbgt_…` function, and each
/// libtest `#[test]` (`#[should_panic]` ones too) calls
/// `test::assert_test_result`, a generic function the crate instantiates
/// only when it has a test. `None` when the module says neither (not a
/// test harness, or no name section to tell by).
pub fn has_tests(layout: &ModuleLayout) -> Option<bool> {
    if layout.exports.iter().any(|e| e.starts_with("__wbgt_")) {
        return Some(true);
    }
    if !has_libtest(layout) {
        return None;
    }
    Some(
        layout
            .names
            .values()
            .any(|n| n.contains("assert_test_result")),
    )
}

/// `__wbindgen_*` anywhere means wasm-bindgen (such a module may also
/// import WASI); then WASI means libtest, or a plain program when the module
/// exports `_start` and its name section shows no libtest; then
/// `__run_tests` means compat.
///
/// A module without a name section stays libtest, as it was before
/// `program` existed: without names there is nothing to tell the two
/// apart by, and `--harness program` says it.
pub fn detect(layout: &ModuleLayout) -> Result<Harness> {
    let wbg =
        |s: &str| s.contains("__wbindgen") || s.starts_with("__wbg_") || s.contains("::__wbg_");
    if layout.imported_functions.iter().any(|i| wbg(i)) || layout.exports.iter().any(|e| wbg(e)) {
        return Ok(Harness::WasmBindgen);
    }
    if imports_wasi(layout) {
        let program = layout.exports.iter().any(|e| e == "_start")
            && !layout.names.is_empty()
            && !has_libtest(layout);
        return Ok(if program {
            Harness::Program
        } else {
            Harness::Libtest
        });
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A module importing `wasi_snapshot_preview1.fd_write`, defining one
    /// function exported as `_start`, and naming it `name` in a name
    /// section (none when `name` is `None`).
    fn wasi_module(name: Option<&str>) -> ModuleLayout {
        fn section(id: u8, payload: &[u8]) -> Vec<u8> {
            let mut s = vec![id, payload.len() as u8];
            s.extend(payload);
            s
        }
        fn string(s: &str) -> Vec<u8> {
            let mut v = vec![s.len() as u8];
            v.extend(s.as_bytes());
            v
        }
        let mut m = b"\0asm\x01\0\0\0".to_vec();
        m.extend(section(1, &[1, 0x60, 0, 0]));
        let mut import = vec![1];
        import.extend(string("wasi_snapshot_preview1"));
        import.extend(string("fd_write"));
        import.extend([0, 0]);
        m.extend(section(2, &import));
        m.extend(section(3, &[1, 0]));
        let mut export = vec![1];
        export.extend(string("_start"));
        export.extend([0, 1]);
        m.extend(section(7, &export));
        m.extend(section(10, &[1, 2, 0, 0x0b]));
        if let Some(name) = name {
            let mut names = vec![1]; // one function name
            names.extend([1]); // index 1 (0 is the import)
            names.extend(string(name));
            let mut sub = vec![1, names.len() as u8];
            sub.extend(names);
            let mut custom = string("name");
            custom.extend(sub);
            m.extend(section(0, &custom));
        }
        ModuleLayout::parse(&m).unwrap()
    }

    #[test]
    fn a_program_is_told_from_libtest_by_its_names() {
        let program = wasi_module(Some("_ZN8rust_out4main17h0123456789abcdefE"));
        assert_eq!(detect(&program).unwrap(), Harness::Program);
        for libtest in [
            "_RNvCs2TpYSQqjWyK_4test16test_main_static",
            "_ZN4test16test_main_static17h0123456789abcdefE",
            "test::test_main_static",
            // rustc 1.100 (beta, nightly): no test_main_static any more.
            "_RNvCs4wQLn4rcNNR_4test18test_main_env_args",
            "_RNvCs4wQLn4rcNNR_4test9test_main",
        ] {
            let m = wasi_module(Some(libtest));
            assert_eq!(detect(&m).unwrap(), Harness::Libtest, "{libtest}");
        }
        // No names: cannot tell, so the old answer.
        assert_eq!(detect(&wasi_module(None)).unwrap(), Harness::Libtest);
    }

    #[test]
    fn an_empty_test_binary_is_told_from_one_with_tests() {
        let mut m = wasi_module(Some("_ZN4test16test_main_static17h0123456789abcdefE"));
        assert_eq!(has_tests(&m), Some(false));
        for test in [
            "_ZN4test18assert_test_result17h7385827123c30511E",
            "_RINvCs2TpYSQqjWyK_4test18assert_test_resultuEB2_",
        ] {
            m.names.insert(7, test.into());
            assert_eq!(has_tests(&m), Some(true), "{test}");
        }
        let mut wbg = wasi_module(Some("main"));
        assert_eq!(has_tests(&wbg), None);
        wbg.exports.push("__wbgt__web::halves".into());
        assert_eq!(has_tests(&wbg), Some(true));
        assert_eq!(has_tests(&wasi_module(None)), None);
    }
}
