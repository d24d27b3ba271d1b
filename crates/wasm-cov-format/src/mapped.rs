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
    /// The test name table of the per-test data (optional; written only
    /// with per-test data): `files[].testSets` name tests by their index
    /// here. Sorted by name (byte order), each once.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tests: Vec<MappedTest>,
    pub files: Vec<MappedFile>,
}

/// One entry of the test name table: the libtest name as the harness
/// spells it (`tests::two_axles`), or `<no test>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, serde(deny_unknown_fields))]
pub struct MappedTest {
    pub name: String,
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
    /// Per-test data (optional): the distinct sets of tests that ran some
    /// line of this file, each a flat list of inclusive index ranges into
    /// the top-level `tests`, `[first, last, first, last, ...]`, ascending
    /// and neither overlapping nor touching. Sorted, each set once.
    #[serde(default, rename = "testSets", skip_serializing_if = "Vec::is_empty")]
    pub test_sets: Vec<Vec<u32>>,
    /// Per-test data (optional): `[line, set]` for each line some test ran,
    /// `set` an index into `testSets`; sorted by line, each line once.
    #[serde(default, rename = "testLines", skip_serializing_if = "Vec::is_empty")]
    pub test_lines: Vec<[u32; 2]>,
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
                    test_sets: Vec::new(),
                    test_lines: Vec::new(),
                }
            })
            .collect();
        MappedCoverage {
            format: MAPPED_FORMAT.to_owned(),
            version: MAPPED_VERSION,
            tests: Vec::new(),
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

    /// The tests that ran each line of `file`, as indices into
    /// [`MappedCoverage::tests`]: `(line, tests)`, sorted by line. Errors
    /// on a set or test index out of range.
    pub fn tests_by_line(&self, file: &MappedFile) -> Result<Vec<(u32, Vec<u32>)>, FormatError> {
        let sets = file
            .test_sets
            .iter()
            .map(|s| expand_ranges(s, self.tests.len()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| FormatError::Invalid(format!("{}: testSets: {e}", file.path)))?;
        file.test_lines
            .iter()
            .map(|&[line, set]| {
                let tests = sets.get(set as usize).cloned().ok_or_else(|| {
                    FormatError::Invalid(format!(
                        "{}: testLines: line {line} names set {set} of {}",
                        file.path,
                        sets.len()
                    ))
                })?;
                Ok((line, tests))
            })
            .collect()
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

/// Test indices, ascending, as the flat inclusive ranges of `testSets`.
pub fn compress_ranges(tests: &[u32]) -> Vec<u32> {
    let mut out: Vec<u32> = Vec::new();
    for &t in tests {
        match out.last_mut() {
            Some(last) if last.checked_add(1) == Some(t) => *last = t,
            _ => out.extend([t, t]),
        }
    }
    out
}

/// The inverse of [`compress_ranges`], checking every index is below `n`.
pub fn expand_ranges(flat: &[u32], n: usize) -> Result<Vec<u32>, String> {
    if flat.len() % 2 != 0 {
        return Err("a set has an odd number of members".to_owned());
    }
    let mut out = Vec::new();
    for r in flat.chunks_exact(2) {
        if r[0] > r[1] || r[1] as usize >= n || out.last().is_some_and(|&l: &u32| l >= r[0]) {
            return Err(format!(
                "range {}..={} is out of order or past the {n} tests",
                r[0], r[1]
            ));
        }
        out.extend(r[0]..=r[1]);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_test_members_round_trip_and_expand() {
        let text = r#"{"format":"wasm-cov-mapper","version":1,"tests":[{"name":"<no test>"},{"name":"tests::a"},{"name":"tests::b"}],"files":[{"path":"src/lib.rs","lines":[{"line":3,"count":2},{"line":4,"count":1}],"functions":[],"testSets":[[1,2],[2,2]],"testLines":[[3,0],[4,1]]}]}"#;
        let doc = MappedCoverage::from_json(text.as_bytes()).unwrap();
        assert_eq!(serde_json::to_string(&doc).unwrap(), text);
        let by_line = doc.tests_by_line(&doc.files[0]).unwrap();
        assert_eq!(by_line, vec![(3, vec![1, 2]), (4, vec![2])]);
        assert_eq!(compress_ranges(&[0, 1, 2, 5, 7, 8]), vec![0, 2, 5, 5, 7, 8]);
        assert_eq!(expand_ranges(&[0, 2, 5, 5], 6).unwrap(), vec![0, 1, 2, 5]);
        assert!(expand_ranges(&[0, 2, 2, 3], 6).is_err());
        assert!(expand_ranges(&[0, 6], 6).is_err());
    }

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
