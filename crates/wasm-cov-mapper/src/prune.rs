//! Parsing a source file for its facts (`source.rs`) quickly. syn builds
//! an expression tree for every statement of every function body, and
//! proc-macro2 lexes every token first, while the facts are items: the
//! functions, the modules, the data types, and the `#[cfg]`s, impls and
//! traits around them. So before anything lexes the text, one pass blanks
//! the groups that cannot hold an item:
//!
//! - a `{...}` with no item keyword inside (`fn`, `mod`, `impl`, `trait`,
//!   `struct`, `enum`, `union`): most function bodies, match arms, struct
//!   literals;
//! - a `[...]` of at least `DATA_TABLE_TOKENS` tokens of plain data
//!   (literals, non-keyword words, `, : - & .`, and tuples and arrays of
//!   the same): generated tables, such as regex-syntax's 800 KB of Unicode
//!   ranges. A shorter `[...]` may be a type (`[(char, char)]`), which must
//!   stay; a type with a `;` or a lifetime is no plain data.
//!
//! Blanked means every byte but `\n` dropped: the lines stay where they
//! were, and the facts use lines only. `{}` is valid wherever a brace group
//! is, and `[]` wherever a data array is, so the file parses as before.
//! Nothing after `#` or `!` (an attribute, a macro's input) is touched, nor
//! anything inside it. On regex-syntax this took the mapper's source work
//! from about as long as gimli's to a fraction of it.

/// `syn::parse_file` on `text` pruned as the module says. A file with a
/// byte-order mark or a `#!` line, or one the pass cannot follow (an
/// unclosed string, comment or group), goes to `syn::parse_file` whole.
pub(crate) fn parse_file(text: &str) -> Option<syn::File> {
    if text.starts_with('\u{feff}') || text.starts_with("#!") {
        return syn::parse_file(text).ok();
    }
    // A pruned file that does not parse (a long slice type taken for a
    // data array, say) is parsed whole: pruning is never a reason to lose
    // a file's facts.
    prune(text)
        .and_then(|pruned| syn::parse_str(&pruned).ok())
        .or_else(|| syn::parse_file(text).ok())
}

/// Data arrays with fewer tokens than this are kept: a type in brackets
/// (`[(char, char)]`) is plain data too, and must stay.
const DATA_TABLE_TOKENS: usize = 16;

/// The words that may start an item a fact comes from.
const ITEM_KEYWORDS: &[&[u8]] = &[
    b"fn", b"mod", b"impl", b"trait", b"struct", b"enum", b"union",
];

/// Words that make a token list more than data.
const KEYWORDS: &[&[u8]] = &[
    b"as",
    b"async",
    b"await",
    b"break",
    b"const",
    b"continue",
    b"dyn",
    b"else",
    b"enum",
    b"extern",
    b"fn",
    b"for",
    b"if",
    b"impl",
    b"in",
    b"let",
    b"loop",
    b"macro_rules",
    b"match",
    b"mod",
    b"move",
    b"mut",
    b"ref",
    b"return",
    b"static",
    b"struct",
    b"trait",
    b"type",
    b"union",
    b"unsafe",
    b"use",
    b"where",
    b"while",
    b"yield",
];

/// A group open during the pass.
struct Open {
    /// The byte after its opening delimiter.
    start: usize,
    close: u8,
    /// After `#` or `!`, or inside such a group: kept whole.
    kept: bool,
    /// An item keyword is inside.
    item: bool,
    /// Everything inside is plain data.
    plain: bool,
    /// A lower bound of its tokens, as proc-macro2 counts them.
    tokens: usize,
}

impl Open {
    fn not_plain(&mut self) {
        self.plain = false;
    }
}

