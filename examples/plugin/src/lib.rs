//! A wit-bindgen guest plugin: a text transform a host loads as a component
//! (`wit/plugin.wit`). The logic is plain Rust that the unit tests call
//! directly; the `Guest` impl is the thin boundary only a host reaches, so
//! no unit test counts it. Built with the coverage flags for wasm32-wasip1,
//! the unit test binary keeps wit-bindgen's async runtime, which imports
//! component intrinsics from `$root` that no host provides: the engines
//! define them as traps (tests/tests/plugin.rs). The `// cov:` comments name
//! lines the tests look up by text, not by number.

wit_bindgen::generate!({
    path: "wit",
    world: "plugin",
});

use exports::example::text_transform::transform::{Guest, TransformError};

/// The longest input accepted, in bytes.
pub const MAX_INPUT_LEN: usize = 4096;

/// `input` with every word's first letter upper case and the rest lower
/// case, white space between words folded to one space.
pub fn title_case(input: &str) -> Result<String, TransformError> {
    if input.len() > MAX_INPUT_LEN {
        let len = u32::try_from(input.len()).unwrap_or(u32::MAX);
        return Err(TransformError::TooLong(len)); // cov: too-long (no test takes it)
    }
    let mut out = String::with_capacity(input.len());
    for word in input.split_whitespace() {
        if !out.is_empty() {
            out.push(' '); // cov: word-gap
        }
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            out.extend(first.to_uppercase()); // cov: first-letter
            out.extend(chars.flat_map(char::to_lowercase));
        }
    }
    if out.is_empty() {
        return Err(TransformError::EmptyInput); // cov: empty-input
    }
    Ok(out)
}

struct Plugin;

impl Guest for Plugin {
    fn name() -> String {
        "title-case".to_owned() // cov: guest-name (only a host calls it)
    }

    fn transform(input: String) -> Result<String, TransformError> {
        // A bug only a host's test finds: the boundary panics (a trap on
        // wasm) where the logic would have coped.
        assert!(!input.contains('\0'), "a NUL in the input"); // cov: nul-trap
        title_case(&input) // cov: guest-transform (only a host calls it)
    }
}

export!(Plugin);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn title_cases_each_word() {
        assert_eq!(title_case("hello wide WORLD").unwrap(), "Hello Wide World");
    }

    #[test]
    fn folds_white_space() {
        assert_eq!(title_case("  rust\t\nwasm  ").unwrap(), "Rust Wasm");
    }

    #[test]
    fn blank_input_is_an_error() {
        assert!(matches!(
            title_case(" \t "),
            Err(TransformError::EmptyInput)
        ));
    }

    /// A component intrinsic, called where no component host is: on
    /// wasm32-wasip1 the test binary is a core module, and each engine's
    /// stub for `$root`::`[thread-yield]` traps. Only wasip1 builds it (a
    /// wasip2 test binary that yields needs a host with component-model
    /// async); tests/tests/plugin.rs runs it with `--ignored`.
    #[test]
    #[cfg(all(target_os = "wasi", target_env = "p1"))]
    #[ignore = "traps: no component host provides the intrinsics to a core module"]
    fn yields_to_a_component_host() {
        wit_bindgen::yield_blocking(); // cov: yield
    }
}
