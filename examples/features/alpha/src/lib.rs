//! Member with `extra` on by default.

mod defaults;
#[cfg(feature = "extra")]
mod more;

pub use defaults::Describe;

pub fn base(x: u32) -> u32 {
    x + 1 // cov: alpha base
}

#[cfg(feature = "extra")]
pub fn extra(x: u32) -> u32 {
    x * 2 // cov: alpha extra
}

/// Compiled in (the feature is on) but never instantiated: 0, as LLVM says.
#[cfg(feature = "extra")]
pub fn extra_generic<T: Default>() -> T {
    T::default() // cov: alpha extra generic
}

#[cfg(not(feature = "extra"))]
pub fn without_extra(x: u32) -> u32 {
    x + 7 // cov: alpha without extra
}

/// Only the unit tests have it; the integration test's build does not.
#[cfg(test)]
fn test_helper() -> u32 {
    base(1) // cov: alpha test helper
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_and_extra() {
        assert_eq!(test_helper(), 2);
        assert_eq!(extra(2), 4);
        assert_eq!(more::twice_more(1), 4);
    }
}
