//! The command line: read every input, check it against its modules, and
//! write the offsets CSV atomically.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{bail, Context, Result};
use clap::Parser;
use wasm_cov_cli::{Exit, InputArg, OutputArg};
use wasm_cov_format::V8Coverage;

use crate::{accumulate, check_modules, write};

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
}

/// Runs the stage: `Exit::Ok`, or an error naming the input and the place.
pub fn run(cli: &Cli) -> Result<Exit> {
    let stdin = [InputArg::STDIN];
    let inputs = if cli.inputs.is_empty() {
        &stdin[..]
    } else {
        &cli.inputs[..]
    };
    let mut acc = BTreeMap::new();
    let mut modules = 0;
    for input in inputs {
        let name = input.to_string();
        // Straight into the document: the file's bytes are never held
        // beside it.
        let reader = input.open_json().with_context(|| name.clone())?;
        let doc: V8Coverage = serde_json::from_reader(reader).with_context(|| name.clone())?;
        modules += accumulate(&doc, &mut acc).with_context(|| name.clone())?;
        if let Some(path) = input.path() {
            let dir = path.parent().unwrap_or(Path::new(""));
            check_modules(&doc, dir).with_context(|| name.clone())?;
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
    out.commit()
        .with_context(|| format!("cannot write {output}"))?;
    Ok(Exit::Ok)
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
