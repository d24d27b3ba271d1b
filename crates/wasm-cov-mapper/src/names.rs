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

/// One name for a function however rustc mangled its symbol: legacy
/// (`_ZN…`, rustc's default up to 1.99) or v0 (`_R…`, the default from
/// 1.100), demangled without the hash. The same source gives the same name
/// from either (docs/formats.md §5, "Functions"):
///
/// - generic arguments are dropped, so every instantiation has one name:
///   `demo::Wrapper<u8>::get` (legacy `demo::Wrapper<T>::get`) and
///   `fidelity::largest::<i32>` (v0; legacy has no arguments there) are
///   `demo::Wrapper::get` and `fidelity::largest`;
/// - an inherent method of a type named by a path is `Type::method`: v0's
///   `<fidelity::Wrapper<u8>>::widened` is `fidelity::Wrapper::widened`;
/// - a trait impl's method is `<Type as Trait>::method`: legacy's
///   `demo::m::<impl core::fmt::Display for demo::S>::fmt` (an impl
///   written in another module than its type and its trait) is
///   `<demo::S as core::fmt::Display>::fmt`, as v0 spells it;
/// - a type parameter in a `Self` type is `_`: legacy's
///   `<T as demo::Local>::local` (`impl<T> Local for T`) is
///   `<_ as demo::Local>::local`, as two v0 instantiations, `<u8 as …>` and
///   `<u16 as …>`, are joined on their line ([`common`]);
/// - a closure is `{{closure}}`: v0's `{closure#0}`, `{closure#1}`.
///
/// v0 names a generic impl instantiated with one type only after that type
/// (`<u8 as demo::Local>::local`): a demangled v0 name does not say what
/// was a parameter. Unbalanced input never panics.
pub fn normalize(name: &str) -> String {
    let name = v0_closures(name);
    let name = without_generic_args(&name);
    let name = impl_paths(&name);
    qualified_paths(&name)
}

