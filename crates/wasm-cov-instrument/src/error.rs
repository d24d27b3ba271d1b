use thiserror::Error;

/// Why a module could not be instrumented. Every variant about the input
/// names the module offset where the problem is.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum InstrumentError {
    /// The input is not a valid core wasm module.
    #[error("invalid wasm: {message} (at offset {offset:#x})")]
    Invalid { message: String, offset: usize },
    /// The input is a component; only core modules are instrumented.
    #[error("a wasm component, not a core module (at offset {offset:#x})")]
    Component { offset: usize },
    /// The module already has an export with the counters' reserved name,
    /// most likely because it was instrumented already.
    #[error("the module already exports {name:?}, the name reserved for the counters; was it instrumented twice? (at offset {offset:#x})")]
    ExportTaken { name: String, offset: usize },
    /// More blocks than a 4 GiB counter memory holds.
    #[error("{blocks} basic blocks: more than the {max} counters a 32-bit memory can hold")]
    TooManyBlocks { blocks: usize, max: usize },
    /// wasm-encoder refused to translate a section it was given.
    #[error("re-encoding failed: {message}")]
    Reencode { message: String },
}

impl From<wasmparser::BinaryReaderError> for InstrumentError {
    fn from(e: wasmparser::BinaryReaderError) -> Self {
        InstrumentError::Invalid {
            message: e.message().to_owned(),
            offset: e.offset(),
        }
    }
}

impl From<wasm_encoder::reencode::Error> for InstrumentError {
    fn from(e: wasm_encoder::reencode::Error) -> Self {
        match e {
            wasm_encoder::reencode::Error::ParseError(p) => p.into(),
            other => InstrumentError::Reencode {
                message: other.to_string(),
            },
        }
    }
}
