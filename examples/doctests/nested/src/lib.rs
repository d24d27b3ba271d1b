//! No doctest calls `spread`: its lines are where rustdoc's wrapper rows
//! land unless the mapper moves them (docs/formats.md §5).
pub fn spread(x: u32) -> u32 { // cov: spread-fn
    let a = x.wrapping_add(1); // cov: spread-1
    let b = a.wrapping_mul(3); // cov: spread-2
    let c = b ^ 5; // cov: spread-3
    let d = c.wrapping_add(a); // cov: spread-4
    let e = d.wrapping_mul(b); // cov: spread-5
    let f = e ^ c; // cov: spread-6
    let g = f.wrapping_add(d); // cov: spread-7
    let h = g.wrapping_mul(e); // cov: spread-8
    let i = h ^ f; // cov: spread-9
    let j = i.wrapping_add(g); // cov: spread-10
    j.wrapping_mul(h) // cov: spread-11
} // cov: spread-end

pub mod util;

/// Doubles `x`.
///
/// ```
/// fn is_even(x: u32) -> bool {
///     x % 2 == 0
/// }
/// fn check(n: u32) {
///     assert!(is_even(nested::double(n)));
/// }
/// for n in 0..4 {
///     check(n);
/// }
/// let halve = |x: u32| x / 2;
/// assert_eq!(halve(nested::double(5)), 5);
/// ```
pub fn double(x: u32) -> u32 {
    x * 2 // cov: double
}

/// The larger of two. Generic: the example's copy of it is compiled into
/// the doctest's own unit, and still counts here.
///
/// ```
/// assert_eq!(nested::larger(2, 3), 3);
/// ```
pub fn larger<T: PartialOrd>(a: T, b: T) -> T {
    if a > b { // cov: larger
        a
    } else {
        b
    }
}

#[derive(Default)]
pub struct Counter(u32);

impl Counter {
    /// Counts one more.
    ///
    /// ```
    /// struct Twice(nested::Counter);
    /// impl Twice {
    ///     fn bump(&mut self) -> u32 {
    ///         self.0.bump();
    ///         self.0.bump()
    ///     }
    /// }
    /// let mut t = Twice(nested::Counter::default());
    /// assert_eq!(t.bump(), 2);
    /// ```
    pub fn bump(&mut self) -> u32 {
        self.0 += 1; // cov: bump
        self.0
    }
}
