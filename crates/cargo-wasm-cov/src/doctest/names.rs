//! What cargo calls a doctest: `src/lib.rs - Either::map (line 857)`.
//!
//! rustdoc gives a runner only the binary's path (the
//! `UNSTABLE_RUSTDOC_TEST_PATH`/`_LINE` it sets reach the compiler, not
//! the runner), so the name is put together from the binary and the
//! source:
//!
//! - the fence line, from the function rustdoc wraps the example in,
//!   `_doctest_main_<file>_<line>_<n>`, whose name the name section and
//!   DWARF keep (functions nested in the example carry it as a path
//!   prefix: `…_doctest_main_src_lib_rs_9_07is_even17h…E`, one doctest);
//! - the file, from the doctest's compile unit, which rustc names after
//!   the documented file (`src/lib.rs/@/rust_out.<hash>-cgu.0`);
//! - the item path, from the source: the item whose doc comment holds
//!   that line, inside the modules of its file (`src/de/mod.rs` is `de`),
//!   impl blocks named by their self type without white space, as rustdoc
//!   prints them (`Pair<L,R>::left`).
//!
//! An edition-2024 merged binary is a harness of its own that holds the
//! names whole; its doctests are numbered in the order of their names.

use std::path::Path;

use quote::ToTokens;
use syn::spanned::Spanned;

const MAIN_TAG: &[u8] = b"_doctest_main_";

/// One doctest's wrapper function: `_doctest_main_src_lib_rs_9_0`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Entry {
    /// The documented file with every character but letters and digits
    /// made `_` (`src_lib_rs`).
    pub file: String,
    /// The line of the example's opening fence.
    pub line: u32,
}

/// `_doctest_main_src_lib_rs_9_0` → (`src_lib_rs`, 9).
pub fn parse_entry(ident: &str) -> Option<Entry> {
    let rest = ident.strip_prefix("_doctest_main_")?;
    let (rest, n) = rest.rsplit_once('_')?;
    let (file, line) = rest.rsplit_once('_')?;
    if file.is_empty() || n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let line = line.parse().ok().filter(|l| *l > 0)?;
    Some(Entry {
        file: file.to_owned(),
        line,
    })
}

/// The doctests a binary's wrapper functions name, each once, sorted.
/// A name is taken at the length a mangled symbol gives it
/// (`28_doctest_main_src_lib_rs_9_0`), else up to where the identifier
/// ends (a DWARF string); a nested function's symbol then still names its
/// doctest and no other.
pub fn entries(wasm: &[u8]) -> Vec<Entry> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(at) = find(&wasm[from..], MAIN_TAG).map(|p| p + from) {
        from = at + MAIN_TAG.len();
        let run = wasm[at..]
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
            .count();
        let run = std::str::from_utf8(&wasm[at..at + run]).unwrap_or("");
        let entry = length_prefixes(&wasm[..at])
            .find_map(|n| run.get(..n).and_then(parse_entry))
            .or_else(|| parse_entry(run));
        if let Some(e) = entry {
            if !found.contains(&e) {
                found.push(e);
            }
        }
    }
    found.sort();
    found
}

