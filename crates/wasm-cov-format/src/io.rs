//! Reading inputs (`-` is stdin) and writing outputs atomically.

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

/// True if `err` or anything that caused it is a write to a closed pipe,
/// which every tool treats as a normal end (`tool | head`), exiting 0.
pub fn is_broken_pipe(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur = Some(err);
    while let Some(e) = cur {
        // FormatError::Io is transparent: its io::Error is not a source.
        let io = e
            .downcast_ref::<io::Error>()
            .or(match e.downcast_ref::<crate::FormatError>() {
                Some(crate::FormatError::Io(io)) => Some(io),
                _ => None,
            });
        if io.is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe) {
            return true;
        }
        cur = e.source();
    }
    false
}

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

/// The largest JSON document (v8-coverage.json, mapper JSON) the readers
/// take. JSON is one line, so no line cap applies; this keeps a hostile
/// file from making a reader hold gigabytes. Real v8-coverage.json files
/// are about 60 bytes per wasm block: 1 GiB is some 17 million blocks.
pub const MAX_JSON_BYTES: u64 = 1 << 30;

/// Opens a JSON input (`-` is stdin) limited to [`MAX_JSON_BYTES`]. A
/// regular file over the limit is refused from its size alone, before a
/// byte of it is read; a pipe is cut off when it passes the limit.
pub fn open_json_input(path: &Path) -> io::Result<SizeLimit<Box<dyn Read>>> {
    if path.as_os_str() != "-" {
        let meta = std::fs::metadata(path)?;
        if meta.is_file() && meta.len() > MAX_JSON_BYTES {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "{} bytes, larger than {MAX_JSON_BYTES} bytes, the limit for one JSON document",
                    meta.len()
                ),
            ));
        }
    }
    Ok(size_limited(open_input(path)?, MAX_JSON_BYTES))
}

/// `r`, failing with an `InvalidData` error once more than `max` bytes have
/// come out of it.
pub fn size_limited<R: Read>(r: R, max: u64) -> SizeLimit<R> {
    SizeLimit {
        inner: r,
        left: max,
        max,
    }
}

/// See [`size_limited`].
pub struct SizeLimit<R> {
    inner: R,
    left: u64,
    max: u64,
}

impl<R: Read> Read for SizeLimit<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(out)?;
        if n as u64 > self.left {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("larger than {} bytes, the limit for one file", self.max),
            ));
        }
        self.left -= n as u64;
        Ok(n)
    }
}

/// Why [`read_line_capped`] stopped.
#[derive(Debug)]
pub(crate) enum LineError {
    /// The line is longer than the cap; the rest of it was not read.
    TooLong,
    Io(io::Error),
}

/// Reads one line into `buf` (cleared first, `\n` not included), holding at
/// most `max` bytes of it: a longer line is an error before the rest of it
/// is read, so a 2 GB line costs `max` bytes of memory, not 2 GB. Returns
/// `false` at the end of input when no byte was read.
pub(crate) fn read_line_capped(
    r: &mut impl BufRead,
    buf: &mut Vec<u8>,
    max: usize,
) -> Result<bool, LineError> {
    buf.clear();
    let mut any = false;
    loop {
        let chunk = match r.fill_buf() {
            Ok(c) => c,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(LineError::Io(e)),
        };
        if chunk.is_empty() {
            return Ok(any);
        }
        any = true;
        let (take, done) = match chunk.iter().position(|&b| b == b'\n') {
            Some(i) => (i, true),
            None => (chunk.len(), false),
        };
        if buf.len() + take > max {
            return Err(LineError::TooLong);
        }
        buf.extend_from_slice(&chunk[..take]);
        r.consume(if done { take + 1 } else { take });
        if done {
            return Ok(true);
        }
    }
}

/// A line of a text input that is longer than its format allows.
#[derive(Debug, thiserror::Error)]
#[error("line {line}: longer than {max} bytes")]
pub(crate) struct LineTooLong {
    pub line: u64,
    pub max: usize,
}

