//! Report paths: the one lexical clean-up both the mapper (paths from DWARF)
//! and cov-report (paths from any LCOV) apply, so that one source file
//! reached by several spellings (`./src/lib.rs`, `src/x/../lib.rs`) is one
//! record whichever stage wrote it.
//!
//! Refs: `docs/formats.md`, the mapper's "Paths" and cov-report's merging.

/// Folds `.`, `..` and repeated `/` out of `path` without touching the file
/// system, so `src/x/../lib.rs` is `src/lib.rs` even if `x` is a symlink.
///
/// - Only `/` separates components. Backslashes are ordinary file-name
///   bytes: on the platforms the pipeline runs on they are, and guessing
///   otherwise would merge files that differ.
/// - Absolute paths stay absolute, and `..` at the root is the root
///   (`/../etc/x` is `/etc/x`), as the kernel resolves it.
/// - A relative path keeps the `..`s it cannot fold (`a/../../b.rs` is
///   `../b.rs`); an empty one is `.`.
/// - URLs (`scheme://...`) are returned as they are: folding their `//`
///   would change what they name.
pub fn normalize_report_path(path: &str) -> String {
    if path.contains("://") {
        return path.to_owned();
    }
    let absolute = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => match parts.last() {
                Some(&last) if last != ".." => {
                    parts.pop();
                }
                _ if absolute => {}
                _ => parts.push(".."),
            },
            _ => parts.push(part),
        }
    }
    let joined = parts.join("/");
    match (absolute, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_owned(),
        (false, false) => joined,
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
            ("/..", "/"),
            ("//net/x", "/net/x"),
            ("/", "/"),
            ("./", "."),
            ("", "."),
            (r"C:\src\..\lib.rs", r"C:\src\..\lib.rs"),
            (r"a\b/../c", r"c"),
            (
                "https://example.com//a/../b.js",
                "https://example.com//a/../b.js",
            ),
        ];
        for (input, want) in cases {
            assert_eq!(normalize_report_path(input), want, "{input}");
        }
    }
}
