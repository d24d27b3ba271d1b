//! The command line: read the offsets, find and check the modules they
//! name, map each one, and write the report atomically.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::{Parser, ValueEnum};
use wasm_cov_cli::{Exit, InputArg, OutputArg};
use wasm_cov_format::{
    read_offsets_grouped, write_lcov, Coverage, MappedCoverage, ModuleLayout, OffsetBlock,
};

use crate::branches::BranchFilter;
use crate::debug_files::{has_debug_line, DebugSearch, Lookup};
use crate::functions::merge_across_crates;
use crate::map::{map_module_per_test, MapOptions};
use crate::per_test::PerTestLines;
use crate::sources::Sources;
use crate::without_dwarf::{self, Given, Missing};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Lcov,
    Json,
}

/// Map wasm block counts to Rust source lines through DWARF.
#[derive(Debug, Parser)]
#[command(
    name = "wasm-cov-mapper",
    version,
    group = clap::ArgGroup::new("module").required(true).args(["wasm", "modules"]),
    after_help = "\
Examples:
  v8cov-extract cov/v8-coverage.json | wasm-cov-mapper --modules cov/modules > lcov.info
  wasm-cov-mapper --wasm demo.wasm offsets.csv --format json -o demo.json --source-root .

  # the module that ran was stripped; its DWARF is in the unstripped copy
  wasm-cov-mapper --modules cov/modules offsets.csv --debug-file target/app.full.wasm

By default the standard library (/rustc/...) and dependencies (.cargo/registry,
.cargo/git) are left out; --include-deps keeps them.

A module without .debug_line takes its DWARF from a debug file whose code
section is the module's, byte for byte (or, for a file without code, whose
build_id section is the module's): a --debug-file, the file its
external_debug_info section names (beside the module or in a --debug-dir),
or any *.wasm in a --debug-dir. A file that does not match is an error.

A module found in --modules that has no DWARF at all (a component's shim
modules) is skipped, said in one note, when another module of the run has
DWARF; a --wasm module without DWARF, or a run where no module has any, is
an error.

Exit status: 0 ok, 2 usage or input error."
)]
pub struct Cli {
    /// A module the offsets refer to (repeatable). Its SHA-256 must match.
    #[arg(long, value_name = "FILE")]
    pub wasm: Vec<PathBuf>,

    /// A folder of modules named <sha256>.wasm, as wasm-run writes them
    /// (repeatable; searched in order). Those without DWARF are skipped
    /// when another module has it.
    #[arg(long, value_name = "DIR")]
    pub modules: Vec<PathBuf>,

    /// A file holding the DWARF of a module that has none (repeatable): the
    /// module before it was stripped, or a split `.debug.wasm`. It must
    /// have the module's code section, byte for byte, or its build_id.
    #[arg(long, value_name = "FILE")]
    pub debug_file: Vec<PathBuf>,

    /// A folder of debug files (repeatable): where the name in a module's
    /// `external_debug_info` section is looked up, and whose *.wasm files
    /// are matched to modules without DWARF.
    #[arg(long, value_name = "DIR")]
    pub debug_dir: Vec<PathBuf>,

    /// The offsets CSV from v8cov-extract; `-` or none reads standard input.
    #[arg(value_name = "OFFSETS", default_value = "-", hide_default_value = true)]
    pub offsets: InputArg,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Lcov)]
    pub format: Format,

    /// Output file; default standard output. Written atomically.
    #[arg(
        short,
        long,
        value_name = "OUT",
        default_value = "-",
        hide_default_value = true
    )]
    pub output: OutputArg,

    /// Write paths under DIR relative to it (others stay absolute).
    #[arg(long, value_name = "DIR")]
    pub source_root: Option<PathBuf>,

    /// Keep the standard library's and dependencies' sources.
    #[arg(long)]
    pub include_deps: bool,

    /// Do not read the Rust sources the DWARF names. Then functions that
    /// have no code (generics no test instantiates) are not reported, and
    /// rows on lines without code (derives, the test harness's `main`) are
    /// kept: the report is the DWARF's alone.
    #[arg(long)]
    pub no_sources: bool,

    /// Which branches to report: `panics` leaves out decisions with an
    /// outcome that only panics (compiler checks, unwrap, assert); `none`
    /// filters nothing; `off` reports no branches.
    #[arg(long, value_enum, default_value_t = BranchFilter::Panics)]
    pub branch_filter: BranchFilter,

    /// Per-test block counts (`v8cov-extract --per-test`): the JSON output
    /// then says which tests ran each line (`tests`, `testSets`,
    /// `testLines`), and --lcov-per-test can be written.
    #[arg(long, value_name = "FILE")]
    pub per_test: Option<InputArg>,

    /// Also write LCOV with one section per test (`TN:` the test's name,
    /// non-word characters as `_`), each listing only the lines its test
    /// ran. Needs --per-test.
    #[arg(long, value_name = "OUT", requires = "per_test")]
    pub lcov_per_test: Option<OutputArg>,

    /// Also print the notes that are usually noise: how many blocks map to
    /// no line-table row (said without -v only when the share is unusual).
    #[arg(short, long)]
    pub verbose: bool,
}

