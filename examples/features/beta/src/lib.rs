//! Member with `extra` off by default: its `extra` code is compiled out.

#[cfg(feature = "extra")]
mod gated;

pub fn base(x: u32) -> u32 {
    x + 10 // cov: beta base
}

#[cfg(feature = "extra")]
pub fn extra(x: u32) -> u32 {
    x * 3 // cov: beta extra
}

#[cfg(feature = "extra")]
pub fn extra_generic<T: Default>() -> T {
    T::default() // cov: beta extra generic
}

#[cfg(not(feature = "extra"))]
pub fn without_extra(x: u32) -> u32 {
    x + 8 // cov: beta without extra
}

#[cfg(test)]
mod tests {
    #[test]
    fn base() {
        assert_eq!(super::base(1), 11);
    }

    #[cfg(not(feature = "extra"))]
    #[test]
    fn without_extra() {
        assert_eq!(super::without_extra(1), 9);
    }
}
