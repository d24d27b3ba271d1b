//! Patch coverage: of the lines a change added or modified, the ones that
//! are code, and how many of those the tests ran.
//!
//! The change comes from a unified diff (`--diff FILE`) or from `git diff
//! REF` run in the diff root (`--diff-base REF`). Diff paths are relative to
//! the repository's top, `--diff-root` (by default the git top-level that
//! holds `--source-root`, else `--source-root`); they are turned into the
//! report's paths, which are relative to `--source-root` (or absolute for
//! files outside it).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use wasm_cov_cli::InputArg;
use wasm_cov_format::{Coverage, FileCoverage};

use crate::diff::{parse_unified_diff, ChangedLines};
use crate::error::Error;
use crate::paths::normalize_path;
use crate::ratio::Ratio;

/// Where the change comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DiffSource {
    /// A unified diff in a file (or `-`).
    File(InputArg),
    /// `git diff REF` in the diff root.
    GitBase(String),
}

/// The change, in the report's paths.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Patch {
    /// What it is, for headings: `git diff main`, `change.diff`.
    pub label: String,
    /// The lines added or modified, code or not, by report path.
    pub changed: BTreeMap<String, BTreeSet<u32>>,
}

/// Patch coverage of one file: its changed lines that are code, with
/// their counts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FilePatch {
    pub lines: Vec<(u32, u64)>,
    /// The uncovered changed lines of code: `10, 12-14` (a range holds
    /// only such lines).
    pub uncovered: String,
}

impl FilePatch {
    pub fn ratio(&self) -> Ratio {
        let hit = self.lines.iter().filter(|(_, c)| *c > 0).count() as u64;
        Ratio::new(hit, self.lines.len() as u64)
    }
}

impl Patch {
    /// The changed lines of `path`, if the change touched it.
    pub fn changed_lines(&self, path: &str) -> Option<&BTreeSet<u32>> {
        self.changed.get(path)
    }

    /// Patch coverage of `file` (at `path`); `None` when the change did not
    /// touch it.
    pub fn file(&self, path: &str, file: &FileCoverage) -> Option<FilePatch> {
        let changed = self.changed.get(path)?;
        let lines: Vec<(u32, u64)> = changed
            .iter()
            .filter_map(|l| file.lines.get(l).map(|&c| (*l, c)))
            .collect();
        Some(FilePatch {
            uncovered: uncovered_ranges(file, changed),
            lines,
        })
    }

    /// Every file of `cov` the change touched, with its patch coverage.
    pub fn files<'a>(&'a self, cov: &'a Coverage) -> impl Iterator<Item = (&'a str, FilePatch)> {
        self.changed.keys().filter_map(|path| {
            let f = cov.files.get(path)?;
            Some((path.as_str(), self.file(path, f)?))
        })
    }

    /// The patch coverage of the whole report.
    pub fn total(&self, cov: &Coverage) -> Ratio {
        self.files(cov).fold(Ratio::new(0, 0), |acc, (_, fp)| {
            let r = fp.ratio();
            Ratio::new(acc.hit + r.hit, acc.found + r.found)
        })
    }
}

/// The changed lines of code that never ran, exactly: consecutive numbers
/// become a range (`20-22` only when 20, 21 and 22 all are such lines).
fn uncovered_ranges(file: &FileCoverage, changed: &BTreeSet<u32>) -> String {
    let mut ranges: Vec<(u32, u32)> = Vec::new();
    for &line in changed {
        if file.lines.get(&line) != Some(&0) {
            continue;
        }
        match ranges.last_mut() {
            Some((_, end)) if end.checked_add(1) == Some(line) => *end = line,
            _ => ranges.push((line, line)),
        }
    }
    let mut out = String::new();
    for (i, (a, b)) in ranges.iter().enumerate() {
        let sep = if i == 0 { "" } else { ", " };
        // Writing to a String cannot fail.
        let _ = if a == b {
            write!(out, "{sep}{a}")
        } else {
            write!(out, "{sep}{a}-{b}")
        };
    }
    out
}