/// How many doctests an edition-2024 merged binary holds (its
/// `doctest_bundle_<edition>::__doctest_<n>` modules), 0 for a binary of
/// one doctest.
pub fn merged_count(wasm: &[u8]) -> usize {
    if find(wasm, b"RUSTDOC_DOCTEST_RUN_NB_TEST").is_none() {
        return 0;
    }
    const TAG: &[u8] = b"__doctest_";
    let mut seen = std::collections::BTreeSet::new();
    let mut from = 0;
    while let Some(at) = find(&wasm[from..], TAG).map(|p| p + from) {
        from = at + TAG.len();
        let digits = wasm[from..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        // A mangled component is exactly `__doctest_<n>`: its length
        // prefix says how many digits are its own.
        // v0 mangling puts a `_` between the length and an identifier
        // that starts with `_`.
        let before = match wasm[..at].strip_suffix(b"_") {
            Some(b) if b.last().is_some_and(u8::is_ascii_digit) => b,
            _ => &wasm[..at],
        };
        let own = length_prefixes(before)
            .filter_map(|len| len.checked_sub(TAG.len()))
            .find(|&n| n >= 1 && n <= digits);
        if let Some(n) = own {
            if let Ok(k) = std::str::from_utf8(&wasm[from..from + n])
                .unwrap_or("")
                .parse::<usize>()
            {
                seen.insert(k);
            }
        }
    }
    seen.len()
}

/// The test names a merged binary holds (`<file> - <item>(line N)`, as
/// libtest names its tests), each once, sorted as rustdoc numbers them.
/// A name's start is where a file that `exists` begins.
pub fn merged_names(wasm: &[u8], exists: impl Fn(&str) -> bool) -> Vec<String> {
    const TAG: &[u8] = b"(line ";
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(at) = find(&wasm[from..], TAG).map(|p| p + from) {
        from = at + TAG.len();
        let digits = wasm[from..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        if digits == 0 || wasm.get(from + digits) != Some(&b')') {
            continue;
        }
        let end = from + digits + 1;
        // Back to the " - " after the file, then to the file's start.
        let Some(dash) = rfind(&wasm[..at], b" - ") else {
            continue;
        };
        let start_limit = dash.saturating_sub(4096);
        let mut name = None;
        for start in start_limit..dash {
            let Ok(file) = std::str::from_utf8(&wasm[start..dash]) else {
                continue;
            };
            if file.ends_with(".rs") && !file.contains(['\0', '\n', ')']) && exists(file) {
                name = std::str::from_utf8(&wasm[start..end]).ok();
                break;
            }
        }
        if let Some(n) = name {
            if !found.iter().any(|f: &String| f == n) {
                found.push(n.to_owned());
            }
        }
    }
    found.sort();
    found
}

/// The documented file a doctest's compile unit names
/// (`src/lib.rs/@/rust_out.<hash>-cgu.0`), when it mangles to `mangled`.
pub fn unit_file(wasm: &[u8], mangled: &str) -> Option<String> {
    const TAG: &[u8] = b"/@/rust_out.";
    let mut from = 0;
    while let Some(at) = find(&wasm[from..], TAG).map(|p| p + from) {
        from = at + TAG.len();
        let start = wasm[..at]
            .iter()
            .rposition(|b| *b == 0 || b.is_ascii_control())
            .map_or(0, |p| p + 1);
        if let Ok(file) = std::str::from_utf8(&wasm[start..at]) {
            if mangle(file) == mangled {
                return Some(file.to_owned());
            }
        }
    }
    None
}

/// The documented file of the first doctest compile unit in the binary.
pub fn unit_file_any(wasm: &[u8]) -> Option<String> {
    const TAG: &[u8] = b"/@/rust_out.";
    let at = find(wasm, TAG)?;
    let start = wasm[..at]
        .iter()
        .rposition(|b| *b == 0 || b.is_ascii_control())
        .map_or(0, |p| p + 1);
    std::str::from_utf8(&wasm[start..at])
        .ok()
        .map(str::to_owned)
}

/// Where a file rustdoc names lies: rustdoc's paths are relative to the
/// workspace root, a runner starts in the package's folder, so the first
/// of `dir` and its ancestors that holds it.
pub fn locate(dir: &Path, file: &str) -> Option<std::path::PathBuf> {
    dir.ancestors().map(|d| d.join(file)).find(|p| p.is_file())
}

/// rustdoc's spelling of a path inside a Rust identifier.
pub fn mangle(file: &str) -> String {
    file.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

/// The name cargo prints: `src/lib.rs - Either::map (line 857)`, or
/// `src/lib.rs - (line 3)` for the crate's own doc.
pub fn cargo_name(file: &str, item: &[String], line: u32) -> String {
    if item.is_empty() {
        format!("{file} - (line {line})")
    } else {
        format!("{file} - {} (line {line})", item.join("::"))
    }
}

/// The path of the item whose doc comment holds `line` in `source` (the
/// text of `file`, a path relative to the package); the file's own module
/// path when the line is in its inner doc (`//!`) or in no doc at all.
pub fn item_path(file: &str, source: &str, line: u32) -> Vec<String> {
    let mut path = module_path(file);
    let Ok(ast) = syn::parse_file(source) else {
        return path;
    };
    let mut found = Vec::new();
    if !items(&ast.items, line, &mut found) {
        found.clear();
    }
    path.extend(found);
    path
}

/// The module path rustdoc gives a file of the usual layout:
/// `src/lib.rs` none, `src/de/mod.rs` and `src/de.rs` `de`, `src/a/b.rs`
/// `a::b` (a `#[path]` elsewhere is not followed).
pub fn module_path(file: &str) -> Vec<String> {
    let p = Path::new(file);
    let parts: Vec<String> = p
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let from = parts.iter().rposition(|c| c == "src").map_or(0, |i| i + 1);
    let mut rest: Vec<String> = parts[from.min(parts.len())..].to_vec();
    if let Some(last) = rest.pop() {
        let stem = last.strip_suffix(".rs").unwrap_or(&last).to_owned();
        let root = rest.is_empty() && (stem == "lib" || stem == "main");
        if stem != "mod" && !root {
            rest.push(stem);
        }
    }
    rest
}

fn doc_holds(attrs: &[syn::Attribute], line: u32, inner: bool) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("doc")
            && matches!(a.style, syn::AttrStyle::Inner(_)) == inner
            && (a.span().start().line..=a.span().end().line).contains(&(line as usize))
    })
}

