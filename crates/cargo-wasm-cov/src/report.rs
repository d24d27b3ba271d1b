//! From the runs in the output folder to the reports: v8cov-extract over
//! every `runs/*/v8-coverage.json`, wasm-cov-mapper with every
//! `runs/*/modules`, then cov-report. Used after a test run and by
//! `cargo wasm-cov report`, which with `--runs DIR...` merges the output
//! folders of several runs (CI shards) after `check_shards`.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use wasm_cov_cli::Exit;

use crate::cli::ReportArgs;
use crate::stages::Stages;
use crate::workspace::Settings;

/// Files of rustdoc's edition-2024 merged-doctest harness.
pub const MERGED_DOCTEST_HARNESS: &str =
    r"(^|/)rustdoctest[^/]*/doctest_(bundle|runner)_[0-9]+\.rs$";

/// A shard's record in its output folder (docs/formats.md, "shard.json").
pub const SHARD_FILE: &str = wasm_cov_format::SHARD_FILE;

/// The shard record of the output folder `dir`, if it has one.
pub fn shard_of(dir: &Path) -> Result<Option<wasm_cov_format::ShardRecord>> {
    wasm_cov_format::ShardRecord::load(dir).map_err(anyhow::Error::msg)
}

/// The output folders given to `report --runs`, checked before anything
/// is read: each exists; no folder, and no shard, twice (its tests would
/// count twice); every folder a shard of one partition, or none a shard.
/// Shards missing from a partition are said, and the report covers the
/// others.
pub fn check_shards(dirs: &[PathBuf]) -> Result<()> {
    let mut runs = Vec::new();
    let mut canon = Vec::new();
    for d in dirs {
        if !d.is_dir() {
            bail!("--runs {}: no such folder", d.display());
        }
        canon.push(d.canonicalize().unwrap_or_else(|_| d.clone()));
        runs.push((d.display().to_string(), shard_of(d)?));
    }
    match wasm_cov_format::check_shard_set(&runs, |a, b| canon[a] == canon[b]) {
        Ok(Some(missing)) => wasm_cov_cli::warn!("{missing}"),
        Ok(None) => {}
        Err(e) => bail!("{e}"),
    }
    Ok(())
}

/// Every run folder under `runs` (doctest runs sit one level deeper, in
/// `runs/doctests/`), sorted.
pub fn run_dirs(runs: &Path) -> Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    let mut todo = vec![runs.to_path_buf()];
    while let Some(dir) = todo.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries {
            let p = e?.path();
            if p.join("v8-coverage.json").is_file() {
                found.push(p);
            } else if p.is_dir() && !p.ends_with("modules") {
                todo.push(p);
            }
        }
    }
    found.sort();
    Ok(found)
}

