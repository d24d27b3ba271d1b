//! wasm-cov-mapper: the third stage of the wasm coverage pipeline.
//!
//! Folds each module's DWARF line table against the block counts of the
//! offsets CSV and writes per-source-line coverage as LCOV or the mapper
//! JSON. The line semantics are the contract's (`docs/formats.md`, "Line
//! semantics"): a row covers up to the next row's address and takes the
//! largest count among the blocks it overlaps; a line takes the largest
//! count among its rows.

mod branches;
mod dwarf;
mod fold;
mod names;
mod paths;
mod source;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use anyhow::{bail, Context, Result};
use clap::{Parser, ValueEnum};
use wasm_cov_format::{
    read_offsets, sha256_hex, write_lcov, AtomicOutput, Coverage, MappedCoverage, ModuleLayout,
    OffsetRow,
};

pub use fold::{block_at, check_blocks, fold, Block, RowRange};
pub use names::normalize as normalize_name;
pub use source::{FnItem, SourceFacts};

/// An error in the module, its DWARF, or the blocks given for it.
#[derive(Debug, thiserror::Error)]
pub enum MapError {
    #[error("{0}")]
    Module(#[from] wasm_cov_format::FormatError),
    #[error("no .debug_line section: build with -C debuginfo=2 (DWARF line tables are how offsets become lines)")]
    NoDebugLine,
    #[error("DWARF: {0}")]
    Dwarf(String),
    #[error("{0}")]
    Blocks(String),
}

impl MapError {
    fn in_unit(self, offset: usize) -> Self {
        match self {
            MapError::Dwarf(m) => MapError::Dwarf(format!(
                "{m} (in the unit at .debug_info offset {offset:#x})"
            )),
            other => other,
        }
    }
}

impl From<gimli::Error> for MapError {
    fn from(e: gimli::Error) -> Self {
        MapError::Dwarf(e.to_string())
    }
}

/// Which branches the report keeps (docs/fidelity.md, "Branches").
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BranchFilter {
    /// Every decision except those with an outcome that goes straight to a
    /// panic: overflow and bounds checks, `unwrap`, `expect`, `assert!`.
    Panics,
    /// Every `br_if`, `if` and `br_table` in the crate's code.
    None,
    /// No branches at all.
    Off,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Lcov,
    Json,
}

/// Map wasm block counts to Rust source lines through DWARF.
#[derive(Debug, Parser)]
#[command(
    name = "wasm-cov-mapper",
    version,
    group = clap::ArgGroup::new("module").required(true).args(["wasm", "modules"]),
    after_help = "\
Examples:
  v8cov-extract cov/v8-coverage.json | wasm-cov-mapper --modules cov/modules > lcov.info
  wasm-cov-mapper --wasm demo.wasm offsets.csv --format json -o demo.json --source-root .

By default the standard library (/rustc/...) and dependencies (.cargo/registry,
.cargo/git) are left out; --include-deps keeps them.

Exit status: 0 ok, 2 usage or input error."
)]
pub struct Cli {
    /// A module the offsets refer to (repeatable). Its SHA-256 must match.
    #[arg(long, value_name = "FILE")]
    pub wasm: Vec<PathBuf>,

    /// A folder of modules named <sha256>.wasm, as wasm-run writes them
    /// (repeatable; searched in order).
    #[arg(long, value_name = "DIR")]
    pub modules: Vec<PathBuf>,

    /// The offsets CSV from v8cov-extract; `-` or none reads standard input.
    #[arg(value_name = "OFFSETS")]
    pub offsets: Option<PathBuf>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Lcov)]
    pub format: Format,

    /// Output file; default standard output. Written atomically.
    #[arg(short, long, value_name = "OUT")]
    pub output: Option<PathBuf>,

    /// Write paths under DIR relative to it (others stay absolute).
    #[arg(long, value_name = "DIR")]
    pub source_root: Option<PathBuf>,

    /// Keep the standard library's and dependencies' sources.
    #[arg(long)]
    pub include_deps: bool,

    /// Do not read the Rust sources the DWARF names. Then functions that
    /// have no code (generics no test instantiates) are not reported, and
    /// rows on lines without code (derives, the test harness's `main`) are
    /// kept: the report is the DWARF's alone.
    #[arg(long)]
    pub no_sources: bool,

    /// Which branches to report: `panics` leaves out decisions with an
    /// outcome that only panics (compiler checks, unwrap, assert); `none`
    /// filters nothing; `off` reports no branches.
    #[arg(long, value_enum, default_value_t = BranchFilter::Panics)]
    pub branch_filter: BranchFilter,
}

