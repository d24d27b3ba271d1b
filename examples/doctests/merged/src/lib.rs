//! Edition 2024: rustdoc merges these doctests into one binary, which
//! `cargo wasm-cov` runs once per doctest.

/// Squares `x`.
///
/// ```
/// fn check(x: u32) {
///     assert_eq!(merged::square(x), x * x);
/// }
/// check(3);
/// ```
pub fn square(x: u32) -> u32 {
    x * x // cov: square
}

/// Negates `x`.
///
/// ```
/// assert_eq!(merged::negate(2), -2);
/// ```
pub fn negate(x: i32) -> i32 {
    -x // cov: negate
}

/// Never run: its doctest is ignored.
///
/// ```ignore
/// merged::unrun();
/// ```
pub fn unrun() -> u32 {
    7 // cov: unrun
}
