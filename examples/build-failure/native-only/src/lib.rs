//! Stands for a crate that needs a feature (or does not work at all) on wasm.

#[cfg(all(target_family = "wasm", not(feature = "wasm")))]
compile_error!("native-only: the wasm targets need the \"wasm\" feature");

pub fn one() -> u8 {
    1
}
