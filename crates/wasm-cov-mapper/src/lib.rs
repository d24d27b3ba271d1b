//! wasm-cov-mapper: the third stage of the wasm coverage pipeline.
//!
//! Folds each module's DWARF line table against the block counts of the
//! offsets CSV and writes per-source-line coverage as LCOV or the mapper
//! JSON. The line semantics are the contract's (`docs/formats.md`, "Line
//! semantics"): a row covers up to the next row's address and takes the
//! largest count among the blocks it overlaps; a line takes the largest
//! count among its rows.

mod dwarf;
mod fold;
mod paths;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::{Parser, ValueEnum};
use wasm_cov_format::{
    read_offsets, sha256_hex, write_lcov, AtomicOutput, Coverage, MappedCoverage, ModuleLayout,
    OffsetRow,
};

pub use fold::{block_at, check_blocks, fold, Block, RowRange};

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
}

/// Maps one module's blocks (`rows` all belong to it) into `cov`.
pub fn map_module(
    bytes: &[u8],
    layout: &ModuleLayout,
    rows: &[OffsetRow],
    opts: &MapOptions<'_>,
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
    let mut info = dwarf::read(&dwarf, code_size, &filter)?;

    let mut mapped = vec![false; blocks.len()];
    let counts = fold(&mut info.rows, &blocks, &mut mapped);

    // A line's count is the largest among its rows.
    let mut lines: HashMap<(u32, u32), u64> = HashMap::new();
    for (row, count) in info.rows.iter().zip(counts) {
        if row.file == dwarf::NO_FILE {
            continue;
        }
        let slot = lines.entry((row.file, row.line)).or_insert(0);
        *slot = (*slot).max(count);
    }
    for &(file, line) in &info.dead_lines {
        lines.entry((file, line)).or_insert(0);
    }

    // One function per (file, name): instantiations sum their entries.
    let mut functions: BTreeMap<(u32, &str), (u32, u64)> = BTreeMap::new();
    let mut dead_functions = 0;
    for sp in &info.subprograms {
        let count = match sp.low_pc {
            Some(pc) => block_at(&blocks, pc).map_or(0, |b| b.count),
            None => {
                dead_functions += 1;
                0
            }
        };
        let slot = functions.entry((sp.file, &sp.name)).or_insert((sp.line, 0));
        slot.0 = slot.0.min(sp.line);
        slot.1 = slot.1.saturating_add(count);
    }

    let mut by_file: BTreeMap<u32, Vec<(u32, u64)>> = BTreeMap::new();
    for ((file, line), count) in lines {
        by_file.entry(file).or_default().push((line, count));
    }
    for (file, lines) in by_file {
        let fc = cov.file_mut(&info.files[file as usize]);
        for (line, count) in lines {
            fc.add_line(line, count);
        }
    }
    for ((file, name), (line, count)) in functions {
        cov.file_mut(&info.files[file as usize])
            .add_function(name, line, count);
    }
    Ok(MapStats {
        blocks: blocks.len(),
        unmapped_blocks: mapped.iter().filter(|m| !**m).count(),
        dead_functions,
    })
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

    let mut by_module: BTreeMap<&str, Vec<OffsetRow>> = BTreeMap::new();
    for r in &rows {
        by_module
            .entry(r.module.as_str())
            .or_default()
            .push(r.clone());
    }

    // Which modules to map: every --wasm (even one with no blocks: all its
    // lines count 0), and for --modules every module the offsets name.
    let mut modules: Vec<Loaded> = Vec::new();
    for w in &cli.wasm {
        modules.push(load_module(w)?);
    }
    for &sha in by_module.keys() {
        if modules.iter().any(|m| m.layout.sha256 == sha) {
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
        if m.layout.sha256 != sha {
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
    let (mut blocks, mut unmapped) = (0, 0);
    for m in &modules {
        let rows = by_module
            .get(m.layout.sha256.as_str())
            .map_or(&[][..], Vec::as_slice);
        let stats = map_module(&m.bytes, &m.layout, rows, &opts, &mut cov)
            .with_context(|| m.path.display().to_string())?;
        blocks += stats.blocks;
        unmapped += stats.unmapped_blocks;
    }
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
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }
}
