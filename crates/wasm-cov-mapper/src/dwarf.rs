//! Reading what the mapper needs from DWARF: line-table rows as address
//! ranges, and subprograms with their names and declaration lines.
//!
//! Refs: DWARF 5 §6.2 (line number information), §3.3 (subprograms);
//! "DWARF for WebAssembly" (addresses are code section payload offsets).

use std::collections::HashMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

use gimli::{AttributeValue, EndianSlice, LittleEndian};
use wasm_cov_format::ModuleLayout;

use crate::error::MapError;
use crate::fold::RowRange;
use crate::{names, paths};

type R<'a> = EndianSlice<'a, LittleEndian>;

/// `RowRange::file` for rows that claim blocks but yield no report line.
pub const NO_FILE: u32 = u32::MAX;

/// A subprogram with code, or with a tombstoned address (dropped by the
/// linker), which then counts as never entered.
#[derive(Debug, Clone)]
pub struct Subprogram {
    pub name: String,
    pub file: u32,
    pub line: u32,
    /// DWARF address of its first byte; `None` when the code is gone.
    pub low_pc: Option<u64>,
}

/// A copy of a function inlined into another (`DW_TAG_inlined_subroutine`).
#[derive(Debug, Clone)]
pub struct Inlined {
    /// Where the call is: its rows carry the callee's lines, so without
    /// this the call line itself would have no row.
    pub call_file: u32,
    pub call_line: u32,
    /// DWARF address where the copy starts; `None` when the code is gone.
    pub entry: Option<u64>,
    /// The inlined function, when it is in a file the report keeps.
    pub origin: Option<(String, u32, u32)>,
}

/// Everything read from one module's DWARF.
#[derive(Debug, Default)]
pub struct DebugInfo {
    /// Report paths, indexed by `RowRange::file` / `Subprogram::file`.
    pub files: Vec<String>,
    /// Rows of live code, to be folded against the blocks.
    pub rows: Vec<RowRange>,
    /// Lines of code the linker dropped (tombstoned sequences): instrumentable
    /// and never run.
    pub dead_lines: Vec<(u32, u32)>,
    pub subprograms: Vec<Subprogram>,
    pub inlined: Vec<Inlined>,
    /// `(file, decl_line)` of every subprogram DIE, with code or not
    /// (abstract instances, declarations): a function item found in the
    /// source at none of these has no code at all.
    pub declared: Vec<(u32, u32)>,
    /// The absolute path of each report file, indexed like `files`.
    pub abs_paths: Vec<PathBuf>,
    /// The root file of each crate with a compile unit here (rustc names a
    /// unit `<root>/@/<codegen unit>`), those the report keeps, absolute,
    /// each once.
    pub crate_roots: Vec<PathBuf>,
}

/// Which files make it into the report and how they are spelled.
pub struct FileFilter<'a> {
    pub include_deps: bool,
    pub source_root: Option<&'a Path>,
}

/// The report's files of one module, numbered as they are first met.
struct FileTable<'f> {
    filter: &'f FileFilter<'f>,
    ids: HashMap<PathBuf, u32>,
    files: Vec<String>,
    abs: Vec<PathBuf>,
}

impl<'f> FileTable<'f> {
    fn new(filter: &'f FileFilter<'f>) -> Self {
        FileTable {
            filter,
            ids: HashMap::new(),
            files: Vec::new(),
            abs: Vec::new(),
        }
    }

    fn intern(&mut self, path: PathBuf) -> u32 {
        if let Some(&id) = self.ids.get(&path) {
            return id;
        }
        let shown = path.to_string_lossy();
        let id = if !self.filter.include_deps && paths::is_dependency(&shown) {
            NO_FILE
        } else {
            self.files
                .push(paths::display(&path, self.filter.source_root));
            self.abs.push(path.clone());
            (self.files.len() - 1) as u32
        };
        self.ids.insert(path, id);
        id
    }
}

