//! Which records name the same function: one function per source file and
//! declaration line, whatever its names.
//!
//! Tools name one function differently. `llvm-cov export` writes mangled
//! symbols, one per instantiation (`_RINvCs…_8fidelity7largestdEB2_` and
//! `…largestlEB2_`, demangled `fidelity::largest::<f64>` and `::<i32>`);
//! the mapper writes one record per declaration line, with generic arguments
//! dropped (`fidelity::largest`), and spells closures `{{closure}}` where v0
//! symbols say `{closure#0}`. Matching names would count such a function
//! twice or three times; the declaration line (`FN:<line>`) is what every
//! tool agrees on. So each input's functions are first folded to one per
//! line ([`fold_by_line`]), then inputs are matched by line
//! ([`merge_functions`]). A function with no line (an `FNDA` without `FN`)
//! is matched by name.
//!
//! Refs: geninfo(1) `FN`/`FNDA`; the mapper's `functions.rs` and `names.rs`,
//! whose rules (one record per declaration line, names without generic
//! arguments) these follow.

use std::borrow::Cow;
use std::collections::BTreeMap;

use wasm_cov_format::{FileCoverage, FnCoverage};

/// A Rust symbol as people read it. `llvm-cov export` writes mangled names
/// (`_RNvCs..._4demo8classify`, `_ZN4demo8classify17h...E`); the mapper and
/// cargo-llvm-cov write demangled ones, without the hash. Anything else is
/// returned as it is.
pub fn demangle(name: &str) -> Cow<'_, str> {
    let looks_mangled = ["_ZN", "_R", "__ZN", "__R"]
        .iter()
        .any(|p| name.starts_with(p));
    if looks_mangled {
        if let Ok(d) = rustc_demangle::try_demangle(name) {
            return Cow::Owned(format!("{d:#}"));
        }
    }
    Cow::Borrowed(name)
}

