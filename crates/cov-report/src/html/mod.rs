//! The HTML report: `index.html` with totals and sortable tables of
//! directories and files, and one page per source file under `files/`.
//!
//! Everything a page needs is inside it (CSS and a little JavaScript for
//! sorting, filtering and jumping between uncovered lines), so the report
//! works from `file://` with no network. Every path, name and line of source
//! text is untrusted and goes through [`Esc`]; page file names are made
//! from paths by [`page_names`], which can only produce plain names inside
//! `files/`.

mod changed;
mod chrome;
mod file;
mod highlight;
mod index;
mod names;
mod tests;

use std::collections::BTreeSet;
use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use wasm_cov_format::{AtomicDir, FileCoverage};

use crate::contexts::Contexts;
use crate::exclude::Exclusions;
use crate::merge::Report;
use crate::sources::Source;

pub use changed::write_changed;
pub use file::write_file_page;
pub use index::write_index;
pub use names::{is_safe_page_name, page_names};

/// The folder under the output directory that holds the file pages.
pub const FILES_DIR: &str = "files";

/// The folder that holds one page per directory, when there is more than
/// one.
pub const DIRS_DIR: &str = "dirs";

/// What the report looks like beyond its data.
#[derive(Debug, Clone)]
pub struct HtmlOptions {
    /// Shown at the top of the index and in every page title.
    pub title: String,
}

impl Default for HtmlOptions {
    fn default() -> Self {
        HtmlOptions {
            title: "Coverage report".to_owned(),
        }
    }
}

/// Everything known about one file, for its page.
#[derive(Debug, Clone, Copy)]
pub struct FileView<'a> {
    pub path: &'a str,
    pub coverage: &'a FileCoverage,
    pub source: Option<&'a Source>,
    pub exclusions: Option<&'a Exclusions>,
    /// The lines the change (`--diff`) added or modified, if it touched
    /// this file.
    pub changed: Option<&'a BTreeSet<u32>>,
    /// The pages of the files before and after this one, in path order,
    /// for `[` and `]`.
    pub prev_page: Option<&'a str>,
    pub next_page: Option<&'a str>,
    /// The page of this file's directory in [`DIRS_DIR`], when the report
    /// has directory pages.
    pub dir_page: Option<&'a str>,
    /// Which tests ran which lines, when the inputs had per-test data.
    pub contexts: Option<&'a Contexts>,
}

/// Why writing the HTML report failed; names the path.
//
// The I/O error is part of the message rather than a `#[source]`, so that
// `{:#}` does not print it twice.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {error}")]
pub struct HtmlError {
    pub path: String,
    pub error: io::Error,
}

/// Fails unless `dir` is a directory or absent.
pub fn check_dir(dir: &Path) -> Result<(), HtmlError> {
    if dir.exists() && !dir.is_dir() {
        return Err(HtmlError {
            path: dir.display().to_string(),
            error: io::Error::other("exists and is not a directory"),
        });
    }
    Ok(())
}

fn err(path: &Path) -> impl Fn(io::Error) -> HtmlError + '_ {
    move |error| HtmlError {
        path: path.display().to_string(),
        error,
    }
}

