//! A doctest program's own rows, put where its example is.
//!
//! rustdoc compiles each doctest as a crate named `rust_out` whose compile
//! unit names the documented file (`src/lib.rs/@/rust_out.<hash>-cgu.0`),
//! and rustc gives that program's rows the file of the doc comment but the
//! program's own line numbers: the wrapper rustdoc writes around the
//! example (`fn main() { fn _doctest_main_src_lib_rs_9_0() {`, and the
//! call after it) and the example itself land on lines 1 to 20 or so of
//! the documented file, where they would mark `extern crate std;` or a
//! `macro_rules!` line run.
//!
//! The rule: code of the example (the `_doctest_main_<file>_<line>_<n>`
//! function rustdoc wraps it in, and every function, closure and impl
//! nested in it) has its rows moved onto the doc comment the example came
//! from: the wrapper function's declaration line is the opening fence
//! (`<line>`), the line after it the example's first line. The wrapper's
//! own `main`, and a `main` the example wrote itself (rustdoc then adds
//! no `_doctest_main_`, so nothing says where it was), keep their blocks
//! but yield no line. Code of other crates in the unit (the library's
//! generics instantiated for the example, std) and copies inlined into
//! the example keep their rows as they are.
//!
//! Items rustdoc lifts out of the wrapper (`#![...]` attributes, `extern
//! crate`) shift the example's later lines up by as many; the moved rows
//! stay between the fences either way.

use std::ops::Range;

use gimli::{AttributeValue, EndianSlice, LittleEndian};
use wasm_cov_format::ModuleLayout;

use crate::dwarf::{DebugInfo, NO_FILE};
use crate::error::MapError;
use crate::paths;

type R<'a> = EndianSlice<'a, LittleEndian>;

/// The crate name rustdoc compiles every doctest under.
const DOCTEST_CRATE: &str = "rust_out";
const MAIN_TAG: &str = "_doctest_main_";

/// What happens to the rows of one function of a doctest program.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    /// Add this to the line (the example's code).
    Shift(i64),
    /// No line (the wrapper's `main`).
    Drop,
}

/// One function of a doctest program: its code, the file of the doc
/// comment (an index into `DebugInfo::files`), what to do with its rows.
#[derive(Debug)]
struct Program {
    ranges: Vec<Range<u64>>,
    file: u32,
    place: Place,
}

/// The fence line a `_doctest_main_<file>_<line>_<n>` name holds.
pub(crate) fn fence_line(ident: &str) -> Option<u32> {
    let rest = ident.strip_prefix(MAIN_TAG)?;
    let (rest, n) = rest.rsplit_once('_')?;
    let (file, line) = rest.rsplit_once('_')?;
    if file.is_empty() || n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    line.parse().ok().filter(|l| *l > 0)
}

/// Moves and drops the rows (and the functions and inlined calls) of the
/// doctest programs in the module, as the module doc says. Reads the
/// DWARF in `bytes` again; modules with no `rust_out` unit are left as
/// they are, after a pass over the unit headers.
pub(crate) fn place_program_rows(
    bytes: &[u8],
    layout: &ModuleLayout,
    info: &mut DebugInfo,
) -> Result<(), MapError> {
    let load = |id: gimli::SectionId| -> Result<R<'_>, MapError> {
        let data = layout.custom_section(bytes, id.name()).unwrap_or(&[]);
        Ok(EndianSlice::new(data, LittleEndian))
    };
    let dwarf = gimli::Dwarf::load(load)?;
    let mut programs = Vec::new();
    let mut inlined = Vec::new();
    let mut units = dwarf.units();
    while let Some(header) = units.next()? {
        let unit = dwarf.unit(header)?;
        let Some(doc_file) = doctest_file(&unit, info) else {
            continue;
        };
        read_unit(&dwarf, &unit, doc_file, &mut programs, &mut inlined)?;
    }
    if programs.is_empty() {
        return Ok(());
    }
    apply(&programs, &inlined, info);
    Ok(())
}

/// The report file a doctest unit's rows name (its crate root), if the
/// unit is a doctest program's and the report keeps that file.
fn doctest_file(unit: &gimli::Unit<R<'_>>, info: &DebugInfo) -> Option<u32> {
    let name = unit.name.as_ref()?.to_string_lossy();
    let (root, cgu) = name.split_once("/@/")?;
    if cgu.split('.').next() != Some(DOCTEST_CRATE) {
        return None;
    }
    let comp_dir = unit.comp_dir.as_ref().map(|d| d.to_string_lossy());
    let path = paths::resolve(comp_dir.as_deref(), root);
    let at = info.abs_paths.iter().position(|p| *p == path)?;
    u32::try_from(at).ok()
}

