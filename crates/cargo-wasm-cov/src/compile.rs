//! Building the test binaries: `cargo test --no-run` for a wasm target,
//! read through cargo's JSON messages. When the build fails in a package
//! outside the workspace, say which one, what pulled it in, and the usual
//! remedy.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::{BufReader, IsTerminal};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result};
use cargo_metadata::{Message, Metadata, PackageId};

use crate::cli::TestArgs;
use crate::flags::BuildFlags;

/// One test binary cargo built.
#[derive(Debug, Clone)]
pub struct TestBinary {
    pub wasm: PathBuf,
    /// The package it belongs to.
    pub package: String,
    /// Its package's folder, where `cargo test` would run it.
    pub package_dir: PathBuf,
    /// The target it was built for.
    pub target: String,
    /// The source it was built from, relative to the workspace root
    /// (`src/lib.rs`, `tests/web.rs`), for the progress line.
    pub source: String,
    /// Its package's features in this build, as cargo reports them.
    pub features: Vec<String>,
    /// nextest's name for it, the same on every machine: `pkg` (the
    /// library), `pkg::bin/NAME`, `pkg::NAME` (tests/NAME.rs),
    /// `pkg::example/NAME`, `pkg::bench/NAME`. `--partition` deals by it.
    pub binary_id: String,
}

/// nextest's binary id of a target of `package`.
pub fn binary_id(package: &str, target: &cargo_metadata::Target) -> String {
    use cargo_metadata::TargetKind as K;
    let kind = |k| target.is_kind(k);
    if kind(K::Lib) || kind(K::RLib) || kind(K::CDyLib) || kind(K::DyLib) || kind(K::ProcMacro) {
        package.to_owned()
    } else if kind(K::Test) {
        format!("{package}::{}", target.name)
    } else if kind(K::Bin) {
        format!("{package}::bin/{}", target.name)
    } else if kind(K::Example) {
        format!("{package}::example/{}", target.name)
    } else if kind(K::Bench) {
        format!("{package}::bench/{}", target.name)
    } else {
        format!("{package}::{}", target.name)
    }
}

/// What a `cargo test --no-run` built.
#[derive(Debug, Default)]
pub struct Built {
    pub bins: Vec<TestBinary>,
    /// Each workspace member's features in this build, by package name,
    /// from any of its artifacts: what cargo compared `required-features`
    /// with.
    pub features: BTreeMap<String, Vec<String>>,
}

/// The `cargo test` arguments for the selection, features and profile the
/// user gave (everything but the target and the doctest choice).
pub fn selection_args(args: &TestArgs, packages: Option<&[String]>) -> Vec<OsString> {
    let mut a: Vec<OsString> = Vec::new();
    match packages {
        Some(pkgs) => {
            for p in pkgs {
                a.extend(["-p".into(), p.into()]);
            }
        }
        None => {
            for p in &args.package {
                a.extend(["-p".into(), p.into()]);
            }
            if args.workspace {
                a.push("--workspace".into());
            }
            for e in &args.exclude {
                a.extend(["--exclude".into(), e.into()]);
            }
        }
    }
    if let Some(m) = &args.manifest_path {
        a.push("--manifest-path".into());
        a.push(m.into());
    }
    for f in &args.features {
        a.extend(["--features".into(), f.into()]);
    }
    if args.all_features {
        a.push("--all-features".into());
    }
    if args.no_default_features {
        a.push("--no-default-features".into());
    }
    if args.release {
        a.push("--release".into());
    }
    a
}

/// The target-kind flags for the non-doctest build.
pub fn kind_args(args: &TestArgs) -> Vec<OsString> {
    let mut a: Vec<OsString> = Vec::new();
    if args.lib {
        a.push("--lib".into());
    }
    if args.bins {
        a.push("--bins".into());
    }
    if args.tests {
        a.push("--tests".into());
    }
    for t in &args.test {
        a.extend(["--test".into(), t.into()]);
    }
    a
}

