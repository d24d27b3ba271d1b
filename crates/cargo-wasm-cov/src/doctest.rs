//! Doctests, as `cargo test --doc` runs them, with coverage.
//!
//! Since cargo 1.89 rustdoc cross-compiles each doctest for the target and
//! runs it through the target's runner. We make that runner this program
//! (`CARGO_TARGET_WASM32_WASIP1_RUNNER="cargo-wasm-cov __doctest-runner
//! --runs DIR --"`), which runs the doctest's `.wasm` under wasm-run as a
//! plain program (`--harness program`: `_start` once, the exit code is the
//! verdict) into a run folder of its own, named after the doctest's file
//! and line, which rustdoc writes into the name of its entry point, its
//! one test named as cargo names it (`names`). rustdoc deletes the doctest binaries afterwards; wasm-run has kept
//! their bytes under `modules/`, which is all the mapper needs.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};
use wasm_cov_cli::Exit;

use crate::cli::DoctestRunnerArgs;
use crate::flags::BuildFlags;
use crate::stages::{command_line, Stages};

mod names;

pub struct DoctestRun<'a> {
    pub target: &'a str,
    pub target_dir: &'a Path,
    pub flags: &'a BuildFlags,
    /// Selection, features, profile, then `-- test args`.
    pub cargo_args: &'a [OsString],
    pub runs: &'a Path,
    pub node: &'a Path,
    pub timeout: Option<f64>,
    /// wasm-run's `--engine`, when one was asked for.
    pub engine: Option<&'a str>,
    /// `--partition`: a file naming the doctests this shard runs, one a
    /// line; the runner skips the others. (A filter cannot say it:
    /// rustdoc splits its test arguments on white space, and every
    /// doctest's name has some.)
    pub only: Option<&'a Path>,
    pub offline: bool,
    pub verbose: bool,
}

/// `cargo test --doc` with this program as the runner; true when every
/// doctest passed. cargo prints the results.
pub fn run_doctests(d: &DoctestRun<'_>) -> Result<bool> {
    let me = std::env::current_exe().context("cannot find this program's path")?;
    std::fs::create_dir_all(d.runs)
        .with_context(|| format!("cannot create {}", d.runs.display()))?;
    // cargo splits a runner given in the environment on spaces.
    for p in [&me, d.runs, d.node].into_iter().chain(d.only) {
        if p.to_string_lossy().contains(char::is_whitespace) {
            bail!(
                "cannot run doctests: {} has a space, and cargo splits a runner's \
                 command line on spaces (use --no-doc, or another --output-dir)",
                p.display()
            );
        }
    }
    let mut runner = format!(
        "{} __doctest-runner --runs {} --node {}",
        me.display(),
        d.runs.display(),
        d.node.display()
    );
    if let Some(t) = d.timeout {
        runner.push_str(&format!(" --timeout {t}"));
    }
    if let Some(e) = d.engine {
        runner.push_str(&format!(" --engine {e}"));
    }
    if let Some(o) = d.only {
        runner.push_str(&format!(" --only {}", o.display()));
    }
    if d.verbose {
        runner.push_str(" -v");
    }
    runner.push_str(" --");
    let env_name = format!(
        "CARGO_TARGET_{}_RUNNER",
        d.target.to_uppercase().replace('-', "_")
    );
    eprintln!("     Running doctests");
    let mut cmd = Command::new(crate::workspace::cargo());
    cmd.args(["test", "--doc", "--target", d.target])
        .arg("--target-dir")
        .arg(d.target_dir)
        .args(d.cargo_args)
        .env("CARGO_ENCODED_RUSTFLAGS", &d.flags.rustflags)
        .env("CARGO_ENCODED_RUSTDOCFLAGS", &d.flags.rustdocflags)
        .env_remove("RUSTFLAGS")
        .env_remove("RUSTDOCFLAGS")
        .env(&env_name, &runner);
    if d.offline {
        cmd.arg("--offline");
    }
    if d.verbose {
        eprintln!(
            "+ CARGO_ENCODED_RUSTFLAGS={} CARGO_ENCODED_RUSTDOCFLAGS={} {env_name}='{runner}' {}",
            crate::stages::encoded_quote(&d.flags.rustflags),
            crate::stages::encoded_quote(&d.flags.rustdocflags),
            command_line(
                "cargo",
                &cmd.get_args().map(OsString::from).collect::<Vec<_>>()
            )
        );
    }
    let status = cmd.status().context("cannot start cargo test --doc")?;
    Ok(status.success())
}

