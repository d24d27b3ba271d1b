//! Function records: one per (file, declaration line), entered as often as
//! the block at its first address ran. Instantiations of a generic,
//! inlined copies and the expansions of one macro share a record; so do
//! the copies of one source file compiled into several test binaries
//! ([`merge_across_crates`]). Function items with no code in any module
//! (generics no test instantiates) are found from the sources ([`NoCode`])
//! and reported as never entered.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use wasm_cov_format::Coverage;

use crate::cfg::{Build, Pred, Target, Truth};
use crate::dwarf::{DebugInfo, FileFilter, Subprogram};
use crate::fold::{entered, Block};
use crate::source::{FnItem, SourceFacts};
use crate::sources::FileFacts;
use crate::tree::TreeFile;
use crate::{names, paths};

/// The functions of one module, by (file, declaration line): the names
/// found there and the sum of their entry counts.
pub(crate) struct Functions<'i> {
    by_decl: BTreeMap<(u32, u32), (Vec<&'i str>, u64)>,
}

/// Drops the harness code around the user's functions, with its rows
/// (docs/formats.md §5, "Harness code"):
/// - the `main` that `rustc --test` generates for a test crate: a
///   subprogram named `main` (or `<crate>::main`) declared on a line where
///   the source declares no function. On wasm32-wasip1 libtest runs it,
///   but it is not the user's code; wasm-bindgen-test binaries never run
///   it, and an integration-test file whose first line is code (`mod
///   common;`) would otherwise report a `main` on line 1 with count 0;
/// - wasm-bindgen's glue ([`names::is_bindgen_glue`]) declared on such a
///   line: the attribute line of `#[wasm_bindgen]` or
///   `#[wasm_bindgen_test]`, which would otherwise be a line, and a
///   function named `_`, of its own.
///
/// Their rows go only where no other function is declared on the same
/// line, so a wrapper a test attribute generates there keeps its line.
///
/// Returns the files the generated `main`s are in: the roots of the
/// crates this module is the test harness of, the builds with `cfg(test)`.
pub(crate) fn drop_harness_code(info: &mut DebugInfo, facts: &FileFacts) -> HashSet<PathBuf> {
    let no_fn_there = |sp: &Subprogram| {
        facts
            .get(sp.file)
            .is_some_and(|f| f.fn_declared_at(sp.line).is_none())
    };
    let is_main = |sp: &Subprogram| sp.name == "main" || sp.name.ends_with("::main");
    let is_harness =
        |sp: &Subprogram| (is_main(sp) || names::is_bindgen_glue(&sp.name)) && no_fn_there(sp);
    // A doctest's `main` is a program's, and its file the documented one.
    let harness_roots: HashSet<PathBuf> = info
        .subprograms
        .iter()
        .filter(|sp| is_main(sp) && no_fn_there(sp) && !names::is_doctest(&sp.name))
        .map(|sp| info.abs_paths[sp.file as usize].clone())
        .collect();
    let mut gone: HashSet<(u32, u32)> = info
        .subprograms
        .iter()
        .filter(|sp| is_harness(sp))
        .map(|sp| (sp.file, sp.line))
        .collect();
    if gone.is_empty() {
        return harness_roots;
    }
    info.subprograms.retain(|sp| !is_harness(sp));
    // Lines another function is declared on keep their rows.
    for sp in &info.subprograms {
        gone.remove(&(sp.file, sp.line));
    }
    // Left out like rows of files out of the report: they still claim their
    // blocks, so those do not count as unmapped. A set, not a list: a crate
    // with hundreds of exports has three glue functions each, and every row
    // is looked up.
    for r in &mut info.rows {
        if gone.contains(&(r.file, r.line)) {
            r.file = u32::MAX;
        }
    }
    // The lines of such code that the linker or wasm-bindgen dropped
    // (wasm-bindgen runs its descriptors, then removes them).
    info.dead_lines.retain(|at| !gone.contains(at));
    harness_roots
}

