//! Rust syntax highlighting at render time: a small tokenizer, one line at
//! a time with the state a line leaves for the next (inside a block
//! comment, a string, a raw string), so the page needs no script for it
//! and stays self-contained.
//!
//! It tells apart what a reader's eye looks for, not the whole grammar:
//! keywords, strings (raw, byte and C strings included), chars and
//! lifetimes, comments (nested block comments, doc comments), numbers,
//! macro names, attributes and type-like names. Token boundaries always
//! fall on ASCII bytes or line ends, so every range is on a char boundary.
//!
//! Refs: The Rust Reference, "Lexical structure" (tokens, comments,
//! keywords).

/// What a token is; its CSS class on the page (`<i class=k>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    Keyword,
    Str,
    Comment,
    Doc,
    Number,
    Macro,
    Lifetime,
    Attribute,
    Type,
}

impl Class {
    /// The class name, one letter chosen to clash with no other class of
    /// the report's stylesheet.
    pub fn css(self) -> &'static str {
        match self {
            Class::Keyword => "k",
            Class::Str => "s",
            Class::Comment => "o",
            Class::Doc => "d",
            Class::Number => "g",
            Class::Macro => "f",
            Class::Lifetime => "l",
            Class::Attribute => "a",
            Class::Type => "y",
        }
    }
}

/// Where the previous line left off.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum State {
    #[default]
    Code,
    /// Inside `depth` nested block comments.
    Block { depth: u32, doc: bool },
    /// Inside a (byte or C) string.
    Str,
    /// Inside a raw string closed by `"` and this many `#`.
    RawStr { hashes: u32 },
}

/// Strict and reserved keywords in use, and `union`, which only a
/// declaration uses.
fn is_keyword(w: &str) -> bool {
    matches!(
        w,
        "Self"
            | "as"
            | "async"
            | "await"
            | "break"
            | "const"
            | "continue"
            | "crate"
            | "dyn"
            | "else"
            | "enum"
            | "extern"
            | "false"
            | "fn"
            | "for"
            | "if"
            | "impl"
            | "in"
            | "let"
            | "loop"
            | "match"
            | "mod"
            | "move"
            | "mut"
            | "pub"
            | "ref"
            | "return"
            | "self"
            | "static"
            | "struct"
            | "super"
            | "trait"
            | "true"
            | "type"
            | "union"
            | "unsafe"
            | "use"
            | "where"
            | "while"
            | "yield"
    )
}

fn is_primitive(w: &str) -> bool {
    matches!(
        w,
        "bool"
            | "char"
            | "f32"
            | "f64"
            | "i128"
            | "i16"
            | "i32"
            | "i64"
            | "i8"
            | "isize"
            | "str"
            | "u128"
            | "u16"
            | "u32"
            | "u64"
            | "u8"
            | "usize"
    )
}

fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b >= 0x80
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

/// Scans a block comment from `i` (after its opening) in `state`, and
/// returns where it ends on this line (the line's end if it goes on).
fn block_end(b: &[u8], mut i: usize, state: &mut State) -> usize {
    let State::Block { depth, .. } = state else {
        return i;
    };
    while i < b.len() {
        if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
            *depth += 1;
            i += 2;
        } else if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
            *depth -= 1;
            i += 2;
            if *depth == 0 {
                *state = State::Code;
                return i;
            }
        } else {
            i += 1;
        }
    }
    i
}

/// Scans a string from `i` (after its opening quote) and returns where it
/// ends on this line; the state says whether it goes on.
fn str_end(b: &[u8], mut i: usize, state: &mut State) -> usize {
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => {
                *state = State::Code;
                return i + 1;
            }
            _ => i += 1,
        }
    }
    *state = State::Str;
    b.len()
}

/// Scans a raw string from `i` (after its opening quote).
fn raw_end(b: &[u8], mut i: usize, hashes: u32, state: &mut State) -> usize {
    let n = hashes as usize;
    while i < b.len() {
        if b[i] == b'"' && b.len() - i > n && b[i + 1..=i + n].iter().all(|&c| c == b'#') {
            *state = State::Code;
            return i + 1 + n;
        }
        i += 1;
    }
    *state = State::RawStr { hashes };
    b.len()
}

/// A raw string opening at `i` (`r"`, `r#"`, `br##"`, `cr"`): the number
/// of `#` and where its body starts.
fn raw_open(b: &[u8], i: usize) -> Option<(u32, usize)> {
    let mut j = i;
    if matches!(b.get(j), Some(b'b' | b'c')) {
        j += 1;
    }
    if b.get(j) != Some(&b'r') {
        return None;
    }
    j += 1;
    let hashes = b[j..].iter().take_while(|&&c| c == b'#').count();
    (b.get(j + hashes) == Some(&b'"')).then(|| (hashes as u32, j + hashes + 1))
}