/// `name` demangled and without generic arguments, so that every
/// instantiation has one name: `fidelity::largest::<f64>` and
/// `fidelity::largest` are `fidelity::largest`, `<demo::W<u8>>::get` is
/// `<demo::W>::get`. A `<` that opens a qualified path (at the start, or
/// `::<impl ...>`, or after `(`, `&`, `,`, a space...) is kept.
pub fn display_name(name: &str) -> String {
    let name = demangle(name);
    let b = name.as_bytes();
    let mut out = String::with_capacity(name.len());
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let after_name =
            i > 0 && (b[i - 1].is_ascii_alphanumeric() || matches!(b[i - 1], b'_' | b'>'));
        let turbofish = i >= 2 && &b[i - 2..i] == b"::" && !name[i + 1..].starts_with("impl ");
        if c != b'<' || !(after_name || turbofish) {
            let len = name[i..].chars().next().map_or(1, char::len_utf8);
            out.push_str(&name[i..i + len]);
            i += len;
            continue;
        }
        if turbofish {
            out.truncate(out.len() - 2);
        }
        let mut depth = 0usize;
        while i < b.len() {
            match b[i] {
                b'-' if b.get(i + 1) == Some(&b'>') => i += 1, // `fn() -> T`
                b'<' => depth += 1,
                b'>' => {
                    depth = depth.saturating_sub(1);
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

/// Of two names for one function, the one a report shows: the shorter
/// (fewer decorations), then the smaller, so the choice does not depend on
/// the order of the inputs.
fn preferred<'a>(a: &'a str, b: &'a str) -> &'a str {
    if (b.len(), b) < (a.len(), a) {
        b
    } else {
        a
    }
}

/// Folds `file`'s functions to one per declaration line, named by
/// [`display_name`]: the instantiations of a generic, or of a method of a
/// generic type, and the closures libtest wraps a test in, sum their entry
/// counts into one record. Functions without a line keep their own
/// (display) name.
pub fn fold_by_line(file: &mut FileCoverage) {
    let old = std::mem::take(&mut file.functions);
    let mut by_line: BTreeMap<u32, (Vec<String>, u64)> = BTreeMap::new();
    let mut no_line: Vec<(String, u64)> = Vec::new();
    for (name, f) in old {
        let name = display_name(&name);
        if f.line == 0 {
            no_line.push((name, f.count));
            continue;
        }
        let slot = by_line.entry(f.line).or_default();
        slot.0.push(name);
        slot.1 = slot.1.saturating_add(f.count);
    }
    for (line, (names, count)) in by_line {
        insert_unique(file, common(&names), line, count);
    }
    for (name, count) in no_line {
        file.add_function(&name, 0, count);
    }
}

/// One name for several functions declared on one line, as the mapper
/// gives them: a single name as it is; a name that is the path of all the
/// others (a test and the closure libtest wraps it in) that name; else the
/// common beginning and end, cut at a path boundary, with `_` for what
/// differs (`<_ as a::T>::f` for the expansions of one macro).
fn common(names: &[String]) -> String {
    let mut uniq: Vec<&str> = names.iter().map(String::as_str).collect();
    uniq.sort_unstable();
    uniq.dedup();
    let (first, rest) = match uniq.split_first() {
        Some((f, r)) if !r.is_empty() => (*f, r),
        Some((f, _)) => return (*f).to_owned(),
        None => return String::new(),
    };
    // Sorted, so a parent path comes first: `t::f` before `t::f::{{closure}}`.
    if rest
        .iter()
        .all(|n| n.strip_prefix(first).is_some_and(|r| r.starts_with("::")))
    {
        return first.to_owned();
    }
    wasm_cov_format::common_name(&uniq)
}

/// Adds a function that is known to be new at `line`, and returns the name
/// it got. Names are the keys of a record (LCOV's `FNDA` names its
/// function): a name already used on another line gets the line added,
/// `f::{{closure}} (line 12)`, rather than merging two functions.
fn insert_unique(file: &mut FileCoverage, name: String, line: u32, count: u64) -> String {
    let name = match file.functions.get(&name) {
        Some(f) if f.line != line => format!("{name} (line {line})"),
        _ => name,
    };
    file.add_function(&name, line, count);
    name
}

/// Adds the functions of `from` (folded by [`fold_by_line`]) to `into`
/// (also folded): a function declared on a line `into` has a function on
/// is that function, whatever its name; its count is added and it keeps
/// the [`preferred`] of the two names.
pub fn merge_functions(into: &mut FileCoverage, from: BTreeMap<String, FnCoverage>) {
    let mut at_line: BTreeMap<u32, String> = into
        .functions
        .iter()
        .filter(|(_, f)| f.line != 0)
        .map(|(n, f)| (f.line, n.clone()))
        .collect();
    for (name, f) in from {
        if f.line == 0 {
            into.add_function(&name, 0, f.count);
            continue;
        }
        let Some(existing) = at_line.get(&f.line).cloned() else {
            let used = insert_unique(into, name, f.line, f.count);
            at_line.insert(f.line, used);
            continue;
        };
        let Some(mut old) = into.functions.remove(&existing) else {
            continue;
        };
        old.count = old.count.saturating_add(f.count);
        let keep = preferred(&existing, &name);
        // A name taken by a function of another line stays with it.
        let keep = if into.functions.contains_key(keep) {
            existing.clone()
        } else {
            keep.to_owned()
        };
        into.functions.insert(keep.clone(), old);
        at_line.insert(f.line, keep);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]
mod tests {
    use super::*;

    #[test]
    fn display_names_drop_hashes_and_generic_arguments() {
        for (raw, want) in [
            ("_RNvCsfq785NP0Thn_4demo8classify", "demo::classify"),
            ("_ZN4demo8classify17h0123456789abcdefE", "demo::classify"),
            (
                "_RINvCsnngvtEcu6y_8fidelity7largestdEB2_",
                "fidelity::largest",
            ),
            (
                "_RNvMCsnngvtEcu6y_8fidelityINtB2_7WrapperhE7widenedB2_",
                "<fidelity::Wrapper>::widened",
            ),
            (
                "fidelity::Wrapper<T>::widened",
                "fidelity::Wrapper::widened",
            ),
            (
                "a::f::<alloc::vec::Vec<u8>>::{closure#0}",
                "a::f::{closure#0}",
            ),
            (
                "itoa::<impl itoa::Sealed for u8>::write",
                "itoa::<impl itoa::Sealed for u8>::write",
            ),
            (
                "<demo::P<T> as core::fmt::Debug>::fmt",
                "<demo::P as core::fmt::Debug>::fmt",
            ),
            ("<&T as demo::Tr<fn() -> u8>>::f", "<&T as demo::Tr>::f"),
            ("demo::f::{{closure}}", "demo::f::{{closure}}"),
            ("a<b", "a"),
            ("::<", ""),
            ("plain C name", "plain C name"),
        ] {
            assert_eq!(display_name(raw), want, "{raw}");
        }
    }

    fn file(fns: &[(&str, u32, u64)]) -> FileCoverage {
        let mut f = FileCoverage::default();
        for &(n, l, c) in fns {
            f.add_function(n, l, c);
        }
        f
    }

    fn fns(f: &FileCoverage) -> Vec<(&str, u32, u64)> {
        let mut v: Vec<_> = f
            .functions
            .iter()
            .map(|(n, x)| (n.as_str(), x.line, x.count))
            .collect();
        v.sort_by_key(|x| x.1);
        v
    }

    #[test]
    fn instantiations_fold_and_inputs_match_by_line() {
        // llvm-cov: two instantiations on line 18, a closure on line 20.
        let mut native = file(&[
            ("_RINvCsnngvtEcu6y_8fidelity7largestdEB2_", 18, 1),
            ("_RINvCsnngvtEcu6y_8fidelity7largestlEB2_", 18, 1),
            ("fidelity::f::{closure#0}", 20, 3),
            ("only_named", 0, 2),
        ]);
        fold_by_line(&mut native);
        assert_eq!(
            fns(&native),
            [
                ("only_named", 0, 2),
                ("fidelity::largest", 18, 2),
                ("fidelity::f::{closure#0}", 20, 3)
            ]
        );
        // The mapper: its own spelling of each.
        let mut wasm = file(&[
            ("fidelity::largest", 18, 2),
            ("fidelity::f::{{closure}}", 20, 1),
            ("fidelity::g", 30, 0),
            ("only_named", 0, 1),
        ]);
        fold_by_line(&mut wasm);
        merge_functions(&mut native, wasm.functions);
        assert_eq!(
            fns(&native),
            [
                ("only_named", 0, 3),
                ("fidelity::largest", 18, 4),
                ("fidelity::f::{closure#0}", 20, 4),
                ("fidelity::g", 30, 0)
            ]
        );
    }

    #[test]
    fn one_name_for_the_functions_of_one_line() {
        let names = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            common(&names(&["<u8 as a::T>::f", "<u16 as a::T>::f"])),
            "<_ as a::T>::f"
        );
        assert_eq!(
            common(&names(&["d::tests::t::{{closure}}", "d::tests::t"])),
            "d::tests::t"
        );
        assert_eq!(common(&names(&["a::f", "a::f"])), "a::f");
    }

    #[test]
    fn one_name_on_two_lines_stays_two_functions() {
        let mut f = file(&[("a::f::{{closure}}", 10, 1)]);
        merge_functions(&mut f, file(&[("a::f::{{closure}}", 12, 2)]).functions);
        assert_eq!(
            fns(&f),
            [
                ("a::f::{{closure}}", 10, 1),
                ("a::f::{{closure}} (line 12)", 12, 2)
            ]
        );
    }
}