/// Builds the tests with `cargo test --no-run` and returns the test
/// binaries and the members' features. cargo's diagnostics are printed as cargo would print them.
#[allow(clippy::too_many_arguments)]
pub fn build(
    meta: &Metadata,
    target: &str,
    target_dir: &Path,
    flags: &BuildFlags,
    cargo_args: &[OsString],
    offline: bool,
    verbose: bool,
    manifest_path: Option<&Path>,
) -> Result<Built> {
    let color = std::io::stderr().is_terminal();
    let mut cmd = Command::new(crate::workspace::cargo());
    cmd.args(["test", "--no-run", "--target", target])
        .arg("--target-dir")
        .arg(target_dir)
        .arg(if color {
            "--message-format=json-diagnostic-rendered-ansi"
        } else {
            "--message-format=json"
        })
        .args(cargo_args)
        .env("CARGO_ENCODED_RUSTFLAGS", &flags.rustflags)
        .env_remove("RUSTFLAGS")
        .stdout(Stdio::piped());
    if color {
        cmd.arg("--color=always");
    }
    if offline {
        cmd.arg("--offline");
    }
    let line = crate::stages::command_line(
        "cargo",
        &cmd.get_args().map(OsString::from).collect::<Vec<_>>(),
    );
    if verbose {
        eprintln!(
            "+ CARGO_ENCODED_RUSTFLAGS={} {line}",
            crate::stages::encoded_quote(&flags.rustflags)
        );
    }
    let mut child = cmd
        .spawn()
        .with_context(|| format!("cannot start `{line}`"))?;
    let stdout = child.stdout.take().context("cargo's stdout")?;
    let mut bins = Vec::new();
    let mut features: BTreeMap<String, Vec<String>> = BTreeMap::new();
    // Errors per package outside the workspace: the first message of each.
    let mut foreign_errors: BTreeMap<PackageId, String> = BTreeMap::new();
    for msg in Message::parse_stream(BufReader::new(stdout)) {
        match msg.context("cannot read cargo's JSON messages")? {
            Message::CompilerArtifact(a) => {
                let pkg = meta.packages.iter().find(|p| p.id == a.package_id);
                if let Some(p) = pkg.filter(|p| meta.workspace_members.contains(&p.id)) {
                    features
                        .entry(p.name.to_string())
                        .or_insert_with(|| a.features.clone());
                }
                let Some(exe) = a.executable else { continue };
                if !a.profile.test {
                    continue;
                }
                let source = a
                    .target
                    .src_path
                    .strip_prefix(&meta.workspace_root)
                    .map_or_else(|_| a.target.src_path.to_string(), |p| p.to_string());
                let package = pkg.map_or_else(|| a.target.name.clone(), |p| p.name.to_string());
                bins.push(TestBinary {
                    wasm: exe.into_std_path_buf(),
                    binary_id: binary_id(&package, &a.target),
                    package,
                    package_dir: pkg
                        .and_then(|p| p.manifest_path.parent())
                        .map_or_else(|| meta.workspace_root.clone().into(), |d| d.into()),
                    target: target.to_owned(),
                    source,
                    features: a.features.clone(),
                });
            }
            Message::CompilerMessage(m) => {
                if let Some(r) = &m.message.rendered {
                    eprint!("{r}");
                }
                let is_error = matches!(
                    m.message.level,
                    cargo_metadata::diagnostic::DiagnosticLevel::Error
                        | cargo_metadata::diagnostic::DiagnosticLevel::Ice
                );
                if is_error && !meta.workspace_members.contains(&m.package_id) {
                    foreign_errors
                        .entry(m.package_id.clone())
                        .or_insert_with(|| m.message.message.clone());
                }
            }
            _ => {}
        }
    }
    let status = child.wait().context("waiting for cargo")?;
    if !status.success() {
        // The explanation takes several lines; the error itself stays one.
        for (id, first) in &foreign_errors {
            eprintln!("{}", explain(meta, id, first, target, manifest_path));
        }
        anyhow::bail!("`{line}` failed ({status})");
    }
    bins.sort_by(|a, b| a.wasm.cmp(&b.wasm));
    bins.dedup_by(|a, b| a.wasm == b.wasm);
    Ok(Built { bins, features })
}

/// Why a dependency outside the workspace does not build for `target`,
/// and what usually fixes it.
fn explain(
    meta: &Metadata,
    id: &PackageId,
    first_error: &str,
    target: &str,
    manifest_path: Option<&Path>,
) -> String {
    let Some(pkg) = meta.packages.iter().find(|p| &p.id == id) else {
        return format!("a dependency ({id}) does not compile for {target}");
    };
    let spec = format!("{}@{}", pkg.name, pkg.version);
    let chain = crate::workspace::why(manifest_path, &spec, target, 12);
    let feature_hint = if first_error.contains("feature") {
        format!(
            "\n  or turn on the feature it asks for; its error says: {}",
            first_error.lines().next().unwrap_or(first_error)
        )
    } else {
        String::new()
    };
    format!(
        "cargo-wasm-cov: `{spec}` does not compile for {target}; it is in the test build because of:\n{chain}\n\
         remedy: if only the tests need it natively, declare it under\n  \
         [target.'cfg(not(target_family = \"wasm\"))'.dev-dependencies]\n  \
         (and cfg out the tests that use it){feature_hint}",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selection_passes_on_what_cargo_test_knows() {
        let args = TestArgs {
            package: vec!["a".into()],
            features: vec!["x".into()],
            no_default_features: true,
            release: true,
            test: vec!["it".into()],
            ..TestArgs::default()
        };
        let sel = selection_args(&args, None);
        assert_eq!(
            sel,
            [
                "-p",
                "a",
                "--features",
                "x",
                "--no-default-features",
                "--release"
            ]
            .map(OsString::from)
        );
        let split = selection_args(&args, Some(&["b".into(), "c".into()]));
        assert_eq!(split[..4], ["-p", "b", "-p", "c"].map(OsString::from));
        assert_eq!(kind_args(&args), ["--test", "it"].map(OsString::from));
    }
}