/// How many doctests `cargo test --doc -- --list` finds for the target,
/// without building or running any (the library is built, with the same
/// flags as the test build so it is reused). `None` if cargo fails.
pub fn count_doctests(d: &DoctestRun<'_>) -> Option<usize> {
    let mut cmd = Command::new(crate::workspace::cargo());
    cmd.args(["test", "--quiet", "--doc", "--target", d.target])
        .arg("--target-dir")
        .arg(d.target_dir)
        // The selection only: the user's test arguments are for a run.
        .args(d.cargo_args.iter().take_while(|a| *a != "--"))
        .args(["--", "--list"])
        .env("CARGO_ENCODED_RUSTFLAGS", &d.flags.rustflags)
        .env("CARGO_ENCODED_RUSTDOCFLAGS", &d.flags.rustdocflags)
        .env_remove("RUSTFLAGS")
        .env_remove("RUSTDOCFLAGS")
        .stderr(std::process::Stdio::null());
    if d.offline {
        cmd.arg("--offline");
    }
    let out = cmd.output().ok()?;
    out.status.success().then(|| {
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|l| l.ends_with(": test"))
            .count()
    })
}

/// The names of the doctests `cargo test --doc -- --list` finds under the
/// user's filters (in `cargo_args` after `--`), as cargo names them
/// (`src/lib.rs - double (line 9)`), for `--partition`. Builds the library
/// as `count_doctests` does; no doctest is built or run.
pub fn list_doctests(d: &DoctestRun<'_>) -> Result<Vec<String>> {
    let mut cmd = Command::new(crate::workspace::cargo());
    let (selection, user) = match d.cargo_args.iter().position(|a| a == "--") {
        Some(i) => (&d.cargo_args[..i], &d.cargo_args[i + 1..]),
        None => (d.cargo_args, &[][..]),
    };
    cmd.args(["test", "--quiet", "--doc", "--target", d.target])
        .arg("--target-dir")
        .arg(d.target_dir)
        .args(selection)
        .args(["--", "--list", "--format", "terse"])
        .args(crate::partition::without_flags(user))
        .env("CARGO_ENCODED_RUSTFLAGS", &d.flags.rustflags)
        .env("CARGO_ENCODED_RUSTDOCFLAGS", &d.flags.rustdocflags)
        .env_remove("RUSTFLAGS")
        .env_remove("RUSTDOCFLAGS");
    if d.offline {
        cmd.arg("--offline");
    }
    let line = command_line(
        "cargo",
        &cmd.get_args().map(OsString::from).collect::<Vec<_>>(),
    );
    if d.verbose {
        eprintln!("+ {line}");
    }
    let out = cmd
        .output()
        .with_context(|| format!("cannot start {line}"))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let tail: Vec<&str> = err.lines().rev().take(3).collect();
        bail!(
            "listing the doctests failed ({line}): {}",
            tail.into_iter().rev().collect::<Vec<_>>().join(" / ")
        );
    }
    Ok(crate::partition::terse_names(&String::from_utf8_lossy(
        &out.stdout,
    )))
}

