//! Modules without DWARF in a run of several: which are skipped, with one
//! note, and which make the run fail.
//!
//! A component's shim modules (wit-component's, and jco's when it runs a
//! component in a JavaScript engine) have code but no DWARF, and run
//! beside the code module that has it; so do modules of a crate built
//! without debug info. A module found through `--modules` (by the hash the
//! offsets name) that has no DWARF, and for which no debug file belongs,
//! is skipped when another module of the run is mapped. A module the user
//! named with `--wasm` was asked for: without DWARF it is an error, as is
//! a run in which no module has DWARF (docs/formats.md §5, "Inputs and
//! errors").

use std::path::Path;

use crate::debug_files::no_debug_file;
use crate::error::MapError;

/// How a module came to the mapper.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Given {
    /// `--wasm FILE`: asked for by name.
    Wasm,
    /// Found in a `--modules` folder by the hash the offsets name.
    Folder,
}

/// A module with no `.debug_line` of its own and no debug file that
/// belongs to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Missing<'a> {
    pub path: &'a Path,
    pub given: Given,
    /// The debug files looked at and why each was refused.
    pub refused: &'a [String],
}

/// Decides a run of `modules` modules of which `missing` have no DWARF:
/// `Ok` when the run goes on without them (the caller says so with
/// [`skipped_note`]), else the one-line error.
pub fn check(modules: usize, missing: &[Missing<'_>]) -> Result<(), String> {
    if let Some(m) = missing.iter().find(|m| m.given == Given::Wasm) {
        return Err(error_of(m));
    }
    match missing {
        [] => Ok(()),
        _ if missing.len() < modules => Ok(()),
        [one] => Err(error_of(one)),
        several => {
            let mut refused: Vec<&str> = several
                .iter()
                .flat_map(|m| m.refused.iter().map(String::as_str))
                .collect();
            refused.sort_unstable();
            refused.dedup();
            let refused = if refused.is_empty() {
                String::new()
            } else {
                format!(" (debug files looked at: {})", refused.join("; "))
            };
            Err(format!(
                "none of the {} modules has DWARF (no .debug_line section, no debug file): \
                 {}{refused}: build with -C debuginfo=2 (DWARF line tables are \
                 how offsets become lines), or give the files the DWARF was kept in with \
                 --debug-file or --debug-dir",
                several.len(),
                paths(several)
            ))
        }
    }
}

/// The note for the modules a run maps without: one line, naming each.
pub fn skipped_note(missing: &[Missing<'_>]) -> Option<String> {
    let n = missing.len();
    (n > 0).then(|| {
        format!(
            "skipped {n} module{} without DWARF (no .debug_line section, no debug file; \
             e.g. a component's shims): {}",
            if n == 1 { "" } else { "s" },
            paths(missing)
        )
    })
}

/// The error of one module: today's message for a module without DWARF.
fn error_of(m: &Missing<'_>) -> String {
    let shown = m.path.display();
    if m.refused.is_empty() {
        format!("{shown}: {}", MapError::NoDebugLine)
    } else {
        no_debug_file(&shown, m.refused)
    }
}

fn paths(missing: &[Missing<'_>]) -> String {
    missing
        .iter()
        .map(|m| m.path.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder(path: &str) -> Missing<'_> {
        Missing {
            path: Path::new(path),
            given: Given::Folder,
            refused: &[],
        }
    }

    #[test]
    fn shims_beside_a_module_with_dwarf_are_skipped_in_one_line() {
        let missing = [folder("cov/modules/ab.wasm"), folder("cov/modules/cd.wasm")];
        assert_eq!(check(3, &missing), Ok(()));
        assert_eq!(
            skipped_note(&missing).unwrap(),
            "skipped 2 modules without DWARF (no .debug_line section, no debug file; e.g. a \
             component's shims): cov/modules/ab.wasm, cov/modules/cd.wasm"
        );
        let one = skipped_note(&missing[..1]).unwrap();
        assert!(one.starts_with("skipped 1 module without DWARF ("), "{one}");
        assert_eq!(skipped_note(&[]), None);
        assert_eq!(check(2, &[]), Ok(()));
    }

    #[test]
    fn a_module_asked_for_by_name_is_an_error_without_dwarf() {
        let wasm = Missing {
            given: Given::Wasm,
            ..folder("app.wasm")
        };
        let e = check(2, &[folder("shim.wasm"), wasm.clone()]).unwrap_err();
        assert_eq!(
            e,
            "app.wasm: no .debug_line section: build with -C debuginfo=2 (DWARF line tables are \
             how offsets become lines), or give the file the DWARF was kept in with --debug-file \
             or --debug-dir"
        );
        let refused = ["other.wasm (--debug-file): its code section differs".to_owned()];
        let e = check(
            2,
            &[Missing {
                refused: &refused,
                ..wasm
            }],
        )
        .unwrap_err();
        assert_eq!(
            e,
            "app.wasm: no .debug_line section, and no debug file belongs to it: other.wasm \
             (--debug-file): its code section differs"
        );
    }

    #[test]
    fn a_run_where_no_module_has_dwarf_is_an_error() {
        // One: the module's own message, as before.
        let e = check(1, &[folder("cov/modules/ab.wasm")]).unwrap_err();
        assert!(
            e.starts_with("cov/modules/ab.wasm: no .debug_line section: build with -C debuginfo=2"),
            "{e}"
        );
        // Several: one line naming them all, and the way out.
        let refused = ["d.wasm (--debug-file): its code section differs".to_owned()];
        let e = check(
            2,
            &[
                folder("m/ab.wasm"),
                Missing {
                    refused: &refused,
                    ..folder("m/cd.wasm")
                },
            ],
        )
        .unwrap_err();
        assert_eq!(
            e,
            "none of the 2 modules has DWARF (no .debug_line section, no debug file): m/ab.wasm, \
             m/cd.wasm (debug files looked at: d.wasm (--debug-file): its code \
             section differs): build with -C debuginfo=2 (DWARF line tables are how offsets \
             become lines), or give the files the DWARF was kept in with --debug-file or \
             --debug-dir"
        );
        assert!(!e.contains('\n'));
    }
}
