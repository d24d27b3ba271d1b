//! Mapping one module: the algorithm's outline, each step a call into the
//! module that owns it.

use std::path::Path;

use wasm_cov_format::{Coverage, ModuleLayout, OffsetBlock, OffsetRow};

use crate::branches::{self, map_branches, BranchFilter};
use crate::cfg::Target;
use crate::dwarf::{self, DebugInfo, FileFilter};
use crate::error::MapError;
use crate::fold::fold;
use crate::functions;
use crate::layout::{check_rows_in_bodies, to_blocks};
use crate::lines;
use crate::per_test::PerTestLines;
use crate::sources::Sources;

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

/// Maps one module's blocks (`rows` all belong to it) into `cov`.
pub fn map_module(
    bytes: &[u8],
    layout: &ModuleLayout,
    rows: &[OffsetRow],
    opts: &MapOptions<'_>,
    sources: &mut Sources,
    cov: &mut Coverage,
) -> Result<MapStats, MapError> {
    let blocks: Vec<OffsetBlock> = rows.iter().map(OffsetBlock::from).collect();
    map_module_with_debug(bytes, layout, None, &blocks, opts, sources, cov)
}

/// [`map_module`], with the DWARF read from `debug` (a debug file's bytes
/// and layout) when given. Its code section payload must be the module's
/// (the caller checked), so DWARF addresses still count from the module's
/// own code section offset.
pub fn map_module_with_debug(
    bytes: &[u8],
    layout: &ModuleLayout,
    debug: Option<(&[u8], &ModuleLayout)>,
    rows: &[OffsetBlock],
    opts: &MapOptions<'_>,
    sources: &mut Sources,
    cov: &mut Coverage,
) -> Result<MapStats, MapError> {
    map_module_per_test(bytes, layout, debug, rows, opts, sources, cov, None)
}

/// [`map_module_with_debug`], also adding the module's per-test lines to
/// `per_test` when given.
#[allow(clippy::too_many_arguments)]
pub fn map_module_per_test(
    bytes: &[u8],
    layout: &ModuleLayout,
    debug: Option<(&[u8], &ModuleLayout)>,
    rows: &[OffsetBlock],
    opts: &MapOptions<'_>,
    sources: &mut Sources,
    cov: &mut Coverage,
    per_test: Option<&mut PerTestLines>,
) -> Result<MapStats, MapError> {
    let blocks = to_blocks(layout, rows)?;
    let (dwarf_bytes, dwarf_layout) = debug.unwrap_or((bytes, layout));
    let mut info = read_dwarf(dwarf_bytes, dwarf_layout, layout, opts, sources)?;
    // A doctest program's rows onto its doc comment (docs/formats.md §5).
    crate::doctests::place_program_rows(dwarf_bytes, dwarf_layout, &mut info)?;
    check_rows_in_bodies(layout, &info.rows)?;
    let facts = sources.facts_of(&info.abs_paths);
    // Call rows first: the harness code's calls go with it.
    lines::add_call_rows(&mut info);
    let harness = functions::drop_harness_code(&mut info, &facts);

    let mut mapped = vec![false; blocks.len()];
    let row_counts = fold(&mut info.rows, &blocks, &mut mapped);
    let lines = lines::count(&info, row_counts, &blocks, &facts);
    if let Some(p) = per_test {
        p.add_module(
            &layout.sha256,
            layout.code_section_offset,
            &info,
            &blocks,
            &facts,
        )?;
    }
    // Branches decode every function body: done on a second thread while
    // this one counts functions (both only read what the fold left).
    let (branches, (functions, dead_functions)) = std::thread::scope(|scope| {
        let branches = scope.spawn(|| {
            map_branches(
                bytes,
                layout,
                &blocks,
                &info.rows,
                opts.branch_filter,
                &facts,
            )
        });
        let functions = functions::collect(&info, &blocks, &facts);
        let branches = branches
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p));
        (branches, functions)
    });
    let branches = branches?;
    let trees = sources.trees(&info.crate_roots);
    let filter = FileFilter {
        include_deps: opts.include_deps,
        source_root: opts.source_root,
    };
    let crates = functions::Crates {
        trees: &trees,
        harness: &harness,
        target: Target::of_imports(&layout.imported_functions),
        filter: &filter,
    };
    sources.no_code.gather(&info, &facts, &crates);

    branches::write(branches, &info.files, cov);
    lines.write(&info.files, cov);
    functions.write(&info.files, cov);
    Ok(MapStats {
        blocks: blocks.len(),
        unmapped_blocks: mapped.iter().filter(|m| !**m).count(),
        dead_functions,
    })
}

/// Reads the DWARF in `bytes` (the module's, or its debug file's), parsing
/// the sources it names (those not read yet) on a second thread meanwhile.
/// `module` is the running module's layout: its code is what the rows
/// must lie in.
fn read_dwarf(
    bytes: &[u8],
    layout: &ModuleLayout,
    module: &ModuleLayout,
    opts: &MapOptions<'_>,
    sources: &mut Sources,
) -> Result<DebugInfo, MapError> {
    let dwarf = dwarf::load(bytes, layout)?;
    let code_size = module.code_section_end - module.code_section_offset;
    let filter = FileFilter {
        include_deps: opts.include_deps,
        source_root: opts.source_root,
    };
    let wanted = if sources.enabled() {
        dwarf::kept_sources(&dwarf, &filter)?
    } else {
        Vec::new()
    };
    sources.parse_while(wanted, || dwarf::read(&dwarf, code_size, &filter))
}