/// What mapping one module found, for the note on stderr.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct MapStats {
    pub blocks: usize,
    pub unmapped_blocks: usize,
    pub dead_functions: usize,
}

pub struct MapOptions<'a> {
    pub include_deps: bool,
    pub source_root: Option<&'a Path>,
    pub branch_filter: BranchFilter,
}

/// The Rust sources read so far, each parsed once however many modules
/// name it. A file that cannot be read or parsed is remembered as `None`
/// and its lines are reported as the DWARF has them.
///
/// It also gathers, over all modules, what decides which function items
/// have no code anywhere: [`Sources::finish`] adds those to the report.
#[derive(Debug, Default)]
pub struct Sources {
    disabled: bool,
    parsed: HashMap<PathBuf, Option<Rc<SourceFacts>>>,
    /// `(source, decl line)` of every function some module has DWARF for.
    declared: HashSet<(PathBuf, u32)>,
    /// Undecidable cfg predicates under which some item has code.
    cfgs_seen: HashSet<String>,
    /// Items without DWARF in some module: (report path, decl line) to
    /// (source, name, lines, cfgs).
    candidates: BTreeMap<(String, u32), Candidate>,
}

#[derive(Debug)]
struct Candidate {
    source: PathBuf,
    name: String,
    lines: Vec<u32>,
    cfgs: Vec<String>,
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
        for ((path, line), c) in std::mem::take(&mut self.candidates) {
            if self.declared.contains(&(c.source.clone(), line))
                || !c.cfgs.iter().all(|p| self.cfgs_seen.contains(p))
            {
                continue;
            }
            let file = cov.file_mut(&path);
            for l in c.lines {
                file.lines.entry(l).or_insert(0);
            }
            file.add_function(&c.name, line, 0);
        }
    }

    /// Gives `path` the facts of `text` instead of reading it (for tests).
    pub fn insert(&mut self, path: PathBuf, text: &str) {
        self.parsed
            .insert(path, SourceFacts::parse(text).map(Rc::new));
    }

    fn get(&mut self, path: &Path) -> Option<Rc<SourceFacts>> {
        if self.disabled {
            return None;
        }
        self.parsed
            .entry(path.to_path_buf())
            .or_insert_with(|| load_facts(path).map(Rc::new))
            .clone()
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

/// Maps one module's blocks (`rows` all belong to it) into `cov`.
pub fn map_module(
    bytes: &[u8],
    layout: &ModuleLayout,
    rows: &[OffsetRow],
    opts: &MapOptions<'_>,
    sources: &mut Sources,
    cov: &mut Coverage,
) -> Result<MapStats, MapError> {
    let blocks = to_blocks(layout, rows)?;
    if layout
        .custom_section(bytes, ".debug_line")
        .is_none_or(<[u8]>::is_empty)
    {
        return Err(MapError::NoDebugLine);
    }
    let dwarf = dwarf::load_dwarf(bytes, layout)?;
    let code_size = layout.code_section_end - layout.code_section_offset;
    let filter = dwarf::FileFilter {
        include_deps: opts.include_deps,
        source_root: opts.source_root,
    };
    // Parse the sources on a second thread while this one reads the DWARF:
    // on a large crate, syn takes about as long as gimli.
    let wanted = if sources.disabled {
        Vec::new()
    } else {
        let mut paths = dwarf::kept_sources(&dwarf, &filter)?;
        paths.retain(|p| !sources.parsed.contains_key(p));
        paths
    };
    let (info, parsed) = std::thread::scope(|scope| {
        let parser = scope.spawn(|| {
            wanted
                .iter()
                .map(|p| (p.clone(), load_facts(p)))
                .collect::<Vec<_>>()
        });
        let info = dwarf::read(&dwarf, code_size, &filter);
        (info, parser.join())
    });
    let mut info = info?;
    // A panic in the parser is a bug; the report is still right without
    // the source rules, so say so and go on.
    match parsed {
        Ok(parsed) => {
            for (path, facts) in parsed {
                sources.parsed.insert(path, facts.map(Rc::new));
            }
        }
        Err(_) => {
            eprintln!("wasm-cov-mapper: warning: parsing the sources failed; using the DWARF alone")
        }
    }
    check_rows_in_bodies(layout, &info.rows)?;
    let facts: Vec<Option<Rc<SourceFacts>>> =
        info.abs_paths.iter().map(|p| sources.get(p)).collect();
    // A row on a line that holds no code of the user's is no line of the
    // report (docs/fidelity.md, "Phantom lines").
    let user_line = |file: u32, line: u32| -> bool {
        match facts.get(file as usize) {
            Some(Some(f)) => f.is_user_line(line),
            _ => true,
        }
    };

    // An inlined copy's rows carry the callee's lines; its call line gets a
    // row at the copy's entry, so the call counts as often as it ran.
    for inl in &info.inlined {
        if inl.call_file == dwarf::NO_FILE || inl.call_line == 0 {
            continue;
        }
        match inl.entry {
            Some(pc) => info.rows.push(RowRange {
                start: pc,
                end: pc,
                file: inl.call_file,
                line: inl.call_line,
                col: 0,
            }),
            None => info.dead_lines.push((inl.call_file, inl.call_line)),
        }
    }

    let mut mapped = vec![false; blocks.len()];
    let counts = fold(&mut info.rows, &blocks, &mut mapped);

    // A line's count is the largest among its rows; its columns are kept
    // for the lines only partly run.
    let mut lines: HashMap<(u32, u32), u64> = HashMap::new();
    let mut columns: HashMap<(u32, u32), Vec<(u32, u64)>> = HashMap::new();
    for (row, count) in info.rows.iter().zip(counts) {
        if row.file == dwarf::NO_FILE || !user_line(row.file, row.line) {
            continue;
        }
        let slot = lines.entry((row.file, row.line)).or_insert(0);
        *slot = (*slot).max(count);
        if row.col != 0 {
            columns
                .entry((row.file, row.line))
                .or_default()
                .push((row.col, count));
        }
    }
    for &(file, line) in &info.dead_lines {
        if user_line(file, line) {
            lines.entry((file, line)).or_insert(0);
        }
    }

    // One function per (file, declaration line): instantiations, inlined
    // copies and the expansions of one macro sum their entries, under the
    // name they share (names::common).
    let mut functions: BTreeMap<(u32, u32), (Vec<&str>, u64)> = BTreeMap::new();
    let mut dead_functions = 0;
    for sp in &info.subprograms {
        if let Some(Some(f)) = facts.get(sp.file as usize) {
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
        let count = match sp.low_pc {
            Some(pc) => block_at(&blocks, pc).map_or(0, |b| b.count),
            None => {
                dead_functions += 1;
                0
            }
        };
        let slot = functions.entry((sp.file, sp.line)).or_default();
        slot.0.push(&sp.name);
        slot.1 = slot.1.saturating_add(count);
    }
    for inl in &info.inlined {
        let Some((name, file, line)) = &inl.origin else {
            continue;
        };
        let count = inl
            .entry
            .and_then(|pc| block_at(&blocks, pc))
            .map_or(0, |b| b.count);
        let slot = functions.entry((*file, *line)).or_default();
        slot.0.push(name);
        slot.1 = slot.1.saturating_add(count);
        // The copy has no prologue or epilogue rows: its signature and
        // closing brace count as often as it was entered.
        if let Some(Some(f)) = facts.get(*file as usize) {
            if let Some(item) = f.fn_declared_at(*line) {
                for l in [item.first, item.last] {
                    let slot = lines.entry((*file, l)).or_insert(0);
                    *slot = (*slot).max(count);
                }
            }
        }
    }

    // Function items with no code in this module: candidates for
    // `Sources::finish`, which knows whether any module has code for them.
    let declared: HashSet<(u32, u32)> = info.declared.iter().copied().collect();
    for (file, f) in facts.iter().enumerate() {
        let Some(f) = f else { continue };
        let file = file as u32;
        let abs = &info.abs_paths[file as usize];
        let mut prefix = None;
        for item in f.fns.iter().filter(|i| i.active) {
            if declared.contains(&(file, item.decl_line)) {
                sources.declared.insert((abs.clone(), item.decl_line));
                sources.cfgs_seen.extend(item.cfgs.iter().cloned());
                continue;
            }
            let key = (info.files[file as usize].clone(), item.decl_line);
            if sources.candidates.contains_key(&key) {
                continue;
            }
            let prefix = prefix
                .get_or_insert_with(|| module_prefix(&info.subprograms, file, abs))
                .clone();
            sources.candidates.insert(
                key,
                Candidate {
                    source: abs.clone(),
                    name: qualify(&prefix, &item.name),
                    lines: f.code_lines_in(item.first, item.last).collect(),
                    cfgs: item.cfgs.clone(),
                },
            );
        }
    }

    let branches = if opts.branch_filter == BranchFilter::Off {
        BTreeMap::new()
    } else {
        map_branches(
            bytes,
            layout,
            &blocks,
            &info.rows,
            opts.branch_filter,
            &user_line,
        )?
    };
    for ((file, line, block, branch), count) in branches {
        cov.file_mut(&info.files[file as usize])
            .add_branch((line, block, branch), count);
    }

    let mut by_file: BTreeMap<u32, Vec<(u32, u64)>> = BTreeMap::new();
    for ((file, line), count) in lines {
        by_file.entry(file).or_default().push((line, count));
    }
    for (file, lines) in by_file {
        let fc = cov.file_mut(&info.files[file as usize]);
        for (line, count) in lines {
            fc.add_line(line, count);
            if let Some(cols) = columns.get_mut(&(file, line)) {
                for (col, seg) in segments(line, cols) {
                    fc.add_segment((line, col), seg);
                }
            }
        }
    }
    // Names are keys of the report: two lines whose shared names come out
    // the same (two macros expanding `write` for different types) keep a
    // real name each instead, the smallest of their own.
    let mut taken: HashSet<(u32, String)> = HashSet::new();
    for ((file, line), (names, count)) in functions {
        let mut name = names::common(&names);
        if !taken.insert((file, name.clone())) {
            name = names.iter().min().map_or(name, |n| (*n).to_owned());
            taken.insert((file, name.clone()));
        }
        cov.file_mut(&info.files[file as usize])
            .add_function(&name, line, count);
    }
    Ok(MapStats {
        blocks: blocks.len(),
        unmapped_blocks: mapped.iter().filter(|m| !**m).count(),
        dead_functions,
    })
}

/// `(file, line, block, branch)` to the times that outcome was taken
/// (`None`: the decision's block never ran).
type BranchMap = BTreeMap<(u32, u32, u32, u32), Option<u64>>;

/// Branch outcomes of every function body that holds a row of a reported
/// file. `rows` are sorted by start (as `fold` leaves them). A decision is
/// placed on the line of the row covering its instruction; decisions on the
/// same line of one body are numbered in address order, so instantiations
/// of one generic function add up outcome by outcome.
fn map_branches(
    bytes: &[u8],
    layout: &ModuleLayout,
    blocks: &[Block],
    rows: &[RowRange],
    filter: BranchFilter,
    user_line: &dyn Fn(u32, u32) -> bool,
) -> Result<BranchMap, MapError> {
    let spans: Vec<&RowRange> = rows.iter().filter(|r| r.end > r.start).collect();
    let panic_fns: HashSet<u32> = layout
        .names
        .iter()
        .filter(|(_, n)| branches::is_panic_name(n))
        .map(|(&i, _)| i)
        .collect();
    let is_panic = |f: u32| panic_fns.contains(&f);
    let cso = layout.code_section_offset;
    let mut out = BranchMap::new();
    let mut j = 0;
    for body in &layout.bodies {
        let (start, end) = (body.start - cso, body.end - cso);
        while j < spans.len() && spans[j].end <= start {
            j += 1;
        }
        let reported = spans[j..]
            .iter()
            .take_while(|r| r.start < end)
            .any(|r| r.file != dwarf::NO_FILE && r.line != 0);
        if !reported {
            continue;
        }
        let code = bytes
            .get(body.start as usize..body.end as usize)
            .ok_or_else(|| {
                MapError::Blocks(format!("function {} lies outside the module", body.index))
            })?;
        let mut numbering: HashMap<(u32, u32), u32> = HashMap::new();
        for site in branches::analyze(code, start, blocks, &is_panic)? {
            let k = spans.partition_point(|r| r.start <= site.addr);
            let Some(row) = k.checked_sub(1).map(|k| spans[k]) else {
                continue;
            };
            if site.addr >= row.end || row.file == dwarf::NO_FILE || row.line == 0 {
                continue;
            }
            if !user_line(row.file, row.line) || (filter == BranchFilter::Panics && site.panics) {
                continue;
            }
            let n = numbering.entry((row.file, row.line)).or_insert(0);
            let block = *n;
            *n += 1;
            for b in 0..site.outcomes {
                let taken = site.counts.as_ref().and_then(|c| c.get(b).copied());
                let slot = out
                    .entry((row.file, row.line, block, b as u32))
                    .or_insert(None);
                *slot = match (*slot, taken) {
                    (None, t) | (t, None) => t,
                    (Some(a), Some(t)) => Some(a.saturating_add(t)),
                };
            }
        }
    }
    Ok(out)
}

/// The module path of a source file, for naming functions that have no
/// DWARF: the crate (the first segment most of the file's DWARF functions
/// share) and the modules its path below `src/` names.
fn module_prefix(subprograms: &[dwarf::Subprogram], file: u32, path: &Path) -> String {
    let mut crates: BTreeMap<&str, usize> = BTreeMap::new();
    for sp in subprograms.iter().filter(|s| s.file == file) {
        let head = sp.name.trim_start_matches('<');
        if let Some((first, _)) = head.split_once("::") {
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

/// The column segments of one line from its rows' `(column, count)`: empty
/// unless some part ran and some did not. Each distinct column starts a
/// segment with the largest count of its rows (instantiations and inlined
/// copies agree on columns, so the maximum is the line rule applied per
/// column), running to the next column or the end of the line; neighbours
/// that both ran, or both did not, are joined (keeping the larger count).
pub fn segments(line: u32, cols: &mut [(u32, u64)]) -> Vec<(u32, wasm_cov_format::Segment)> {
    cols.sort_unstable();
    let mut parts: Vec<(u32, u64)> = Vec::new();
    for &(col, count) in cols.iter() {
        match parts.last_mut() {
            Some(last) if last.0 == col => last.1 = last.1.max(count),
            _ => parts.push((col, count)),
        }
    }
    // Execution enters a line at its start: code at the first column that
    // never ran while a later part did (an `if`'s join, say) is not a part
    // of the line a person could have left unrun.
    if parts.len() > 1 && parts[0].1 == 0 {
        if let Some(ran) = parts[1..].iter().find(|p| p.1 > 0) {
            parts[0].1 = ran.1;
        }
    }
    if !(parts.iter().any(|c| c.1 == 0) && parts.iter().any(|c| c.1 > 0)) {
        return Vec::new();
    }
    parts.dedup_by(|b, a| {
        (a.1 == 0) == (b.1 == 0) && {
            a.1 = a.1.max(b.1);
            true
        }
    });
    let mut out = Vec::with_capacity(parts.len());
    for (i, &(col, count)) in parts.iter().enumerate() {
        let end_col = parts.get(i + 1).map_or(0, |n| n.0);
        out.push((
            col,
            wasm_cov_format::Segment {
                end_line: line,
                end_col,
                count,
            },
        ));
    }
    out
}

/// Refuses DWARF that does not describe this code: every live line-table
/// row must start inside a function body. A tool that rewrites a module
/// and its DWARF (wasm-bindgen through walrus; releases before 0.27.2 are
/// known to get it wrong) can leave rows pointing between or past the
/// bodies; mapping them would report the wrong lines with confidence.
pub fn check_rows_in_bodies(layout: &ModuleLayout, rows: &[RowRange]) -> Result<(), MapError> {
    let mut outside = 0usize;
    let mut first = None;
    for r in rows {
        // A hostile row can sit at the top of the address space.
        let off = r.start.saturating_add(layout.code_section_offset);
        if layout.body_at(off).is_none() {
            outside += 1;
            first.get_or_insert(off);
        }
    }
    // A stray row or two is noise a linker can leave; more is a mismatch.
    if outside > 0 && (outside >= 16 || outside * 1000 > rows.len()) {
        return Err(MapError::Dwarf(format!(
            "the line table does not agree with the code: {outside} of {} rows lie outside every \
             function body (first at module offset {:#x}); the module was probably rewritten by a \
             tool that did not update its DWARF (e.g. walrus before 0.27.2, used by wasm-bindgen), \
             so it cannot be mapped reliably",
            rows.len(),
            first.unwrap_or(0)
        )));
    }
    Ok(())
}

/// Checks the module's blocks against its layout and converts them to
/// DWARF addresses, sorted and disjoint.
fn to_blocks(layout: &ModuleLayout, rows: &[OffsetRow]) -> Result<Vec<Block>, MapError> {
    let mut blocks = Vec::with_capacity(rows.len());
    for r in rows {
        let Some(body) = layout.body_of(r.function) else {
            return Err(MapError::Blocks(format!(
                "block {}..{}: function {} is not a function defined in module {}",
                r.start, r.end, r.function, layout.sha256
            )));
        };
        if r.start < body.start || r.end > body.end {
            return Err(MapError::Blocks(format!(
                "block {}..{} lies outside the body of function {} ({}..{}) in module {}",
                r.start, r.end, r.function, body.start, body.end, layout.sha256
            )));
        }
        blocks.push(Block {
            start: r.start - layout.code_section_offset,
            end: r.end - layout.code_section_offset,
            count: r.count,
        });
    }
    blocks.sort_unstable_by_key(|b| (b.start, b.end));
    if let Err(i) = check_blocks(&blocks) {
        let b = blocks[i];
        return Err(MapError::Blocks(format!(
            "block at module offset {} overlaps the block before it",
            b.start + layout.code_section_offset
        )));
    }
    Ok(blocks)
}

/// A module given on the command line, loaded and checked.
struct Loaded {
    path: PathBuf,
    bytes: Vec<u8>,
    layout: ModuleLayout,
}

fn load_module(path: &Path) -> Result<Loaded> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let layout = ModuleLayout::parse(&bytes).with_context(|| path.display().to_string())?;
    Ok(Loaded {
        path: path.to_path_buf(),
        bytes,
        layout,
    })
}

pub fn run(cli: &Cli) -> Result<u8> {
    let input = cli.offsets.clone().unwrap_or_else(|| PathBuf::from("-"));
    let input_name = if input.as_os_str() == "-" {
        "<stdin>".to_owned()
    } else {
        input.display().to_string()
    };
    let reader =
        wasm_cov_format::open_input(&input).with_context(|| format!("cannot read {input_name}"))?;
    let rows = read_offsets(reader).with_context(|| input_name.clone())?;

    // Rows arrive sorted by module, so grouping moves them, never copies.
    let mut by_module: BTreeMap<String, Vec<OffsetRow>> = BTreeMap::new();
    for r in rows {
        match by_module.get_mut(r.module.as_str()) {
            Some(v) => v.push(r),
            None => {
                by_module.insert(r.module.clone(), vec![r]);
            }
        }
    }

    // Which modules to map: every --wasm (even one with no blocks: all its
    // lines count 0), and for --modules every module the offsets name.
    let mut modules: Vec<Loaded> = Vec::new();
    for w in &cli.wasm {
        modules.push(load_module(w)?);
    }
    for sha in by_module.keys() {
        if modules.iter().any(|m| &m.layout.sha256 == sha) {
            continue;
        }
        if cli.modules.is_empty() {
            bail!(
                "{input_name}: module {sha} matches none of the --wasm files given (their SHA-256: {})",
                modules.iter().map(|m| m.layout.sha256.as_str()).collect::<Vec<_>>().join(", ")
            );
        }
        let file = format!("{sha}.wasm");
        let Some(path) = cli
            .modules
            .iter()
            .map(|d| d.join(&file))
            .find(|p| p.is_file())
        else {
            bail!(
                "{input_name}: module {sha} is in none of the --modules folders ({}); no {file} there",
                cli.modules.iter().map(|d| d.display().to_string()).collect::<Vec<_>>().join(", ")
            );
        };
        let m = load_module(&path)?;
        if &m.layout.sha256 != sha {
            bail!(
                "{}: its SHA-256 is {}, not the {sha} its name says",
                path.display(),
                m.layout.sha256
            );
        }
        modules.push(m);
    }

    let opts = MapOptions {
        include_deps: cli.include_deps,
        source_root: cli.source_root.as_deref(),
        branch_filter: cli.branch_filter,
    };
    let root_abs;
    let opts = match opts.source_root {
        Some(r) => {
            root_abs = std::path::absolute(r)
                .with_context(|| format!("cannot resolve {}", r.display()))?;
            MapOptions {
                source_root: Some(root_abs.as_path()),
                ..opts
            }
        }
        None => opts,
    };
    let mut cov = Coverage::default();
    let mut sources = if cli.no_sources {
        Sources::disabled()
    } else {
        Sources::default()
    };
    let (mut blocks, mut unmapped) = (0, 0);
    for m in &modules {
        let rows = by_module
            .get(m.layout.sha256.as_str())
            .map_or(&[][..], Vec::as_slice);
        let stats = map_module(&m.bytes, &m.layout, rows, &opts, &mut sources, &mut cov)
            .with_context(|| m.path.display().to_string())?;
        blocks += stats.blocks;
        unmapped += stats.unmapped_blocks;
    }
    sources.finish(&mut cov);
    merge_across_crates(&mut cov);
    if unmapped > 0 {
        // Usually compiler builtins and other code linked in without line
        // tables: said once, so it is known, not repeated per module.
        eprintln!(
            "wasm-cov-mapper: note: {unmapped} of {blocks} blocks ({:.1}%) in {} module(s) map to no line-table row \
             (code without debug info, such as compiler builtins) and are not counted",
            unmapped as f64 * 100.0 / blocks as f64,
            modules.len()
        );
    }

    let mut out = AtomicOutput::create(cli.output.as_deref())
        .with_context(|| format!("cannot write {}", show(&cli.output)))?;
    match cli.format {
        Format::Lcov => write_lcov(&cov, &mut out)?,
        Format::Json => {
            serde_json::to_writer(&mut out, &MappedCoverage::from_coverage(&cov))?;
            std::io::Write::write_all(&mut out, b"\n")?;
        }
    }
    out.commit()
        .with_context(|| format!("cannot write {}", show(&cli.output)))?;
    Ok(0)
}

fn show(p: &Option<PathBuf>) -> String {
    p.as_ref()
        .map_or_else(|| "<stdout>".to_owned(), |p| p.display().to_string())
}

/// SHA-256 of a module's bytes, as the offsets name it.
pub fn module_hash(bytes: &[u8]) -> String {
    sha256_hex(bytes)
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
    fn segments_mark_the_unrun_part_of_a_line() {
        // `if x < 0 { -1 } else { 1 }`: columns 5 (if), 8 (x < 0), 16 (-1),
        // 28 (1); called with a positive x only.
        let mut cols = vec![(8, 1), (28, 1), (5, 0), (16, 0), (8, 1)];
        let segs = segments(54, &mut cols);
        let got: Vec<_> = segs.iter().map(|(c, s)| (*c, s.end_col, s.count)).collect();
        assert_eq!(got, [(5, 16, 1), (16, 28, 0), (28, 0, 1)]);
        // Rows of one column that disagree (a bounds check's panic path
        // beside the access) make no segments: the column ran.
        assert!(segments(19, &mut [(20, 1), (20, 0), (20, 1)]).is_empty());
        // A line that ran whole, or not at all, has none.
        assert!(segments(1, &mut [(3, 2), (9, 5)]).is_empty());
        assert!(segments(1, &mut [(3, 0), (9, 0)]).is_empty());
    }

    #[test]
    fn dwarf_rows_outside_the_bodies_are_refused() {
        // (import "e" "f" (func)) (func nop) (func nop): bodies at module
        // offsets 32..35 and 36..39, code payload at 30, so DWARF addresses
        // 2..5 and 6..9.
        let mut m = b"\0asm\x01\0\0\0".to_vec();
        m.extend([1, 4, 1, 0x60, 0, 0]);
        m.extend([2, 7, 1, 1, b'e', 1, b'f', 0, 0]);
        m.extend([3, 3, 2, 0, 0]);
        m.extend([10, 9, 2, 3, 0, 0x01, 0x0b, 3, 0, 0x01, 0x0b]);
        let layout = ModuleLayout::parse(&m).unwrap();
        let row = |start| RowRange {
            start,
            end: start + 1,
            file: 0,
            line: 1,
            col: 0,
        };
        let good: Vec<_> = (0..2000).map(|i| row(2 + i % 3)).collect();
        assert!(check_rows_in_bodies(&layout, &good).is_ok());
        let mut one_stray = good.clone();
        one_stray[0] = row(5); // the second body's size byte
        assert!(check_rows_in_bodies(&layout, &one_stray).is_ok());
        // Found by the mapper fuzzer: a row near u64::MAX overflowed the
        // offset (fuzz/regressions/mapper/row-near-u64-max-overflow).
        let mut top = good.clone();
        top[0] = row(u64::MAX - 2);
        assert!(check_rows_in_bodies(&layout, &top).is_ok());
        let shifted: Vec<_> = (0..100).map(|i| row(5 + i % 10)).collect();
        let e = check_rows_in_bodies(&layout, &shifted)
            .unwrap_err()
            .to_string();
        assert!(e.contains("does not agree with the code"), "{e}");
    }
    use clap::CommandFactory;

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

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }
}