/// Writes the whole report into `dir`: the file pages into a fresh
/// `files/` that replaces the old one in one rename (so no stale page of a
/// file that left the report stays behind), then `index.html` atomically.
/// Nothing is written outside `dir`: page names come from [`page_names`].
pub fn write_html_dir(dir: &Path, report: &Report, opts: &HtmlOptions) -> Result<(), HtmlError> {
    let cov = &report.coverage;
    let patch = report.patch.as_ref();
    check_dir(dir)?;
    fs::create_dir_all(dir).map_err(err(dir))?;
    let pages = page_names(cov.files.keys().map(String::as_str));
    let totals = index::file_totals(cov);
    let dirs = index::directories(cov, &totals);
    // Directory pages only when there is more than one directory.
    let dir_pages = if dirs.len() > 1 {
        page_names(dirs.keys().copied())
    } else {
        Default::default()
    };
    let files = dir.join(FILES_DIR);
    let staging = AtomicDir::create(&files).map_err(err(dir))?;

    let jobs: Vec<(&String, &FileCoverage)> = cov.files.iter().collect();
    let order: Vec<&str> = jobs.iter().map(|(p, _)| pages[*p].as_str()).collect();
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 8)
        .min(jobs.len().max(1));
    let chunk = jobs.len().div_ceil(threads).max(1);
    // Each page is made in its writer thread's one buffer and written in
    // one call: a BufWriter and its buffer per page cost more in page
    // faults and frees than the copy they save.
    let write_page = |buf: &mut Vec<u8>,
                      i: usize,
                      path: &String,
                      file: &FileCoverage|
     -> Result<(), HtmlError> {
        let name = &pages[path];
        // page_names only makes plain names; check anyway, since this is
        // the one place a name from the data meets the file system.
        if !is_safe_page_name(name) {
            return Err(HtmlError {
                path: path.clone(),
                error: io::Error::other(format!("unsafe page name {name:?}")),
            });
        }
        let target: PathBuf = staging.path().join(name);
        let view = FileView {
            path,
            coverage: file,
            source: report.sources.get(path),
            exclusions: report.exclusions.get(path),
            changed: patch.and_then(|p| p.changed_lines(path)),
            prev_page: i.checked_sub(1).map(|j| order[j]),
            next_page: order.get(i + 1).copied(),
            dir_page: dir_pages
                .get(crate::paths::dir_of(path))
                .map(String::as_str),
            contexts: report.contexts.as_ref(),
        };
        buf.clear();
        write_file_page(buf, &view, opts).map_err(err(&target))?;
        let mut out = fs::File::create(&target).map_err(err(&target))?;
        out.write_all(buf).map_err(err(&target))
    };
    std::thread::scope(|scope| {
        let handles: Vec<_> = jobs
            .chunks(chunk)
            .enumerate()
            .map(|(c, part)| {
                let write_page = &write_page;
                scope.spawn(move || {
                    let mut buf = Vec::with_capacity(1 << 18);
                    part.iter()
                        .enumerate()
                        .try_for_each(|(k, (p, f))| write_page(&mut buf, c * chunk + k, p, f))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(HtmlError {
                        path: dir.display().to_string(),
                        error: io::Error::other("a page writer panicked"),
                    })
                })
            })
            .collect::<Result<Vec<()>, HtmlError>>()
    })?;

    // Swap the new pages in.
    staging.commit().map_err(err(&files))?;

    let dirs_dir = dir.join(DIRS_DIR);
    if dir_pages.is_empty() {
        // Directory pages of an earlier run with more directories.
        match fs::remove_dir_all(&dirs_dir) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(err(&dirs_dir)(e)),
            _ => {}
        }
    } else {
        let branches = dirs.values().any(|(t, _)| t.branches_found > 0);
        let staging = AtomicDir::create(&dirs_dir).map_err(err(dir))?;
        for (d, (dir_totals, _)) in &dirs {
            let name = &dir_pages[*d];
            if !is_safe_page_name(name) {
                return Err(HtmlError {
                    path: (*d).to_owned(),
                    error: io::Error::other(format!("unsafe page name {name:?}")),
                });
            }
            let target = staging.path().join(name);
            let out = fs::File::create(&target).map_err(err(&target))?;
            let mut w = BufWriter::with_capacity(1 << 16, out);
            index::write_dir_page(&mut w, cov, &totals, d, dir_totals, branches, &pages, opts)
                .map_err(err(&target))?;
            w.flush().map_err(err(&target))?;
        }
        staging.commit().map_err(err(&dirs_dir))?;
    }

    // The index appears whole, through a rename, like every output; but
    // unlike AtomicOutput without an fsync: on ext4 an fsync here flushes
    // every page just written too, which can take seconds on a large
    // report, and a report is cheap to regenerate after a crash.
    let changed = dir.join(CHANGED_PAGE);
    match patch {
        Some(p) => write_top_page(dir, &changed, |w| write_changed(w, cov, p, &pages, opts))?,
        // A changed-files page of an earlier run would describe another
        // change.
        None => match fs::remove_file(&changed) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(err(&changed)(e)),
            _ => {}
        },
    }
    let tests = dir.join(TESTS_PAGE);
    let contexts = report.contexts.as_ref();
    match contexts {
        Some(c) => write_top_page(dir, &tests, |w| tests::write_tests(w, cov, c, &pages, opts))?,
        // A tests page of an earlier run would name other tests.
        None => match fs::remove_file(&tests) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(err(&tests)(e)),
            _ => {}
        },
    }
    let index = dir.join("index.html");
    write_top_page(dir, &index, |w| {
        index::write_index_with(w, cov, &totals, &pages, &dir_pages, patch, contexts, opts)
    })
}

/// The page the tests are listed on, with the lines each ran, beside
/// `index.html`, when the inputs had per-test data.
pub const TESTS_PAGE: &str = "tests.html";

/// The page a change's files are listed on, beside `index.html`.
pub const CHANGED_PAGE: &str = "changed.html";

/// Writes one page of `dir` through a temporary file renamed into place.
fn write_top_page(
    dir: &Path,
    target: &Path,
    write: impl FnOnce(&mut BufWriter<tempfile::NamedTempFile>) -> io::Result<()>,
) -> Result<(), HtmlError> {
    let tmp = tempfile::Builder::new()
        .prefix(".wasm-cov-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(err(dir))?;
    let mut w = BufWriter::with_capacity(1 << 16, tmp);
    write(&mut w).map_err(err(target))?;
    let tmp = w.into_inner().map_err(|e| err(target)(e.into_error()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = tmp
            .as_file()
            .set_permissions(fs::Permissions::from_mode(0o644));
    }
    tmp.persist(target).map_err(|e| err(target)(e.error))?;
    Ok(())
}