/// One function per (file, declaration line): instantiations, inlined
/// copies and the expansions of one macro sum their entries, under the
/// name they share (names::common). Also returns how many subprograms had
/// their code dropped by the linker.
pub(crate) fn collect<'i>(
    info: &'i DebugInfo,
    blocks: &[Block],
    facts: &FileFacts,
) -> (Functions<'i>, usize) {
    let mut by_decl: BTreeMap<(u32, u32), (Vec<&'i str>, u64)> = BTreeMap::new();
    let mut dead_functions = 0;
    let mut add = |key: (u32, u32), name: &'i str, count: u64| {
        let slot = by_decl.entry(key).or_default();
        slot.0.push(name);
        slot.1 = slot.1.saturating_add(count);
    };
    for sp in &info.subprograms {
        if let Some(f) = facts.get(sp.file) {
            // The harness's `main` (on a comment line) and derived impls.
            if !f.is_user_line(sp.line) {
                continue;
            }
            // The closure libtest wraps each #[test] function in.
            if sp.name.ends_with("::{{closure}}")
                && f.fn_declared_at(sp.line).is_some_and(|f| f.is_test)
            {
                continue;
            }
        }
        // wasm-bindgen's shims on the user's own line (methods): the
        // user's function is the one to report there.
        if names::is_bindgen_glue(&sp.name) {
            continue;
        }
        if sp.low_pc.is_none() {
            dead_functions += 1;
        }
        add((sp.file, sp.line), &sp.name, entered(blocks, sp.low_pc));
    }
    for inl in &info.inlined {
        if let Some((name, file, line)) = &inl.origin {
            if names::is_bindgen_glue(name) {
                continue;
            }
            add((*file, *line), name, entered(blocks, inl.entry));
        }
    }
    (Functions { by_decl }, dead_functions)
}

impl Functions<'_> {
    /// Adds the functions to `cov`. Names are keys of the report: two
    /// lines whose shared names come out the same (two macros expanding
    /// `write` for different types) keep a real name each instead, the
    /// smallest of their own.
    pub(crate) fn write(self, files: &[String], cov: &mut Coverage) {
        let mut taken: HashSet<(u32, String)> = HashSet::new();
        for ((file, line), (names, count)) in self.by_decl {
            let mut name = names::common(&names);
            if !taken.insert((file, name.clone())) {
                name = names.iter().min().map_or(name, |n| (*n).to_owned());
                taken.insert((file, name.clone()));
            }
            cov.file_mut(&files[file as usize])
                .add_function(&name, line, count);
        }
    }
}

/// What decides, over all modules, which function items have no code
/// anywhere: an item is one when no module's DWARF declares it and some
/// crate build compiled it in (docs/formats.md §5, "Compiled-out code").
#[derive(Debug, Default)]
pub(crate) struct NoCode {
    /// `(source, decl line)` of every function some module has DWARF for.
    declared: HashSet<(PathBuf, u32)>,
    /// Items without DWARF in a module whose build had them: (report path,
    /// decl line) to (source, name, lines).
    candidates: BTreeMap<(String, u32), Candidate>,
    /// `(source, decl line)` of every function some module has code for: a
    /// subprogram with an address, or an inlined copy.
    with_code: HashSet<(PathBuf, u32)>,
    /// Items some module declares only without code (the linker dropped
    /// them: wasm-ld does so on wasm32-unknown-unknown even with
    /// `-C link-dead-code`, and leaves no line rows behind): (report path,
    /// decl line) to (source, code lines). Their function is reported from
    /// its DWARF; these are its lines.
    dropped: BTreeMap<(String, u32), (PathBuf, Vec<u32>)>,
}

#[derive(Debug)]
struct Candidate {
    source: PathBuf,
    name: String,
    lines: Vec<u32>,
}

/// What one module shows of the crate builds in it.
pub(crate) struct Crates<'a> {
    /// The module tree of each crate with a compile unit in the module,
    /// by root.
    pub trees: &'a [(PathBuf, Arc<Vec<TreeFile>>)],
    /// The roots of the crates built with `cfg(test)`
    /// ([`drop_harness_code`]).
    pub harness: &'a HashSet<PathBuf>,
    pub target: Target,
    pub filter: &'a FileFilter<'a>,
}