/// Tokens of one line as `(start, end, class)` byte ranges, in order, into
/// `out` (cleared first). Plain text is left out.
pub fn highlight_line(line: &str, state: &mut State, out: &mut Vec<(usize, usize, Class)>) {
    out.clear();
    let b = line.as_bytes();
    let mut i = 0;
    match *state {
        State::Code => {}
        State::Block { doc, .. } => {
            let end = block_end(b, 0, state);
            push(out, 0, end, if doc { Class::Doc } else { Class::Comment });
            i = end;
        }
        State::Str => {
            let end = str_end(b, 0, state);
            push(out, 0, end, Class::Str);
            i = end;
        }
        State::RawStr { hashes } => {
            let end = raw_end(b, 0, hashes, state);
            push(out, 0, end, Class::Str);
            i = end;
        }
    }
    while i < b.len() {
        let c = b[i];
        let next = b.get(i + 1).copied();
        // Comments.
        if c == b'/' && next == Some(b'/') {
            let rest = &b[i..];
            let doc = (rest.starts_with(b"///") && !rest.starts_with(b"////"))
                || rest.starts_with(b"//!");
            push(
                out,
                i,
                b.len(),
                if doc { Class::Doc } else { Class::Comment },
            );
            return;
        }
        if c == b'/' && next == Some(b'*') {
            let rest = &b[i..];
            let doc = (rest.starts_with(b"/**")
                && !rest.starts_with(b"/***")
                && !rest.starts_with(b"/**/"))
                || rest.starts_with(b"/*!");
            *state = State::Block { depth: 1, doc };
            let end = block_end(b, i + 2, state);
            push(out, i, end, if doc { Class::Doc } else { Class::Comment });
            i = end;
            continue;
        }
        // Raw strings, then (byte, C) strings.
        if matches!(c, b'r' | b'b' | b'c') {
            if let Some((hashes, body)) = raw_open(b, i) {
                let end = raw_end(b, body, hashes, state);
                push(out, i, end, Class::Str);
                i = end;
                continue;
            }
            if matches!(c, b'b' | b'c') && next == Some(b'"') {
                let end = str_end(b, i + 2, state);
                push(out, i, end, Class::Str);
                i = end;
                continue;
            }
            if c == b'b' && next == Some(b'\'') {
                if let Some(end) = char_end(b, i + 1) {
                    push(out, i, end, Class::Str);
                    i = end;
                    continue;
                }
            }
        }
        if c == b'"' {
            let end = str_end(b, i + 1, state);
            push(out, i, end, Class::Str);
            i = end;
            continue;
        }
        // A char or a lifetime.
        if c == b'\'' {
            if let Some(end) = char_end(b, i) {
                push(out, i, end, Class::Str);
                i = end;
                continue;
            }
            if next.is_some_and(is_ident_start) {
                let end = i + 1 + b[i + 1..].iter().take_while(|&&x| is_ident(x)).count();
                push(out, i, end, Class::Lifetime);
                i = end;
                continue;
            }
            i += 1;
            continue;
        }
        if c.is_ascii_digit() {
            let mut j = i + 1;
            while j < b.len() {
                let d = b[j];
                let exp_sign = matches!(d, b'+' | b'-')
                    && matches!(b[j - 1], b'e' | b'E')
                    && !b[i..j].starts_with(b"0x");
                if is_ident(d)
                    || exp_sign
                    || (d == b'.' && b.get(j + 1).is_some_and(u8::is_ascii_digit))
                {
                    j += 1;
                } else {
                    break;
                }
            }
            push(out, i, j, Class::Number);
            i = j;
            continue;
        }
        if is_ident_start(c) {
            // `r#type` is an identifier.
            let start = i;
            if c == b'r' && next == Some(b'#') && b.get(i + 2).is_some_and(|&x| is_ident_start(x)) {
                i += 2;
            }
            let end = i + b[i..].iter().take_while(|&&x| is_ident(x)).count();
            let word = &line[start..end];
            let class = if b.get(end) == Some(&b'!') && b.get(end + 1) != Some(&b'=') {
                push(out, start, end + 1, Class::Macro);
                i = end + 1;
                continue;
            } else if start == i && is_keyword(word) {
                Some(Class::Keyword)
            } else if word.as_bytes()[0].is_ascii_uppercase() || is_primitive(word) {
                Some(Class::Type)
            } else {
                None
            };
            if let Some(class) = class {
                push(out, start, end, class);
            }
            i = end;
            continue;
        }
        // `#[...]` and `#![...]`, to the matching `]` on this line.
        if c == b'#' && (next == Some(b'[') || (next == Some(b'!') && b.get(i + 2) == Some(&b'[')))
        {
            let mut depth = 0usize;
            let mut j = i;
            let mut end = None;
            while j < b.len() {
                match b[j] {
                    b'[' => depth += 1,
                    b']' => {
                        depth -= 1;
                        if depth == 0 {
                            end = Some(j + 1);
                            break;
                        }
                    }
                    b'"' => break,
                    _ => {}
                }
                j += 1;
            }
            let end = end.unwrap_or(if next == Some(b'!') { i + 3 } else { i + 2 });
            push(out, i, end, Class::Attribute);
            i = end;
            continue;
        }
        i += 1;
    }
}

