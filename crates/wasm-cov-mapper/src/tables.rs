//! Parsing a source file for its facts (`source.rs`) quickly when it
//! carries generated tables: syn builds an expression tree for every
//! element of an array, and a crate such as regex-syntax has 800 KB of
//! them, from which no fact can come.

/// `syn::parse_file`, with the large arrays of plain data emptied first
/// (`without_data_tables`). A file with a byte-order mark or a `#!` line
/// goes to `syn::parse_file` as it is (it strips them).
pub(crate) fn parse_file(text: &str) -> Option<syn::File> {
    if text.starts_with('\u{feff}') || text.starts_with("#!") {
        return syn::parse_file(text).ok();
    }
    let tokens: proc_macro2::TokenStream = text.parse().ok()?;
    syn::parse2(without_data_tables(tokens)).ok()
}

/// Arrays with fewer tokens than this are parsed as they are.
const DATA_TABLE_TOKENS: usize = 64;

/// `tokens` with every array of plain data (`[...]` of at least
/// `DATA_TABLE_TOKENS` tokens that are only literals, paths, `,` `:` `-`
/// `&` `.`, and tuples and arrays of the same; not an attribute's or a
/// macro's) replaced by an empty array with the same span. Generated tables are such arrays (regex-syntax's
/// Unicode tables are 800 KB of them), and syn spent half the mapper's time
/// on regex-syntax building their expression trees, while no fact can come
/// from inside one: a function item, a closure, a module or a type needs a
/// keyword, a brace or a `|`, none of which plain data has. The span keeps
/// every line the item covers.
fn without_data_tables(tokens: proc_macro2::TokenStream) -> proc_macro2::TokenStream {
    use proc_macro2::{Delimiter, Group, TokenTree};
    // `#[...]` and `#![...]` are attributes, and `m![...]` a macro's input:
    // both kept whole.
    let mut after_mark = false;
    tokens
        .into_iter()
        .map(|t| {
            let marked = std::mem::replace(
                &mut after_mark,
                matches!(&t, TokenTree::Punct(p) if matches!(p.as_char(), '#' | '!')),
            );
            (t, marked)
        })
        .map(|(t, marked)| match t {
            TokenTree::Group(g) => {
                let emptied = g.delimiter() == Delimiter::Bracket
                    && !marked
                    && plain_data(&g.stream()).is_some_and(|n| n >= DATA_TABLE_TOKENS);
                let stream = if emptied {
                    proc_macro2::TokenStream::new()
                } else {
                    without_data_tables(g.stream())
                };
                let mut new = Group::new(g.delimiter(), stream);
                new.set_span(g.span());
                TokenTree::Group(new)
            }
            other => other,
        })
        .collect()
}

/// The number of tokens in `tokens` when they are plain data (see
/// `without_data_tables`), else `None`.
fn plain_data(tokens: &proc_macro2::TokenStream) -> Option<usize> {
    use proc_macro2::{Delimiter, TokenTree};
    let mut n = 0;
    for t in tokens.clone() {
        n += 1;
        match t {
            TokenTree::Literal(_) => {}
            TokenTree::Punct(p) if matches!(p.as_char(), ',' | ':' | '-' | '&' | '.') => {}
            TokenTree::Ident(i) if !KEYWORDS.iter().any(|k| i == k) => {}
            TokenTree::Group(g)
                if matches!(g.delimiter(), Delimiter::Parenthesis | Delimiter::Bracket) =>
            {
                n += plain_data(&g.stream())?;
            }
            _ => return None,
        }
    }
    Some(n)
}

/// Words that make a token list more than data.
const KEYWORDS: &[&str] = &[
    "as",
    "async",
    "await",
    "break",
    "const",
    "continue",
    "dyn",
    "else",
    "enum",
    "extern",
    "fn",
    "for",
    "if",
    "impl",
    "in",
    "let",
    "loop",
    "macro_rules",
    "match",
    "mod",
    "move",
    "mut",
    "ref",
    "return",
    "static",
    "struct",
    "trait",
    "type",
    "union",
    "unsafe",
    "use",
    "where",
    "while",
    "yield",
];

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]
mod tests {
    use super::*;
    use crate::source::SourceFacts;

    #[test]
    fn emptied_data_tables_change_no_fact() {
        let rows: String = (0..200)
            .map(|i| format!("    ('\\u{{{i:x}}}', '\\u{{{:x}}}'),\n", i + 1))
            .collect();
        let text = format!(
            "pub const T: &[(char, char)] = &[\n{rows}];\n\
             static F: [fn(u8) -> u8; 1] = [|x| {{ fn inner() {{}} x }}];\n\
             #[derive(Debug)]\nstruct S {{ a: [u8; 3] }}\n\
             #[allow({lints})]\nfn allowed() {{}}\n\
             const V: &[u8] = &vec![{lints}];\n\
             pub fn after() -> usize {{\n    let v = [{}];\n    v.len()\n}}\n",
            (0..100)
                .map(|i| i.to_string())
                .collect::<Vec<_>>()
                .join(", "),
            lints = (0..40)
                .map(|i| format!("clippy::l{i}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let tokens: proc_macro2::TokenStream = text.parse().unwrap();
        let emptied = without_data_tables(tokens.clone()).to_string();
        assert!(emptied.len() < tokens.to_string().len() / 4, "{emptied}");
        // The closure's array is code, kept whole.
        assert!(emptied.contains("fn inner"), "{emptied}");
        let whole = SourceFacts::of_file(&syn::parse_file(&text).unwrap(), &text);
        let fast = SourceFacts::parse(&text).unwrap();
        assert_eq!(format!("{fast:?}"), format!("{whole:?}"));
        assert_eq!(fast.fns.len(), 3, "{:?}", fast.fns);
        let last = text.lines().count() as u32;
        let lines = |f: &SourceFacts| {
            (1..=last)
                .filter(|&l| f.is_user_line(l))
                .collect::<Vec<_>>()
        };
        assert_eq!(lines(&fast), lines(&whole));
    }
}