/// `__doctest-runner`: runs one doctest binary under wasm-run as a program
/// (`_start` once, the exit code is the verdict) into a run folder named
/// after the doctest, its one test named as cargo names it
/// (`names`). An edition-2024 merged binary is run once without coverage
/// for libtest's verdicts (the filters and `ignore`s are built into it),
/// then once per doctest that ran, alone (rustdoc's
/// `RUSTDOC_DOCTEST_RUN_NB_TEST`), each into a run folder of its own.
pub fn runner(a: &DoctestRunnerArgs) -> Result<Exit> {
    let (wasm, rest) = a
        .program
        .split_first()
        .context("no doctest program given")?;
    let bytes = std::fs::read(wasm)
        .with_context(|| format!("cannot read {}", PathBuf::from(wasm).display()))?;
    std::fs::create_dir_all(&a.runs)
        .with_context(|| format!("cannot create {}", a.runs.display()))?;
    let merged = names::merged_count(&bytes);
    if merged > 0 {
        return run_merged(a, wasm, rest, &bytes, merged);
    }
    let only = only_names(a)?;
    let (dir, test_name) = single_name(&bytes);
    if only.as_ref().is_some_and(|o| !o.contains(&test_name)) {
        // Another shard's: passes here without running (cargo says ok).
        return Ok(Exit::Ok);
    }
    let out = claim(&a.runs, &dir)?;
    run_one(a, &out, &test_name, None, wasm, rest)
}

/// The run folder and the test name of a binary of one doctest.
fn single_name(bytes: &[u8]) -> (String, String) {
    let entries = names::entries(bytes);
    let Some(e) = entries.first() else {
        // An example with its own `fn main`: rustdoc wraps it in nothing
        // that names its line.
        let file = names::unit_file_any(bytes).unwrap_or_else(|| "doctest".to_owned());
        return (
            format!("{}-main", names::mangle(&file)),
            format!("{file} - (a doctest with its own fn main; rustdoc names no line for it)"),
        );
    };
    if entries.len() > 1 {
        wasm_cov_cli::warn!(
            "a doctest binary names {} doctests; named after the first",
            entries.len()
        );
    }
    let file = names::unit_file(bytes, &e.file).unwrap_or_else(|| e.file.clone());
    let cwd = std::env::current_dir().unwrap_or_default();
    let source = names::locate(&cwd, &file).and_then(|p| std::fs::read_to_string(p).ok());
    let item = source.ok_or(()).map_or_else(
        |_| names::module_path(&file),
        |src| names::item_path(&file, &src, e.line),
    );
    (
        format!("{}-L{}", e.file, e.line),
        names::cargo_name(&file, &item, e.line),
    )
}

fn run_merged(
    a: &DoctestRunnerArgs,
    wasm: &OsString,
    rest: &[OsString],
    bytes: &[u8],
    count: usize,
) -> Result<Exit> {
    let cwd = std::env::current_dir().unwrap_or_default();
    let names = names::merged_names(bytes, |f| names::locate(&cwd, f).is_some());
    if names.len() != count {
        eprintln!(
            "cargo-wasm-cov: a merged doctest binary of {count} doctests runs as one test: \
             {} of their names were found in it, so they cannot be told apart",
            names.len()
        );
        let out = claim(&a.runs, "merged")?;
        return run_one(
            a,
            &out,
            &format!("{count} merged doctests"),
            None,
            wasm,
            rest,
        );
    }
    // libtest's own run, shown as it is; its log says which tests ran.
    let scratch = claim(&a.runs, ".merged-verdicts")?;
    let mut args: Vec<OsString> = args![
        "--out",
        &scratch,
        "--harness",
        "program",
        "--counters",
        "off"
    ];
    if let Some(n) = &a.node {
        args.extend(args!["--node", n]);
    }
    if let Some(t) = a.timeout {
        args.extend(args!["--timeout", t.to_string()]);
    }
    if let Some(e) = &a.engine {
        args.extend(args!["--engine", e]);
    }
    args.push(wasm.clone());
    let verdict = Stages { verbose: a.verbose }.wasm_run(&args)?;
    let log = std::fs::read_to_string(scratch.join("run.log")).unwrap_or_default();
    let _ = std::fs::remove_dir_all(&scratch);
    let ran = ran_tests(&log);
    let only = only_names(a)?;
    for (i, name) in names.iter().enumerate() {
        if !ran.contains(&name.as_str()) || only.as_ref().is_some_and(|o| !o.contains(name)) {
            continue;
        }
        let out = claim(&a.runs, &dir_name(name))?;
        run_one(a, &out, name, Some(i), wasm, rest)?;
    }
    Ok(verdict)
}

