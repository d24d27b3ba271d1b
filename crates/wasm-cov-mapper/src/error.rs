//! The mapper's one error type: what went wrong in a module, its DWARF, or
//! the blocks given for it. The binary adds the file name in front.

/// An error in the module, its DWARF, or the blocks given for it.
#[derive(Debug, thiserror::Error)]
pub enum MapError {
    #[error("{0}")]
    Module(#[from] wasm_cov_format::FormatError),
    #[error("no .debug_line section: build with -C debuginfo=2 (DWARF line tables are how offsets become lines), or give the file the DWARF was kept in with --debug-file or --debug-dir")]
    NoDebugLine,
    #[error("DWARF: {0}")]
    Dwarf(String),
    #[error("{0}")]
    Blocks(String),
}

impl MapError {
    /// Says which compilation unit a DWARF error was found in.
    pub(crate) fn in_unit(self, offset: usize) -> Self {
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
