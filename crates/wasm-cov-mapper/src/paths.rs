//! Source paths as DWARF names them, made into report paths.

use std::path::{Component, Path, PathBuf};

/// Joins `name` onto `dir` unless it is already absolute, then removes `.`
/// and folds `..` lexically (DWARF paths may name files that no longer
/// exist, so the file system is never asked).
pub fn resolve(dir: Option<&str>, name: &str) -> PathBuf {
    let p = Path::new(name);
    let joined = match dir {
        Some(d) if !p.is_absolute() && !d.is_empty() => Path::new(d).join(p),
        _ => p.to_path_buf(),
    };
    normalize(&joined)
}

pub fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// Whether a path belongs to the standard library or a dependency rather
/// than the crate under test.
///
/// Recognised: the standard library (`/rustc/<hash>/...`, or the rust-src
/// component), the crates std itself depends on (`/rust/deps/...` up to
/// rustc 1.99, `/cargo/registry/<hash>/...` from 1.100, seen on beta and
/// nightly by `make test-toolchains`), wasi-libc (`wasisdk:/...`), and
/// registry or git dependencies in `CARGO_HOME`.
pub fn is_dependency(path: &str) -> bool {
    path.starts_with("/rustc/")
        || path.starts_with("/rust/deps/")
        || path.starts_with("/cargo/registry/")
        || path.starts_with("wasisdk:")
        || path.contains("/.cargo/registry/")
        || path.contains("/.cargo/git/")
        || path.contains("/cargo/registry/src/")
        || path.contains("/cargo/git/checkouts/")
        || path.contains("/lib/rustlib/src/rust/")
}

/// The report path: relative to `root` when under it, else as is.
pub fn display(path: &Path, root: Option<&Path>) -> String {
    if let Some(rel) = root.and_then(|r| path.strip_prefix(r).ok()) {
        if !rel.as_os_str().is_empty() {
            return rel.to_string_lossy().into_owned();
        }
    }
    path.to_string_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_against_comp_dir() {
        assert_eq!(
            resolve(Some("/w/demo"), "src/lib.rs"),
            Path::new("/w/demo/src/lib.rs")
        );
        assert_eq!(
            resolve(Some("/w/demo"), "/abs/x.rs"),
            Path::new("/abs/x.rs")
        );
        assert_eq!(
            resolve(Some("/w/demo/./a"), "../src/./b.rs"),
            Path::new("/w/demo/src/b.rs")
        );
        assert_eq!(resolve(None, "src/lib.rs"), Path::new("src/lib.rs"));
    }

    #[test]
    fn classifies_dependencies() {
        assert!(is_dependency("/rustc/abc/library/core/src/fmt/mod.rs"));
        assert!(is_dependency(
            "/home/u/.cargo/registry/src/index.crates.io-1/itoa-1.0/src/lib.rs"
        ));
        assert!(is_dependency("/rust/deps/getopts-0.2.24/src/lib.rs"));
        // std's own dependencies as rustc 1.100 (beta) names them.
        assert!(is_dependency(
            "/cargo/registry/25cdd57fae9f0462/hashbrown-0.17.1/src/raw.rs"
        ));
        assert!(is_dependency(
            "wasisdk:/v30.0/src/wasi-libc/libc-top-half/musl/src/string/strlen.c"
        ));
        assert!(!is_dependency("/home/u/demo/src/lib.rs"));
    }

    #[test]
    fn displays_relative_to_root() {
        let root = Path::new("/w/demo");
        assert_eq!(
            display(Path::new("/w/demo/src/lib.rs"), Some(root)),
            "src/lib.rs"
        );
        assert_eq!(display(Path::new("/w/other.rs"), Some(root)), "/w/other.rs");
        assert_eq!(
            display(Path::new("/w/demo/src/lib.rs"), None),
            "/w/demo/src/lib.rs"
        );
    }
}