/// A reader that fails with [`LineTooLong`] (as an `InvalidData` I/O
/// error) as soon as a line grows past `max` bytes, for parsers that would
/// otherwise buffer a whole line or field however long it is (the csv
/// crate). Line numbers count `\n`s, 1-based.
pub(crate) struct LineLimit<R> {
    inner: R,
    max: usize,
    line: u64,
    len: usize,
}

impl<R> LineLimit<R> {
    pub(crate) fn new(inner: R, max: usize) -> Self {
        LineLimit {
            inner,
            max,
            line: 1,
            len: 0,
        }
    }
}

impl<R: Read> Read for LineLimit<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(out)?;
        let too_long = |line| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                LineTooLong {
                    line,
                    max: self.max,
                },
            )
        };
        let mut rest = &out[..n];
        while let Some(i) = memchr::memchr(b'\n', rest) {
            if self.len + i > self.max {
                return Err(too_long(self.line));
            }
            self.line += 1;
            self.len = 0;
            rest = &rest[i + 1..];
        }
        self.len += rest.len();
        if self.len > self.max {
            return Err(too_long(self.line));
        }
        Ok(n)
    }
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
    /// A target that is not a regular file (`/dev/null`, a FIFO, a
    /// terminal): written in place, since renaming over it would replace
    /// the device or pipe with a file.
    Special(BufWriter<File>),
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
            Some(p) if std::fs::metadata(p).is_ok_and(|m| !m.is_file() && !m.is_dir()) => {
                let f = std::fs::OpenOptions::new()
                    .write(true)
                    .open(p)
                    .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", p.display())))?;
                Inner::Special(BufWriter::new(f))
            }
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
            Inner::Special(mut w) => w.flush(),
            Inner::File { writer, target } => {
                let tmp = writer.into_inner().map_err(|e| e.into_error())?;
                // tempfile creates 0600; an output is an ordinary file that
                // others (a CI uploader, a web server) read.
                #[cfg(unix)]
                {
                    use std::os::unix::fs::PermissionsExt;
                    tmp.as_file()
                        .set_permissions(std::fs::Permissions::from_mode(0o644))?;
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
            Inner::Special(w) => w.write(buf),
            Inner::File { writer, .. } => writer.write(buf),
        }
    }
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match &mut self.inner {
            Inner::Stdout(s) => s.write_all(buf),
            Inner::Special(w) => w.write_all(buf),
            Inner::File { writer, .. } => writer.write_all(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match &mut self.inner {
            Inner::Stdout(s) => s.flush(),
            Inner::Special(w) => w.flush(),
            Inner::File { writer, .. } => writer.flush(),
        }
    }
}

/// A directory that replaces `target` whole or not at all: the directory
/// beside [`AtomicOutput`].
///
/// Its contents are written into a fresh staging directory next to
/// `target` ([`AtomicDir::path`]); [`AtomicDir::commit`] then swaps it in
/// with one rename, so nothing that was in the old `target` lingers (a page
/// of a file that left a report) and a reader sees the old directory or the
/// new one, never a mix. Dropping it uncommitted deletes the staging
/// directory.
///
/// Errors are the plain I/O errors: the caller knows which name a message
/// should show (the folder it writes into, or `target`).
pub struct AtomicDir {
    staging: tempfile::TempDir,
    target: PathBuf,
}

impl AtomicDir {
    /// Creates the staging directory in `target`'s parent (which must
    /// exist), so the final rename stays on one file system.
    pub fn create(target: &Path) -> io::Result<Self> {
        let parent = match target.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let staging = tempfile::Builder::new()
            .prefix(".wasm-cov-")
            .suffix(".tmp")
            .tempdir_in(parent)?;
        Ok(AtomicDir {
            staging,
            target: target.to_path_buf(),
        })
    }

    /// Where to write what `target` should hold.
    pub fn path(&self) -> &Path {
        self.staging.path()
    }

