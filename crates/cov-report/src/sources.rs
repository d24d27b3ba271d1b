//! Source files, read once each: for the HTML pages and for the exclusion
//! markers. Their names come from coverage data, which is untrusted, so only
//! regular files are read and their size is capped: a path like `/dev/zero`
//! or a FIFO must not hang the report.

use std::collections::BTreeMap;
use std::fs::File;
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
    /// read.
    pub text: Option<String>,
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

/// Reads the source of every file of `cov`, each once.
pub fn load_sources(cov: &Coverage, root: &Path) -> BTreeMap<String, Source> {
    cov.files
        .keys()
        .map(|path| {
            let location = locate(root, path);
            let text = read_source(&location);
            (path.clone(), Source { location, text })
        })
        .collect()
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
        let s = load_sources(&cov, dir.path());
        assert_eq!(s["src/a.rs"].lines().unwrap(), ["fn a() {}", "\u{fffd}"]);
        for p in ["src", "missing.rs", "/dev/zero", "with\0nul.rs"] {
            assert_eq!(s[p].text, None, "{p:?}");
        }
        assert_eq!(s["/dev/zero"].location, Path::new("/dev/zero"));
    }
}
