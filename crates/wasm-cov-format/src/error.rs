use std::fmt;

/// A parse or validation failure in one of the pipeline's formats.
///
/// The message always says where: a line number for the text formats, the
/// JSON path and position for JSON. The caller adds the file name.
#[derive(Debug, thiserror::Error)]
pub enum FormatError {
    #[error("line {line}: {msg}")]
    Line { line: u64, msg: String },
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

impl FormatError {
    pub(crate) fn line(line: u64, msg: impl fmt::Display) -> Self {
        FormatError::Line {
            line,
            msg: msg.to_string(),
        }
    }
}