    /// Puts the staging directory in place of `target`, which may be a
    /// directory, a file or absent. If the swap fails, the old `target` is
    /// put back.
    pub fn commit(self) -> io::Result<()> {
        let target = self.target;
        let old = self.staging.path().with_extension("old");
        let had_old = std::fs::symlink_metadata(&target).is_ok();
        if had_old {
            std::fs::rename(&target, &old)?;
        }
        let staged = self.staging.keep();
        // tempfile makes its directory private (0700); an output is for
        // reading.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(&staged, std::fs::Permissions::from_mode(0o755));
        }
        if let Err(e) = std::fs::rename(&staged, &target) {
            let _ = std::fs::remove_dir_all(&staged);
            if had_old {
                let _ = std::fs::rename(&old, &target);
            }
            return Err(e);
        }
        if had_old {
            let _ = match std::fs::symlink_metadata(&old) {
                Ok(m) if m.is_dir() => std::fs::remove_dir_all(&old),
                _ => std::fs::remove_file(&old),
            };
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capped_lines_stop_at_the_cap() {
        let mut r = io::Cursor::new(b"ab\ncdef\n\nxyz".to_vec());
        let mut buf = Vec::new();
        let mut got = Vec::new();
        while read_line_capped(&mut r, &mut buf, 4).unwrap() {
            got.push(String::from_utf8(buf.clone()).unwrap());
        }
        assert_eq!(got, ["ab", "cdef", "", "xyz"]);
        let mut r = io::BufReader::with_capacity(2, &b"ok\ntoolong\n"[..]);
        assert!(read_line_capped(&mut r, &mut buf, 4).unwrap());
        assert!(matches!(
            read_line_capped(&mut r, &mut buf, 4),
            Err(LineError::TooLong)
        ));
        assert!(buf.len() <= 4);
    }

    #[test]
    fn line_limit_names_the_line() {
        let mut r = LineLimit::new(&b"a\nbb\nccccc\n"[..], 4);
        let e = r.read_to_end(&mut Vec::new()).unwrap_err();
        assert_eq!(e.to_string(), "line 3: longer than 4 bytes");
    }

    #[test]
    fn broken_pipes_are_found_inside_format_errors() {
        let pipe = || io::Error::new(io::ErrorKind::BrokenPipe, "closed");
        assert!(is_broken_pipe(&pipe()));
        assert!(is_broken_pipe(&crate::FormatError::Io(pipe())));
        assert!(!is_broken_pipe(&crate::FormatError::Invalid("x".into())));
    }

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

    #[test]
    fn atomic_dir_replaces_the_old_directory_whole() {
        let parent = tempfile::tempdir().unwrap();
        let target = parent.path().join("files");
        std::fs::create_dir(&target).unwrap();
        std::fs::write(target.join("stale.html"), "old").unwrap();
        std::fs::write(parent.path().join("keep.txt"), "mine").unwrap();

        // Uncommitted: the old directory stays and no staging is left.
        {
            let dir = AtomicDir::create(&target).unwrap();
            std::fs::write(dir.path().join("half.html"), "half").unwrap();
        }
        let names = |d: &Path| {
            let mut v: Vec<String> = std::fs::read_dir(d)
                .unwrap()
                .map(|e| e.unwrap().file_name().into_string().unwrap())
                .collect();
            v.sort();
            v
        };
        assert_eq!(names(parent.path()), ["files", "keep.txt"]);
        assert_eq!(names(&target), ["stale.html"]);

        let dir = AtomicDir::create(&target).unwrap();
        std::fs::write(dir.path().join("new.html"), "new").unwrap();
        dir.commit().unwrap();
        assert_eq!(names(parent.path()), ["files", "keep.txt"]);
        assert_eq!(names(&target), ["new.html"]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&target).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o755);
        }

        // A file where the directory goes is replaced too.
        std::fs::remove_dir_all(&target).unwrap();
        std::fs::write(&target, "a file").unwrap();
        let dir = AtomicDir::create(&target).unwrap();
        dir.commit().unwrap();
        assert!(target.is_dir());
        assert_eq!(names(parent.path()), ["files", "keep.txt"]);
    }

    #[test]
    #[cfg(unix)]
    fn a_device_is_written_in_place_never_replaced() {
        use std::os::unix::fs::FileTypeExt;
        let null = Path::new("/dev/null");
        let mut out = AtomicOutput::create(Some(null)).unwrap();
        out.write_all(b"gone").unwrap();
        out.commit().unwrap();
        assert!(std::fs::metadata(null)
            .unwrap()
            .file_type()
            .is_char_device());
    }
}
