//! Needs the `--cfg from_build_rustflags` of .cargo/config.toml's `[build]`.

#[cfg(not(from_build_rustflags))]
compile_error!("built without the [build] rustflags of .cargo/config.toml");

/// Called by the test.
pub fn answer(x: u8) -> u8 {
    x.wrapping_add(41) // cov: answer
}

/// Exists only in a coverage build (`--cfg wasm_cov`); the test calls it there.
#[cfg(wasm_cov)]
pub fn measured(x: u8) -> bool {
    x.wrapping_mul(3) > 2 // cov: measured
}

/// No test calls this.
pub fn unused(x: u8) -> u8 {
    x.wrapping_sub(7) // cov: unused
}

#[cfg(test)]
mod tests {
    #[test]
    fn answers() {
        assert_eq!(super::answer(1), 42);
        #[cfg(wasm_cov)]
        assert!(super::measured(1));
    }
}