/// Writes the reports; the exit is cov-report's (1 when a bar is missed).
pub fn report(
    out: &Path,
    sources: &[PathBuf],
    workspace_root: &Path,
    args: &ReportArgs,
    settings: &Settings,
    merge: &[PathBuf],
    stages: Stages,
) -> Result<Exit> {
    let mut runs = Vec::new();
    for s in sources {
        runs.extend(run_dirs(&s.join("runs"))?);
    }
    if runs.is_empty() {
        let dirs: Vec<String> = sources
            .iter()
            .map(|s| s.join("runs").display().to_string())
            .collect();
        bail!(
            "no runs in {} (run `cargo wasm-cov` or `cargo wasm-cov --no-report` first)",
            dirs.join(", ")
        );
    }
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let offsets = out.join("offsets.csv");
    let mapped = out.join("coverage.json");
    let lcov = out.join("lcov.info");

    let mut a: Vec<OsString> = runs
        .iter()
        .map(|r| r.join("v8-coverage.json").into())
        .collect();
    a.extend(args!["-o", &offsets]);
    // Per-test counts (wasm-run --counters inject on libtest binaries) go
    // on through the stages: the mapper JSON carries which tests ran each
    // line, and lcov-per-test.info has one TN: section per test.
    let per_test = out.join("per-test.jsonl");
    let lcov_per_test = out.join("lcov-per-test.info");
    let has_per_test = runs.iter().any(|r| r.join("per-test.jsonl").is_file());
    for stale in [&per_test, &lcov_per_test] {
        if stale.is_file() {
            std::fs::remove_file(stale)
                .with_context(|| format!("cannot remove the old {}", stale.display()))?;
        }
    }
    if has_per_test {
        a.extend(args!["--per-test", &per_test]);
    }
    check(stages.extract(&a)?, "v8cov-extract")?;

    let mut a: Vec<OsString> = Vec::new();
    for r in &runs {
        a.extend(args!["--modules", r.join("modules")]);
    }
    a.extend(args![
        &offsets,
        "--source-root",
        workspace_root,
        "--format",
        "json",
        "-o",
        &mapped
    ]);
    if has_per_test {
        a.extend(args![
            "--per-test",
            &per_test,
            "--lcov-per-test",
            &lcov_per_test
        ]);
    }
    if stages.verbose {
        a.push("--verbose".into());
    }
    check(stages.mapper(&a)?, "wasm-cov-mapper")?;

    let html = args.html || args.open;
    let mut a: Vec<OsString> = args![&mapped];
    for m in merge {
        a.push(m.into());
    }
    a.extend(args!["--source-root", workspace_root, "--lcov", &lcov]);
    if html {
        a.extend(args!["--html", out.join("html")]);
    }
    let to = args
        .output_path
        .as_ref()
        .map_or_else(|| OsString::from("-"), |p| p.into());
    if args.cobertura {
        a.extend(args!["--cobertura", &to]);
    } else if args.json {
        a.extend(args!["--json-summary", &to]);
    } else if args.markdown {
        a.extend(args!["--markdown", &to]);
    }
    // LCOV to stdout is a copy of lcov.info, made below: keep the table off it.
    if args.lcov && args.output_path.is_none() {
        a.push("--quiet".into());
    }
    if args.show_missing || settings.show_missing == Some(true) {
        a.push("--show-missing".into());
    }
    let bar = |flag: Option<cov_report::Percent>, setting: Option<f64>| {
        flag.map(|p| p.to_string())
            .or_else(|| setting.map(|s| s.to_string()))
    };
    for (name, value) in [
        (
            "--fail-under-lines",
            bar(args.fail_under_lines, settings.fail_under_lines),
        ),
        (
            "--fail-under-functions",
            bar(args.fail_under_functions, settings.fail_under_functions),
        ),
        (
            "--fail-under-branches",
            bar(args.fail_under_branches, settings.fail_under_branches),
        ),
    ] {
        if let Some(v) = value {
            a.extend(args![name, v]);
        }
    }
    let ignore = if args.ignore_filename_regex.is_empty() {
        settings
            .ignore_filename_regex
            .as_ref()
            .map(|r| r.to_vec())
            .unwrap_or_default()
    } else {
        args.ignore_filename_regex.clone()
    };
    for r in ignore {
        a.extend(args!["--exclude", r]);
    }
    // The harness rustdoc writes for edition-2024 merged doctests, in a
    // temporary folder gone by now: not the user's code.
    a.extend(args!["--exclude", MERGED_DOCTEST_HARNESS]);
    let exit = stages.report(&a)?;
    if exit == Exit::Error {
        bail!("cov-report failed");
    }

    if args.lcov {
        match &args.output_path {
            Some(p) => {
                std::fs::copy(&lcov, p).with_context(|| format!("cannot write {}", p.display()))?;
            }
            None => {
                let bytes = std::fs::read(&lcov)
                    .with_context(|| format!("cannot read {}", lcov.display()))?;
                std::io::Write::write_all(&mut std::io::stdout().lock(), &bytes)?;
            }
        }
    }
    eprintln!("cargo-wasm-cov: wrote {}", lcov.display());
    if html {
        let index = out.join("html/index.html");
        eprintln!("cargo-wasm-cov: HTML report: {}", index.display());
        if args.open {
            open(&index);
        }
    }
    Ok(exit)
}

fn check(exit: Exit, tool: &str) -> Result<()> {
    if exit == Exit::Ok {
        Ok(())
    } else {
        bail!("{tool} failed")
    }
}

/// Opens `path` in the desktop's browser; says where it is if that fails.
fn open(path: &Path) {
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else if cfg!(windows) {
        "explorer"
    } else {
        "xdg-open"
    };
    let ok = std::process::Command::new(opener)
        .arg(path)
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        wasm_cov_cli::warn!("could not open {} with {opener}", path.display());
    }
}
