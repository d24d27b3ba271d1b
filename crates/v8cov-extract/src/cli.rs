//! The command line: read every input, check it against its modules, and
//! write the offsets CSV atomically.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use anyhow::{bail, Context, Result};
use clap::Parser;
use wasm_cov_cli::{Exit, InputArg, OutputArg};
use wasm_cov_format::{check_shard_set, PerTest, ShardRecord, V8Coverage};

use crate::{accumulate, check_modules, per_test_of_input, write, PER_TEST_FILE};

/// Turn v8-coverage.json files into the offsets CSV (one row per wasm block).
#[derive(Debug, Parser)]
#[command(
    name = "v8cov-extract",
    version,
    after_help = "\
Examples:
  v8cov-extract coverage/v8-coverage.json -o offsets.csv
  v8cov-extract a/v8-coverage.json b/v8-coverage.json \\
      | wasm-cov-mapper --modules a/modules --modules b/modules
  v8cov-extract cov/v8-coverage.json -o offsets.csv --per-test per-test.jsonl
  v8cov-extract shard-*/v8-coverage.json -o offsets.csv   # wasm-run --partition

Inputs with a shard.json beside them (wasm-run --partition) must be
distinct shards of one partition.

Output columns: module,function,start,end,count (sha256 of the module,
function index, absolute module byte offsets with end exclusive, count).

Exit status: 0 ok, 2 usage or input error."
)]
pub struct Cli {
    /// v8-coverage.json files; `-` or none reads standard input.
    #[arg(value_name = "FILE")]
    pub inputs: Vec<InputArg>,

    /// Output file; default standard output. Written atomically.
    #[arg(
        short,
        long,
        value_name = "OUT",
        default_value = "-",
        hide_default_value = true
    )]
    pub output: OutputArg,

    /// Also write each test's block counts (docs/formats.md, "Per-test
    /// block counts") to FILE, summed over the inputs like the CSV: read
    /// from the per-test.jsonl wasm-run writes beside each input; an input
    /// without one counts under the pseudo-test `<no test>`.
    #[arg(long, value_name = "FILE")]
    pub per_test: Option<OutputArg>,
}

/// Runs the stage: `Exit::Ok`, or an error naming the input and the place.
pub fn run(cli: &Cli) -> Result<Exit> {
    let stdin = [InputArg::STDIN];
    let inputs = if cli.inputs.is_empty() {
        &stdin[..]
    } else {
        &cli.inputs[..]
    };
    if cli.per_test.as_ref().is_some_and(|p| p.is_stdout()) && cli.output.is_stdout() {
        bail!("--per-test - and the CSV cannot both go to standard output; give -o FILE");
    }
    check_shards(inputs)?;
    let mut acc = BTreeMap::new();
    let mut modules = 0;
    let mut per_test = cli.per_test.as_ref().map(|_| PerTest::default());
    let mut without = Vec::new();
    for input in inputs {
        let name = input.to_string();
        // Straight into the document: the file's bytes are never held
        // beside it.
        // Whole, then parsed from the slice: serde_json's reader path pulls
        // one byte per call and was a quarter of this tool's time.
        let mut bytes = Vec::new();
        input
            .open_json()
            .and_then(|mut r| r.read_to_end(&mut bytes))
            .with_context(|| name.clone())?;
        let doc: V8Coverage = serde_json::from_slice(&bytes).with_context(|| name.clone())?;
        drop(bytes);
        modules += accumulate(&doc, &mut acc).with_context(|| name.clone())?;
        if let Some(path) = input.path() {
            let dir = path.parent().unwrap_or(Path::new(""));
            check_modules(&doc, dir).with_context(|| name.clone())?;
        }
        if let Some(all) = per_test.as_mut() {
            let dir = input.path().map(|p| p.parent().unwrap_or(Path::new("")));
            let (one, found) = per_test_of_input(&doc, dir).with_context(|| name.clone())?;
            if !found {
                without.push(name.clone());
            }
            all.merge(one);
        }
    }
    if modules == 0 {
        bail!("no wasm module in the input (JavaScript-only coverage? wasm-run writes the wasm entries)");
    }
    let output = &cli.output;
    let mut out = output
        .create()
        .with_context(|| format!("cannot write {output}"))?;
    write(&acc, &mut out)?;
    if let (Some(all), Some(output)) = (&per_test, &cli.per_test) {
        if !without.is_empty() {
            eprintln!(
                "{}: note: no {PER_TEST_FILE} beside {}: counted under <no test>",
                wasm_cov_cli::tool_name(),
                without.join(", ")
            );
        }
        let mut out = output
            .create()
            .with_context(|| format!("cannot write {output}"))?;
        all.write(&mut out)?;
        out.commit()
            .with_context(|| format!("cannot write {output}"))?;
    }
    out.commit()
        .with_context(|| format!("cannot write {output}"))?;
    Ok(Exit::Ok)
}

/// Inputs from shards (`wasm-run --partition` leaves `shard.json` beside
/// its v8-coverage.json) must be shards of one partition, each once, or
/// their tests would count twice; a missing shard is said. Inputs that
/// are no shard's are not checked.
fn check_shards(inputs: &[InputArg]) -> Result<()> {
    let mut runs = Vec::new();
    let mut dirs = Vec::new();
    for input in inputs {
        let dir = input
            .path()
            .map(|p| p.parent().unwrap_or(Path::new("")).to_path_buf());
        let record = match &dir {
            Some(d) => ShardRecord::load(d).map_err(anyhow::Error::msg)?,
            None => None,
        };
        runs.push((input.to_string(), record));
        dirs.push(dir.map(|d| d.canonicalize().unwrap_or(d)));
    }
    if runs.iter().all(|(_, r)| r.is_none()) {
        return Ok(());
    }
    match check_shard_set(&runs, |a, b| dirs[a].is_some() && dirs[a] == dirs[b]) {
        Ok(Some(missing)) => wasm_cov_cli::warn!("{missing}"),
        Ok(None) => {}
        Err(e) => bail!("{e}"),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn dash_and_nothing_mean_stdio() {
        let cli = Cli::try_parse_from(["v8cov-extract", "-", "-o", "-"]).unwrap();
        assert_eq!(cli.inputs, [InputArg::STDIN]);
        assert!(cli.output.is_stdout());
        let cli = Cli::try_parse_from(["v8cov-extract"]).unwrap();
        assert!(cli.inputs.is_empty() && cli.output.is_stdout());
    }
}
