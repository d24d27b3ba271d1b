//! The project as `cargo metadata` describes it: which packages a command
//! line selects, which wasm target each needs, and the
//! `[package.metadata.wasm-cov]` / `[workspace.metadata.wasm-cov]` settings.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};
use cargo_metadata::{Metadata, MetadataCommand, Package, PackageId};
use serde::Deserialize;

use crate::cli::TestArgs;
use crate::flags::{UNKNOWN, WASIP1};

/// Loads `cargo metadata` for the project `cargo` would find from the
/// current directory (or `manifest_path`).
pub fn load(manifest_path: Option<&Path>, offline: bool) -> Result<Metadata> {
    let mut cmd = MetadataCommand::new();
    if let Some(m) = manifest_path {
        cmd.manifest_path(m);
    }
    if offline {
        cmd.other_options(vec!["--offline".to_owned()]);
    }
    cmd.exec().context("`cargo metadata` failed")
}

/// The packages a command line selects, as cargo would: `-p` names, or
/// every member with `--workspace` (minus `--exclude`), or else the
/// package whose folder holds the manifest cargo found, or the default
/// members of a virtual workspace.
pub fn select<'m>(meta: &'m Metadata, args: &TestArgs, cwd: &Path) -> Result<Vec<&'m Package>> {
    let members = meta.workspace_packages();
    if !args.package.is_empty() {
        let mut out = Vec::new();
        for spec in &args.package {
            // `name` or `name@version`; enough for the selection flags we pass on.
            let name = spec.split('@').next().unwrap_or(spec);
            match members.iter().find(|p| p.name.as_str() == name) {
                Some(p) => out.push(*p),
                None => bail!(
                    "package `{spec}` is not a member of the workspace at {} (members: {})",
                    meta.workspace_root,
                    names(&members)
                ),
            }
        }
        return Ok(out);
    }
    if args.workspace {
        return Ok(members
            .into_iter()
            .filter(|p| !args.exclude.iter().any(|e| e == p.name.as_str()))
            .collect());
    }
    let manifest = match &args.manifest_path {
        Some(m) => std::path::absolute(m)?,
        None => find_manifest(cwd)?,
    };
    if let Some(p) = members
        .iter()
        .find(|p| p.manifest_path.as_std_path() == manifest)
    {
        return Ok(vec![*p]);
    }
    // A virtual manifest: its default members, or all of them.
    let defaults: Vec<&Package> = members
        .iter()
        .copied()
        .filter(|p| meta.workspace_default_members.contains(&p.id))
        .collect();
    Ok(if defaults.is_empty() {
        members
    } else {
        defaults
    })
}

fn names(pkgs: &[&Package]) -> String {
    pkgs.iter()
        .map(|p| p.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The nearest Cargo.toml at or above `cwd`, as cargo finds it.
fn find_manifest(cwd: &Path) -> Result<PathBuf> {
    cwd.ancestors()
        .map(|d| d.join("Cargo.toml"))
        .find(|m| m.is_file())
        .with_context(|| format!("no Cargo.toml in {} or above", cwd.display()))
}

/// wasm32-unknown-unknown for a package whose tests use wasm-bindgen-test
/// (they need wasm-bindgen-test-runner), else wasm32-wasip1 (plain libtest).
pub fn auto_target(pkg: &Package) -> &'static str {
    if uses_wasm_bindgen_test(pkg) {
        UNKNOWN
    } else {
        WASIP1
    }
}

pub fn uses_wasm_bindgen_test(pkg: &Package) -> bool {
    pkg.dependencies
        .iter()
        .any(|d| d.name == "wasm-bindgen-test")
}

/// The `wasm-bindgen` version the lock file resolves for these packages
/// (the runner must be the same version).
pub fn locked_wasm_bindgen(meta: &Metadata, pkgs: &[&Package]) -> Option<String> {
    let resolve = meta.resolve.as_ref()?;
    // Walk the dependency graph from the selected packages.
    let mut seen: Vec<&PackageId> = Vec::new();
    let mut todo: Vec<&PackageId> = pkgs.iter().map(|p| &p.id).collect();
    while let Some(id) = todo.pop() {
        if seen.contains(&id) {
            continue;
        }
        seen.push(id);
        if let Some(node) = resolve.nodes.iter().find(|n| &n.id == id) {
            todo.extend(node.dependencies.iter());
        }
    }
    meta.packages
        .iter()
        .filter(|p| p.name.as_str() == "wasm-bindgen" && seen.contains(&&p.id))
        .map(|p| p.version.to_string())
        .max()
}

/// `[workspace.metadata.wasm-cov]`, then `[package.metadata.wasm-cov]` of
/// the one selected package on top: defaults that flags override.
/// Keys are kebab-case; an unknown key is an error so a typo is not
/// silently ignored.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Settings {
    pub fail_under_lines: Option<f64>,
    pub fail_under_functions: Option<f64>,
    pub fail_under_branches: Option<f64>,
    pub ignore_filename_regex: Option<OneOrMany>,
    pub timeout: Option<f64>,
    pub test_threads: Option<usize>,
    pub target: Option<String>,
    pub show_missing: Option<bool>,
    pub browser: Option<String>,
    /// Native packages whose tests load the plugins (`crate::hosts`).
    pub hosts: Option<Vec<String>>,
    /// Packages built as wasm32-wasip2 components for the hosts.
    pub plugins: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    pub fn to_vec(&self) -> Vec<String> {
        match self {
            OneOrMany::One(s) => vec![s.clone()],
            OneOrMany::Many(v) => v.clone(),
        }
    }
}

