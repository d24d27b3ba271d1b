//! Escaping for HTML and XML. Every name, path and line of source text in a
//! report is untrusted: a file may be called `<script>` and a source line may
//! hold anything. Both report languages go through [`Esc`], so there is one
//! place to get it right.

use std::fmt;

/// Escapes `&`, `<`, `>`, `"` and `'`, so the text is safe both as element
/// content and inside a quoted attribute, in HTML and in XML 1.0.
///
/// Characters XML 1.0 forbids even as references (C0 controls other than
/// tab, LF and CR; U+FFFE, U+FFFF) and NUL, which HTML turns into U+FFFD
/// anyway, are written as U+FFFD, so the output always parses.
#[derive(Clone, Copy)]
pub struct Esc<'a>(pub &'a str);

/// Like [`Esc`], and also writes tab, LF and CR as references, so that an
/// attribute value keeps them instead of having them normalised to spaces.
#[derive(Clone, Copy)]
pub struct EscAttr<'a>(pub &'a str);

/// Bytes that may need a replacement: the markup characters, ASCII controls
/// (tab, LF and CR only in attributes) and 0xEF, the first byte of U+FFFE and
/// U+FFFF. Most source lines hold none of them and are written in one piece
/// without decoding a char (this was the HTML report's hottest loop).
const fn special(attr: bool) -> [bool; 256] {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        t[b] = attr || !matches!(b, 0x09 | 0x0a | 0x0d);
        b += 1;
    }
    t[b'&' as usize] = true;
    t[b'<' as usize] = true;
    t[b'>' as usize] = true;
    t[b'"' as usize] = true;
    t[b'\'' as usize] = true;
    t[0x7f] = true;
    t[0xef] = true;
    t
}
const SPECIAL_TEXT: [bool; 256] = special(false);
const SPECIAL_ATTR: [bool; 256] = special(true);

fn write_escaped(f: &mut impl fmt::Write, s: &str, attr: bool) -> fmt::Result {
    let table = if attr { &SPECIAL_ATTR } else { &SPECIAL_TEXT };
    if !s.bytes().any(|b| table[b as usize]) {
        return f.write_str(s);
    }
    let mut start = 0;
    for (i, c) in s.char_indices() {
        let rep = match c {
            '&' => "&amp;",
            '<' => "&lt;",
            '>' => "&gt;",
            '"' => "&quot;",
            '\'' => "&#39;",
            '\t' if attr => "&#9;",
            '\n' if attr => "&#10;",
            '\r' if attr => "&#13;",
            '\t' | '\n' | '\r' => continue,
            '\u{0}'..='\u{1f}' | '\u{7f}' | '\u{fffe}' | '\u{ffff}' => "\u{fffd}",
            _ => continue,
        };
        f.write_str(&s[start..i])?;
        f.write_str(rep)?;
        start = i + c.len_utf8();
    }
    f.write_str(&s[start..])
}

/// Appends `s` to `out` escaped as [`Esc`] does, without going through the
/// formatting machinery: the HTML file pages call this once per token.
pub fn push_escaped(out: &mut String, s: &str) {
    // Writing to a String cannot fail.
    let _ = write_escaped(out, s, false);
}

impl fmt::Display for Esc<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_escaped(f, self.0, false)
    }
}

impl fmt::Display for EscAttr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_escaped(f, self.0, true)
    }
}

/// A JSON string literal, quotes included, safe inside an HTML
/// `<script>` element: besides JSON's own escapes, `<`, `>`, `&`, `'` and
/// U+2028/U+2029 are written as `\uXXXX`, so no `</script>` or `<!--` can
/// appear, and control characters as `\u00XX`.
#[derive(Clone, Copy)]
pub struct JsonStr<'a>(pub &'a str);

impl fmt::Display for JsonStr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"")?;
        let s = self.0;
        let mut start = 0;
        for (i, c) in s.char_indices() {
            let rep = match c {
                '"' => "\\\"",
                '\\' => "\\\\",
                '<'
                | '>'
                | '&'
                | '\''
                | '\u{0}'..='\u{1f}'
                | '\u{7f}'
                | '\u{2028}'
                | '\u{2029}' => "",
                _ => continue,
            };
            f.write_str(&s[start..i])?;
            if rep.is_empty() {
                write!(f, "\\u{:04x}", c as u32)?;
            } else {
                f.write_str(rep)?;
            }
            start = i + c.len_utf8();
        }
        f.write_str(&s[start..])?;
        f.write_str("\"")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_controls() {
        assert_eq!(
            Esc("<script>alert('x')&\"</script>").to_string(),
            "&lt;script&gt;alert(&#39;x&#39;)&amp;&quot;&lt;/script&gt;"
        );
        assert_eq!(
            Esc("a\0b\u{1b}c\td\n").to_string(),
            "a\u{fffd}b\u{fffd}c\td\n"
        );
        assert_eq!(EscAttr("a\tb\nc\r").to_string(), "a&#9;b&#10;c&#13;");
        assert_eq!(Esc("plain é ✓").to_string(), "plain é ✓");
        assert_eq!(Esc("").to_string(), "");
        assert_eq!(
            Esc("x\u{fffe}y\u{ffff}z\u{feff}\u{7f}").to_string(),
            "x\u{fffd}y\u{fffd}z\u{feff}\u{fffd}"
        );
        assert_eq!(EscAttr("plain").to_string(), "plain");
        let mut out = String::from("x");
        push_escaped(&mut out, "<a href='&'>\u{0}");
        assert_eq!(out, format!("x{}", Esc("<a href='&'>\u{0}")));
    }

    #[test]
    fn json_strings_cannot_end_a_script() {
        let s = "</script><!--\"\\\n\u{2028}é";
        let j = JsonStr(s).to_string();
        assert_eq!(j, r#""\u003c/script\u003e\u003c!--\"\\\u000a\u2028é""#);
        let back: String = serde_json::from_str(&j).unwrap();
        assert_eq!(back, s);
    }
}
