//! The Rust sources the DWARF names, each read and parsed once however
//! many modules name it (what is learnt from one file is `source.rs`'s
//! [`SourceFacts`]).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use wasm_cov_format::Coverage;

use crate::functions::NoCode;
use crate::source::SourceFacts;
use crate::tree::{self, TreeFile};

/// The Rust sources read so far, each parsed once however many modules
/// name it. A file that cannot be read or parsed is remembered as `None`
/// and its lines are reported as the DWARF has them.
///
/// It also gathers, over all modules, what decides which function items
/// have no code anywhere: [`Sources::finish`] adds those to the report.
#[derive(Debug, Default)]
pub struct Sources {
    disabled: bool,
    parsed: HashMap<PathBuf, Option<Arc<SourceFacts>>>,
    /// Each crate's module tree, by root, walked once.
    trees: HashMap<PathBuf, Arc<Vec<TreeFile>>>,
    pub(crate) no_code: NoCode,
}

impl Sources {
    /// A cache that never reads a file: the DWARF-only report.
    pub fn disabled() -> Self {
        Sources {
            disabled: true,
            ..Sources::default()
        }
    }

    /// Adds the function items no module has code for (generics never
    /// instantiated, methods of blanket impls) as functions entered 0 times
    /// whose code lines count 0. Call once, after every module is mapped.
    pub fn finish(&mut self, cov: &mut Coverage) {
        self.no_code.finish(cov);
    }

    /// Gives `path` the facts of `text` instead of reading it (for tests).
    pub fn insert(&mut self, path: PathBuf, text: &str) {
        self.parsed
            .insert(path, SourceFacts::parse(text).map(Arc::new));
    }

    /// Whether files are read at all.
    pub(crate) fn enabled(&self) -> bool {
        !self.disabled
    }

    /// Parses the files of `paths` not read yet on a second thread while
    /// `work` runs on this one: on a large crate, syn takes about as long
    /// as gimli. When `work` is done first, this thread takes files from
    /// the same list, largest first, so neither waits long for the other.
    /// What was parsed is kept only when `work` succeeds.
    pub(crate) fn parse_while<T, E>(
        &mut self,
        mut paths: Vec<PathBuf>,
        work: impl FnOnce() -> Result<T, E>,
    ) -> Result<T, E> {
        paths.retain(|p| !self.parsed.contains_key(p));
        // Largest first: the last file taken is then a small one.
        let mut sized: Vec<(u64, PathBuf)> = paths
            .into_iter()
            .map(|p| (std::fs::metadata(&p).map_or(0, |m| m.len()), p))
            .collect();
        sized.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        let next = AtomicUsize::new(0);
        let take = || {
            let mut done = Vec::new();
            while let Some((_, p)) = sized.get(next.fetch_add(1, Ordering::Relaxed)) {
                done.push((p.clone(), load_facts(p)));
            }
            done
        };
        let (out, parsed) = std::thread::scope(|scope| {
            let parser = scope.spawn(take);
            let out = work();
            let mine = match &out {
                Ok(_) => std::panic::catch_unwind(std::panic::AssertUnwindSafe(take)),
                Err(_) => Ok(Vec::new()),
            };
            let theirs = parser.join();
            let parsed = match (theirs, mine) {
                (Ok(mut a), Ok(b)) => {
                    a.extend(b);
                    Ok(a)
                }
                _ => Err(()),
            };
            (out, parsed)
        });
        let out = out?;
        // A panic in the parser is a bug; the report is still right without
        // the source rules, so say so and go on.
        match parsed {
            Ok(parsed) => {
                for (path, facts) in parsed {
                    self.parsed.insert(path, facts.map(Arc::new));
                }
            }
            Err(_) => wasm_cov_cli::warn!("parsing the sources failed; using the DWARF alone"),
        }
        Ok(out)
    }

    /// The facts of each of one module's files (`abs_paths` as the DWARF
    /// reader gives them), reading those not read yet.
    pub(crate) fn facts_of(&mut self, abs_paths: &[PathBuf]) -> FileFacts {
        FileFacts(abs_paths.iter().map(|p| self.get(p)).collect())
    }

    /// The module tree of each crate root, walking those not walked yet
    /// (none when sources are not read).
    pub(crate) fn trees(&mut self, roots: &[PathBuf]) -> Vec<(PathBuf, Arc<Vec<TreeFile>>)> {
        if self.disabled {
            return Vec::new();
        }
        roots
            .iter()
            .map(|root| {
                let tree = match self.trees.get(root) {
                    Some(t) => t.clone(),
                    None => {
                        let t = Arc::new(tree::walk(root, &mut |p| self.get(p)));
                        self.trees.insert(root.clone(), t.clone());
                        t
                    }
                };
                (root.clone(), tree)
            })
            .collect()
    }

    fn get(&mut self, path: &Path) -> Option<Arc<SourceFacts>> {
        if self.disabled {
            return None;
        }
        self.parsed
            .entry(path.to_path_buf())
            .or_insert_with(|| load_facts(path).map(Arc::new))
            .clone()
    }
}

/// The facts of one module's files, indexed like `DebugInfo::files`;
/// `None` for a file not analysed.
pub(crate) struct FileFacts(Vec<Option<Arc<SourceFacts>>>);

impl FileFacts {
    pub(crate) fn get(&self, file: u32) -> Option<&SourceFacts> {
        self.0.get(file as usize)?.as_deref()
    }

    /// Whether a row on `line` of `file` is a line of the report: not when
    /// the source shows no code of the user's there (docs/fidelity.md,
    /// "Phantom lines"). A file not analysed keeps every line.
    pub(crate) fn is_user_line(&self, file: u32, line: u32) -> bool {
        self.get(file).is_none_or(|f| f.is_user_line(line))
    }

    /// The analysed files with their ids.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (u32, &SourceFacts)> {
        self.0
            .iter()
            .enumerate()
            .filter_map(|(i, f)| Some((i as u32, f.as_deref()?)))
    }
}

/// The largest source file read; a bigger one (or anything that is not a
/// regular file, such as a device a hostile path names) is taken from the
/// DWARF alone.
const MAX_SOURCE_BYTES: u64 = 64 << 20;

/// Reads and parses one source file, if it is a readable regular file of
/// reasonable size that parses as Rust.
fn load_facts(path: &Path) -> Option<SourceFacts> {
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_file() || meta.len() > MAX_SOURCE_BYTES {
        return None;
    }
    let text = std::fs::read_to_string(path).ok()?;
    SourceFacts::parse(&text)
}
