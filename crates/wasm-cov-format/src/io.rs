//! Reading inputs (`-` is stdin) and writing outputs atomically.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

/// Opens `path` for reading; `-` means standard input.
pub fn open_input(path: &Path) -> io::Result<Box<dyn Read>> {
    if path.as_os_str() == "-" {
        Ok(Box::new(io::stdin().lock()))
    } else {
        Ok(Box::new(BufReader::new(File::open(path)?)))
    }
}

/// Reads all of `path` (`-` is standard input).
pub fn read_input(path: &Path) -> io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    open_input(path)?.read_to_end(&mut buf)?;
    Ok(buf)
}

/// An output that is either standard output or a file that appears only when
/// complete.
///
/// A file is written to a temporary sibling and renamed over the target by
/// [`AtomicOutput::commit`]. Dropping it uncommitted (an error on the way)
/// deletes the temporary file, so a failed run never leaves a half-written
/// output behind, and a reader never sees one.
pub struct AtomicOutput {
    inner: Inner,
}

enum Inner {
    Stdout(io::Stdout),
    File {
        writer: BufWriter<tempfile::NamedTempFile>,
        target: PathBuf,
    },
}

impl AtomicOutput {
    /// `None` or `-` writes to standard output.
    pub fn create(path: Option<&Path>) -> io::Result<Self> {
        let inner = match path {
            None => Inner::Stdout(io::stdout()),
            Some(p) if p.as_os_str() == "-" => Inner::Stdout(io::stdout()),
            Some(p) => {
                let dir = match p.parent() {
                    Some(d) if !d.as_os_str().is_empty() => d,
                    _ => Path::new("."),
                };
                let tmp = tempfile::Builder::new()
                    .prefix(".wasm-cov-")
                    .suffix(".tmp")
                    .tempfile_in(dir)
                    .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", p.display())))?;
                Inner::File {
                    writer: BufWriter::with_capacity(1 << 16, tmp),
                    target: p.to_path_buf(),
                }
            }
        };
        Ok(AtomicOutput { inner })
    }

    /// Flushes and, for a file, renames it into place.
    pub fn commit(self) -> io::Result<()> {
        match self.inner {
            Inner::Stdout(mut s) => s.flush(),
            Inner::File { writer, target } => {
                let tmp = writer.into_inner().map_err(|e| e.into_error())?;
                // tempfile creates 0600; an output is an ordinary file that
                // others (a CI uploader, a web server) read.
                #[cfg(unix)]
                {
                    use std::os::unix::fs::PermissionsExt;
                    tmp.as_file().set_permissions(std::fs::Permissions::from_mode(0o644))?;
                }
                tmp.as_file().sync_all()?;
                tmp.persist(&target).map_err(|e| e.error)?;
                Ok(())
            }
        }
    }
}

impl Write for AtomicOutput {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut self.inner {
            Inner::Stdout(s) => s.write(buf),
            Inner::File { writer, .. } => writer.write(buf),
        }
    }
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match &mut self.inner {
            Inner::Stdout(s) => s.write_all(buf),
            Inner::File { writer, .. } => writer.write_all(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match &mut self.inner {
            Inner::Stdout(s) => s.flush(),
            Inner::File { writer, .. } => writer.flush(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uncommitted_output_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.txt");
        {
            let mut out = AtomicOutput::create(Some(&target)).unwrap();
            out.write_all(b"half").unwrap();
        }
        assert!(!target.exists());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn committed_output_replaces_target() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.txt");
        std::fs::write(&target, "old").unwrap();
        let mut out = AtomicOutput::create(Some(&target)).unwrap();
        out.write_all(b"new").unwrap();
        out.commit().unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "new");
    }
}