/// `text` with the groups that hold no fact blanked (the module's rules),
/// or `None` when the pass cannot follow the text.
fn prune(text: &str) -> Option<String> {
    let b = text.as_bytes();
    // Byte ranges to drop, outermost only, in order.
    let mut blanks: Vec<(usize, usize)> = Vec::new();
    let mut stack: Vec<Open> = Vec::new();
    // The last byte of the previous token: an attribute's `#`, a macro's `!`.
    let mut last = b' ';
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        let top = stack.last_mut();
        match c {
            b' ' | b'\t' | b'\n' | b'\r' => {
                i += 1;
                continue;
            }
            b'/' if b.get(i + 1) == Some(&b'/') => {
                let end = memchr::memchr(b'\n', &b[i..]).map_or(b.len(), |n| i + n);
                // `///` and `//!` are `#[doc]` attributes to proc-macro2.
                if matches!(b.get(i + 2), Some(b'/' | b'!')) {
                    if let Some(top) = top {
                        top.not_plain();
                    }
                }
                i = end;
                continue;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                if matches!(b.get(i + 2), Some(b'*' | b'!')) {
                    if let Some(top) = top {
                        top.not_plain();
                    }
                }
                i = block_comment_end(b, i)?;
                continue;
            }
            b'"' => {
                i = string_end(b, i + 1)?;
                if let Some(top) = top {
                    top.tokens += 1;
                }
            }
            b'\'' => match char_literal_end(b, i) {
                Some(end) => {
                    i = end;
                    if let Some(top) = top {
                        top.tokens += 1;
                    }
                }
                // A lifetime or a label: a `'` punct, then a word.
                None => {
                    i += 1;
                    if let Some(top) = top {
                        top.not_plain();
                    }
                }
            },
            b'(' | b'[' | b'{' => {
                let kept = matches!(last, b'#' | b'!') || top.as_ref().is_some_and(|t| t.kept);
                if let Some(top) = top {
                    if c == b'{' {
                        top.not_plain();
                    }
                    top.tokens += 1;
                }
                stack.push(Open {
                    start: i + 1,
                    close: match c {
                        b'(' => b')',
                        b'[' => b']',
                        _ => b'}',
                    },
                    kept,
                    item: false,
                    plain: true,
                    tokens: 0,
                });
                i += 1;
            }
            b')' | b']' | b'}' => {
                let open = stack.pop()?;
                if open.close != c {
                    return None;
                }
                let blank = !open.kept
                    && match c {
                        b'}' => !open.item,
                        b']' => open.plain && open.tokens >= DATA_TABLE_TOKENS,
                        _ => false,
                    };
                if blank {
                    while blanks.last().is_some_and(|&(from, _)| from >= open.start) {
                        blanks.pop();
                    }
                    blanks.push((open.start, i));
                }
                if let Some(parent) = stack.last_mut() {
                    parent.item |= open.item;
                    parent.plain &= open.plain;
                    parent.tokens += open.tokens;
                }
                i += 1;
            }
            c if is_word_byte(c) => {
                let start = i;
                i = word_end(b, i);
                let word = &b[start..i];
                // A prefixed literal: `r"..."`, `r#"..."#`, `b"..."`, `c"..."`,
                // `b'x'`; or a raw identifier, `r#match`.
                let literal = match (word, b.get(i)) {
                    (b"r" | b"br" | b"cr", Some(b'"' | b'#')) => {
                        let hashes = b[i..].iter().take_while(|&&h| h == b'#').count();
                        if b.get(i + hashes) == Some(&b'"') {
                            i = raw_string_end(b, i + hashes + 1, hashes)?;
                            true
                        } else {
                            i += hashes;
                            false
                        }
                    }
                    (b"b" | b"c", Some(b'"')) => {
                        i = string_end(b, i + 1)?;
                        true
                    }
                    (b"b", Some(b'\'')) => {
                        i = char_literal_end(b, i)?;
                        true
                    }
                    _ => false,
                };
                if let Some(top) = top {
                    top.tokens += 1;
                    if !literal && !c.is_ascii_digit() {
                        if ITEM_KEYWORDS.contains(&word) {
                            top.item = true;
                        }
                        if word == b"_" || KEYWORDS.contains(&word) {
                            top.not_plain();
                        }
                    }
                }
                last = b'a';
                continue;
            }
            _ => {
                if let Some(top) = top {
                    if !matches!(c, b',' | b':' | b'-' | b'&' | b'.') {
                        top.not_plain();
                    }
                }
                i += 1;
            }
        }
        last = c;
    }
    if !stack.is_empty() {
        return None;
    }
    let mut out = Vec::with_capacity(b.len());
    let mut from = 0;
    for &(start, end) in &blanks {
        out.extend_from_slice(&b[from..start]);
        out.extend(b[start..end].iter().filter(|&&c| c == b'\n'));
        from = end;
    }
    out.extend_from_slice(&b[from..]);
    // Only whole characters were dropped: ranges start and end at ASCII.
    String::from_utf8(out).ok()
}

