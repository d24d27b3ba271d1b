//! Functions each reached by one test of tests/suite only, so a per-test
//! context can be checked line by line. `// cov:` comments mark the lines
//! the integration tests look up.

/// Reached by `adds` only.
pub fn add(a: u32, b: u32) -> u32 {
    a + b // cov: ctx-add
}

/// Reached by `doubles_after_a_timer` only, after its await point.
pub fn double(x: u32) -> u32 {
    x * 2 // cov: ctx-double
}

/// Reached by `negates` only.
pub fn negate(x: i32) -> i32 {
    -x // cov: ctx-negate
}

/// No test calls this.
pub fn never(x: u32) -> u32 {
    x ^ 9 // cov: ctx-never
}
