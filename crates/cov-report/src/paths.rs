//! Report paths: the lexical clean-up that makes one source file reached
//! by several spellings (`./src/lib.rs`, `src/x/../lib.rs`) one record,
//! `--strip-prefix`, and the directory / file-name split every writer
//! groups by.
//!
//! The clean-up itself is the contract crate's, shared with the mapper, so
//! both stages spell a path the same way.

pub use wasm_cov_format::normalize_report_path as normalize_path;

/// The directory part of a report path, `.` for a top-level file.
pub fn dir_of(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) => "/",
        Some(i) => &path[..i],
        None => ".",
    }
}

/// The file-name part of a report path.
pub fn base_of(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// A normalised path as (absolute, components): the normal form has no
/// empty or `.` components, so splitting it on `/` is exact.
fn components(path: &str) -> (bool, Vec<&str>) {
    let parts = path.split('/').filter(|p| !p.is_empty() && *p != ".");
    (path.starts_with('/'), parts.collect())
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
                let norm = normalize_path(p.as_ref());
                let (absolute, parts) = components(&norm);
                (absolute, parts.into_iter().map(str::to_owned).collect())
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
        let norm = normalize_path(path);
        let (absolute, parts) = components(&norm);
        let strip = self
            .prefixes
            .iter()
            .filter(|(abs, prefix)| {
                *abs == absolute
                    && prefix.len() < parts.len()
                    && prefix.iter().zip(&parts).all(|(a, b)| a == b)
            })
            .map(|(_, prefix)| prefix.len())
            .max();
        match strip {
            // Never empty: a prefix is shorter than the path it strips.
            Some(n) => parts[n..].join("/"),
            None => norm,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_paths() {
        assert_eq!(dir_of("src/a/b.rs"), "src/a");
        assert_eq!(dir_of("b.rs"), ".");
        assert_eq!(dir_of("/b.rs"), "/");
        assert_eq!(base_of("src/a/b.rs"), "b.rs");
        assert_eq!(base_of("b.rs"), "b.rs");
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
