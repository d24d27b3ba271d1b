//! The smallest useful "compat" test module: it exports
//! `__run_tests() -> i32` (0 = all passed) and prints through the optional
//! `env.__log(ptr, len)` import. wasm-run instantiates it and calls the
//! export. Build it for wasm32-unknown-unknown as a cdylib. `// cov:`
//! comments mark lines the integration tests look up.

#[link(wasm_import_module = "env")]
extern "C" {
    fn __log(ptr: *const u8, len: usize);
}

fn log(text: &str) {
    // SAFETY: the host reads `len` bytes at `ptr` from this module's own
    // exported memory while the call lasts; `text` outlives the call.
    unsafe { __log(text.as_ptr(), text.len()) }
}

/// Greatest common divisor.
pub fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 {
        a // cov: gcd-base
    } else {
        gcd(b, a % b) // cov: gcd-step
    }
}

/// No test calls this.
pub fn lcm(a: u64, b: u64) -> u64 {
    a / gcd(a, b) * b // cov: lcm-body
}

fn check(ok: bool, what: &str, failures: &mut i32) {
    if ok {
        log(&format!("ok: {what}"));
    } else {
        log(&format!("FAILED: {what}")); // cov: check-failed
        *failures += 1;
    }
}

/// Runs every test; returns how many failed.
#[no_mangle]
pub extern "C" fn __run_tests() -> i32 {
    let mut failures = 0;
    check(gcd(12, 18) == 6, "gcd(12, 18) == 6", &mut failures);
    check(gcd(7, 0) == 7, "gcd(7, 0) == 7", &mut failures);
    failures
}
