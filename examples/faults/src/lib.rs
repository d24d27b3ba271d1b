//! Tests that go wrong in every way a test can on wasm, so wasm-run's tests
//! can check that each is reported and that the coverage of everything that
//! ran before it is kept. `// cov:` comments mark lines the tests look up.

/// Adds one; the passing test calls it.
pub fn add_one(x: u64) -> u64 {
    x + 1 // cov: add-one
}

/// Spins until `stop` says so; with `|_| false` it never returns.
pub fn spin(stop: impl Fn(u64) -> bool) -> u64 {
    let mut i = 0u64;
    loop {
        i = i.wrapping_add(1); // cov: spin-loop
        if stop(i) {
            return i;
        }
    }
}

/// Recurses `depth` times, keeping a frame alive each time.
pub fn recurse(depth: u64) -> u64 {
    let frame = [depth; 64]; // cov: recurse-frame
    if depth == 0 {
        return frame[0];
    }
    recurse(depth - 1).wrapping_add(frame[63])
}

/// Traps when `i` is `at`: a wasm `unreachable`, not a panic, in a frame of
/// its own below the caller's.
pub fn trap_at(i: u64, at: u64) {
    if i == at {
        trap(); // cov: trap-point
    }
}

#[cfg(target_arch = "wasm32")]
fn trap() -> ! {
    core::arch::wasm32::unreachable()
}

#[cfg(not(target_arch = "wasm32"))]
fn trap() -> ! {
    std::process::abort()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passes() {
        assert_eq!(add_one(1), 2);
    }

    #[test]
    fn panics() {
        println!("before the panic"); // cov: before-panic
        let v: Vec<u64> = Vec::new();
        assert!(!v.is_empty(), "panics on purpose");
        println!("never printed"); // cov: after-panic
    }

    #[test]
    fn traps_in_the_middle_of_a_loop() {
        let mut sum = 0;
        for i in 0..10 {
            sum += add_one(i); // cov: loop-before-trap
            trap_at(i, 5); // cov: loop-trap-call
            sum += add_one(sum); // cov: loop-after-trap
        }
        println!("{sum}"); // cov: after-the-loop
    }

    #[test]
    fn loops_forever() {
        let n = spin(|_| false); // cov: loops-forever-call
        assert_eq!(n, 0);
    }

    #[test]
    fn overflows_the_stack() {
        assert_eq!(recurse(u64::MAX / 2), 0); // cov: overflow-call
    }

    #[test]
    fn reads_its_manifest_by_absolute_path() {
        // What real suites do for fixtures: a host path baked in at build time.
        let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml")).unwrap();
        assert!(text.contains("name = \"faults\"")); // cov: read-manifest
    }

    #[test]
    fn reads_relative_to_the_crate() {
        // cargo runs tests in the crate folder; so does wasm-run.
        assert!(std::fs::metadata("src/lib.rs").unwrap().is_file());
    }

    #[test]
    fn sees_the_environment() {
        assert_eq!(std::env::var("FAULTS_GREETING").as_deref(), Ok("hello"));
    }

    #[test]
    fn exhausts_memory() {
        let mut chunks: Vec<Vec<u8>> = Vec::new();
        loop {
            chunks.push(vec![0u8; 256 << 20]); // cov: exhaust-alloc
        }
    }
}
