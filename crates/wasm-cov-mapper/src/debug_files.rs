//! DWARF kept in a separate file: finding the debug file of a module that
//! has no `.debug_line` of its own, and proving it belongs to that module.
//!
//! A debug file belongs to a module when their code section payloads are
//! identical (compared by SHA-256; the size LEB in front is not compared,
//! since rewriters may encode it differently), or, for a debug file with no
//! code section, when both carry the same `build_id` section. DWARF
//! addresses are offsets into that payload, so the running module's own
//! code section offset still applies. The rules are in `docs/formats.md`,
//! "DWARF in a separate file".

use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use wasm_cov_format::{sha256_hex, ModuleLayout};

/// The custom section (Emscripten's split DWARF) naming the debug file:
/// a LEB128 length, then that many bytes of UTF-8 path or URL.
pub const EXTERNAL_DEBUG_INFO: &str = "external_debug_info";
/// The custom section holding a build's unique id (`wasm-ld --build-id`).
pub const BUILD_ID: &str = "build_id";

/// A debug file, read and parsed once however many modules ask for it.
pub struct DebugFile {
    pub path: PathBuf,
    pub bytes: Vec<u8>,
    pub layout: ModuleLayout,
    /// SHA-256 of the code section payload; `None` without a code section.
    code_sha: Option<String>,
}

impl DebugFile {
    pub fn read(path: &Path) -> Result<Self> {
        let bytes =
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        let layout = ModuleLayout::parse(&bytes).with_context(|| path.display().to_string())?;
        let code_sha = layout.code_payload(&bytes).map(sha256_hex);
        Ok(DebugFile {
            path: path.to_path_buf(),
            bytes,
            layout,
            code_sha,
        })
    }

    pub fn has_debug_line(&self) -> bool {
        has_debug_line(&self.bytes, &self.layout)
    }
}

pub fn has_debug_line(bytes: &[u8], layout: &ModuleLayout) -> bool {
    layout
        .custom_section(bytes, ".debug_line")
        .is_some_and(|s| !s.is_empty())
}

/// Why a debug file does not belong to a module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mismatch {
    /// Both have code, and it differs: another build, or a rewritten one.
    Code { module: String, debug: String },
    /// The debug file has no code, and no `build_id` ties the two.
    BuildId {
        module: Option<String>,
        debug: Option<String>,
    },
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Mismatch::Code { module, debug } => write!(
                f,
                "its code section differs (SHA-256 of the payload {debug}, the module's {module}): \
                 another build, or the module was rewritten after it"
            ),
            Mismatch::BuildId { module, debug } => {
                let show = |b: &Option<String>| b.clone().unwrap_or_else(|| "none".into());
                write!(
                    f,
                    "it has no code section and its build_id ({}) is not the module's ({})",
                    show(debug),
                    show(module)
                )
            }
        }
    }
}

/// The module's side of a match, computed once per module.
pub struct ModuleKey {
    code_sha: Option<String>,
    build_id: Option<String>,
}

impl ModuleKey {
    pub fn of(bytes: &[u8], layout: &ModuleLayout) -> Self {
        ModuleKey {
            code_sha: layout.code_payload(bytes).map(sha256_hex),
            build_id: build_id(bytes, layout),
        }
    }

    /// Whether `debug` belongs to this module. Code, when the debug file
    /// has any, must be identical: a `build_id` alone is not trusted then,
    /// because wasm-opt rewrites the code and keeps the section.
    pub fn check(&self, debug: &DebugFile) -> Result<(), Mismatch> {
        match (&self.code_sha, &debug.code_sha) {
            (Some(m), Some(d)) if m == d => Ok(()),
            (m, Some(d)) => Err(Mismatch::Code {
                module: m.clone().unwrap_or_else(|| "none".into()),
                debug: d.clone(),
            }),
            (_, None) => {
                let debug_id = build_id(&debug.bytes, &debug.layout);
                match (&self.build_id, &debug_id) {
                    (Some(m), Some(d)) if m == d => Ok(()),
                    _ => Err(Mismatch::BuildId {
                        module: self.build_id.clone(),
                        debug: debug_id,
                    }),
                }
            }
        }
    }
}

