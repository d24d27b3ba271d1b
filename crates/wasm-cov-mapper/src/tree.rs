//! Each crate's module tree, walked from its root file as rustc walks it:
//! `mod name;` items, `#[path]`, inline modules. A file that holds no code
//! (only generics no test instantiates, or trait default methods) is
//! named by no DWARF, yet it is part of the crate: the tree finds it, so
//! its functions are reported at 0 as LLVM reports them.
//!
//! The walk takes every branch, whatever its `#[cfg]`; each file keeps the
//! predicate it is under, decided per crate build (`cfg::Build`).
//!
//! Refs: The Rust Reference, "Modules" (module source filenames, the `path`
//! attribute).

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::cfg::Pred;
use crate::source::SourceFacts;

/// One file of a crate's module tree.
#[derive(Debug, Clone)]
pub(crate) struct TreeFile {
    pub abs: PathBuf,
    /// The `#[cfg]`s of the `mod` items on the way from the root, and-ed.
    pub cfg: Pred,
    /// Its module path below the crate root.
    pub modpath: Vec<String>,
    pub facts: Arc<SourceFacts>,
}

/// The deepest a tree is walked: far past any real crate, short of a
/// stack a hostile `#[path]` chain could exhaust.
const MAX_DEPTH: usize = 64;

/// The files of the crate whose root is `root`, the root first. `load`
/// gives a file's facts, `None` when it cannot be read or parsed (the
/// walk does not go below it). Each file is listed once.
pub(crate) fn walk(
    root: &Path,
    load: &mut impl FnMut(&Path) -> Option<Arc<SourceFacts>>,
) -> Vec<TreeFile> {
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    let mut stack = vec![(root.to_path_buf(), Pred::always(), Vec::new(), true, 0)];
    while let Some((abs, cfg, modpath, mod_rs, depth)) = stack.pop() {
        if depth > MAX_DEPTH || !seen.insert(abs.clone()) {
            continue;
        }
        let Some(facts) = load(&abs) else { continue };
        let dir = abs.parent().unwrap_or(Path::new("")).to_path_buf();
        // Where `mod x;` looks: beside a mod-rs file (a crate root, a
        // `mod.rs`, a file a `#[path]` named), else in the folder named
        // after the file.
        let base = if mod_rs {
            dir.clone()
        } else {
            dir.join(abs.file_stem().unwrap_or_default())
        };
        // Reversed, so the stack pops them in source order.
        for m in facts.mods.iter().rev() {
            let mut inner = base.clone();
            for (name, path) in &m.inline {
                inner.push(path.as_deref().unwrap_or(name));
            }
            let (file, owns_dir) = match &m.path {
                // Outside inline modules a `#[path]` is relative to the
                // file's own folder.
                Some(p) if m.inline.is_empty() => (dir.join(p), true),
                Some(p) => (inner.join(p), true),
                None => {
                    let flat = inner.join(format!("{}.rs", m.name));
                    if flat.is_file() {
                        (flat, false)
                    } else {
                        (inner.join(&m.name).join("mod.rs"), true)
                    }
                }
            };
            let mut path = modpath.clone();
            path.extend(m.inline.iter().map(|(n, _)| n.clone()));
            path.push(m.name.clone());
            let cfg = Pred::and([cfg.clone(), m.cfg.clone()]);
            stack.push((normalize(&file), cfg, path, owns_dir, depth + 1));
        }
        out.push(TreeFile {
            abs,
            cfg,
            modpath,
            facts,
        });
    }
    out
}

fn normalize(p: &Path) -> PathBuf {
    crate::paths::normalize(p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn tree(case: &str, files: &[(&str, &str)]) -> Vec<(String, Pred, String)> {
        let dir = std::env::temp_dir().join(format!("wasm-cov-tree-{case}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let mut parsed = HashMap::new();
        for (name, text) in files {
            let p = dir.join(name);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, text).unwrap();
            parsed.insert(p, Arc::new(SourceFacts::parse(text).unwrap()));
        }
        let got = walk(&dir.join(files[0].0), &mut |p| parsed.get(p).cloned());
        let _ = std::fs::remove_dir_all(&dir);
        got.into_iter()
            .map(|f| {
                (
                    f.abs.strip_prefix(&dir).unwrap().display().to_string(),
                    f.cfg,
                    f.modpath.join("::"),
                )
            })
            .collect()
    }

    #[test]
    fn follows_mod_items_paths_and_inline_modules() {
        let got = tree(
            "paths",
            &[
            (
                "src/lib.rs",
                "mod a;\n#[cfg(feature = \"x\")]\nmod b;\n#[path = \"other/c.rs\"]\nmod c;\nmod inl { mod d; }\nmod missing;\n",
            ),
            ("src/a.rs", "mod nested;\n"),
            ("src/a/nested.rs", "fn f() {}\n"),
            ("src/b/mod.rs", "mod e;\n"),
            ("src/b/e.rs", ""),
            ("src/other/c.rs", "mod g;\n"),
            ("src/other/g.rs", ""),
            ("src/inl/d.rs", ""),
        ],
        );
        let x = Pred::Name("feature=\"x\"".into());
        let names: Vec<(&str, &str)> = got
            .iter()
            .map(|(f, _, m)| (f.as_str(), m.as_str()))
            .collect();
        assert_eq!(
            names,
            [
                ("src/lib.rs", ""),
                ("src/a.rs", "a"),
                ("src/a/nested.rs", "a::nested"),
                ("src/b/mod.rs", "b"),
                ("src/b/e.rs", "b::e"),
                ("src/other/c.rs", "c"),
                ("src/other/g.rs", "c::g"),
                ("src/inl/d.rs", "inl::d"),
            ]
        );
        assert_eq!(got[3].1, x);
        assert_eq!(got[4].1, x);
        assert_eq!(got[1].1, Pred::always());
    }

    #[test]
    fn a_cycle_of_paths_ends() {
        let got = tree(
            "cycle",
            &[("src/lib.rs", "#[path = \"lib.rs\"]\nmod again;\n")],
        );
        assert_eq!(got.len(), 1);
    }
}