impl NoCode {
    /// Notes the function items of one module's crates: those its DWARF
    /// declares, and as candidates those it does not but whose crate's
    /// build had them.
    pub(crate) fn gather(&mut self, info: &DebugInfo, facts: &FileFacts, crates: &Crates<'_>) {
        let declared: HashSet<(u32, u32)> = info.declared.iter().copied().collect();
        let live: HashSet<(u32, u32)> = info
            .subprograms
            .iter()
            .filter(|sp| sp.low_pc.is_some())
            .map(|sp| (sp.file, sp.line))
            .chain(
                info.inlined
                    .iter()
                    .filter(|i| i.entry.is_some())
                    .filter_map(|i| i.origin.as_ref().map(|(_, file, line)| (*file, *line))),
            )
            .collect();
        for (file, f) in facts.iter() {
            let abs = &info.abs_paths[file as usize];
            for item in f.fns.iter() {
                if !declared.contains(&(file, item.decl_line)) {
                    continue;
                }
                self.declared.insert((abs.clone(), item.decl_line));
                if live.contains(&(file, item.decl_line)) {
                    self.with_code.insert((abs.clone(), item.decl_line));
                } else {
                    let key = (info.files[file as usize].clone(), item.decl_line);
                    self.dropped.entry(key).or_insert_with(|| {
                        (
                            abs.clone(),
                            f.code_lines_in(item.first, item.last).collect(),
                        )
                    });
                }
            }
        }

        let ids: HashMap<&Path, u32> = info
            .abs_paths
            .iter()
            .enumerate()
            .map(|(i, p)| (p.as_path(), i as u32))
            .collect();
        let with_rows: HashSet<u32> = info.rows.iter().map(|r| r.file).collect();
        let is_declared =
            |id: Option<u32>, line: u32| id.is_some_and(|id| declared.contains(&(id, line)));
        // cfg(test) is on in the crates this module is the harness of, and
        // off everywhere else; an item under it with DWARF proves it on.
        let test_of = |root: &Path| Some(crates.harness.contains(root));
        let mut in_tree: HashSet<&Path> = HashSet::new();
        for (root, files) in crates.trees {
            let mut build = Build::new(crates.target, test_of(root));
            for tf in files.iter() {
                in_tree.insert(&tf.abs);
                let Some(&id) = ids.get(tf.abs.as_path()) else {
                    continue;
                };
                if with_rows.contains(&id) {
                    build.learn(&tf.cfg);
                }
                for item in tf
                    .facts
                    .fns
                    .iter()
                    .filter(|i| is_declared(Some(id), i.decl_line))
                {
                    build.learn(&Pred::and([tf.cfg.clone(), item.cfg.clone()]));
                }
            }
            let krate = crate_name(root, files, &ids, info);
            for tf in files.iter() {
                let id = ids.get(tf.abs.as_path()).copied();
                let shown = match id {
                    Some(id) => info.files[id as usize].clone(),
                    None => {
                        let text = tf.abs.to_string_lossy();
                        if !crates.filter.include_deps && paths::is_dependency(&text) {
                            continue;
                        }
                        paths::display(&tf.abs, crates.filter.source_root)
                    }
                };
                let prefix: Vec<&str> = krate
                    .iter()
                    .map(String::as_str)
                    .chain(tf.modpath.iter().map(String::as_str))
                    .collect();
                let prefix = prefix.join("::");
                for item in &tf.facts.fns {
                    let cfg = Pred::and([tf.cfg.clone(), item.cfg.clone()]);
                    if is_declared(id, item.decl_line) || build.eval(&cfg) != Truth::True {
                        continue;
                    }
                    self.candidate(&shown, &tf.abs, &tf.facts, item, &prefix);
                }
            }
        }
        // A file in no crate's tree (`include!`d, generated, or a crate
        // whose code all went into another's unit): only what its own items
        // prove.
        for (file, f) in facts.iter() {
            let abs = &info.abs_paths[file as usize];
            if in_tree.contains(abs.as_path()) {
                continue;
            }
            let test = if crates.harness.is_empty() {
                Some(false)
            } else {
                None
            };
            let mut build = Build::new(crates.target, test);
            for item in f
                .fns
                .iter()
                .filter(|i| is_declared(Some(file), i.decl_line))
            {
                build.learn(&item.cfg);
            }
            let mut prefix = None;
            for item in &f.fns {
                if is_declared(Some(file), item.decl_line) || build.eval(&item.cfg) != Truth::True {
                    continue;
                }
                let prefix = prefix
                    .get_or_insert_with(|| module_prefix(&info.subprograms, file, abs))
                    .clone();
                self.candidate(&info.files[file as usize], abs, f, item, &prefix);
            }
        }
    }