/// The module's DWARF sections; a module without a line table is refused.
pub fn load<'a>(bytes: &'a [u8], layout: &ModuleLayout) -> Result<gimli::Dwarf<R<'a>>, MapError> {
    if layout
        .custom_section(bytes, ".debug_line")
        .is_none_or(<[u8]>::is_empty)
    {
        return Err(MapError::NoDebugLine);
    }
    let load = |id: gimli::SectionId| -> Result<R<'a>, MapError> {
        let data = layout.custom_section(bytes, id.name()).unwrap_or(&[]);
        Ok(EndianSlice::new(data, LittleEndian))
    };
    gimli::Dwarf::load(load)
}

/// The absolute paths of the source files the report will name, from the
/// units' line-table headers alone (no rows, no DIEs): cheap, so the
/// sources can be parsed while the rest of the DWARF is read.
pub fn kept_sources(
    dwarf: &gimli::Dwarf<R<'_>>,
    filter: &FileFilter<'_>,
) -> Result<Vec<PathBuf>, MapError> {
    let mut table = FileTable::new(filter);
    let mut units = dwarf.units();
    while let Some(header) = units.next().map_err(dwarf_err("unit header"))? {
        let unit = dwarf.unit(header).map_err(dwarf_err("unit"))?;
        let Some(program) = unit.line_program.as_ref() else {
            continue;
        };
        let header = program.header();
        let mut cx = UnitCtx::new(dwarf, &unit, &mut table);
        for index in file_indices(header) {
            cx.file_id(header, index)?;
        }
    }
    Ok(table.abs)
}

/// Reads line rows and subprograms of every compilation unit.
pub fn read(
    dwarf: &gimli::Dwarf<R<'_>>,
    code_size: u64,
    filter: &FileFilter<'_>,
) -> Result<DebugInfo, MapError> {
    let mut table = FileTable::new(filter);
    let mut info = DebugInfo::default();
    let mut units = dwarf.units();
    while let Some(header) = units.next().map_err(dwarf_err("unit header"))? {
        let unit_offset = header
            .offset()
            .to_debug_info_offset(&header)
            .map_or(0, |o| o.0);
        let unit = dwarf.unit(header).map_err(dwarf_err("unit"))?;
        if let Some(root) = crate_root(&unit, filter) {
            if !info.crate_roots.contains(&root) {
                info.crate_roots.push(root);
            }
        }
        UnitCtx::new(dwarf, &unit, &mut table)
            .read(code_size, &mut info)
            .map_err(|e| e.in_unit(unit_offset))?;
    }
    info.files = table.files;
    info.abs_paths = table.abs;
    Ok(info)
}

/// The crate root a Rust compile unit names (`src/lib.rs/@/3xr9…` is
/// `src/lib.rs` of the crate that unit belongs to), against its comp_dir;
/// `None` for other units, a doctest's, and roots out of the report.
fn crate_root(unit: &gimli::Unit<R<'_>>, filter: &FileFilter<'_>) -> Option<PathBuf> {
    let name = unit.name.as_ref()?.to_string_lossy();
    let (root, cgu) = name.split_once("/@/")?;
    // rustdoc names a doctest's crate after the file the example is in:
    // that file is the documented crate's, not this one's.
    if cgu.starts_with(names::DOCTEST_CRATE) {
        return None;
    }
    let comp_dir = unit.comp_dir.as_ref().map(|d| d.to_string_lossy());
    let path = paths::resolve(comp_dir.as_deref(), root);
    (filter.include_deps || !paths::is_dependency(&path.to_string_lossy())).then_some(path)
}

/// Whether code at DWARF address `addr` is in the module. wasm-ld marks
/// the code it dropped with a tombstone address (0xffffffff, or 0 in older
/// releases); no live code starts at 0, where the function count lies.
fn is_live(addr: u64, code_size: u64) -> bool {
    addr != 0 && addr < code_size
}

/// A unit's line-table file indices: DWARF 5 numbers files from 0, earlier
/// versions from 1.
fn file_indices(header: &gimli::LineProgramHeader<R<'_>>) -> Range<u64> {
    let first = u64::from(header.version() < 5);
    first..first + header.file_names().len() as u64
}