/// Finds the item `line`'s doc belongs to among `list`, pushing the names
/// on the way; true when found.
fn items(list: &[syn::Item], line: u32, path: &mut Vec<String>) -> bool {
    for item in list {
        let span = item.span();
        if !(span.start().line..=span.end().line).contains(&(line as usize)) {
            continue;
        }
        let (attrs, name): (&[syn::Attribute], String) = match item {
            syn::Item::Impl(i) => (&i.attrs, squeeze(&i.self_ty)),
            syn::Item::Macro(m) => (
                &m.attrs,
                m.ident
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default(),
            ),
            other => match item_ident(other) {
                Some((attrs, ident)) => (attrs, ident),
                None => continue,
            },
        };
        if doc_holds(attrs, line, false) {
            path.push(name);
            return true;
        }
        path.push(name);
        let inside = match item {
            syn::Item::Mod(m) => {
                doc_holds(&m.attrs, line, true)
                    || m.content
                        .as_ref()
                        .is_some_and(|(_, c)| items(c, line, path))
            }
            syn::Item::Impl(i) => i.items.iter().any(|ii| {
                let (attrs, name) = match ii {
                    syn::ImplItem::Fn(f) => (&f.attrs, f.sig.ident.to_string()),
                    syn::ImplItem::Const(c) => (&c.attrs, c.ident.to_string()),
                    syn::ImplItem::Type(t) => (&t.attrs, t.ident.to_string()),
                    _ => return false,
                };
                doc_holds(attrs, line, false) && {
                    path.push(name);
                    true
                }
            }),
            syn::Item::Trait(t) => t.items.iter().any(|ti| {
                let (attrs, name) = match ti {
                    syn::TraitItem::Fn(f) => (&f.attrs, f.sig.ident.to_string()),
                    syn::TraitItem::Const(c) => (&c.attrs, c.ident.to_string()),
                    syn::TraitItem::Type(t) => (&t.attrs, t.ident.to_string()),
                    _ => return false,
                };
                doc_holds(attrs, line, false) && {
                    path.push(name);
                    true
                }
            }),
            syn::Item::Struct(s) => fields(&s.fields, line, path),
            syn::Item::Union(u) => u.fields.named.iter().any(|f| field(f, line, path)),
            syn::Item::Enum(e) => e.variants.iter().any(|v| {
                if doc_holds(&v.attrs, line, false) {
                    path.push(v.ident.to_string());
                    return true;
                }
                path.push(v.ident.to_string());
                if fields(&v.fields, line, path) {
                    return true;
                }
                path.pop();
                false
            }),
            _ => false,
        };
        if inside {
            return true;
        }
        path.pop();
    }
    false
}

fn fields(f: &syn::Fields, line: u32, path: &mut Vec<String>) -> bool {
    f.iter().any(|f| field(f, line, path))
}

fn field(f: &syn::Field, line: u32, path: &mut Vec<String>) -> bool {
    match &f.ident {
        Some(ident) if doc_holds(&f.attrs, line, false) => {
            path.push(ident.to_string());
            true
        }
        _ => false,
    }
}

fn item_ident(item: &syn::Item) -> Option<(&[syn::Attribute], String)> {
    use syn::Item as I;
    let (attrs, ident) = match item {
        I::Const(i) => (&i.attrs, &i.ident),
        I::Enum(i) => (&i.attrs, &i.ident),
        I::ExternCrate(i) => (&i.attrs, &i.ident),
        I::Fn(i) => (&i.attrs, &i.sig.ident),
        I::Mod(i) => (&i.attrs, &i.ident),
        I::Static(i) => (&i.attrs, &i.ident),
        I::Struct(i) => (&i.attrs, &i.ident),
        I::Trait(i) => (&i.attrs, &i.ident),
        I::TraitAlias(i) => (&i.attrs, &i.ident),
        I::Type(i) => (&i.attrs, &i.ident),
        I::Union(i) => (&i.attrs, &i.ident),
        _ => return None,
    };
    Some((attrs.as_slice(), ident.to_string()))
}

/// A type as rustdoc prints an impl's self type in a doctest's name:
/// its tokens with no white space (`Pair<&'astr,u8>`).
fn squeeze(ty: &syn::Type) -> String {
    ty.to_token_stream()
        .to_string()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect()
}