    fn candidate(&mut self, shown: &str, abs: &Path, f: &SourceFacts, item: &FnItem, prefix: &str) {
        self.candidates
            .entry((shown.to_owned(), item.decl_line))
            .or_insert_with(|| Candidate {
                source: abs.to_path_buf(),
                name: qualify(prefix, &item.name),
                lines: f.code_lines_in(item.first, item.last).collect(),
            });
    }

    /// Adds the candidates no module has code for as functions entered 0
    /// times whose code lines count 0, and the lines of the dropped items
    /// no module has code for, as 0.
    pub(crate) fn finish(&mut self, cov: &mut Coverage) {
        for ((path, line), (source, lines)) in std::mem::take(&mut self.dropped) {
            if self.with_code.contains(&(source, line)) {
                continue;
            }
            let file = cov.file_mut(&path);
            for l in lines {
                file.lines.entry(l).or_insert(0);
            }
        }
        for ((path, line), c) in std::mem::take(&mut self.candidates) {
            if self.declared.contains(&(c.source.clone(), line)) {
                continue;
            }
            let file = cov.file_mut(&path);
            for l in c.lines {
                file.lines.entry(l).or_insert(0);
            }
            // Two items the source spells alike (`cloned` in `impl
            // Either<&L, &R>` and in `impl Either<&mut L, &mut R>`) are two
            // functions: the second is told apart by its line.
            let name = match file.functions.get(&c.name) {
                Some(f) if f.line != line => format!("{} (line {line})", c.name),
                _ => c.name,
            };
            file.add_function(&name, line, 0);
        }
    }
}

/// The name of the crate whose tree is `files`: the first path segment
/// most of the functions declared in those files share, else what the
/// root's path says (`tests/parse.rs` is `parse`, `my-lib/src/lib.rs` is
/// `my_lib`).
fn crate_name(
    root: &Path,
    files: &[TreeFile],
    ids: &HashMap<&Path, u32>,
    info: &DebugInfo,
) -> Option<String> {
    let tree: HashSet<u32> = files
        .iter()
        .filter_map(|f| ids.get(f.abs.as_path()).copied())
        .collect();
    let mut crates: BTreeMap<&str, usize> = BTreeMap::new();
    for sp in info.subprograms.iter().filter(|s| tree.contains(&s.file)) {
        let head = sp.name.trim_start_matches('<');
        if let Some((first, _)) = head
            .split_once("::")
            .filter(|(c, _)| *c != names::DOCTEST_CRATE)
        {
            *crates.entry(first).or_insert(0) += 1;
        }
    }
    if let Some((name, _)) = crates.into_iter().max_by_key(|&(_, n)| n) {
        return Some(name.to_owned());
    }
    let stem = root.file_stem()?.to_string_lossy();
    let parent = root.parent()?;
    let named = if matches!(&*stem, "lib" | "main" | "mod") {
        let dir = parent.file_name()?.to_string_lossy();
        if dir == "src" {
            parent.parent()?.file_name()?.to_string_lossy().into_owned()
        } else {
            dir.into_owned()
        }
    } else {
        stem.into_owned()
    };
    Some(named.replace('-', "_"))
}

/// The module path of a source file, for naming functions that have no
/// DWARF: the crate (the first segment most of the file's DWARF functions
/// share) and the modules its path below `src/` names.
fn module_prefix(subprograms: &[Subprogram], file: u32, path: &Path) -> String {
    let mut crates: BTreeMap<&str, usize> = BTreeMap::new();
    for sp in subprograms.iter().filter(|s| s.file == file) {
        let head = sp.name.trim_start_matches('<');
        if let Some((first, _)) = head
            .split_once("::")
            .filter(|(c, _)| *c != names::DOCTEST_CRATE)
        {
            *crates.entry(first).or_insert(0) += 1;
        }
    }
    let mut parts: Vec<String> = crates
        .into_iter()
        .max_by_key(|&(_, n)| n)
        .map(|(c, _)| c.to_owned())
        .into_iter()
        .collect();
    let text = path.to_string_lossy();
    if let Some((_, below)) = text.rsplit_once("/src/") {
        let below = below.strip_suffix(".rs").unwrap_or(below);
        let mut mods: Vec<&str> = below.split('/').collect();
        if matches!(mods.last(), Some(&("lib" | "main" | "mod"))) {
            mods.pop();
        }
        if !(mods.len() == 1 && text.contains("/src/bin/")) {
            parts.extend(mods.into_iter().map(str::to_owned));
        }
    }
    parts.join("::")
}