fn dwarf_err(what: &'static str) -> impl Fn(gimli::Error) -> MapError {
    move |e| MapError::Dwarf(format!("{what}: {e}"))
}

/// One compilation unit being read, with what every step of reading it
/// shares: the module's DWARF and file table, and the unit's own file
/// indices resolved so far (a DIE's decl_file and call_file index the
/// same list as the line table's rows).
struct UnitCtx<'u, 'f> {
    dwarf: &'u gimli::Dwarf<R<'u>>,
    unit: &'u gimli::Unit<R<'u>>,
    comp_dir: Option<String>,
    table: &'u mut FileTable<'f>,
    file_ids: HashMap<u64, u32>,
}

impl<'u, 'f> UnitCtx<'u, 'f> {
    fn new(
        dwarf: &'u gimli::Dwarf<R<'u>>,
        unit: &'u gimli::Unit<R<'u>>,
        table: &'u mut FileTable<'f>,
    ) -> Self {
        let comp_dir = unit
            .comp_dir
            .as_ref()
            .map(|d| d.to_string_lossy().into_owned());
        UnitCtx {
            dwarf,
            unit,
            comp_dir,
            table,
            file_ids: HashMap::new(),
        }
    }

    fn read(&mut self, code_size: u64, info: &mut DebugInfo) -> Result<(), MapError> {
        if let Some(program) = self.unit.line_program.clone() {
            self.read_lines(program, code_size, info)?;
        }
        // A unit none of whose files is kept (std, wasi-libc, registry
        // crates) has no subprogram, inlined call or dead code to report:
        // skip its DIE walk, the costliest part of reading DWARF.
        if self.keeps_any_file()? {
            self.read_subprograms(code_size, info)?;
        }
        Ok(())
    }

