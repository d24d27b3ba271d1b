//! Lexical path clean-up, so that one source file reached by several
//! spellings (`./src/lib.rs`, `src/x/../lib.rs`) is one record.
//!
//! Only `/` separates components. Backslashes are left alone: on the
//! platforms the pipeline runs on they are ordinary file-name bytes, and
//! guessing otherwise would merge files that differ.

/// A path split into its components, `.` and empty components dropped and
/// `..` folded lexically.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Components<'a> {
    absolute: bool,
    parts: Vec<&'a str>,
}

impl<'a> Components<'a> {
    fn parse(path: &'a str) -> Self {
        let absolute = path.starts_with('/');
        let mut parts: Vec<&str> = Vec::new();
        for part in path.split('/') {
            match part {
                "" | "." => {}
                ".." => match parts.last() {
                    Some(&last) if last != ".." => {
                        parts.pop();
                    }
                    // `/..` is `/`; a relative path keeps the `..` it
                    // cannot fold.
                    _ if absolute => {}
                    _ => parts.push(".."),
                },
                _ => parts.push(part),
            }
        }
        Components { absolute, parts }
    }

    fn render(absolute: bool, parts: &[&str]) -> String {
        let joined = parts.join("/");
        match (absolute, joined.is_empty()) {
            (true, _) => format!("/{joined}"),
            (false, true) => ".".to_owned(),
            (false, false) => joined,
        }
    }
}

/// Folds `.`, `..` and repeated `/` out of `path` without touching the file
/// system, so `src/x/../lib.rs` is `src/lib.rs` even if `x` is a symlink.
/// Absolute paths stay absolute. URLs (`scheme://...`) are returned as they
/// are: folding their `//` would change what they name.
pub fn normalize_path(path: &str) -> String {
    if path.contains("://") {
        return path.to_owned();
    }
    let c = Components::parse(path);
    Components::render(c.absolute, &c.parts)
}

/// Normalises source paths and strips the `--strip-prefix` directories.
#[derive(Debug, Clone, Default)]
pub struct PathRewriter {
    /// Normalised prefixes as (absolute, components); empty ones dropped.
    prefixes: Vec<(bool, Vec<String>)>,
}

impl PathRewriter {
    pub fn new<S: AsRef<str>>(prefixes: &[S]) -> Self {
        let prefixes = prefixes
            .iter()
            .filter(|p| !p.as_ref().contains("://"))
            .map(|p| {
                let c = Components::parse(p.as_ref());
                (
                    c.absolute,
                    c.parts.iter().map(|s| (*s).to_owned()).collect(),
                )
            })
            .filter(|(abs, parts): &(bool, Vec<String>)| *abs || !parts.is_empty())
            .collect();
        PathRewriter { prefixes }
    }

    /// The normalised `path` with the longest matching prefix removed,
    /// component-wise (`/a/b` strips `/a/b/c.rs` but not `/a/bc/d.rs`).
    /// The longest match wins so the order of `--strip-prefix` flags does not
    /// matter. A path that is exactly a prefix is kept whole rather than
    /// becoming empty.
    pub fn rewrite(&self, path: &str) -> String {
        if path.contains("://") {
            return path.to_owned();
        }
        let c = Components::parse(path);
        let strip = self
            .prefixes
            .iter()
            .filter(|(abs, prefix)| {
                *abs == c.absolute
                    && prefix.len() < c.parts.len()
                    && prefix.iter().zip(&c.parts).all(|(a, b)| a == b)
            })
            .map(|(_, prefix)| prefix.len())
            .max();
        match strip {
            Some(n) => Components::render(false, &c.parts[n..]),
            None => Components::render(c.absolute, &c.parts),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_lexically() {
        let cases = [
            ("src/lib.rs", "src/lib.rs"),
            ("./src/lib.rs", "src/lib.rs"),
            ("src/./lib.rs", "src/lib.rs"),
            ("src/x/../lib.rs", "src/lib.rs"),
            ("src//lib.rs", "src/lib.rs"),
            ("src/lib.rs/", "src/lib.rs"),
            ("../up/a.rs", "../up/a.rs"),
            ("a/../../b.rs", "../b.rs"),
            ("../../a/../b.rs", "../../b.rs"),
            ("/abs/./x/../y.rs", "/abs/y.rs"),
            ("/../etc/x", "/etc/x"),
            ("//net/x", "/net/x"),
            ("/", "/"),
            ("./", "."),
            (r"C:\src\..\lib.rs", r"C:\src\..\lib.rs"),
            (r"a\b/../c", r"c"),
            (
                "https://example.com//a/../b.js",
                "https://example.com//a/../b.js",
            ),
        ];
        for (input, want) in cases {
            assert_eq!(normalize_path(input), want, "{input}");
        }
    }

    #[test]
    fn strips_prefixes_component_wise() {
        let r = PathRewriter::new(&["/home/u/proj", "/home/u/proj/crates/", "build/../out"]);
        assert_eq!(r.rewrite("/home/u/proj/src/lib.rs"), "src/lib.rs");
        assert_eq!(r.rewrite("/home/u/proj/./src/../src/lib.rs"), "src/lib.rs");
        // Longest match wins, whatever the flag order.
        assert_eq!(r.rewrite("/home/u/proj/crates/a/b.rs"), "a/b.rs");
        assert_eq!(
            r.rewrite("/home/u/project/src/lib.rs"),
            "/home/u/project/src/lib.rs"
        );
        assert_eq!(r.rewrite("out/gen.rs"), "gen.rs");
        // Relative prefixes do not match absolute paths, nor the reverse.
        assert_eq!(r.rewrite("/out/gen.rs"), "/out/gen.rs");
        assert_eq!(r.rewrite("home/u/proj/a.rs"), "home/u/proj/a.rs");
        // A path equal to a prefix is kept rather than emptied.
        assert_eq!(r.rewrite("/home/u/proj"), "/home/u/proj");
        // Without prefixes it only normalises.
        assert_eq!(PathRewriter::new::<&str>(&[]).rewrite("./a/b.rs"), "a/b.rs");
        assert_eq!(PathRewriter::new(&["."]).rewrite("./a/b.rs"), "a/b.rs");
    }
}