/// `name` as the source spells it, inside the module `prefix`.
fn qualify(prefix: &str, name: &str) -> String {
    match (prefix.is_empty(), name.strip_prefix('<')) {
        (true, _) => name.to_owned(),
        (false, Some(rest)) if !rest.starts_with("impl ") => format!("<{prefix}::{rest}"),
        (false, _) => format!("{prefix}::{name}"),
    }
}

/// One source file compiled into several test binaries (a `tests/util`
/// module each integration test includes with `mod util;`) gives each of
/// its functions once per binary, named after that binary's crate:
/// `test_version::util::f` and `test_parse::util::f`, same file, same line.
/// They are one source function: merge them, summing their counts, under
/// the smallest of the names, so a helper one binary does not call is not
/// reported as an uncovered function beside the same helper covered.
pub fn merge_across_crates(cov: &mut Coverage) {
    for file in cov.files.values_mut() {
        let mut by_key: BTreeMap<(u32, String), Vec<String>> = BTreeMap::new();
        for (name, f) in &file.functions {
            if let Some(rest) = names::without_crate(name) {
                by_key
                    .entry((f.line, rest.to_owned()))
                    .or_default()
                    .push(name.clone());
            }
        }
        for ((line, _), mut group) in by_key {
            if group.len() < 2 {
                continue;
            }
            group.sort();
            let keep = group[0].clone();
            let mut count = 0u64;
            for name in &group {
                if let Some(f) = file.functions.remove(name) {
                    count = count.saturating_add(f.count);
                }
            }
            file.functions
                .insert(keep, wasm_cov_format::FnCoverage { line, count });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_file_in_several_test_binaries_is_one_set_of_functions() {
        let mut cov = Coverage::default();
        let f = cov.file_mut("tests/util/mod.rs");
        f.add_function("test_version::util::req", 10, 3);
        f.add_function("test_parse::util::req", 10, 0);
        f.add_function("test_parse::util::other", 20, 0);
        f.add_function("<test_parse::X as core::fmt::Debug>::fmt", 30, 1);
        merge_across_crates(&mut cov);
        let got: Vec<_> = cov.files["tests/util/mod.rs"]
            .functions
            .iter()
            .map(|(n, f)| (n.as_str(), f.line, f.count))
            .collect();
        assert_eq!(
            got,
            [
                ("<test_parse::X as core::fmt::Debug>::fmt", 30, 1),
                ("test_parse::util::other", 20, 0),
                ("test_parse::util::req", 10, 3),
            ]
        );
    }

    #[test]
    fn items_spelt_alike_on_two_lines_are_two_functions() {
        let mut no_code = NoCode::default();
        for line in [10, 20] {
            no_code.candidates.insert(
                ("src/lib.rs".to_owned(), line),
                Candidate {
                    source: PathBuf::from("/c/src/lib.rs"),
                    name: "c::Either::cloned".to_owned(),
                    lines: vec![line, line + 1],
                },
            );
        }
        let mut cov = Coverage::default();
        no_code.finish(&mut cov);
        let got: Vec<_> = cov.files["src/lib.rs"]
            .functions
            .iter()
            .map(|(n, f)| (n.as_str(), f.line))
            .collect();
        assert_eq!(
            got,
            [
                ("c::Either::cloned", 10),
                ("c::Either::cloned (line 20)", 20)
            ]
        );
    }

    #[test]
    fn names_of_functions_without_code() {
        assert_eq!(qualify("demo", "f"), "demo::f");
        assert_eq!(qualify("demo::m", "<P as T>::f"), "<demo::m::P as T>::f");
        assert_eq!(
            qualify(
                "semver::impls",
                "<impl FromIterator for VersionReq>::from_iter"
            ),
            "semver::impls::<impl FromIterator for VersionReq>::from_iter"
        );
        assert_eq!(qualify("", "f"), "f");
    }
}
