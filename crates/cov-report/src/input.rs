//! Reading the inputs: LCOV from any tool and the mapper's JSON, told apart
//! by their content and streamed, never held whole.

use std::io::{self, BufReader, Read};

use wasm_cov_cli::InputArg;
use wasm_cov_format::{
    detect_kind, read_lcov, read_lcov_with, Coverage, FormatError, InputKind, MappedCoverage,
};

use crate::contexts::{Contexts, ContextsBuilder, TnWatcher};
use crate::error::Error;
use crate::merge::merge_owned;
use crate::paths::PathRewriter;

/// Reads every input and merges them under rewritten paths, with the
/// per-test contexts of those that have any.
pub(crate) fn read_inputs(
    inputs: &[InputArg],
    rewriter: &PathRewriter,
) -> Result<(Coverage, Option<Contexts>), Error> {
    let mut merged = Coverage::default();
    let mut contexts = ContextsBuilder::default();
    for input in inputs {
        let name = input.to_string();
        // Streamed: an LCOV file is read a line at a time (each line
        // capped), never held whole.
        let reader = input.open().map_err(|error| Error::Read {
            name: name.clone(),
            error,
        })?;
        let cov = read_one(&name, reader, Some((rewriter, &mut contexts)))?;
        merge_owned(&mut merged, cov, rewriter);
    }
    Ok((merged, contexts.finish()))
}

/// Parses one input document of whatever kind it is. `name` is only for
/// the error message.
pub fn parse_coverage(name: &str, bytes: &[u8]) -> Result<Coverage, Error> {
    read_coverage(name, bytes)
}

/// [`parse_coverage`] from a stream: the kind is told from the first 4096
/// bytes, then LCOV is read a line at a time and JSON straight into its
/// document, so the input is never held whole.
pub fn read_coverage(name: &str, r: impl Read) -> Result<Coverage, Error> {
    read_one(name, r, None)
}

/// [`read_coverage`], adding any per-test data to `contexts` under paths
/// rewritten by its rewriter.
fn read_one(
    name: &str,
    mut r: impl Read,
    contexts: Option<(&PathRewriter, &mut ContextsBuilder)>,
) -> Result<Coverage, Error> {
    let parse = |error| Error::Parse {
        name: name.to_owned(),
        error,
    };
    let mut head = Vec::with_capacity(4096);
    (&mut r)
        .take(4096)
        .read_to_end(&mut head)
        .map_err(|error| Error::Read {
            name: name.to_owned(),
            error,
        })?;
    let kind = detect_kind(&head);
    // 64 KiB reads: a tracefile is mostly short lines, parsed in place.
    let all = BufReader::with_capacity(1 << 16, io::Cursor::new(head).chain(r));
    match (kind, contexts) {
        (InputKind::Lcov, None) => read_lcov(all).map_err(parse),
        (InputKind::Lcov, Some((rewriter, into))) => {
            let mut mine = ContextsBuilder::default();
            let mut watch = TnWatcher::new(rewriter, &mut mine);
            let cov = read_lcov_with(all, |line| watch.line(line)).map_err(parse)?;
            // One name for all of a tracefile is the name of a run
            // (geninfo's --test-name), not a split by test.
            if mine.tests() > 1 {
                into.absorb(mine);
            }
            Ok(cov)
        }
        (InputKind::MappedJson, contexts) => {
            let doc = MappedCoverage::from_reader(all).map_err(parse)?;
            if let Some((rewriter, into)) = contexts {
                mapped_contexts(&doc, rewriter, into).map_err(parse)?;
            }
            Ok(doc.to_coverage())
        }
        (InputKind::V8Json, _) => Err(Error::V8Input {
            name: name.to_owned(),
        }),
    }
}

/// The mapper JSON's `tests`, `testSets` and `testLines`, by name.
fn mapped_contexts(
    doc: &MappedCoverage,
    rewriter: &PathRewriter,
    into: &mut ContextsBuilder,
) -> Result<(), FormatError> {
    if doc.tests.is_empty() {
        return Ok(());
    }
    let ids: Vec<u32> = doc.tests.iter().map(|t| into.test(&t.name)).collect();
    for file in &doc.files {
        if file.test_lines.is_empty() {
            continue;
        }
        let by_line = doc.tests_by_line(file)?;
        let lines = into.lines_of(rewriter.rewrite(&file.path));
        for (line, tests) in by_line {
            lines
                .entry(line)
                .or_default()
                .extend(tests.into_iter().map(|t| ids[t as usize]));
        }
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_input_on_one_line() {
        let e = parse_coverage("coverage.lcov", b"TN:\n\nDA:1,1\n").unwrap_err();
        assert_eq!(e.to_string(), "coverage.lcov: line 3: DA before SF");

        let e =
            parse_coverage("m.json", br#"{"format":"wasm-cov-mapper","version":1}"#).unwrap_err();
        let msg = format!("{:#}", anyhow::Error::from(e));
        assert!(msg.starts_with("m.json: missing field `files`"), "{msg}");
        assert_eq!(msg.matches("missing field").count(), 1, "{msg}");

        let e = parse_coverage("v8.json", br#"{"result":[]}"#).unwrap_err();
        assert!(e
            .to_string()
            .starts_with("v8.json: this is V8 coverage JSON; run v8cov-extract"));
    }
}
