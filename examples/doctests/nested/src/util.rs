/// Triples `x`.
///
/// ```
/// fn thrice(x: u32) -> u32 {
///     nested::util::triple(x)
/// }
/// assert_eq!(thrice(2), 6);
/// ```
pub fn triple(x: u32) -> u32 {
    x * 3 // cov: triple
}