/// The default diff root: the top of the git work tree holding
/// `source_root`, else `source_root` itself.
pub fn default_diff_root(source_root: &Path) -> PathBuf {
    let top = Command::new("git")
        .arg("-C")
        .arg(source_root)
        .args(["rev-parse", "--show-toplevel"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim_end_matches(['\n', '\r']).to_owned())
        .filter(|s| !s.is_empty());
    top.map_or_else(|| source_root.to_path_buf(), PathBuf::from)
}

/// Reads the diff `source` names, as text.
fn read_diff(source: &DiffSource, diff_root: &Path) -> Result<String, Error> {
    match source {
        DiffSource::File(input) => {
            let name = input.to_string();
            let mut r = input.open().map_err(|error| Error::Read {
                name: name.clone(),
                error,
            })?;
            let mut bytes = Vec::new();
            r.read_to_end(&mut bytes).map_err(|error| Error::Read {
                name: name.clone(),
                error,
            })?;
            String::from_utf8(bytes).map_err(|_| Error::Diff {
                name,
                message: "not UTF-8".to_owned(),
            })
        }
        DiffSource::GitBase(base) => git_diff(base, diff_root),
    }
}

/// `git diff BASE` in `root`, with the settings that change its output
/// (colour, external diff tools, prefixes, `diff.relative`) pinned.
fn git_diff(base: &str, root: &Path) -> Result<String, Error> {
    let args = [
        "diff",
        "--no-color",
        "--no-ext-diff",
        "--no-relative",
        "--src-prefix=a/",
        "--dst-prefix=b/",
        base,
        "--",
    ];
    let shown = format!("git -C {} {}", root.display(), args.join(" "));
    let out = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(args)
        .output()
        .map_err(|e| Error::Git {
            command: shown.clone(),
            message: e.to_string(),
        })?;
    if !out.status.success() {
        // git's own verdict is its `fatal:` line; hints follow it.
        let err = String::from_utf8_lossy(&out.stderr);
        let mut lines = err.lines().map(str::trim).filter(|l| !l.is_empty());
        let message = lines
            .clone()
            .find(|l| l.starts_with("fatal:") || l.starts_with("error:"))
            .or_else(|| lines.next_back())
            .map_or_else(|| format!("exited with {}", out.status), str::to_owned);
        return Err(Error::Git {
            command: shown,
            message,
        });
    }
    String::from_utf8(out.stdout).map_err(|_| Error::Git {
        command: shown,
        message: "its output is not UTF-8".to_owned(),
    })
}

/// The report path of a diff path: relative to the source root when the
/// file is under it, else absolute.
fn report_path(diff_path: &str, diff_root: &Path, source_root: &Path) -> String {
    let abs = diff_root.join(diff_path);
    let abs = normalize_path(&abs.to_string_lossy());
    let root = normalize_path(&source_root.to_string_lossy());
    match abs.strip_prefix(&root) {
        Some(rest) if root == "/" || rest.starts_with('/') => {
            rest.trim_start_matches('/').to_owned()
        }
        _ => abs,
    }
}

/// Reads the change and puts it in report paths. `source_root` and
/// `diff_root` are made absolute (and resolved, so a symlinked checkout
/// matches what git reports).
pub fn load_patch(
    source: &DiffSource,
    diff_root: &Path,
    source_root: &Path,
) -> Result<Patch, Error> {
    let text = read_diff(source, diff_root)?;
    let label = match source {
        DiffSource::File(input) => input.to_string(),
        DiffSource::GitBase(base) => format!("git diff {base}"),
    };
    let changed: ChangedLines = parse_unified_diff(&text).map_err(|e| Error::Diff {
        name: label.clone(),
        message: e.to_string(),
    })?;
    let resolve = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let (diff_root, source_root) = (resolve(diff_root), resolve(source_root));
    let mut out = Patch {
        label,
        changed: BTreeMap::new(),
    };
    for (path, lines) in changed {
        out.changed
            .entry(report_path(&path, &diff_root, &source_root))
            .or_default()
            .extend(lines);
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]
mod tests {
    use super::*;

    #[test]
    fn diff_paths_become_report_paths() {
        let top = Path::new("/repo");
        assert_eq!(
            report_path("crate/src/a.rs", top, Path::new("/repo/crate")),
            "src/a.rs"
        );
        assert_eq!(report_path("src/a.rs", top, top), "src/a.rs");
        assert_eq!(
            report_path("other/b.rs", top, Path::new("/repo/crate")),
            "/repo/other/b.rs"
        );
        assert_eq!(
            report_path("crates/x.rs", top, Path::new("/repo/crate")),
            "/repo/crates/x.rs"
        );
    }

    #[test]
    fn patch_coverage_counts_changed_code_only() {
        let mut f = FileCoverage::default();
        for (l, c) in [(1, 1), (2, 0), (3, 0), (5, 0), (6, 2), (7, 0), (9, 0)] {
            f.add_line(l, c);
        }
        let patch = Patch {
            label: "x".into(),
            // 4 and 8 are not code; 6 ran; 9 is uncovered but unchanged.
            changed: BTreeMap::from([("a.rs".to_owned(), BTreeSet::from([2, 3, 4, 5, 6, 7, 8]))]),
        };
        let fp = patch.file("a.rs", &f).unwrap();
        assert_eq!(fp.ratio(), Ratio::new(1, 5));
        assert_eq!(fp.uncovered, "2-3, 5, 7");
        assert_eq!(patch.file("b.rs", &f), None);
    }
}