/// `{closure#N}` (v0) as `{{closure}}` (legacy).
fn v0_closures(name: &str) -> String {
    const OPEN: &str = "{closure#";
    let mut out = String::with_capacity(name.len());
    let mut rest = name;
    while let Some(at) = rest.find(OPEN) {
        let after = &rest[at + OPEN.len()..];
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        out.push_str(&rest[..at]);
        if digits > 0 && after[digits..].starts_with('}') {
            out.push_str("{{closure}}");
            rest = &after[digits + 1..];
        } else {
            out.push_str(OPEN);
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// Drops generic arguments: a `<` that follows a name or `>` (`Wrapper<T>`),
/// or `::` (v0's turbofish, `largest::<i32>`, dropped with its `::`), up to
/// its matching `>`. Kept: a `<` that opens a qualified path (at the
/// start, or after `<`, `(`, `[`, `&`, `*`, `,` or a space) and legacy's
/// `::<impl …>`.
fn without_generic_args(name: &str) -> String {
    let b = name.as_bytes();
    let mut out = String::with_capacity(name.len());
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let after_name = i > 0 && (is_name_byte(b[i - 1]) || b[i - 1] == b'>');
        let turbofish = i >= 2 && &b[i - 2..i] == b"::" && !b[i + 1..].starts_with(b"impl ");
        if c != b'<' || !(after_name || turbofish) {
            // Copy one UTF-8 scalar value.
            let len = name[i..].chars().next().map_or(1, char::len_utf8);
            out.push_str(&name[i..i + len]);
            i += len;
            continue;
        }
        if turbofish {
            out.truncate(out.len() - 2);
        }
        i = matching(b, i).map_or(b.len(), |close| close + 1);
    }
    out
}

/// Legacy's `parent::<impl Trait for Type>` as `<Type as Trait>`, and
/// `parent::<impl Type>` as `<Type>`: the impl's module is not in a v0
/// name, and `<Type as Trait>` is what both spell for an impl beside its
/// type or trait.
fn impl_paths(name: &str) -> String {
    const OPEN: &str = "::<impl ";
    let mut s = name.to_owned();
    while let Some(at) = s.find(OPEN) {
        let open = at + 2;
        let Some(close) = matching(s.as_bytes(), open) else {
            break;
        };
        let inner = &s[at + OPEN.len()..close];
        let qualified = match split_top(inner, " for ") {
            Some((tr, ty)) => format!("<{ty} as {tr}>"),
            None => format!("<{inner}>"),
        };
        let start = path_start(s.as_bytes(), at);
        s.replace_range(start..=close, &qualified);
    }
    s
}

/// Every `<…>` left is a qualified path (generic arguments are gone):
/// `<Type>` with `Type` a path is `Type` (legacy's spelling of an inherent
/// method); in `<Type as Trait>` and `<Type>` a type parameter is `_`.
fn qualified_paths(name: &str) -> String {
    let b = name.as_bytes();
    let mut out = String::with_capacity(name.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'<' {
            let len = name[i..].chars().next().map_or(1, char::len_utf8);
            out.push_str(&name[i..i + len]);
            i += len;
            continue;
        }
        let Some(close) = matching(b, i) else {
            out.push_str(&name[i..]);
            break;
        };
        let inner = qualified_paths(&name[i + 1..close]);
        match split_top(&inner, " as ") {
            Some((ty, tr)) => {
                out.push('<');
                out.push_str(&without_params(ty));
                out.push_str(" as ");
                out.push_str(tr);
                out.push('>');
            }
            None if is_plain_path(&inner) => out.push_str(&inner),
            None => {
                out.push('<');
                out.push_str(&without_params(&inner));
                out.push('>');
            }
        }
        i = close + 1;
    }
    out
}

/// A type with its type parameters as `_`: a parameter is a name that is
/// no path segment (neither follows nor precedes `::`), no primitive type
/// and no keyword. Paths (legacy and v0 print types by their full path),
/// lifetimes, `{{closure}}` and string literals (`extern "C"`) are kept.
fn without_params(ty: &str) -> String {
    const KEPT: &[&str] = &[
        "bool", "char", "str", "u8", "u16", "u32", "u64", "u128", "usize", "i8", "i16", "i32",
        "i64", "i128", "isize", "f16", "f32", "f64", "f128", "dyn", "mut", "const", "fn", "unsafe",
        "extern", "for", "impl", "Self", "_",
    ];
    let b = ty.as_bytes();
    let mut out = String::with_capacity(ty.len());
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let skip_to = match c {
            b'{' if ty[i..].starts_with("{{") => ty[i..].find("}}").map(|e| i + e + 2),
            b'{' => ty[i..].find('}').map(|e| i + e + 1),
            b'"' => ty[i + 1..].find('"').map(|e| i + 1 + e + 1),
            b'\'' => Some(i + 1 + b[i + 1..].iter().take_while(|&&c| is_name_byte(c)).count()),
            _ => None,
        };
        if let Some(end) = skip_to {
            out.push_str(&ty[i..end]);
            i = end;
            continue;
        }
        if !is_name_byte(c) || c.is_ascii_digit() {
            let len = ty[i..].chars().next().map_or(1, char::len_utf8);
            out.push_str(&ty[i..i + len]);
            i += len;
            continue;
        }
        let end = i + b[i..].iter().take_while(|&&c| is_name_byte(c)).count();
        let word = &ty[i..end];
        let in_path = ty[..i].ends_with("::") || ty[end..].starts_with("::");
        if in_path || KEPT.contains(&word) {
            out.push_str(word);
        } else {
            out.push('_');
        }
        i = end;
    }
    out
}

/// A type named by a path alone: `demo::Wrapper`, `u8`; not `&T`, `[T]`,
/// `dyn demo::Tr`.
fn is_plain_path(s: &str) -> bool {
    s.bytes()
        .next()
        .is_some_and(|c| is_name_byte(c) && !c.is_ascii_digit())
        && s.bytes()
            .all(|c| is_name_byte(c) || matches!(c, b':' | b'{' | b'}'))
}

/// An identifier's byte (a non-ASCII one is part of a name too).
fn is_name_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80
}