fn is_word_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

fn word_end(b: &[u8], i: usize) -> usize {
    i + b[i..].iter().take_while(|&&c| is_word_byte(c)).count()
}

/// The end of a `"..."` string whose text starts at `i`.
fn string_end(b: &[u8], mut i: usize) -> Option<usize> {
    loop {
        match b.get(i)? {
            b'\\' => i += 2,
            b'"' => return Some(i + 1),
            _ => i += 1,
        }
    }
}

/// The end of a raw string whose text starts at `i`, closed by `"` and
/// `hashes` times `#`.
fn raw_string_end(b: &[u8], mut i: usize, hashes: usize) -> Option<usize> {
    loop {
        i += memchr::memchr(b'"', b.get(i..)?)?;
        let tail = b.get(i + 1..i + 1 + hashes)?;
        if tail.iter().all(|&h| h == b'#') {
            return Some(i + 1 + hashes);
        }
        i += 1;
    }
}

/// The end of the `/* */` comment (nested ones within) opened at `i`.
fn block_comment_end(b: &[u8], mut i: usize) -> Option<usize> {
    let mut depth = 0usize;
    loop {
        match (b.get(i)?, b.get(i + 1)) {
            (b'/', Some(b'*')) => {
                depth += 1;
                i += 2;
            }
            (b'*', Some(b'/')) => {
                depth -= 1;
                i += 2;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => i += 1,
        }
    }
}

/// The end of the character literal whose opening `'` is at `i`, or
/// `None` for a lifetime or a label.
fn char_literal_end(b: &[u8], i: usize) -> Option<usize> {
    let body = i + 1;
    let close = if *b.get(body)? == b'\\' {
        // `'\''` and `'\\'`, then `'\n'`, `'\x7f'`, `'\u{10ffff}'`.
        let escaped = body + 1;
        if matches!(b.get(escaped)?, b'\'' | b'\\') {
            escaped + 1
        } else {
            let window = b.get(escaped..b.len().min(escaped + 12))?;
            escaped + memchr::memchr(b'\'', window)?
        }
    } else {
        let width = match *b.get(body)? {
            0x00..=0x7f => 1,
            0xc0..=0xdf => 2,
            0xe0..=0xef => 3,
            _ => 4,
        };
        body + width
    };
    (b.get(close) == Some(&b'\'')).then_some(close + 1)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]
mod tests {
    use super::*;
    use crate::source::SourceFacts;

    /// The facts as syn gives them on the whole text, and as `parse_file`
    /// gives them: equal, printed for the assertion.
    fn both(text: &str) -> (String, String) {
        let whole = syn::parse_file(text)
            .ok()
            .map(|f| SourceFacts::of_file(&f, text));
        let fast = SourceFacts::parse(text);
        (format!("{fast:?}"), format!("{whole:?}"))
    }

    #[test]
    fn pruning_changes_no_fact() {
        let rows: String = (0..200)
            .map(|i| format!("    ('\\u{{{i:x}}}', '\\u{{{:x}}}'),\n", i + 1))
            .collect();
        let numbers = (0..100)
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join(", ");
        let lints = (0..40)
            .map(|i| format!("clippy::l{i}"))
            .collect::<Vec<_>>()
            .join(", ");
        let text = format!(
            "//! {{ fn not_code() }}\n\
             pub const T: &'static [(char, char)] = &[\n{rows}];\n\
             static F: [fn(u8) -> u8; 1] = [|x| {{ fn inner() {{}} x }}];\n\
             #[derive(Debug)]\nstruct S {{ a: [u8; 3] }}\n\
             #[allow({lints})]\nfn allowed() {{}}\n\
             const V: &[u8] = &vec![{numbers}];\n\
             const B: &[&[u8]] = &[{bytes}];\n\
             pub(crate) fn after<'a>(s: &'a str) -> usize {{\n\
             \x20   let v = [{numbers}];\n\
             \x20   let _ = ('{{', '}}', '\\'', \"}}\", r#\"{{\"#, b'}}', /* {{ /* }} */ */ 0);\n\
             \x20   'outer: loop {{ break 'outer; }}\n\
             \x20   match s.len() {{\n        0 => {{ fn in_arm() {{}} 0 }}\n        n => {{ n }}\n    }}\n\
             }}\n\
             impl Marker for S {{}}\n\
             impl S {{\n    /// {{\n    pub fn method(&self) -> S {{ S {{ a: [0; 3] }} }}\n}}\n\
             mod m {{ use std::{{fmt, io}}; }}\n\
             #[cfg(feature = \"x\")]\nmod n {{ fn gated() {{ let x = {{ 1 }}; }} }}\n\
             m! {{ fn in_macro() {{}} }}\n\
             macro_rules! r {{ () => {{ 1 }} }}\n",
            bytes = (0..80).map(|i| format!("b\"{i}\"")).collect::<Vec<_>>().join(", "),
        );
        let pruned = prune(&text).unwrap();
        assert_eq!(pruned.lines().count(), text.lines().count());
        assert!(pruned.len() < text.len() / 4, "{pruned}");
        // Tables and item-free bodies go; items and the closure's array stay.
        for gone in [
            "\\u{41}",
            "b\"7\"",
            "break 'outer",
            "S { a: [0; 3] }",
            "use std",
        ] {
            assert!(!pruned.contains(gone), "{gone} in {pruned}");
        }
        for kept in [
            "fn inner",
            "fn in_arm",
            "fn method",
            "fn gated",
            "in_macro",
            "clippy::l39",
            "[fn(u8) -> u8; 1]",
        ] {
            assert!(pruned.contains(kept), "{kept} not in {pruned}");
        }
        let (fast, whole) = both(&text);
        assert_eq!(fast, whole);
        let facts = SourceFacts::parse(&text).unwrap();
        let names: Vec<&str> = facts.fns.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "inner",
                "allowed",
                "after",
                "in_arm",
                "S::method",
                "n::gated"
            ]
        );
        let last = text.lines().count() as u32;
        let lines = |f: &SourceFacts| {
            (1..=last)
                .filter(|&l| f.is_user_line(l))
                .collect::<Vec<_>>()
        };
        let plain = SourceFacts::of_file(&syn::parse_file(&text).unwrap(), &text);
        assert_eq!(lines(&facts), lines(&plain));
    }

    #[test]
    fn what_the_pass_cannot_follow_is_parsed_whole() {
        for text in [
            "fn f() { let s = \"open; }",
            "fn f() { /* open }",
            "fn f() { (] }",
            "fn f() {",
            "fn f() {} }",
            "fn f() { let s = r#\"x\"; }",
        ] {
            assert_eq!(prune(text), None, "{text}");
            let (fast, whole) = both(text);
            assert_eq!(fast, whole, "{text}");
        }
        // A lifetime is not an open character literal.
        assert!(prune("fn f<'a>(x: &'a u8) { let _ = x; }").is_some());
    }

    /// Every Rust file of this repository: the facts are what syn gives on
    /// the whole text. `CORPUS=dir cargo test -p wasm-cov-mapper --lib
    /// prune -- --include-ignored` runs it on another tree (the cargo
    /// registry's sources: 13k files, when this was written).
    #[test]
    fn pruning_changes_no_fact_in_a_corpus() {
        let root = std::env::var_os("CORPUS").map_or_else(
            || std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."),
            std::path::PathBuf::from,
        );
        let mut files = 0;
        let mut stack = vec![root];
        while let Some(dir) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                let name = entry.file_name();
                if path.is_dir() && name != "target" && name != ".git" {
                    stack.push(path);
                } else if path.extension().is_some_and(|x| x == "rs") {
                    let Ok(text) = std::fs::read_to_string(&path) else {
                        continue;
                    };
                    files += 1;
                    let (fast, whole) = both(&text);
                    assert_eq!(fast, whole, "{}", path.display());
                }
            }
        }
        assert!(files > 100, "{files} files");
    }
}
