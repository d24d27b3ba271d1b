//! Source files, read once each: for the HTML pages and for the exclusion
//! markers. Their names come from coverage data, which is untrusted, so only
//! regular files are read and their size is capped: a path like `/dev/zero`
//! or a FIFO must not hang the report.
//!
//! Nor may a report copy any file it can read into a page: an LCOV naming
//! `SF:/home/u/.ssh/id_ed25519` would otherwise put that key in the HTML.
//! So by default a source is read only when it resolves (symlinks and `..`
//! followed) to a file under the source root.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::Read;
use std::path::{Path, PathBuf};

use wasm_cov_format::Coverage;

/// Larger files are treated as not found. No source file is this large.
pub const MAX_SOURCE_BYTES: u64 = 64 << 20;

/// What was found for one source path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// Where it was looked for: the path itself if absolute, else under the
    /// source root.
    pub location: PathBuf,
    /// The text, with invalid UTF-8 replaced; `None` when it could not be
    /// read, or was not because it lies outside the root.
    pub text: Option<String>,
    /// True when the file exists but resolves to a place outside the source
    /// root, and so was not read.
    pub outside_root: bool,
}

impl Source {
    /// The text split into lines (`\n` or `\r\n`).
    pub fn lines(&self) -> Option<Vec<&str>> {
        self.text.as_deref().map(|t| t.lines().collect())
    }
}

/// Where `path` (as named in the coverage data) is read from.
pub fn locate(root: &Path, path: &str) -> PathBuf {
    let p = Path::new(path);
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        root.join(p)
    }
}

/// Reads the source of every file of `cov`, each once: only files under
/// `root` (after resolving symlinks and `..`), unless `outside_root`.
pub fn load_sources(cov: &Coverage, root: &Path, outside_root: bool) -> BTreeMap<String, Source> {
    // A root that does not exist holds nothing; every source is then not
    // found, which the report says.
    let real_root = fs::canonicalize(root).ok();
    let paths: Vec<&String> = cov.files.keys().collect();
    let load = |path: &String| -> (String, Source) {
        let location = locate(root, path);
        let source = match fs::canonicalize(&location) {
            Err(_) => Source {
                location,
                text: None,
                outside_root: false,
            },
            // What was checked is what is read: the resolved path.
            Ok(real) if outside_root || real_root.as_ref().is_some_and(|r| real.starts_with(r)) => {
                Source {
                    text: read_source(&real),
                    location,
                    outside_root: false,
                }
            }
            Ok(_) => Source {
                location,
                text: None,
                outside_root: true,
            },
        };
        (path.clone(), source)
    };
    // Reading and checking the text of many files is worth a few threads,
    // as writing the pages is.
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 8)
        .min(paths.len().max(1));
    let chunk = paths.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = paths
            .chunks(chunk)
            .map(|part| {
                let load = &load;
                scope.spawn(move || part.iter().map(|p| load(p)).collect::<Vec<_>>())
            })
            .collect();
        handles
            .into_iter()
            // A panic in a reader is a bug; resume it on this thread.
            .flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    })
}

fn read_source(path: &Path) -> Option<String> {
    let file = File::open(path).ok()?;
    let meta = file.metadata().ok()?;
    if !meta.is_file() || meta.len() > MAX_SOURCE_BYTES {
        return None;
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(MAX_SOURCE_BYTES).read_to_end(&mut bytes).ok()?;
    Some(match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]
mod tests {
    use super::*;

    #[test]
    fn reads_regular_files_only() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("src")).unwrap();
        std::fs::write(dir.path().join("src/a.rs"), b"fn a() {}\r\n\xff\n").unwrap();
        let mut cov = Coverage::default();
        cov.file_mut("src/a.rs");
        cov.file_mut("src"); // a directory
        cov.file_mut("missing.rs");
        cov.file_mut("/dev/zero");
        cov.file_mut("with\0nul.rs");
        let s = load_sources(&cov, dir.path(), true);
        assert_eq!(s["src/a.rs"].lines().unwrap(), ["fn a() {}", "\u{fffd}"]);
        for p in ["src", "missing.rs", "/dev/zero", "with\0nul.rs"] {
            assert_eq!(s[p].text, None, "{p:?}");
        }
        assert_eq!(s["/dev/zero"].location, Path::new("/dev/zero"));
    }

    #[cfg(unix)]
    #[test]
    fn reads_only_under_the_root_unless_allowed() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        std::fs::create_dir_all(root.join("src")).unwrap();
        std::fs::write(root.join("src/in.rs"), "in\n").unwrap();
        std::fs::write(dir.path().join("secret.rs"), "secret\n").unwrap();
        std::os::unix::fs::symlink(dir.path().join("secret.rs"), root.join("src/link.rs")).unwrap();
        std::os::unix::fs::symlink(root.join("src/in.rs"), root.join("src/inlink.rs")).unwrap();
        let abs_secret = dir.path().join("secret.rs").display().to_string();
        let abs_in = root.join("src/in.rs").display().to_string();
        let mut cov = Coverage::default();
        for p in [
            "src/in.rs",
            "src/link.rs",
            "src/inlink.rs",
            "../secret.rs",
            "src/../../secret.rs",
            "missing.rs",
        ] {
            cov.file_mut(p);
        }
        cov.file_mut(&abs_secret);
        cov.file_mut(&abs_in);
        // The root as given may itself hold `..`.
        let given = root.join("src/..");
        let s = load_sources(&cov, &given, false);
        for p in ["src/in.rs", "src/inlink.rs", abs_in.as_str()] {
            assert_eq!(s[p].text.as_deref(), Some("in\n"), "{p}");
            assert!(!s[p].outside_root, "{p}");
        }
        for p in [
            "src/link.rs",
            "../secret.rs",
            "src/../../secret.rs",
            abs_secret.as_str(),
        ] {
            assert_eq!(s[p].text, None, "{p}");
            assert!(s[p].outside_root, "{p}");
        }
        assert!(!s["missing.rs"].outside_root);
        let s = load_sources(&cov, &given, true);
        for p in ["src/link.rs", "../secret.rs", abs_secret.as_str()] {
            assert_eq!(s[p].text.as_deref(), Some("secret\n"), "{p}");
        }
    }
}