/// The share of blocks with no line-table row above which the note is
/// printed without -v. Measured: 0.4% in wasm-bindgen suites, 6-10% in
/// wasm32-wasip1 modules, where wasi-libc and the compiler builtins
/// (about 2,700 blocks, whatever the crate) have no line tables, so a
/// small module such as a doctest reaches 10%. Above a quarter, code that
/// should be counted lacks line tables (a crate built without debuginfo,
/// a module stripped and mapped without its debug file), which a user
/// needs to know.
const UNUSUAL_UNMAPPED_SHARE: f64 = 0.25;

/// Runs the stage: `Exit::Ok`, or an error naming the input and the place.
pub fn run(cli: &Cli) -> Result<Exit> {
    let input = &cli.offsets;
    let reader = input
        .open()
        .with_context(|| format!("cannot read {input}"))?;
    let by_module = read_offsets_grouped(reader).with_context(|| input.to_string())?;
    let modules = find_modules(cli, &by_module)?;

    let root_abs = match &cli.source_root {
        Some(r) => Some(
            std::path::absolute(r).with_context(|| format!("cannot resolve {}", r.display()))?,
        ),
        None => None,
    };
    let opts = MapOptions {
        include_deps: cli.include_deps,
        source_root: root_abs.as_deref(),
        branch_filter: cli.branch_filter,
    };
    let mut cov = Coverage::default();
    let mut sources = if cli.no_sources {
        Sources::disabled()
    } else {
        Sources::default()
    };
    if cli.lcov_per_test.as_ref().is_some_and(|o| o.is_stdout()) && cli.output.is_stdout() {
        bail!("--lcov-per-test - and the report cannot both go to standard output; give -o FILE");
    }
    if cli.per_test.as_ref().is_some_and(|p| p.is_stdin()) && cli.offsets.is_stdin() {
        bail!("--per-test - and the offsets cannot both come from standard input");
    }
    let mut per_test = match &cli.per_test {
        Some(p) => Some(crate::per_test::read(p, &by_module)?),
        None => None,
    };
    let (mut blocks, mut unmapped) = (0, 0);
    let mut debug = DebugSearch::new(&cli.debug_file, &cli.debug_dir);
    // Where each module's DWARF is (`None`: its own), all found before any
    // is mapped, so a run that cannot be mapped fails at once.
    let mut lookups = Vec::with_capacity(modules.len());
    for m in &modules {
        lookups.push(if has_debug_line(&m.bytes, &m.layout) {
            None
        } else {
            Some(debug.find(&m.path, &m.bytes, &m.layout)?)
        });
    }
    let missing: Vec<Missing<'_>> = modules
        .iter()
        .zip(&lookups)
        .filter_map(|(m, l)| match l {
            Some(Lookup::Missing { refused }) => Some(Missing {
                path: &m.path,
                given: m.given,
                refused,
            }),
            _ => None,
        })
        .collect();
    without_dwarf::check(modules.len(), &missing).map_err(anyhow::Error::msg)?;
    for (m, lookup) in modules.iter().zip(&lookups) {
        let found = match lookup {
            None => None,
            Some(Lookup::Found(i)) => Some(*i),
            Some(Lookup::Missing { .. }) => continue,
        };
        let rows = by_module
            .get(m.layout.sha256.as_str())
            .map_or(&[][..], Vec::as_slice);
        let dwarf = found.map(|i| {
            let d = debug.get(i);
            (d.bytes.as_slice(), &d.layout)
        });
        let stats = map_module_per_test(
            &m.bytes,
            &m.layout,
            dwarf,
            rows,
            &opts,
            &mut sources,
            &mut cov,
            per_test.as_mut(),
        )
        .with_context(|| match found {
            Some(i) => format!(
                "{} (DWARF from {})",
                m.path.display(),
                debug.get(i).path.display()
            ),
            None => m.path.display().to_string(),
        })?;
        blocks += stats.blocks;
        unmapped += stats.unmapped_blocks;
    }
    sources.finish(&mut cov);
    merge_across_crates(&mut cov);
    if let Some(note) = without_dwarf::skipped_note(&missing) {
        eprintln!("{}: note: {note}", wasm_cov_cli::tool_name());
    }
    let share = unmapped as f64 / blocks.max(1) as f64;
    if unmapped > 0 && (cli.verbose || share > UNUSUAL_UNMAPPED_SHARE) {
        // Usually compiler builtins and other code linked in without line
        // tables: said once, so it is known, not repeated per module.
        eprintln!(
            "{}: note: {unmapped} of {blocks} blocks ({:.1}%) in {} module(s) map to no line-table row \
             (code without debug info, such as compiler builtins) and are not counted",
            wasm_cov_cli::tool_name(),
            share * 100.0,
            modules.len() - missing.len()
        );
    }
    for f in debug.unused_files() {
        wasm_cov_cli::warn!(
            "--debug-file {}: no module without DWARF of its own belongs to it; not used",
            f.display()
        );
    }
    write(&cov, cli.format, &cli.output, per_test.as_ref())?;
    if let (Some(p), Some(out)) = (&per_test, &cli.lcov_per_test) {
        p.write_lcov_to(out)?;
    }
    Ok(Exit::Ok)
}

