//! Plugins under a native host: a workspace whose native host packages
//! load its plugin packages (wasm32-wasip2 components) through wasmtime,
//! and whose host tests call them across the boundary.
//!
//! - A **host** depends on `wasm-cov-wasmtime` (usually as a
//!   dev-dependency), or is named by `--host` or `hosts` in
//!   `[*.metadata.wasm-cov]`. Its tests run natively, as under `cargo
//!   test`, with `WASM_COV_WASMTIME_DIR` set to a run folder of their own;
//!   the library collects the plugins' counts there, and
//!   `wasm_run::publish_collected` makes it a run folder like the others.
//!   A host is never built for wasm.
//! - A **plugin** is a `cdylib` that depends on `wit-bindgen`, or is named
//!   by `--plugin` or `plugins`. It is built for wasm32-wasip2 with the
//!   coverage flags where the host loads it from (`cargo build --target
//!   wasm32-wasip2`: `<target dir>/wasm32-wasip2/<profile>/`, which
//!   honours `CARGO_TARGET_DIR`), before the host tests run. Its own unit
//!   tests run on wasm as any package's.

use std::ffi::OsString;
use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result};
use cargo_metadata::{Metadata, Package};

use crate::cli::TestArgs;
use crate::flags::{self, WASIP2};
use crate::stages::{command_line, encoded_quote};
use crate::workspace::Settings;

/// The library a host's tests collect with.
const LIBRARY: &str = "wasm-cov-wasmtime";

/// Whether `pkg` is a host by its dependencies.
pub fn depends_on_library(pkg: &Package) -> bool {
    pkg.dependencies.iter().any(|d| d.name == LIBRARY)
}

/// Whether `pkg` is a plugin by its shape: a cdylib built with wit-bindgen.
pub fn looks_like_plugin(pkg: &Package) -> bool {
    let cdylib = pkg
        .targets
        .iter()
        .any(|t| t.crate_types.iter().any(|c| c.to_string() == "cdylib"));
    cdylib && pkg.dependencies.iter().any(|d| d.name == "wit-bindgen")
}

/// The hosts among `selected` and the workspace's plugins: named by flags,
/// else by settings, else found by [`depends_on_library`] and
/// [`looks_like_plugin`].
pub fn find<'m>(
    meta: &'m Metadata,
    selected: &[&'m Package],
    args: &TestArgs,
    settings: &Settings,
) -> Result<(Vec<&'m Package>, Vec<&'m Package>)> {
    let members: Vec<&Package> = meta.workspace_packages();
    let named = |names: &[String], what: &str| -> Result<Vec<&'m Package>> {
        names
            .iter()
            .map(|n| {
                members
                    .iter()
                    .copied()
                    .find(|p| p.name.as_str() == n)
                    .with_context(|| format!("{what} {n} is no member of the workspace"))
            })
            .collect()
    };
    let hosts = if !args.host.is_empty() {
        named(&args.host, "--host")?
    } else if let Some(h) = &settings.hosts {
        named(h, "metadata.wasm-cov hosts:")?
            .into_iter()
            .filter(|p| selected.iter().any(|s| s.id == p.id))
            .collect()
    } else {
        selected
            .iter()
            .copied()
            .filter(|p| depends_on_library(p))
            .collect()
    };
    let plugins = if !args.plugin.is_empty() {
        named(&args.plugin, "--plugin")?
    } else if let Some(p) = &settings.plugins {
        named(p, "metadata.wasm-cov plugins:")?
    } else {
        members
            .iter()
            .copied()
            .filter(|p| looks_like_plugin(p))
            .collect()
    };
    Ok((hosts, plugins))
}

/// `cargo build --lib --target wasm32-wasip2 -p PLUGIN...` with the
/// coverage flags, into the target dir the hosts load from.
pub fn build_plugins(
    cwd: &Path,
    plugins: &[&Package],
    args: &TestArgs,
    offline: bool,
    verbose: bool,
) -> Result<()> {
    let flags = flags::resolve(cwd, WASIP2)?;
    let mut a: Vec<OsString> = vec![
        "build".into(),
        "--lib".into(),
        "--target".into(),
        WASIP2.into(),
    ];
    for p in plugins {
        a.extend(["-p".into(), p.name.to_string().into()]);
    }
    if let Some(m) = &args.manifest_path {
        a.extend(["--manifest-path".into(), m.into()]);
    }
    if args.release {
        a.push("--release".into());
    }
    if offline {
        a.push("--offline".into());
    }
    eprintln!("    Building {} plugin(s) for {WASIP2}", plugins.len());
    if verbose {
        eprintln!(
            "+ CARGO_ENCODED_RUSTFLAGS={} {}",
            encoded_quote(&flags.rustflags),
            command_line("cargo", &a)
        );
    }
    let status = Command::new(crate::workspace::cargo())
        .args(&a)
        .env("CARGO_ENCODED_RUSTFLAGS", &flags.rustflags)
        .env_remove("RUSTFLAGS")
        .status()
        .context("cannot start cargo build")?;
    if !status.success() {
        anyhow::bail!("building the plugins for {WASIP2} failed (see above)");
    }
    Ok(())
}

/// `cargo test -p HOST [features] [-- ARGS]`, natively, collecting into
/// `run_dir`; then the run folder is written. True when the tests passed.
pub fn run_host_tests(
    host: &Package,
    run_dir: &Path,
    args: &TestArgs,
    offline: bool,
    verbose: bool,
) -> Result<bool> {
    std::fs::create_dir_all(run_dir)
        .with_context(|| format!("cannot create {}", run_dir.display()))?;
    let mut a: Vec<OsString> = vec!["test".into()];
    a.extend(crate::compile::selection_args(
        args,
        Some(&[host.name.to_string()]),
    ));
    if offline {
        a.push("--offline".into());
    }
    if !args.args.is_empty() {
        a.push("--".into());
        a.extend(args.args.iter().cloned());
    }
    eprintln!("     Running the tests of host {}", host.name);
    if verbose {
        eprintln!(
            "+ {}={} {}",
            wasm_cov_format::COLLECT_DIR_ENV,
            run_dir.display(),
            command_line("cargo", &a)
        );
    }
    let status = Command::new(crate::workspace::cargo())
        .args(&a)
        .env(wasm_cov_format::COLLECT_DIR_ENV, run_dir)
        .status()
        .context("cannot start cargo test")?;
    let found = wasm_run::publish_collected(run_dir).with_context(|| {
        format!(
            "host {}: its tests collected no plugin counts (do they load plugins with wasm_cov_wasmtime::component_from_file and collect, or drop a CoveredStore?)",
            host.name
        )
    })?;
    eprintln!(
        "cargo-wasm-cov: host {}: {} collection(s) of {} plugin module(s) in {} test(s)",
        host.name, found.collections, found.modules, found.tests
    );
    Ok(status.success())
}