/// The `build_id` section's payload as hex, if the module has one.
fn build_id(bytes: &[u8], layout: &ModuleLayout) -> Option<String> {
    let id = layout.custom_section(bytes, BUILD_ID)?;
    Some(id.iter().map(|b| format!("{b:02x}")).collect())
}

/// The name in the module's `external_debug_info` section, if it has one.
pub fn external_debug_info(bytes: &[u8], layout: &ModuleLayout) -> Result<Option<String>> {
    let Some(data) = layout.custom_section(bytes, EXTERNAL_DEBUG_INFO) else {
        return Ok(None);
    };
    let (len, at) =
        read_leb_u32(data).with_context(|| format!("{EXTERNAL_DEBUG_INFO} section: bad length"))?;
    let Some(name) = data.get(at..at + len as usize) else {
        bail!("{EXTERNAL_DEBUG_INFO} section: its name runs past the section's end");
    };
    let name = std::str::from_utf8(name)
        .with_context(|| format!("{EXTERNAL_DEBUG_INFO} section: the name is not UTF-8"))?;
    Ok(Some(name.to_owned()))
}

fn read_leb_u32(data: &[u8]) -> Option<(u32, usize)> {
    let mut v: u64 = 0;
    for (i, b) in data.iter().enumerate().take(5) {
        v |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return u32::try_from(v).ok().map(|v| (v, i + 1));
        }
    }
    None
}

/// Where a name from `external_debug_info` may be: relative to the
/// module's folder, then in each `--debug-dir` as written and by its last
/// component alone (a URL's file name). Only files that exist.
pub fn external_candidates(name: &str, module_path: &Path, dirs: &[PathBuf]) -> Vec<PathBuf> {
    let is_url = name.contains("://");
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let mut out = Vec::new();
    if !is_url {
        let near = module_path.parent().unwrap_or(Path::new(".")).join(name);
        out.push(near);
    }
    for d in dirs {
        if !is_url {
            out.push(d.join(name));
        }
        out.push(d.join(base));
    }
    let mut seen = Vec::new();
    out.retain(|p| {
        let keep = !base.is_empty() && p.is_file() && !seen.contains(p);
        seen.push(p.clone());
        keep
    });
    out
}

/// What [`DebugSearch::find`] found for a module without `.debug_line`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// The debug file that belongs to it, by its index.
    Found(usize),
    /// None: each file looked at, and why it does not belong (empty when
    /// there was nothing to look at).
    Missing { refused: Vec<String> },
}

/// Why a candidate was looked at, when the module itself named it.
const NAMED: &str = "named by its external_debug_info";

/// The one-line error for a module without `.debug_line` whose candidate
/// debug files were all refused (`refused` is not empty).
pub fn no_debug_file(module: &impl fmt::Display, refused: &[String]) -> String {
    format!(
        "{module}: no .debug_line section, and no debug file belongs to it: {}",
        refused.join("; ")
    )
}

/// The debug files given on the command line, each read once, and the
/// search for the one a module needs.
pub struct DebugSearch {
    files: Vec<PathBuf>,
    dirs: Vec<PathBuf>,
    dir_files: Option<Vec<PathBuf>>,
    loaded: Vec<(PathBuf, DebugFile)>,
    used: Vec<PathBuf>,
}

impl DebugSearch {
    pub fn new(files: &[PathBuf], dirs: &[PathBuf]) -> Self {
        DebugSearch {
            files: files.to_vec(),
            dirs: dirs.to_vec(),
            dir_files: None,
            loaded: Vec::new(),
            used: Vec::new(),
        }
    }

