//! Its tests use a dev-dependency that does not build for wasm.

pub fn one() -> u8 {
    1
}

#[cfg(test)]
mod tests {
    #[test]
    fn one() {
        assert_eq!(super::one(), native_only::one());
    }
}
