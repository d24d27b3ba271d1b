//! Function names as the report shows them: one name per source function,
//! whatever its instantiations.

/// The crate rustdoc compiles each doctest as.
pub const DOCTEST_CRATE: &str = "rust_out";

/// Whether a function is a doctest program's own (`rust_out::main`, and
/// the items an example defines).
pub fn is_doctest(name: &str) -> bool {
    name.trim_start_matches('<')
        .strip_prefix(DOCTEST_CRATE)
        .is_some_and(|rest| rest.starts_with("::"))
}

/// The name without its first path segment, the crate: `tests::util::f`
/// of the `test_version` binary is `test_version::util::f`, of the
/// `test_parse` binary `test_parse::util::f`. `None` for a name with one
/// segment or a qualified path (`<T as Trait>::f`).
pub fn without_crate(name: &str) -> Option<&str> {
    if name.starts_with('<') {
        return None;
    }
    name.split_once("::").map(|(_, rest)| rest)
}

/// Removes generic arguments from a demangled path, so every
/// instantiation of a function (and of a method of a generic type) has the
/// same name: `demo::Wrapper<u8>::get` and `demo::Wrapper<T>::get` are both
/// `demo::Wrapper::get`; `<demo::P<T> as core::fmt::Debug>::fmt` is
/// `<demo::P as core::fmt::Debug>::fmt`. A `<` that opens a qualified path
/// (at the start, or after `::`, `<`, `(`, `[`, `&`, `*`, `,` or a space) is
/// kept; one that follows a name or `>` opens generic arguments and is
/// dropped with everything up to its matching `>`.
pub fn normalize(name: &str) -> String {
    let b = name.as_bytes();
    let mut out = String::with_capacity(name.len());
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let opens_args = c == b'<'
            && i > 0
            && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_' || b[i - 1] == b'>');
        if !opens_args {
            // Copy one UTF-8 scalar value.
            let len = name[i..].chars().next().map_or(1, char::len_utf8);
            out.push_str(&name[i..i + len]);
            i += len;
            continue;
        }
        let mut depth = 0usize;
        while i < b.len() {
            match b[i] {
                b'-' if b.get(i + 1) == Some(&b'>') => i += 1, // `fn() -> T`
                b'<' => depth += 1,
                b'>' => {
                    depth -= 1;
                    if depth == 0 {
                        i += 1;
                        break;
                    }
                }
                _ => {}
            }
            i += 1;
        }
    }
    out
}

/// Code that wasm-bindgen's macros generate around a user's item, named as
/// DWARF names it: the export shim `#[wasm_bindgen]` puts on a function
/// (`crate::_::__wasm_bindgen_generated_f` and its closures, and the shim
/// itself under its export name, `f_<16 hex digits>`), the type
/// descriptors wasm-bindgen's CLI runs at build time and then removes
/// (`__wbindgen_describe_*`), and the wrapper `#[wasm_bindgen_test]` puts
/// around each test (`__wbgt__<crate>::<test>`).
pub fn is_bindgen_glue(name: &str) -> bool {
    name.contains("__wasm_bindgen_generated_")
        || name.contains("__wbindgen_describe_")
        || name.starts_with("__wbgt__")
        || name.contains("::__wbgt__")
        || is_hashed_export(name)
}

/// `f_05ab94b31e5666da`: one path segment ending in `_` and 16 lowercase
/// hex digits.
fn is_hashed_export(name: &str) -> bool {
    let b = name.as_bytes();
    b.len() > 17
        && !name.contains("::")
        && b[b.len() - 17] == b'_'
        && b[b.len() - 16..]
            .iter()
            .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(c))
}

/// See [`wasm_cov_format::common_name`], which cov-report shares.
pub fn common(names: &[&str]) -> String {
    wasm_cov_format::common_name(names)
}

#[cfg(test)]
mod tests {
    use super::{common, is_bindgen_glue, normalize};

    #[test]
    fn wasm_bindgen_glue_by_name() {
        for glue in [
            "browser_demo::_::__wasm_bindgen_generated_never::{{closure}}",
            "browser_demo::_::__wbindgen_describe_never_05ab94b31e5666da",
            "never_05ab94b31e5666da",
            "web::_::__wbindgen_describe___wbg_has_cfa62e2ff7fa595a",
            "__wbgt__web::page_triples",
        ] {
            assert!(is_bindgen_glue(glue), "{glue}");
        }
        for user in [
            "browser_demo::never",
            "web::js_sys_global_has",
            "web::page_triples",
            "never_05ab94b31e5666dA",
            "m::never_05ab94b31e5666da",
            "_05ab94b31e5666da",
            "wbgt::f",
        ] {
            assert!(!is_bindgen_glue(user), "{user}");
        }
    }

    #[test]
    fn one_name_for_the_expansions_of_a_macro() {
        assert_eq!(
            common(&[
                "itoa::<impl itoa::Sealed for u8>::write",
                "itoa::<impl itoa::Sealed for u16>::write",
                "itoa::<impl itoa::Sealed for u8>::write",
            ]),
            "itoa::<impl itoa::Sealed for _>::write"
        );
        assert_eq!(common(&["a::f", "a::f"]), "a::f");
        assert_eq!(
            common(&["<u8 as a::T>::f", "<u16 as a::T>::f"]),
            "<_ as a::T>::f"
        );
    }

    #[test]
    fn drops_generic_arguments_only() {
        assert_eq!(
            normalize("demo::Wrapper<T>::widened"),
            "demo::Wrapper::widened"
        );
        assert_eq!(
            normalize("<hashbrown::map::HashMap<String, u32, S>>::insert"),
            "<hashbrown::map::HashMap>::insert"
        );
        assert_eq!(
            normalize("<demo::P<alloc::vec::Vec<u8>> as core::fmt::Debug>::fmt"),
            "<demo::P as core::fmt::Debug>::fmt"
        );
        assert_eq!(
            normalize("<&T as demo::Tr<fn() -> u8>>::f"),
            "<&T as demo::Tr>::f"
        );
        assert_eq!(normalize("demo::f::{{closure}}"), "demo::f::{{closure}}");
        assert_eq!(normalize("<[T] as demo::Tr>::f"), "<[T] as demo::Tr>::f");
        // Unbalanced input never panics.
        assert_eq!(normalize("a<b"), "a");
    }
}
