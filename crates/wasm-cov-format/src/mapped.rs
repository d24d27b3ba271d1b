//! The mapper's JSON: a lossless, versioned spelling of [`Coverage`].

use serde::{Deserialize, Serialize};

use crate::model::Coverage;
use crate::FormatError;

/// Value of the `format` field; also how readers tell this JSON from V8's.
pub const MAPPED_FORMAT: &str = "wasm-cov-mapper";
/// The version this build writes and the only one it reads.
pub const MAPPED_VERSION: u32 = 1;

/// Refs: docs/formats.md, "Mapper JSON".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, serde(deny_unknown_fields))]
pub struct MappedCoverage {
    pub format: String,
    pub version: u32,
    pub files: Vec<MappedFile>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, serde(deny_unknown_fields))]
pub struct MappedFile {
    pub path: String,
    pub lines: Vec<MappedLine>,
    #[serde(default)]
    pub functions: Vec<MappedFunction>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub branches: Vec<MappedBranch>,
    /// Parts of partly run lines (optional, version 1 readers MUST accept
    /// it; older writers never emit it).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub segments: Vec<MappedSegment>,
}

/// A column span of a partly run line: from `line:col` to `endLine:endCol`
/// (exclusive, 1-based; `endCol` 0 is the end of `endLine`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, serde(deny_unknown_fields))]
pub struct MappedSegment {
    pub line: u32,
    pub col: u32,
    pub end_line: u32,
    pub end_col: u32,
    pub count: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, serde(deny_unknown_fields))]
pub struct MappedLine {
    pub line: u32,
    pub count: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, serde(deny_unknown_fields))]
pub struct MappedFunction {
    pub name: String,
    pub line: u32,
    pub count: u64,
}

/// A branch outcome. `count` is `null` when the block holding the branch
/// never ran.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, serde(deny_unknown_fields))]
pub struct MappedBranch {
    pub line: u32,
    pub block: u32,
    pub branch: u32,
    pub count: Option<u64>,
}

impl MappedCoverage {
    pub fn from_coverage(cov: &Coverage) -> Self {
        let files = cov
            .files
            .iter()
            .map(|(path, f)| {
                let mut functions: Vec<_> = f
                    .functions
                    .iter()
                    .map(|(name, func)| MappedFunction {
                        name: name.clone(),
                        line: func.line,
                        count: func.count,
                    })
                    .collect();
                functions.sort_by(|a, b| (a.line, &a.name).cmp(&(b.line, &b.name)));
                MappedFile {
                    path: path.clone(),
                    lines: f
                        .lines
                        .iter()
                        .map(|(&line, &count)| MappedLine { line, count })
                        .collect(),
                    functions,
                    branches: f
                        .branches
                        .iter()
                        .map(|(&(line, block, branch), &count)| MappedBranch {
                            line,
                            block,
                            branch,
                            count,
                        })
                        .collect(),
                    segments: f
                        .segments
                        .iter()
                        .map(|(&(line, col), seg)| MappedSegment {
                            line,
                            col,
                            end_line: seg.end_line,
                            end_col: seg.end_col,
                            count: seg.count,
                        })
                        .collect(),
                }
            })
            .collect();
        MappedCoverage {
            format: MAPPED_FORMAT.to_owned(),
            version: MAPPED_VERSION,
            files,
        }
    }

    pub fn to_coverage(&self) -> Coverage {
        let mut cov = Coverage::default();
        for f in &self.files {
            let file = cov.file_mut(&f.path);
            for l in &f.lines {
                file.add_line(l.line, l.count);
            }
            for func in &f.functions {
                file.add_function(&func.name, func.line, func.count);
            }
            for seg in &f.segments {
                file.add_segment(
                    (seg.line, seg.col),
                    crate::model::Segment {
                        end_line: seg.end_line,
                        end_col: seg.end_col,
                        count: seg.count,
                    },
                );
            }
            for b in &f.branches {
                file.add_branch((b.line, b.block, b.branch), b.count);
            }
        }
        cov
    }

    /// Parses and checks the format name and version.
    pub fn from_json(bytes: &[u8]) -> Result<Self, FormatError> {
        Self::check(serde_json::from_slice(bytes)?)
    }

    /// [`MappedCoverage::from_json`] from a reader (buffer it), without
    /// holding the file's bytes beside the document, and refusing more than
    /// [`crate::MAX_JSON_BYTES`].
    pub fn from_reader(r: impl std::io::Read) -> Result<Self, FormatError> {
        Self::check(serde_json::from_reader(crate::size_limited(
            r,
            crate::MAX_JSON_BYTES,
        ))?)
    }

    fn check(doc: MappedCoverage) -> Result<Self, FormatError> {
        if doc.format != MAPPED_FORMAT {
            return Err(FormatError::Invalid(format!(
                "format is {:?}, expected {MAPPED_FORMAT:?}",
                doc.format
            )));
        }
        if doc.version != MAPPED_VERSION {
            return Err(FormatError::Invalid(format!(
                "{MAPPED_FORMAT} version {} is not supported (this build reads version {MAPPED_VERSION})",
                doc.version
            )));
        }
        Ok(doc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_json_and_model() {
        let text = r#"{"format":"wasm-cov-mapper","version":1,"files":[{"path":"src/lib.rs","lines":[{"line":3,"count":2},{"line":9,"count":0}],"functions":[{"name":"demo::f","line":3,"count":2}],"branches":[{"line":3,"block":0,"branch":1,"count":null}],"segments":[{"line":3,"col":5,"endLine":3,"endCol":12,"count":2},{"line":3,"col":12,"endLine":3,"endCol":0,"count":0}]}]}"#;
        let doc = MappedCoverage::from_json(text.as_bytes()).unwrap();
        let again = MappedCoverage::from_coverage(&doc.to_coverage());
        assert_eq!(doc, again);
        assert_eq!(serde_json::to_string(&again).unwrap(), text);
    }

    #[test]
    fn rejects_unknown_version() {
        let e =
            MappedCoverage::from_json(br#"{"format":"wasm-cov-mapper","version":2,"files":[]}"#)
                .unwrap_err();
        assert!(e.to_string().contains("version 2 is not supported"));
    }
}
