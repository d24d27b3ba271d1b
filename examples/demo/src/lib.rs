//! A small crate whose tests leave known gaps, so the coverage pipeline has
//! facts to show and the integration tests have facts to check. The
//! `// cov:` comments name lines the tests look up by text, not by number.

/// Says whether `n` is negative, zero or positive.
pub fn classify(n: i32) -> &'static str {
    if n < 0 {
        "negative" // cov: negative-branch
    } else if n == 0 {
        "zero" // cov: zero-branch (no test takes it)
    } else {
        "positive" // cov: positive-branch
    }
}

/// Sums the squares of `xs`.
pub fn sum_of_squares(xs: &[i64]) -> i64 {
    let mut total = 0;
    for x in xs {
        total += x * x; // cov: loop-body
    }
    total
}

/// No test calls this.
pub fn never_called(x: u32) -> u32 {
    let doubled = x.wrapping_mul(2); // cov: never-called-body
    doubled + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_negative_and_positive() {
        assert_eq!(classify(-3), "negative");
        assert_eq!(classify(3), "positive");
    }

    #[test]
    fn sums_squares() {
        assert_eq!(sum_of_squares(&[1, 2, 3]), 14);
    }

    #[test]
    #[ignore = "shows how ignored tests are reported"]
    fn ignored_test() {
        assert_eq!(classify(0), "zero");
    }

    #[test]
    #[cfg(feature = "fail-on-purpose")]
    fn fails_on_purpose() {
        println!("about to fail");
        assert_eq!(sum_of_squares(&[2]), 5, "fails on purpose"); // cov: failing-assert
    }
}