    /// Whether any file in the unit's line-table file list makes it into
    /// the report.
    fn keeps_any_file(&mut self) -> Result<bool, MapError> {
        let unit = self.unit;
        let Some(program) = unit.line_program.as_ref() else {
            return Ok(false);
        };
        let header = program.header();
        for index in file_indices(header) {
            if self.file_id(header, index)? != NO_FILE {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Resolves a line-program file index to a file id. `header` is the
    /// unit's, or, while the rows run, the line program's own (a
    /// `DW_LNE_define_file` adds to it).
    fn file_id(
        &mut self,
        header: &gimli::LineProgramHeader<R<'u>>,
        index: u64,
    ) -> Result<u32, MapError> {
        if let Some(&id) = self.file_ids.get(&index) {
            return Ok(id);
        }
        let id = match header.file(index) {
            None => NO_FILE,
            Some(file) => {
                let name = attr_text(self.dwarf, self.unit, file.path_name())?;
                let dir = match file.directory(header) {
                    Some(d) => Some(attr_text(self.dwarf, self.unit, d)?),
                    None => None,
                };
                // The directory may itself be relative to the unit's comp_dir.
                let comp_dir = self.comp_dir.as_deref();
                let dir = dir.map(|d| paths::resolve(comp_dir, &d).to_string_lossy().into_owned());
                let path = paths::resolve(dir.as_deref().or(comp_dir), &name);
                self.table.intern(path)
            }
        };
        self.file_ids.insert(index, id);
        Ok(id)
    }

    /// The file id a `DW_AT_decl_file` or `DW_AT_call_file` value names.
    fn file_of(
        &mut self,
        header: &gimli::LineProgramHeader<R<'u>>,
        v: Option<AttributeValue<R<'u>>>,
    ) -> Result<u32, MapError> {
        Ok(match v {
            Some(AttributeValue::FileIndex(i)) => self.file_id(header, i)?,
            Some(v) => match v.udata_value() {
                Some(i) => self.file_id(header, i)?,
                None => NO_FILE,
            },
            None => NO_FILE,
        })
    }

    fn read_lines(
        &mut self,
        program: gimli::IncompleteLineProgram<R<'u>>,
        code_size: u64,
        info: &mut DebugInfo,
    ) -> Result<(), MapError> {
        let mut rows = program.rows();
        // Rows of the current sequence: (address, file id, line, column).
        let mut seq: Vec<(u64, u32, u32, u32)> = Vec::new();
        while let Some((header, row)) = rows.next_row().map_err(dwarf_err("line program"))? {
            if row.end_sequence() {
                let end = row.address();
                // The linker tombstones a sequence of code it dropped.
                let dead = seq
                    .first()
                    .is_some_and(|&(a, _, _, _)| !is_live(a, code_size));
                for (i, &(start, file, line, col)) in seq.iter().enumerate() {
                    if dead {
                        if file != NO_FILE && line != 0 {
                            info.dead_lines.push((file, line));
                        }
                        continue;
                    }
                    let next = seq.get(i + 1).map_or(end, |r| r.0);
                    let file = if line == 0 { NO_FILE } else { file };
                    info.rows.push(RowRange {
                        start,
                        end: next.max(start),
                        file,
                        line,
                        col,
                    });
                }
                seq.clear();
                continue;
            }
            let line = row
                .line()
                .map_or(0, |l| u32::try_from(l.get()).unwrap_or(u32::MAX));
            let file = self.file_id(header, row.file_index())?;
            let col = match row.column() {
                gimli::ColumnType::LeftEdge => 0,
                gimli::ColumnType::Column(c) => u32::try_from(c.get()).unwrap_or(u32::MAX),
            };
            seq.push((row.address(), file, line, col));
        }
        Ok(())
    }

    fn read_subprograms(&mut self, code_size: u64, info: &mut DebugInfo) -> Result<(), MapError> {
        let (dwarf, unit) = (self.dwarf, self.unit);
        let Some(program) = unit.line_program.as_ref() else {
            return Ok(());
        };
        let header = program.header();
        // Names of the enclosing namespaces, for subprograms without a linkage
        // name; indexed by depth.
        let mut scopes: Vec<Option<String>> = Vec::new();
        let mut entries = unit.entries();
        while let Some(entry) = entries.next_dfs().map_err(dwarf_err("DIE"))? {
            let d = usize::try_from(entry.depth()).unwrap_or(0);
            scopes.truncate(d);
            let own_name = match entry.tag() {
                gimli::DW_TAG_namespace
                | gimli::DW_TAG_structure_type
                | gimli::DW_TAG_enumeration_type
                | gimli::DW_TAG_union_type => name_of(dwarf, unit, entry)?,
                _ => None,
            };
            while scopes.len() < d {
                scopes.push(None);
            }
            scopes.push(own_name);
            let tag = entry.tag();
            if tag != gimli::DW_TAG_subprogram && tag != gimli::DW_TAG_inlined_subroutine {
                continue;
            }
            // The attributes may live on the DIE this one completes.
            let origin = match entry
                .attr_value(gimli::DW_AT_specification)
                .or(entry.attr_value(gimli::DW_AT_abstract_origin))
            {
                Some(AttributeValue::UnitRef(off)) => {
                    Some(unit.entry(off).map_err(dwarf_err("DIE reference"))?)
                }
                _ => None,
            };
            // An abstract origin may itself complete a declaration.
            let origin2 = match &origin {
                Some(o) => match o.attr_value(gimli::DW_AT_specification) {
                    Some(AttributeValue::UnitRef(off)) => {
                        Some(unit.entry(off).map_err(dwarf_err("DIE reference"))?)
                    }
                    _ => None,
                },
                None => None,
            };
            let attr = |at: gimli::DwAt| -> Result<Option<AttributeValue<R<'u>>>, MapError> {
                if let Some(v) = entry.attr_value(at) {
                    return Ok(Some(v));
                }
                for o in [&origin, &origin2].into_iter().flatten() {
                    if let Some(v) = o.attr_value(at) {
                        return Ok(Some(v));
                    }
                }
                Ok(None)
            };
            let file = self.file_of(header, attr(gimli::DW_AT_decl_file)?)?;
            let line = line_of(attr(gimli::DW_AT_decl_line)?);
            if file != NO_FILE && line != 0 {
                info.declared.push((file, line));
            }
            let low_pc = match entry.attr_value(gimli::DW_AT_low_pc) {
                Some(AttributeValue::Addr(a)) => Some(a),
                Some(AttributeValue::DebugAddrIndex(i)) => {
                    Some(dwarf.address(unit, i).map_err(dwarf_err("low_pc"))?)
                }
                _ if tag == gimli::DW_TAG_inlined_subroutine => {
                    // A copy split in pieces names them in DW_AT_ranges; it is
                    // entered at its lowest address.
                    let mut lowest: Option<u64> = None;
                    let mut ranges = dwarf.die_ranges(unit, entry).map_err(dwarf_err("ranges"))?;
                    while let Some(r) = ranges.next().map_err(dwarf_err("ranges"))? {
                        lowest = Some(lowest.map_or(r.begin, |l| l.min(r.begin)));
                    }
                    match lowest {
                        Some(a) => Some(a),
                        None => continue,
                    }
                }
                _ => continue, // a declaration or an abstract instance: no code of its own
            };
            let low_pc = low_pc.filter(|&a| is_live(a, code_size));
            // Demangling is the costly part: only for files the report keeps.
            let name = |file: u32| -> Result<Option<String>, MapError> {
                if file == NO_FILE {
                    return Ok(None);
                }
                let raw = match attr(gimli::DW_AT_linkage_name)?
                    .or(attr(gimli::DW_AT_MIPS_linkage_name)?)
                {
                    Some(v) => format!(
                        "{:#}",
                        rustc_demangle::demangle(&attr_text(dwarf, unit, v)?)
                    ),
                    None => match attr(gimli::DW_AT_name)? {
                        Some(v) => {
                            let mut parts: Vec<&str> =
                                scopes[..d].iter().flatten().map(String::as_str).collect();
                            let leaf = attr_text(dwarf, unit, v)?;
                            parts.push(&leaf);
                            parts.join("::")
                        }
                        None => return Ok(None),
                    },
                };
                Ok(Some(names::normalize(&raw)))
            };
            if tag == gimli::DW_TAG_inlined_subroutine {
                let call_file = self.file_of(header, entry.attr_value(gimli::DW_AT_call_file))?;
                let call_line = line_of(entry.attr_value(gimli::DW_AT_call_line));
                let origin = name(file)?.map(|n| (n, file, line));
                if (call_file == NO_FILE || call_line == 0) && origin.is_none() {
                    continue;
                }
                info.inlined.push(Inlined {
                    call_file,
                    call_line,
                    entry: low_pc,
                    origin,
                });
                continue;
            }
            let Some(name) = name(file)? else { continue };
            info.subprograms.push(Subprogram {
                name,
                file,
                line,
                low_pc,
            });
        }
        Ok(())
    }
}

/// A `DW_AT_decl_line` or `DW_AT_call_line` value; 0 when there is none.
fn line_of(v: Option<AttributeValue<R<'_>>>) -> u32 {
    v.and_then(|v| v.udata_value())
        .map_or(0, |l| u32::try_from(l).unwrap_or(u32::MAX))
}

fn attr_text(
    dwarf: &gimli::Dwarf<R<'_>>,
    unit: &gimli::Unit<R<'_>>,
    value: AttributeValue<R<'_>>,
) -> Result<String, MapError> {
    let s = dwarf
        .attr_string(unit, value)
        .map_err(dwarf_err("string"))?;
    Ok(s.to_string_lossy().into_owned())
}

fn name_of(
    dwarf: &gimli::Dwarf<R<'_>>,
    unit: &gimli::Unit<R<'_>>,
    entry: &gimli::DebuggingInformationEntry<R<'_>>,
) -> Result<Option<String>, MapError> {
    match entry.attr_value(gimli::DW_AT_name) {
        Some(v) => Ok(Some(attr_text(dwarf, unit, v)?)),
        None => Ok(None),
    }
}
