//! Small functions for the sharding test: each test reaches lines of its own.

/// Doubles.
///
/// ```
/// assert_eq!(shards::double(2), 4);
/// ```
pub fn double(x: i64) -> i64 {
    x * 2 // cov: double
}

/// The sign of `x`.
///
/// ```
/// assert_eq!(shards::sign(-3), -1);
/// ```
pub fn sign(x: i64) -> i64 {
    if x < 0 {
        -1 // cov: negative
    } else if x == 0 {
        0 // cov: zero
    } else {
        1 // cov: positive
    }
}

/// Sums the squares of `xs`.
///
/// ```
/// assert_eq!(shards::sum_squares(&[1, 2]), 5);
/// ```
pub fn sum_squares(xs: &[i64]) -> i64 {
    xs.iter().map(|x| x * x).sum() // cov: squares
}

/// The larger of two.
pub fn max(a: i64, b: i64) -> i64 {
    if a > b {
        a // cov: max a
    } else {
        b // cov: max b
    }
}

/// Never called by any test.
pub fn unused() -> i64 {
    42 // cov: unused
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles() {
        assert_eq!(double(3), 6);
    }

    #[test]
    fn negative() {
        assert_eq!(sign(-1), -1);
    }

    #[test]
    fn zero() {
        assert_eq!(sign(0), 0);
    }

    #[test]
    fn positive() {
        assert_eq!(sign(5), 1);
    }

    #[test]
    fn squares() {
        assert_eq!(sum_squares(&[3]), 9);
    }

    #[test]
    #[ignore]
    fn ignored() {
        assert_eq!(max(1, 2), 2);
    }
}