fn read_unit(
    dwarf: &gimli::Dwarf<R<'_>>,
    unit: &gimli::Unit<R<'_>>,
    doc_file: u32,
    programs: &mut Vec<Program>,
    inlined: &mut Vec<Range<u64>>,
) -> Result<(), MapError> {
    // Names of the enclosing namespaces, by depth, for functions that
    // have no linkage name.
    let mut scopes: Vec<String> = Vec::new();
    // Every function with code: its demangled path and its code.
    let mut found: Vec<(String, Vec<Range<u64>>)> = Vec::new();
    // (wrapper name, its declaration line)
    let mut wrappers: Vec<(String, u32)> = Vec::new();
    let text = |v: AttributeValue<R<'_>>| -> Result<String, MapError> {
        Ok(dwarf.attr_string(unit, v)?.to_string_lossy().into_owned())
    };
    let mut entries = unit.entries();
    while let Some(entry) = entries.next_dfs()? {
        let d = usize::try_from(entry.depth()).unwrap_or(0);
        scopes.truncate(d);
        let own = match entry.attr_value(gimli::DW_AT_name) {
            Some(v) => text(v)?,
            None => String::new(),
        };
        while scopes.len() < d {
            scopes.push(String::new());
        }
        scopes.push(own.clone());
        let tag = entry.tag();
        if tag != gimli::DW_TAG_subprogram && tag != gimli::DW_TAG_inlined_subroutine {
            continue;
        }
        let mut ranges = Vec::new();
        let mut rs = dwarf.die_ranges(unit, entry)?;
        while let Some(r) = rs.next()? {
            // wasm-ld's tombstone for code it dropped is 0 or all ones.
            if r.begin != 0 && r.begin < r.end && r.begin != u64::from(u32::MAX) {
                ranges.push(r.begin..r.end);
            }
        }
        if ranges.is_empty() {
            continue;
        }
        if tag == gimli::DW_TAG_inlined_subroutine {
            // An inlined copy keeps the lines of the function it copies.
            inlined.extend(ranges);
            continue;
        }
        // A method's code completes a declaration inside its type.
        let origin = match entry
            .attr_value(gimli::DW_AT_specification)
            .or(entry.attr_value(gimli::DW_AT_abstract_origin))
        {
            Some(AttributeValue::UnitRef(off)) => Some(unit.entry(off)?),
            _ => None,
        };
        let attr = |at: gimli::DwAt| {
            entry
                .attr_value(at)
                .or_else(|| origin.as_ref().and_then(|o| o.attr_value(at)))
        };
        let path = match attr(gimli::DW_AT_linkage_name) {
            Some(v) => format!("{:#}", rustc_demangle::demangle(&text(v)?)),
            None => scopes[1..].join("::"),
        };
        if own.starts_with(MAIN_TAG) {
            if let Some(l) = attr(gimli::DW_AT_decl_line)
                .and_then(|v| v.udata_value())
                .and_then(|l| u32::try_from(l).ok())
            {
                wrappers.push((own.clone(), l));
            }
        }
        found.push((path, ranges));
    }
    for (path, ranges) in found {
        // Only the program's own functions: the unit also holds other
        // crates' generics instantiated for it (`nested::larger`), and
        // their impls for its types (`<nested::W<rust_out::…> as T>::f`).
        if !is_program_path(&path) {
            continue;
        }
        let place = path
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .find_map(|p| {
                let fence = fence_line(p)?;
                let decl = wrappers.iter().find(|(w, _)| w == p)?.1;
                Some(Place::Shift(i64::from(fence) - i64::from(decl)))
            })
            .unwrap_or(Place::Drop);
        programs.push(Program {
            ranges,
            file: doc_file,
            place,
        });
    }
    Ok(())
}

/// Whether a demangled function path is the doctest program's own: its
/// first segment is the doctest crate, or, for a method of a trait impl
/// (`<A as B>::f`), the head of the type or of the trait is, as the
/// orphan rule needs of an impl the example wrote. Generic arguments are
/// not looked into: the library's impls for the example's types stay the
/// library's.
fn is_program_path(path: &str) -> bool {
    let local = |p: &str| {
        p.trim_start_matches(['<', '&', '*'])
            .trim_start_matches("mut ")
            .trim_start_matches("dyn ")
            .starts_with("rust_out::")
    };
    match path.strip_prefix('<') {
        Some(inner) => {
            let (ty, tr) = split_as(inner);
            local(ty) || tr.is_some_and(local)
        }
        None => local(path),
    }
}

/// `A<B> as C>::f` (after the `<`) → (`A<B>`, Some(`C>::f`)): the ` as `
/// at the outer nesting level.
fn split_as(s: &str) -> (&str, Option<&str>) {
    let mut depth = 0i32;
    for (i, c) in s.char_indices() {
        match c {
            '<' | '(' | '[' => depth += 1,
            '>' | ')' | ']' => depth -= 1,
            ' ' if depth == 0 && s[i..].starts_with(" as ") => {
                return (&s[..i], Some(&s[i + 4..]));
            }
            _ => {}
        }
    }
    (s, None)
}

fn shifted(line: u32, by: i64) -> u32 {
    u32::try_from((i64::from(line) + by).max(0)).unwrap_or(u32::MAX)
}