/// The end of a char literal starting with `'` at `i`, if one starts there
/// (`'x'`, `'\n'`, `'\u{1F600}'`, `'é'`), as opposed to a lifetime.
fn char_end(b: &[u8], i: usize) -> Option<usize> {
    let rest = b.get(i + 1..)?;
    if rest.first() == Some(&b'\\') {
        // An escape: up to the next `'` (within a `\u{...}`'s reach).
        let close = rest.iter().skip(2).take(10).position(|&x| x == b'\'')?;
        return Some(i + 1 + 2 + close + 1);
    }
    // One char, then `'`.
    let len = match rest.first()? {
        b'\'' => return None,
        x if *x < 0x80 => 1,
        x if *x >= 0xf0 => 4,
        x if *x >= 0xe0 => 3,
        _ => 2,
    };
    (rest.get(len) == Some(&b'\'')).then_some(i + 1 + len + 1)
}

fn push(out: &mut Vec<(usize, usize, Class)>, start: usize, end: usize, class: Class) {
    if start < end {
        out.push((start, end, class));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each line's tokens as `class:text`, with the state carried over.
    fn tokens(src: &str) -> Vec<String> {
        let mut state = State::Code;
        let mut out = Vec::new();
        let mut all = Vec::new();
        for line in src.lines() {
            highlight_line(line, &mut state, &mut out);
            all.extend(
                out.iter()
                    .map(|&(a, b, c)| format!("{}:{}", c.css(), &line[a..b])),
            );
        }
        all
    }

    #[test]
    fn keywords_types_macros_numbers() {
        assert_eq!(
            tokens("pub fn f(x: u32) -> Option<Vec<u8>> { println!(\"{x}\"); 1_000u64 + 0x1F + 1e-3 + 2.5 }"),
            [
                "k:pub", "k:fn", "y:u32", "y:Option", "y:Vec", "y:u8", "f:println!", "s:\"{x}\"",
                "g:1_000u64", "g:0x1F", "g:1e-3", "g:2.5"
            ]
        );
        assert_eq!(
            tokens("for i in 0..10 {}"),
            ["k:for", "k:in", "g:0", "g:10"]
        );
        assert_eq!(tokens("x != y; r#type"), Vec::<String>::new());
        assert_eq!(
            tokens("#[derive(Debug)] struct S;"),
            ["a:#[derive(Debug)]", "k:struct", "y:S"]
        );
        assert_eq!(tokens("#![allow(x)]"), ["a:#![allow(x)]"]);
    }

    #[test]
    fn strings_raw_strings_chars_and_lifetimes() {
        assert_eq!(
            tokens(r####"let s = "a \" // no comment"; let r = r#"x "quoted" "#; b"\x00";"####),
            [
                "k:let",
                r#"s:"a \" // no comment""#,
                "k:let",
                r####"s:r#"x "quoted" "#"####,
                r#"s:b"\x00""#
            ]
        );
        assert_eq!(
            tokens("fn f<'a>(x: &'a str) -> char { 'x'; '\\n'; '\\u{1F600}'; 'é'; b'q' }"),
            [
                "k:fn",
                "l:'a",
                "l:'a",
                "y:str",
                "y:char",
                "s:'x'",
                "s:'\\n'",
                "s:'\\u{1F600}'",
                "s:'é'",
                "s:b'q'"
            ]
        );
        assert_eq!(
            tokens("'outer: loop { break 'outer; }"),
            ["l:'outer", "k:loop", "k:break", "l:'outer"]
        );
        // Strings across lines, raw ones too.
        assert_eq!(
            tokens("let a = \"one\ntwo\"; let b = r##\"x\n\"# still\n\"##;"),
            [
                "k:let",
                "s:\"one",
                "s:two\"",
                "k:let",
                "s:r##\"x",
                "s:\"# still",
                "s:\"##"
            ]
        );
    }

    #[test]
    fn comments_nested_and_doc() {
        assert_eq!(
            tokens(
                "/// doc\n//! inner doc\n//// not doc\n// plain\nx /* a /* nested */ still */ y"
            ),
            [
                "d:/// doc",
                "d://! inner doc",
                "o://// not doc",
                "o:// plain",
                "o:/* a /* nested */ still */"
            ]
        );
        assert_eq!(
            tokens("/** doc\n * /* inner */ more\n */ fn f() {}\n/**/ /***/"),
            [
                "d:/** doc",
                "d: * /* inner */ more",
                "d: */",
                "k:fn",
                "o:/**/",
                "o:/***/"
            ]
        );
        // Every range is on a char boundary, whatever the bytes.
        let mut st = State::Code;
        let mut out = Vec::new();
        for line in ["é'ü", "'\u{1F600}", "\"\\é", "r#\"é", "ß0é.5é"] {
            highlight_line(line, &mut st, &mut out);
            for &(a, b, _) in &out {
                assert!(
                    line.is_char_boundary(a) && line.is_char_boundary(b),
                    "{line:?}"
                );
            }
        }
    }
}