/// The tests libtest's output says ran (passed or failed), not those
/// ignored or filtered out.
fn ran_tests(log: &str) -> Vec<&str> {
    log.lines()
        .filter_map(|l| l.strip_prefix("test "))
        .filter_map(|l| {
            l.strip_suffix(" ... ok")
                .or_else(|| l.strip_suffix(" ... FAILED"))
        })
        .collect()
}

/// A run folder's name for a doctest: `src_lib_rs-L9` for
/// `src/lib.rs - double (line 9)`.
fn dir_name(test: &str) -> String {
    let file = test.split(" - ").next().unwrap_or(test);
    let line = test
        .rsplit_once("(line ")
        .and_then(|(_, l)| l.strip_suffix(')'))
        .unwrap_or("0");
    format!("{}-L{line}", names::mangle(file))
}

/// wasm-run on one doctest (`nb`: the one of a merged binary to run).
fn run_one(
    a: &DoctestRunnerArgs,
    out: &Path,
    test_name: &str,
    nb: Option<usize>,
    wasm: &OsString,
    rest: &[OsString],
) -> Result<Exit> {
    let mut args: Vec<OsString> = args!["--out", out, "--harness", "program"];
    if crate::stages::wasm_run_names_tests() {
        args.extend(args!["--test-name", test_name]);
    }
    if let Some(i) = nb {
        args.extend(args!["--env", format!("{MERGED_TEST_VAR}={i}")]);
    }
    if let Some(n) = &a.node {
        args.extend(args!["--node", n]);
    }
    if let Some(t) = a.timeout {
        args.extend(args!["--timeout", t.to_string()]);
    }
    if let Some(e) = &a.engine {
        args.extend(args!["--engine", e]);
    }
    args.push(wasm.clone());
    if !rest.is_empty() {
        args.push("--".into());
        args.extend(rest.iter().cloned());
    }
    Stages { verbose: a.verbose }.wasm_run(&args)
}

/// The doctests `--only FILE` names, if given.
fn only_names(a: &DoctestRunnerArgs) -> Result<Option<std::collections::BTreeSet<String>>> {
    let Some(p) = &a.only else { return Ok(None) };
    let text =
        std::fs::read_to_string(p).with_context(|| format!("cannot read {}", p.display()))?;
    Ok(Some(text.lines().map(str::to_owned).collect()))
}

/// What a merged doctest binary runs alone: its doctest number N.
const MERGED_TEST_VAR: &str = "RUSTDOC_DOCTEST_RUN_NB_TEST";

/// Creates and returns `dir/name`, or `dir/name.2`, `.3`, ... if taken.
/// rustdoc runs doctests in parallel, so the folder is claimed by
/// creating it, which only one process can do.
fn claim(dir: &Path, name: &str) -> Result<PathBuf> {
    for i in 1..10_000 {
        let p = if i == 1 {
            dir.join(name)
        } else {
            dir.join(format!("{name}.{i}"))
        };
        match std::fs::create_dir(&p) {
            Ok(()) => return Ok(p),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e).with_context(|| format!("cannot create {}", p.display())),
        }
    }
    bail!("too many runs named {name} in {}", dir.display())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merged_runs_are_named_and_selected_from_libtests_output() {
        assert_eq!(dir_name("src/lib.rs - double (line 9)"), "src_lib_rs-L9");
        let log = "running 3 tests\ntest src/lib.rs - (line 3) ... ok\n\
            test src/lib.rs - ign (line 28) ... ignored\n\
            test src/a.rs - a (line 1) ... FAILED\n";
        assert_eq!(
            ran_tests(log),
            ["src/lib.rs - (line 3)", "src/a.rs - a (line 1)"]
        );
    }

    #[test]
    fn parallel_runs_claim_distinct_folders() {
        let d = tempfile::tempdir().unwrap();
        let a = claim(d.path(), "src_lib_rs-L1").unwrap();
        let b = claim(d.path(), "src_lib_rs-L1").unwrap();
        assert_ne!(a, b);
        assert!(b.ends_with("src_lib_rs-L1.2"));
    }
}