/// The `>` that closes the `<` at `open`, skipping `->`.
fn matching(b: &[u8], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = open;
    while i < b.len() {
        match b[i] {
            b'-' if b.get(i + 1) == Some(&b'>') => i += 1, // `fn() -> T`
            b'<' => depth += 1,
            b'>' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// `s` split at the first `sep` outside any brackets.
fn split_top<'s>(s: &'s str, sep: &str) -> Option<(&'s str, &'s str)> {
    let b = s.as_bytes();
    let mut depth = 0i32;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'-' if b.get(i + 1) == Some(&b'>') => i += 1,
            b'<' | b'(' | b'[' => depth += 1,
            b'>' | b')' | b']' => depth -= 1,
            _ if depth == 0 && b[i..].starts_with(sep.as_bytes()) => {
                return Some((&s[..i], &s[i + sep.len()..]));
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// Where the path that ends at `end` begins: back over names, `::`,
/// `{{closure}}` and whole `<…>` groups.
fn path_start(b: &[u8], end: usize) -> usize {
    let mut i = end;
    while i > 0 {
        let c = b[i - 1];
        if c == b'>' {
            // Back to the `<` this `>` closes.
            let mut depth = 0usize;
            let mut j = i;
            while j > 0 {
                j -= 1;
                match b[j] {
                    b'>' => depth += 1,
                    b'<' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    _ => {}
                }
            }
            if depth != 0 {
                break;
            }
            i = j;
        } else if is_name_byte(c) || matches!(c, b':' | b'{' | b'}') {
            i -= 1;
        } else {
            break;
        }
    }
    i
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

    /// Real names: rustc 1.95 (legacy) and 1.100 beta (v0) symbols of the
    /// same source, demangled by rustc-demangle (`{:#}`), from
    /// examples/fidelity and a crate of every kind of impl (its line in
    /// the comment).
    #[test]
    fn legacy_and_v0_names_of_one_source_agree() {
        let same = [
            // fn largest<T: PartialOrd + Copy>(xs: &[T]) -> T
            (
                "fidelity::largest",
                "fidelity::largest::<f64>",
                "fidelity::largest",
            ),
            // impl<T: Copy + Into<i64>> Wrapper<T> { fn widened }
            (
                "fidelity::Wrapper<T>::widened",
                "<fidelity::Wrapper<u8>>::widened",
                "fidelity::Wrapper::widened",
            ),
            // the closure libtest wraps a #[test] fn in
            (
                "fidelity::tests::generic_with_two_types::{{closure}}",
                "fidelity::tests::generic_with_two_types::{closure#0}",
                "fidelity::tests::generic_with_two_types::{{closure}}",
            ),
            (
                "<fidelity::Point as core::clone::Clone>::clone",
                "<fidelity::Point as core::clone::Clone>::clone",
                "<fidelity::Point as core::clone::Clone>::clone",
            ),
            // mod b { impl crate::a::S { fn elsewhere } }
            (
                "names::b::<impl names::a::S>::elsewhere",
                "<names::a::S>::elsewhere",
                "names::a::S::elsewhere",
            ),
            // mod b { impl<T> G<T> { fn get } }, G in mod a
            (
                "names::b::<impl names::a::G<T>>::get",
                "<names::a::G<u16>>::get",
                "names::a::G::get",
            ),
            // mod b { impl fmt::Display for S }
            (
                "names::b::<impl core::fmt::Display for names::a::S>::fmt",
                "<names::a::S as core::fmt::Display>::fmt",
                "<names::a::S as core::fmt::Display>::fmt",
            ),
            // mod b { impl Tr for u8 }, Tr in mod a
            (
                "names::b::<impl names::a::Tr for u8>::f",
                "<u8 as names::a::Tr>::f",
                "<u8 as names::a::Tr>::f",
            ),
            // mod b { impl<'a> Tr for &'a S }
            (
                "names::b::<impl names::a::Tr for &names::a::S>::f",
                "<&names::a::S as names::a::Tr>::f",
                "<&names::a::S as names::a::Tr>::f",
            ),
            // impl Local for a::S, Local at the root
            (
                "<names::a::S as names::Local>::local",
                "<names::a::S as names::Local>::local",
                "<names::a::S as names::Local>::local",
            ),
            // impl<T: Copy> W<T> { fn map<U, F: Fn(T) -> U> }, called with a closure
            (
                "names::W<T>::map",
                "<names::W<u8>>::map::<u32, names::all::{closure#0}>",
                "names::W::map",
            ),
            // the closure in W::twice
            (
                "names::W<T>::twice::{{closure}}",
                "<names::W<u32>>::twice::{closure#0}",
                "names::W::twice::{{closure}}",
            ),
            // fn outer() { fn inner; let nested = |x| { let deeper = |y| ..; } }
            (
                "names::outer::inner",
                "names::outer::inner",
                "names::outer::inner",
            ),
            (
                "names::outer::{{closure}}::{{closure}}",
                "names::outer::{closure#1}::{closure#0}",
                "names::outer::{{closure}}::{{closure}}",
            ),
            // fn generic<T: Copy, const N: usize>(xs: [T; N])
            (
                "names::generic",
                "names::generic::<u32, 2>",
                "names::generic",
            ),
            // async fn later: its body is a closure
            (
                "names::later::{{closure}}",
                "names::later::{closure#0}",
                "names::later::{{closure}}",
            ),
        ];
        for (legacy, v0, want) in same {
            assert_eq!(normalize(legacy), want, "legacy {legacy}");
            assert_eq!(normalize(v0), want, "v0 {v0}");
        }
    }

    /// A generic impl for a type parameter: legacy names the parameter, v0
    /// each type it was instantiated with; on one line they agree.
    #[test]
    fn a_blanket_impl_is_one_name_on_its_line() {
        // impl<T: Copy + Into<u32>> Local for T
        let legacy = normalize("<T as names::Local>::local");
        assert_eq!(legacy, "<_ as names::Local>::local");
        let v0 = [
            normalize("<u8 as names::Local>::local"),
            normalize("<u16 as names::Local>::local"),
        ];
        assert_eq!(common(&[&v0[0], &v0[1]]), legacy);
        // impl<T: Copy + Into<u32>> Tr for [T], in mod b
        assert_eq!(
            normalize("names::b::<impl names::a::Tr for [T]>::f::{{closure}}"),
            "<[_] as names::a::Tr>::f::{{closure}}"
        );
        assert_eq!(
            common(&[
                &normalize("<[u8] as names::a::Tr>::f"),
                &normalize("<[u16] as names::a::Tr>::f"),
            ]),
            "<[_] as names::a::Tr>::f"
        );
    }

    #[test]
    fn qualified_paths_inside_names() {
        // v0's vtable shim of a closure, declared in core.
        assert_eq!(
            normalize(
                "<fidelity::tests::inline_and_branches::{closure#0} as \
                 core::ops::function::FnOnce<()>>::call_once"
            ),
            "<fidelity::tests::inline_and_branches::{{closure}} as \
             core::ops::function::FnOnce>::call_once"
        );
        assert_eq!(
            normalize("<<demo::W<u8>>::f::{closure#0} as core::ops::FnOnce<()>>::call_once"),
            "<demo::W::f::{{closure}} as core::ops::FnOnce>::call_once"
        );
        // An impl inside a method, legacy: its parent path goes.
        assert_eq!(
            normalize("<demo::S as demo::Tr>::f::<impl demo::U for demo::V>::g"),
            "<demo::V as demo::U>::g"
        );
        assert_eq!(normalize("<dyn demo::Tr>::f"), "<dyn demo::Tr>::f");
        assert_eq!(
            normalize("<&mut [T; N] as demo::Tr>::f"),
            "<&mut [_; _] as demo::Tr>::f"
        );
        assert_eq!(
            normalize("<unsafe extern \"C\" fn(T) -> u8 as demo::Tr>::f"),
            "<unsafe extern \"C\" fn(_) -> u8 as demo::Tr>::f"
        );
        assert_eq!(
            normalize("core::num::<impl u8>::checked_add"),
            "u8::checked_add"
        );
        assert_eq!(normalize("<u8>::checked_add"), "u8::checked_add");
    }

    #[test]
    fn drops_generic_arguments_only() {
        assert_eq!(
            normalize("demo::Wrapper<T>::widened"),
            "demo::Wrapper::widened"
        );
        assert_eq!(
            normalize("<hashbrown::map::HashMap<String, u32, S>>::insert"),
            "hashbrown::map::HashMap::insert"
        );
        assert_eq!(
            normalize("<demo::P<alloc::vec::Vec<u8>> as core::fmt::Debug>::fmt"),
            "<demo::P as core::fmt::Debug>::fmt"
        );
        assert_eq!(
            normalize("<&T as demo::Tr<fn() -> u8>>::f"),
            "<&_ as demo::Tr>::f"
        );
        assert_eq!(normalize("demo::f::{{closure}}"), "demo::f::{{closure}}");
        assert_eq!(normalize("<[T] as demo::Tr>::f"), "<[_] as demo::Tr>::f");
        assert_eq!(normalize("demo::f::{closure#x}"), "demo::f::{closure#x}");
    }

    #[test]
    fn unbalanced_input_never_panics() {
        assert_eq!(normalize("a<b"), "a");
        for bad in [
            "<",
            ">",
            "<<",
            ">>",
            "a::<",
            "a::<impl ",
            "a::<impl b",
            "<a as",
            "<'",
            "<\"",
            "<{",
            "<{{",
            "a::{closure#",
            "{closure#1",
            "a::<impl b>>::c",
            "a>::<impl b>",
            "<ü as ß>::ñ",
            "<impl a for b>",
        ] {
            let _ = normalize(bad);
        }
    }
}
