//! Areas of simple shapes: the dependency of `report` in the example
//! workspace.

// The workspace's .cargo/config.toml sets this cfg for wasm32-wasip1; if a
// coverage build dropped it, this crate would not compile there.
#[cfg(all(target_os = "wasi", not(shapes_wasm_config)))]
compile_error!("built for wasm32-wasip1 without the --cfg shapes_wasm_config of .cargo/config.toml");

/// The area of a `w` by `h` rectangle.
pub fn rect_area(w: u32, h: u32) -> u32 {
    w * h // cov: rect-area
}

/// The area of a right triangle with legs `a` and `b`; only the
/// integration test calls it.
pub fn triangle_area(a: u32, b: u32) -> u32 {
    a * b / 2 // cov: triangle-area
}

/// Only this doctest calls it:
///
/// ```
/// assert_eq!(shapes::square_area(3), 9);
/// ```
pub fn square_area(side: u32) -> u32 {
    side * side // cov: square-area
}

/// The perimeter of a `w` by `h` rectangle (feature `extra`).
#[cfg(feature = "extra")]
pub fn perimeter(w: u32, h: u32) -> u32 {
    2 * (w + h) // cov: perimeter
}

/// No test calls this.
pub fn circle_area_approx(r: u32) -> u32 {
    3 * r * r // cov: never-called
}

#[cfg(test)]
mod tests {
    #[test]
    fn rect() {
        assert_eq!(super::rect_area(2, 3), 6);
    }

    #[cfg(feature = "extra")]
    #[test]
    fn perimeter() {
        assert_eq!(super::perimeter(2, 3), 10);
    }
}
