//! One case per coverage gap that docs/fidelity.md describes. The `// cov:`
//! comments name lines that tests/tests/fidelity.rs looks up by text.

/// A point whose derived impls must not add phantom lines.
#[derive(Debug, Clone, PartialEq)] // cov: derive-line
pub struct Point {
    pub x: i32, // cov: field-line
    pub y: i32,
}

/// No test calls this.
pub fn never_called(x: u32) -> u32 { // cov: never-called-sig
    let y = x.wrapping_add(1); // cov: never-called-body
    y.wrapping_mul(3)
}

/// Used with two types by the tests.
pub fn largest<T: PartialOrd + Copy>(xs: &[T]) -> T { // cov: generic-sig
    let mut best = xs[0];
    for &x in xs {
        if x > best { // cov: generic-if
            best = x; // cov: generic-update
        }
    }
    best
}

/// Generic and never instantiated: no code exists for it.
pub fn never_instantiated<T: Clone>(x: &T) -> Vec<T> { // cov: uninstantiated-sig
    let mut v = Vec::new(); // cov: uninstantiated-body
    v.push(x.clone());
    v
}

/// A wrapper with a generic method that only one test type uses.
pub struct Wrapper<T>(pub T);

impl<T: Copy + Into<i64>> Wrapper<T> {
    pub fn widened(&self) -> i64 { // cov: method-sig
        self.0.into()
    }
}

#[inline(always)]
fn double(x: i32) -> i32 {
    x.wrapping_mul(2) // cov: inline-body
}

pub fn quadruple(x: i32) -> i32 {
    double(double(x)) // cov: inline-call
}

pub fn sign(x: i32) -> i32 {
    if x < 0 { -1 } else { 1 } // cov: one-line-if
}

pub enum Shape {
    Circle(u32),
    Square(u32),
    Empty,
}

pub fn area(s: &Shape) -> u32 {
    match s {
        Shape::Circle(r) => r.wrapping_mul(*r).wrapping_mul(3), // cov: arm-circle
        Shape::Square(a) => a.wrapping_mul(*a), // cov: arm-square
        Shape::Empty => 0, // cov: arm-empty (no test takes it)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generic_with_two_types() {
        assert_eq!(largest(&[1, 5, 3]), 5);
        assert_eq!(largest(&[0.5f64, 0.25]), 0.5);
        assert_eq!(Wrapper(7u8).widened(), 7);
        assert_eq!(Wrapper(-7i32).widened(), -7);
    }

    #[test]
    fn inline_and_branches() {
        assert_eq!(quadruple(3), 12);
        assert_eq!(sign(-4), -1);
        assert_eq!(area(&Shape::Circle(2)), 12);
        assert_eq!(area(&Shape::Square(3)), 9);
        let p = Point { x: 1, y: 2 };
        assert_eq!(p.clone(), p);
    }
}