    /// The debug file of the module read from `path`, which has no
    /// `.debug_line`: [`Lookup::Found`] with its index for
    /// [`DebugSearch::get`], or [`Lookup::Missing`] with each file looked at
    /// and why it does not belong (the caller decides whether that is an
    /// error: `without_dwarf`). An error when the module names its debug
    /// file (`external_debug_info`) and that file is nowhere, or is not
    /// its own: such a module has DWARF, only not here.
    pub fn find(&mut self, path: &Path, bytes: &[u8], layout: &ModuleLayout) -> Result<Lookup> {
        let shown = path.display();
        let external = external_debug_info(bytes, layout).with_context(|| shown.to_string())?;
        let mut candidates: Vec<(PathBuf, &str)> = Vec::new();
        if let Some(name) = &external {
            let found = external_candidates(name, path, &self.dirs);
            if found.is_empty() && self.files.is_empty() {
                bail!(
                    "{shown}: no .debug_line section, and the debug file its {EXTERNAL_DEBUG_INFO} \
                     section names, {name:?}, is neither beside it nor in a --debug-dir ({})",
                    list(&self.dirs)
                );
            }
            candidates.extend(found.into_iter().map(|p| (p, NAMED)));
        }
        candidates.extend(self.files.iter().map(|p| (p.clone(), "--debug-file")));
        if self.dir_files.is_none() {
            let mut all = Vec::new();
            for d in &self.dirs {
                all.extend(wasm_files_in(d)?);
            }
            self.dir_files = Some(all);
        }
        let in_dirs = self.dir_files.iter().flatten();
        candidates.extend(in_dirs.map(|p| (p.clone(), "in --debug-dir")));

        let own = std::fs::canonicalize(path).ok();
        let key = ModuleKey::of(bytes, layout);
        let mut refused = Vec::new();
        let mut seen = Vec::new();
        let mut named_refused = false;
        for (candidate, why) in candidates {
            let real = std::fs::canonicalize(&candidate).unwrap_or_else(|_| candidate.clone());
            if own.as_ref() == Some(&real) || seen.contains(&real) {
                continue;
            }
            seen.push(real.clone());
            let i = self.load(&real, &candidate)?;
            let debug = &self.loaded[i].1;
            if !debug.has_debug_line() {
                // A folder may hold other stripped modules; only a file
                // given for this module is worth a word.
                if why != "in --debug-dir" {
                    named_refused |= why == NAMED;
                    refused.push(format!(
                        "{} ({why}) has no .debug_line either",
                        candidate.display()
                    ));
                }
                continue;
            }
            match key.check(debug) {
                Ok(()) => {
                    self.used.push(real);
                    return Ok(Lookup::Found(i));
                }
                Err(m) => {
                    named_refused |= why == NAMED;
                    refused.push(format!("{} ({why}): {m}", candidate.display()));
                }
            }
        }
        if named_refused {
            bail!("{}", no_debug_file(&shown, &refused));
        }
        Ok(Lookup::Missing { refused })
    }

    pub fn get(&self, i: usize) -> &DebugFile {
        &self.loaded[i].1
    }

    /// The `--debug-file`s no module took, for a warning.
    pub fn unused_files(&self) -> Vec<&Path> {
        self.files
            .iter()
            .filter(|f| {
                let real = std::fs::canonicalize(f).unwrap_or_else(|_| f.to_path_buf());
                !self.used.contains(&real)
            })
            .map(PathBuf::as_path)
            .collect()
    }

    fn load(&mut self, real: &Path, shown: &Path) -> Result<usize> {
        if let Some(i) = self.loaded.iter().position(|(p, _)| p == real) {
            return Ok(i);
        }
        self.loaded
            .push((real.to_path_buf(), DebugFile::read(shown)?));
        Ok(self.loaded.len() - 1)
    }
}

