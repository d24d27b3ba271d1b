//! Doctests, as `cargo test --doc` runs them, with coverage.
//!
//! Since cargo 1.89 rustdoc cross-compiles each doctest for the target and
//! runs it through the target's runner. We make that runner this program
//! (`CARGO_TARGET_WASM32_WASIP1_RUNNER="cargo-wasm-cov __doctest-runner
//! --runs DIR --"`), which runs the doctest's `.wasm` under wasm-run as a
//! plain program (`--harness program`: `_start` once, the exit code is the
//! verdict) into a run folder of its own, named from rustdoc's
//! `UNSTABLE_RUSTDOC_TEST_PATH` and `UNSTABLE_RUSTDOC_TEST_LINE`.
//! rustdoc deletes the doctest binaries afterwards; wasm-run has kept
//! their bytes under `modules/`, which is all the mapper needs.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};
use wasm_cov_cli::Exit;

use crate::cli::DoctestRunnerArgs;
use crate::flags::BuildFlags;
use crate::stages::{command_line, Stages};

pub struct DoctestRun<'a> {
    pub target: &'a str,
    pub target_dir: &'a Path,
    pub flags: &'a BuildFlags,
    /// Selection, features, profile, then `-- test args`.
    pub cargo_args: &'a [OsString],
    pub runs: &'a Path,
    pub node: &'a Path,
    pub timeout: Option<f64>,
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
    for p in [&me, d.runs, d.node] {
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
            "+ {env_name}='{runner}' {}",
            command_line(
                "cargo",
                &cmd.get_args().map(OsString::from).collect::<Vec<_>>()
            )
        );
    }
    let status = cmd.status().context("cannot start cargo test --doc")?;
    Ok(status.success())
}

/// A file-system-safe run folder name for one doctest:
/// `src/lib.rs` line 12 → `src_lib.rs-L12`.
pub fn run_name(path: &str, line: &str) -> String {
    let safe: String = path
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let line: String = line.chars().filter(char::is_ascii_digit).collect();
    format!("{safe}-L{line}")
}

/// `__doctest-runner`: runs one doctest binary under wasm-run.
pub fn runner(a: &DoctestRunnerArgs) -> Result<Exit> {
    let (wasm, rest) = a
        .program
        .split_first()
        .context("no doctest program given")?;
    let path = std::env::var("UNSTABLE_RUSTDOC_TEST_PATH").unwrap_or_default();
    let line = std::env::var("UNSTABLE_RUSTDOC_TEST_LINE").unwrap_or_default();
    let name = if path.is_empty() {
        // Not started by rustdoc (or a merged edition-2024 binary):
        // name it after the binary.
        PathBuf::from(wasm)
            .file_stem()
            .map_or_else(|| "doctest".into(), |s| s.to_string_lossy().into_owned())
    } else {
        run_name(&path, &line)
    };
    let test_name = if path.is_empty() {
        name.clone()
    } else {
        format!("{path} - line {line}")
    };
    let out = unique(&a.runs.join(&name));
    let mut args: Vec<OsString> = args![
        "--out",
        &out,
        "--harness",
        "program",
        "--test-name",
        test_name
    ];
    if let Some(n) = &a.node {
        args.extend(args!["--node", n]);
    }
    if let Some(t) = a.timeout {
        args.extend(args!["--timeout", t.to_string()]);
    }
    args.push(wasm.clone());
    if !rest.is_empty() {
        args.push("--".into());
        args.extend(rest.iter().cloned());
    }
    Stages { verbose: a.verbose }.wasm_run(&args)
}

/// `p`, or `p.2`, `p.3`, ... when taken: the same doctest line can be run
/// more than once (several packages, reruns under --no-report).
fn unique(p: &Path) -> PathBuf {
    if !p.exists() {
        return p.to_path_buf();
    }
    let name = p
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    (2..)
        .map(|i| p.with_file_name(format!("{name}.{i}")))
        .find(|q| !q.exists())
        .unwrap_or_else(|| p.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_names_are_file_system_safe_and_unique_per_line() {
        assert_eq!(run_name("src/lib.rs", "12"), "src_lib.rs-L12");
        assert_eq!(run_name("core/src/a b.rs", "3"), "core_src_a_b.rs-L3");
        assert_ne!(run_name("src/lib.rs", "12"), run_name("src/lib.rs", "13"));
    }
}
