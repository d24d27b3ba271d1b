//! Doctests, as `cargo test --doc` runs them, with coverage.
//!
//! Since cargo 1.89 rustdoc cross-compiles each doctest for the target and
//! runs it through the target's runner. We make that runner this program
//! (`CARGO_TARGET_WASM32_WASIP1_RUNNER="cargo-wasm-cov __doctest-runner
//! --runs DIR --"`), which runs the doctest's `.wasm` under wasm-run as a
//! plain program (`--harness program`: `_start` once, the exit code is the
//! verdict) into a run folder of its own, named after the doctest's file
//! and line, which rustdoc writes into the name of its entry point.
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

/// The doctest entry points a doctest binary holds. rustdoc names each
/// doctest's `main` `_doctest_main_<path>_<line>_<n>` (`src/lib.rs` line 12
/// → `_doctest_main_src_lib_rs_12_0`), and the name section keeps it. One
/// name is one doctest; several are an edition-2024 merged binary.
pub fn doctest_mains(wasm: &[u8]) -> Vec<String> {
    const TAG: &[u8] = b"_doctest_main_";
    let mut found = Vec::new();
    let mut i = 0;
    while let Some(at) = wasm[i..].windows(TAG.len()).position(|w| w == TAG) {
        let start = i + at + TAG.len();
        let len = wasm[start..]
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
            .count();
        let ident = String::from_utf8_lossy(&wasm[start..start + len]).into_owned();
        let ident = strip_legacy_hash(&ident).to_owned();
        if !ident.is_empty() && !found.contains(&ident) {
            found.push(ident);
        }
        i = start + len.max(1);
        if i >= wasm.len() {
            break;
        }
    }
    found.sort();
    found
}

/// A legacy-mangled symbol (the name section's form) runs on into
/// `17h<16 hex digits>E`; DWARF's name does not. Both name one doctest.
fn strip_legacy_hash(ident: &str) -> &str {
    let b = ident.as_bytes();
    let n = b.len();
    if n > 20
        && b[n - 1] == b'E'
        && b[n - 20..n - 17] == *b"17h"
        && b[n - 17..n - 1].iter().all(u8::is_ascii_hexdigit)
    {
        &ident[..n - 20]
    } else {
        ident
    }
}

/// `src_lib_rs_12_0` → (`src_lib_rs`, 12): the file part and the line of
/// the doctest's opening fence.
pub fn split_main(ident: &str) -> Option<(&str, u32)> {
    let (rest, _n) = ident.rsplit_once('_')?;
    let (file, line) = rest.rsplit_once('_')?;
    Some((file, line.parse().ok()?))
}

/// `__doctest-runner`: runs one doctest binary under wasm-run as a program
/// (`_start` once, the exit code is the verdict) into a run folder named
/// after the doctest.
///
/// rustdoc gives a runner only the binary's path (its
/// `UNSTABLE_RUSTDOC_TEST_PATH`/`_LINE` reach the compiler, not the
/// runner), so the name comes from the doctest's entry point in the
/// binary itself.
pub fn runner(a: &DoctestRunnerArgs) -> Result<Exit> {
    let (wasm, rest) = a
        .program
        .split_first()
        .context("no doctest program given")?;
    let bytes = std::fs::read(wasm)
        .with_context(|| format!("cannot read {}", PathBuf::from(wasm).display()))?;
    let mains = doctest_mains(&bytes);
    let (name, test_name) = match mains.as_slice() {
        [one] => match split_main(one) {
            Some((file, line)) => (format!("{file}-L{line}"), format!("{file} line {line}")),
            None => (one.clone(), one.clone()),
        },
        [] => ("doctest".to_owned(), "doctest".to_owned()),
        many => (
            "merged".to_owned(),
            format!("{} merged doctests", many.len()),
        ),
    };
    std::fs::create_dir_all(&a.runs)
        .with_context(|| format!("cannot create {}", a.runs.display()))?;
    let out = claim(&a.runs, &name)?;
    let mut args: Vec<OsString> = args!["--out", &out, "--harness", "program"];
    if crate::stages::wasm_run_names_tests() {
        args.extend(args!["--test-name", test_name]);
    }
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
    fn doctest_names_come_from_the_entry_point() {
        let wasm = b"\0asm..._doctest_main_src_lib_rs_12_0\x07..\
            _ZN8rust_out28_doctest_main_src_lib_rs_12_017h0123456789abcdefE..";
        let mains = doctest_mains(wasm);
        assert_eq!(mains, ["src_lib_rs_12_0"]);
        assert_eq!(split_main("src_lib_rs_12_0"), Some(("src_lib_rs", 12)));
        assert_eq!(split_main("x"), None);
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