impl Settings {
    fn from_value(v: &serde_json::Value, place: &str) -> Result<Settings> {
        match v.get("wasm-cov") {
            None | Some(serde_json::Value::Null) => Ok(Settings::default()),
            Some(s) => serde_json::from_value(s.clone())
                .with_context(|| format!("{place}.metadata.wasm-cov")),
        }
    }

    /// `self`'s keys where set, else `base`'s.
    fn over(self, base: Settings) -> Settings {
        Settings {
            fail_under_lines: self.fail_under_lines.or(base.fail_under_lines),
            fail_under_functions: self.fail_under_functions.or(base.fail_under_functions),
            fail_under_branches: self.fail_under_branches.or(base.fail_under_branches),
            ignore_filename_regex: self.ignore_filename_regex.or(base.ignore_filename_regex),
            timeout: self.timeout.or(base.timeout),
            test_threads: self.test_threads.or(base.test_threads),
            target: self.target.or(base.target),
            show_missing: self.show_missing.or(base.show_missing),
            browser: self.browser.or(base.browser),
            hosts: self.hosts.or(base.hosts),
            plugins: self.plugins.or(base.plugins),
        }
    }

    /// The workspace's settings, with the package's on top when exactly
    /// one package is selected.
    pub fn load(meta: &Metadata, selected: &[&Package]) -> Result<Settings> {
        let ws = Settings::from_value(&meta.workspace_metadata, "[workspace]")
            .with_context(|| format!("{}/Cargo.toml", meta.workspace_root))?;
        let s = match selected {
            [one] => Settings::from_value(&one.metadata, "[package]")
                .with_context(|| one.manifest_path.to_string())?
                .over(ws),
            _ => ws,
        };
        Ok(s)
    }
}

/// `cargo tree -i SPEC --target T -e normal,dev`: why a package is in the
/// build, shortened to `max` lines.
pub fn why(manifest_path: Option<&Path>, spec: &str, target: &str, max: usize) -> String {
    let mut cmd = Command::new(cargo());
    cmd.args(["tree", "-i", spec, "--target", target, "-e", "normal,dev"]);
    if let Some(m) = manifest_path {
        cmd.arg("--manifest-path").arg(m);
    }
    match cmd.output() {
        Ok(o) if o.status.success() => {
            let text = String::from_utf8_lossy(&o.stdout);
            let mut lines: Vec<&str> = text.lines().take(max).collect();
            if text.lines().count() > max {
                lines.push("...");
            }
            lines.join("\n")
        }
        _ => format!("(`cargo tree -i {spec} --target {target} -e normal,dev` shows it)"),
    }
}

/// The cargo that started us (`$CARGO`), else `cargo` on PATH.
pub fn cargo() -> std::ffi::OsString {
    std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_settings_win_over_the_workspace_ones() {
        let ws: Settings = serde_json::from_value(serde_json::json!({
            "fail-under-lines": 50.0, "timeout": 10.0, "ignore-filename-regex": "gen/"
        }))
        .unwrap();
        let pkg: Settings =
            serde_json::from_value(serde_json::json!({"fail-under-lines": 80.0})).unwrap();
        let s = pkg.over(ws);
        assert_eq!(s.fail_under_lines, Some(80.0));
        assert_eq!(s.timeout, Some(10.0));
        assert_eq!(s.ignore_filename_regex.unwrap().to_vec(), ["gen/"]);
    }

    #[test]
    fn a_misspelt_key_is_an_error() {
        let v = serde_json::json!({"wasm-cov": {"fail-under-line": 80}});
        let e = Settings::from_value(&v, "[package]").unwrap_err();
        assert!(format!("{e:#}").contains("fail-under-line"), "{e:#}");
    }
}