/// The lengths a mangled component just before `end` may have declared:
/// each run of the digits that end `end`, shortest first (in
/// `doctest_bundle_202411__doctest_0` the `11`, not the `202411`).
fn length_prefixes(before: &[u8]) -> impl Iterator<Item = usize> + '_ {
    let digits = before
        .iter()
        .rev()
        .take_while(|b| b.is_ascii_digit())
        .count()
        .min(4);
    (1..=digits).filter_map(move |k| {
        std::str::from_utf8(&before[before.len() - k..])
            .ok()?
            .parse()
            .ok()
    })
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn rfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).rposition(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nested_function_names_the_doctest_it_is_in() {
        let wasm = b"\0asm..._doctest_main_src_lib_rs_12_0\0..\
            C_ZN8rust_out4main28_doctest_main_src_lib_rs_12_017h0123456789abcdefE..\
            K_ZN8rust_out4main28_doctest_main_src_lib_rs_12_07is_even17h4b33d838adbf4975E";
        assert_eq!(
            entries(wasm),
            [Entry {
                file: "src_lib_rs".into(),
                line: 12
            }]
        );
        assert_eq!(parse_entry("x"), None);
        assert_eq!(parse_entry("_doctest_main_src_lib_rs_12"), None);
        assert_eq!(parse_entry("_doctest_main_src_lib_rs_9_07is_even"), None);
    }

    #[test]
    fn the_file_comes_from_the_compile_unit() {
        let wasm = b"..\0library/std/src/rt.rs\0src/a-b.rs/@/rust_out.9c63b68f62c51ce9-cgu.0\0";
        assert_eq!(unit_file(wasm, "src_a_b_rs").as_deref(), Some("src/a-b.rs"));
        assert_eq!(unit_file(wasm, "src_lib_rs"), None);
    }

    #[test]
    fn merged_binaries_hold_their_names_whole() {
        let wasm = b"..RUSTDOC_DOCTEST_RUN_NB_TEST..19doctest_bundle_202411__doctest_04TEST\
            ..RNvNtCs1_19doctest_runner_202411___doctest_14TEST\
            ..processsrc/lib.rs - double (line 9)src/lib.rs - (line 3)src/lib.rs\
            ..9__doctest_";
        assert_eq!(merged_count(wasm), 2);
        let names = merged_names(wasm, |f| f == "src/lib.rs");
        assert_eq!(
            names,
            ["src/lib.rs - (line 3)", "src/lib.rs - double (line 9)"]
        );
        assert_eq!(merged_count(b"11__doctest_0"), 0);
    }

    #[test]
    fn modules_follow_the_file_layout() {
        assert!(module_path("src/lib.rs").is_empty());
        assert_eq!(module_path("src/de/mod.rs"), ["de"]);
        assert_eq!(module_path("src/a/b.rs"), ["a", "b"]);
        assert_eq!(module_path("crates/x/src/io.rs"), ["io"]);
    }

    /// Names as `cargo test --doc -- --list` printed them for this source
    /// (rustc 1.95).
    #[test]
    fn item_paths_are_rustdocs() {
        let src = r#"//! ```
//! ```
pub struct Pair<L, R>(pub L, pub R);
impl<'a, L, R> Pair<&'a L, R> {
    /// ```
    /// ```
    pub fn left(&self) {}
}
pub mod inner {
    //! ```
    //! ```

    /// ```
    /// ```
    pub enum E {
        /// ```
        /// ```
        A {
            /// ```
            /// ```
            f: u8,
        },
    }
    /// ```
    /// ```
    #[macro_export]
    macro_rules! mac { () => {} }
    pub trait T {
        /// ```
        /// ```
        fn t(&self) {}
    }
    impl T for [u8] {
        /// ```
        /// ```
        fn t(&self) {}
    }
    impl dyn T {
        /// ```
        /// ```
        pub fn x() {}
    }
}
"#;
        let name = |line| cargo_name("src/lib.rs", &item_path("src/lib.rs", src, line), line);
        assert_eq!(name(1), "src/lib.rs - (line 1)");
        assert_eq!(name(5), "src/lib.rs - Pair<&'aL,R>::left (line 5)");
        assert_eq!(name(10), "src/lib.rs - inner (line 10)");
        assert_eq!(name(13), "src/lib.rs - inner::E (line 13)");
        assert_eq!(name(16), "src/lib.rs - inner::E::A (line 16)");
        assert_eq!(name(19), "src/lib.rs - inner::E::A::f (line 19)");
        assert_eq!(name(24), "src/lib.rs - inner::mac (line 24)");
        assert_eq!(name(29), "src/lib.rs - inner::T::t (line 29)");
        assert_eq!(name(34), "src/lib.rs - inner::[u8]::t (line 34)");
        assert_eq!(name(39), "src/lib.rs - inner::dynT::x (line 39)");
        assert_eq!(
            cargo_name(
                "src/de/mod.rs",
                &item_path("src/de/mod.rs", "//! ```\n", 1),
                1
            ),
            "src/de/mod.rs - de (line 1)"
        );
    }
}