/// A module given on the command line, loaded and checked.
struct Loaded {
    path: PathBuf,
    given: Given,
    bytes: Vec<u8>,
    layout: ModuleLayout,
}

fn load_module(path: &Path, given: Given) -> Result<Loaded> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let layout = ModuleLayout::parse(&bytes).with_context(|| path.display().to_string())?;
    Ok(Loaded {
        path: path.to_path_buf(),
        given,
        bytes,
        layout,
    })
}

/// Which modules to map: every --wasm (even one with no blocks: all its
/// lines count 0), and for --modules every module the offsets name.
fn find_modules(cli: &Cli, by_module: &BTreeMap<String, Vec<OffsetBlock>>) -> Result<Vec<Loaded>> {
    let input = &cli.offsets;
    let mut modules: Vec<Loaded> = Vec::new();
    for w in &cli.wasm {
        modules.push(load_module(w, Given::Wasm)?);
    }
    for sha in by_module.keys() {
        if modules.iter().any(|m| &m.layout.sha256 == sha) {
            continue;
        }
        if cli.modules.is_empty() {
            bail!(
                "{input}: module {sha} matches none of the --wasm files given (their SHA-256: {})",
                modules
                    .iter()
                    .map(|m| m.layout.sha256.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        let file = format!("{sha}.wasm");
        let Some(path) = cli
            .modules
            .iter()
            .map(|d| d.join(&file))
            .find(|p| p.is_file())
        else {
            bail!(
                "{input}: module {sha} is in none of the --modules folders ({}); no {file} there",
                cli.modules
                    .iter()
                    .map(|d| d.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        };
        let m = load_module(&path, Given::Folder)?;
        if &m.layout.sha256 != sha {
            bail!(
                "{}: its SHA-256 is {}, not the {sha} its name says",
                path.display(),
                m.layout.sha256
            );
        }
        modules.push(m);
    }
    Ok(modules)
}

/// Writes the report, atomically: a file appears whole or not at all.
fn write(
    cov: &Coverage,
    format: Format,
    output: &OutputArg,
    per_test: Option<&PerTestLines>,
) -> Result<()> {
    let mut out = output
        .create()
        .with_context(|| format!("cannot write {output}"))?;
    match format {
        Format::Lcov => write_lcov(cov, &mut out)?,
        Format::Json => {
            let mut doc = MappedCoverage::from_coverage(cov);
            if let Some(p) = per_test {
                p.add_to_json(&mut doc);
            }
            serde_json::to_writer(&mut out, &doc)?;
            std::io::Write::write_all(&mut out, b"\n")?;
        }
    }
    out.commit()
        .with_context(|| format!("cannot write {output}"))?;
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
    fn debug_files_and_dirs_repeat() {
        let cli = Cli::try_parse_from([
            "wasm-cov-mapper",
            "--modules",
            "m",
            "--debug-file",
            "a.wasm",
            "--debug-file",
            "b.wasm",
            "--debug-dir",
            "d",
        ])
        .unwrap();
        assert_eq!(cli.debug_file, [Path::new("a.wasm"), Path::new("b.wasm")]);
        assert_eq!(cli.debug_dir, [Path::new("d")]);
    }

    #[test]
    fn dash_and_nothing_mean_stdio() {
        let cli =
            Cli::try_parse_from(["wasm-cov-mapper", "--wasm", "m.wasm", "-", "-o", "-"]).unwrap();
        assert!(cli.offsets.is_stdin() && cli.output.is_stdout());
        let cli = Cli::try_parse_from(["wasm-cov-mapper", "--modules", "m"]).unwrap();
        assert!(cli.offsets.is_stdin() && cli.output.is_stdout());
        let cli =
            Cli::try_parse_from(["wasm-cov-mapper", "--modules", "m", "o.csv", "-o", "x.info"])
                .unwrap();
        assert_eq!(cli.offsets.path(), Some(Path::new("o.csv")));
        assert_eq!(cli.output.path(), Some(Path::new("x.info")));
    }
}