/// Applies the places found to the rows, functions and inlined calls.
fn apply(programs: &[Program], inlined: &[Range<u64>], info: &mut DebugInfo) {
    // Few functions, many rows: sorted ranges, looked up by binary search.
    let mut spans: Vec<(Range<u64>, u32, Place)> = programs
        .iter()
        .flat_map(|p| p.ranges.iter().map(move |r| (r.clone(), p.file, p.place)))
        .collect();
    spans.sort_by_key(|s| (s.0.start, s.0.end));
    let mut skip: Vec<Range<u64>> = inlined.to_vec();
    skip.sort_by_key(|r| (r.start, r.end));
    let inside = |ranges: &[Range<u64>], at: u64| {
        // Ranges may nest (an inlined copy within another): any that holds it.
        let n = ranges.partition_point(|r| r.start <= at);
        ranges[..n].iter().rev().any(|r| r.contains(&at))
    };
    let place_of = |at: u64, file: u32| -> Option<Place> {
        if file == NO_FILE {
            return None;
        }
        let n = spans.partition_point(|s| s.0.start <= at);
        spans[..n]
            .iter()
            .rev()
            .find(|s| s.0.contains(&at) && s.1 == file)
            .map(|s| s.2)
    };
    for r in &mut info.rows {
        if inside(&skip, r.start) {
            continue;
        }
        match place_of(r.start, r.file) {
            Some(Place::Shift(by)) => r.line = shifted(r.line, by),
            Some(Place::Drop) => r.file = NO_FILE,
            None => {}
        }
    }
    info.subprograms.retain_mut(|sp| {
        let Some(at) = sp.low_pc else { return true };
        match place_of(at, sp.file) {
            Some(Place::Shift(by)) => {
                sp.line = shifted(sp.line, by);
                true
            }
            Some(Place::Drop) => false,
            None => true,
        }
    });
    for call in &mut info.inlined {
        let Some(at) = call.entry else { continue };
        match place_of(at, call.call_file) {
            Some(Place::Shift(by)) => call.call_line = shifted(call.call_line, by),
            Some(Place::Drop) => call.call_file = NO_FILE,
            None => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fence_line_comes_from_the_wrapper_name() {
        assert_eq!(fence_line("_doctest_main_src_lib_rs_857_0"), Some(857));
        assert_eq!(fence_line("_doctest_main_src_a_b_rs_12_3"), Some(12));
        assert_eq!(fence_line("_doctest_main_src_lib_rs_12"), None);
        assert_eq!(fence_line("_doctest_main_12_0"), None);
        assert_eq!(fence_line("is_even"), None);
        assert_eq!(fence_line("_doctest_main_src_lib_rs_x_0"), None);
    }

    #[test]
    fn the_programs_functions_are_told_from_the_librarys() {
        let ours = [
            "rust_out::main",
            "rust_out::main::_doctest_main_src_lib_rs_9_0::is_even",
            "<rust_out::main::_doctest_main_src_lib_rs_9_0::X as core::fmt::Display>::fmt",
            "<nested::Counter as rust_out::main::_doctest_main_src_lib_rs_9_0::T>::t",
            "<&rust_out::main::_doctest_main_src_lib_rs_9_0::X as nested::T>::t",
        ];
        for p in ours {
            assert!(is_program_path(p), "{p}");
        }
        let theirs = [
            "nested::larger",
            "<nested::W<rust_out::main::_doctest_main_src_lib_rs_9_0::X> as nested::T>::t",
            "<core::option::Option<T> as core::clone::Clone>::clone",
            "std::rt::lang_start::{{closure}}",
        ];
        for p in theirs {
            assert!(!is_program_path(p), "{p}");
        }
    }

    #[test]
    fn rows_of_the_example_move_and_rows_of_the_wrapper_go() {
        use crate::dwarf::Subprogram;
        use crate::fold::RowRange;
        let row = |start, line| RowRange {
            start,
            end: start + 1,
            file: 0,
            line,
            col: 1,
        };
        let mut info = DebugInfo {
            files: vec!["src/lib.rs".into()],
            rows: vec![
                row(10, 5),
                row(20, 7),
                row(30, 6),
                row(40, 100),
                row(25, 300),
            ],
            subprograms: vec![Subprogram {
                name: "rust_out::main::_doctest_main_src_lib_rs_9_0::is_even".into(),
                file: 0,
                line: 5,
                low_pc: Some(10),
            }],
            ..DebugInfo::default()
        };
        let programs = [
            // The example (wrapper declared on line 4, fence on line 9).
            Program {
                ranges: vec![10..20, 30..35],
                file: 0,
                place: Place::Shift(5),
            },
            // rustdoc's main.
            Program {
                ranges: vec![Range { start: 20, end: 30 }],
                file: 0,
                place: Place::Drop,
            },
        ];
        // A library function inlined into the example.
        let inlined = [Range { start: 25, end: 26 }];
        apply(&programs, &inlined, &mut info);
        let lines: Vec<(u32, u32)> = info.rows.iter().map(|r| (r.file, r.line)).collect();
        assert_eq!(lines, [(0, 10), (NO_FILE, 7), (0, 11), (0, 100), (0, 300)]);
        assert_eq!(info.subprograms[0].line, 10);
    }
}
