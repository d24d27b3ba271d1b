//! A plain program, the shape of a doctest once rustdoc has built it for
//! wasm32-wasip1: `_start` runs `main` once, and the exit status is the
//! verdict. Its first argument decides it, so one build passes, fails
//! and traps. `// cov:` comments mark lines the integration tests look up.

use std::process::ExitCode;

/// `pass` exits 0, `panic` traps (a panic aborts on wasm), anything else
/// exits 1.
fn verdict(arg: Option<&str>) -> ExitCode {
    match arg {
        Some("pass") => {
            println!("the program passes"); // cov: pass-branch
            ExitCode::SUCCESS
        }
        Some("panic") => panic!("the program panics"), // cov: panic-branch
        _ => {
            eprintln!("the program fails: {arg:?}"); // cov: fail-branch
            ExitCode::FAILURE
        }
    }
}

/// Nothing calls this.
#[allow(dead_code)]
fn never_called(x: u32) -> u32 {
    x.wrapping_mul(3) // cov: never-called
}

fn main() -> ExitCode {
    verdict(std::env::args().nth(1).as_deref())
}