fn list(paths: &[PathBuf]) -> String {
    if paths.is_empty() {
        return "none given".into();
    }
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The `*.wasm` files directly in `dir`, sorted, for matching by content.
pub fn wasm_files_in(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let entries = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read --debug-dir {}", dir.display()))?;
    for e in entries {
        let p = e
            .with_context(|| format!("cannot read --debug-dir {}", dir.display()))?
            .path();
        if p.extension().is_some_and(|x| x == "wasm") && p.is_file() {
            out.push(p);
        }
    }
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `(func nop)`, then the given custom sections.
    fn module(body: &[u8], customs: &[(&str, &[u8])]) -> Vec<u8> {
        let mut m = b"\0asm\x01\0\0\0".to_vec();
        m.extend([1, 4, 1, 0x60, 0, 0, 3, 2, 1, 0]);
        m.extend([10, body.len() as u8 + 2, 1, body.len() as u8]);
        m.extend(body);
        for (name, data) in customs {
            m.push(0);
            m.push((1 + name.len() + data.len()) as u8);
            m.push(name.len() as u8);
            m.extend(name.as_bytes());
            m.extend(*data);
        }
        m
    }

    fn debug_file(bytes: Vec<u8>) -> DebugFile {
        let layout = ModuleLayout::parse(&bytes).unwrap();
        let code_sha = layout.code_payload(&bytes).map(sha256_hex);
        DebugFile {
            path: "d.wasm".into(),
            bytes,
            layout,
            code_sha,
        }
    }

    fn key(bytes: &[u8]) -> ModuleKey {
        ModuleKey::of(bytes, &ModuleLayout::parse(bytes).unwrap())
    }

    #[test]
    fn same_code_matches_whatever_the_custom_sections() {
        let stripped = module(&[0, 1, 0x0b], &[]);
        let full = module(&[0, 1, 0x0b], &[(".debug_line", b"x")]);
        assert_eq!(key(&stripped).check(&debug_file(full)), Ok(()));
    }

    #[test]
    fn other_code_is_refused_even_with_the_same_build_id() {
        let a = module(&[0, 1, 0x0b], &[(BUILD_ID, b"\x01\x02")]);
        let b = module(&[0, 1, 1, 0x0b], &[(BUILD_ID, b"\x01\x02")]);
        let e = key(&a).check(&debug_file(b)).unwrap_err();
        assert!(matches!(e, Mismatch::Code { .. }), "{e}");
        assert!(e.to_string().contains("code section differs"), "{e}");
    }

    #[test]
    fn a_file_without_code_matches_by_build_id() {
        let running = module(&[0, 1, 0x0b], &[(BUILD_ID, b"\x01\x02")]);
        let split = |id: &[u8]| {
            let mut m = b"\0asm\x01\0\0\0".to_vec();
            m.extend([0, 9 + id.len() as u8, 8]);
            m.extend(BUILD_ID.as_bytes());
            m.extend(id);
            m.extend([0, 13, 11]);
            m.extend(b".debug_line");
            m.push(7);
            m
        };
        assert_eq!(key(&running).check(&debug_file(split(b"\x01\x02"))), Ok(()));
        let e = key(&running)
            .check(&debug_file(split(b"\x01\x03")))
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "it has no code section and its build_id (0103) is not the module's (0102)"
        );
        let no_id = module(&[0, 1, 0x0b], &[]);
        assert!(key(&no_id).check(&debug_file(split(b"\x01"))).is_err());
    }

    #[test]
    fn reads_the_external_debug_info_name() {
        let m = module(&[0, 1, 0x0b], &[(EXTERNAL_DEBUG_INFO, b"\x0ademo.debug")]);
        let l = ModuleLayout::parse(&m).unwrap();
        assert_eq!(
            external_debug_info(&m, &l).unwrap().as_deref(),
            Some("demo.debug")
        );
        let bad = module(&[0, 1, 0x0b], &[(EXTERNAL_DEBUG_INFO, b"\x20demo")]);
        let l = ModuleLayout::parse(&bad).unwrap();
        assert!(external_debug_info(&bad, &l).is_err());
        let none = module(&[0, 1, 0x0b], &[]);
        let l = ModuleLayout::parse(&none).unwrap();
        assert_eq!(external_debug_info(&none, &l).unwrap(), None);
    }
}
