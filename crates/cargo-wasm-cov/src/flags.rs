//! The rustflags and rustdocflags of a coverage build: what cargo itself
//! would use for the target, plus the coverage flags.
//!
//! Cargo takes the first source that has flags (`CARGO_ENCODED_RUSTFLAGS`,
//! `RUSTFLAGS`, `target.<triple>`/`target.<cfg>` rustflags, then
//! `build.rustflags`), so adding a source of our own would silently drop
//! the user's. Instead the flags cargo would use are resolved with
//! `cargo-config2` (as cargo-llvm-cov does), the coverage flags appended,
//! and the result passed as `CARGO_ENCODED_RUSTFLAGS`, the source cargo
//! reads first. With `--target` given, cargo applies them to the target's
//! artifacts only, never to build scripts or proc macros.

use std::path::Path;

use anyhow::{bail, Context, Result};

pub const WASIP1: &str = "wasm32-wasip1";
pub const WASIP2: &str = "wasm32-wasip2";
pub const UNKNOWN: &str = "wasm32-unknown-unknown";

/// The targets the pipeline runs.
pub const TARGETS: [&str; 3] = [WASIP1, WASIP2, UNKNOWN];

/// A WASI target: its tests are libtest binaries (and doctests are
/// programs) that wasm-run runs itself.
pub fn is_wasi(target: &str) -> bool {
    target == WASIP1 || target == WASIP2
}

/// What coverage needs from rustc and rustdoc for `target`:
/// - DWARF, and code that maps line by line (`debuginfo=2`, `opt-level=0`,
///   one codegen unit);
/// - functions no test calls kept as code (`link-dead-code`, and on
///   wasip1 `--no-gc-sections` so wasm-ld keeps them too). wasm-bindgen
///   cannot digest a module built with both, so wasm32-unknown-unknown
///   goes without the linker flag; on wasm32-wasip2 it would keep
///   wit-bindgen's async runtime, which needs component-model features
///   wasmtime refuses by default (`error-context`) and imports `wasi:http`.
///   The functions wasm-ld drops there still count as uncovered through
///   their DWARF;
/// - `--cfg wasm_cov`, declared, so code can tell it is being measured.
pub fn coverage_flags(target: &str) -> Vec<String> {
    let mut f: Vec<String> = [
        "-C",
        "debuginfo=2",
        "-C",
        "opt-level=0",
        "-C",
        "codegen-units=1",
        "-C",
        "link-dead-code",
    ]
    .map(String::from)
    .to_vec();
    if target == WASIP1 {
        f.extend(["-C", "link-arg=--no-gc-sections"].map(String::from));
    }
    f.extend(["--cfg", "wasm_cov", "--check-cfg", "cfg(wasm_cov)"].map(String::from));
    f
}

/// The user's flags, then ours, in cargo's `CARGO_ENCODED_*` form (one
/// flag per field, separated by 0x1f).
pub fn encode(user: &[String], ours: &[String]) -> String {
    user.iter()
        .chain(ours)
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join("\x1f")
}

/// cargo's `build.target` in the configuration cargo started in `cwd`
/// reads, when it names exactly one of the [`TARGETS`]: a crate that sets
/// `wasm32-wasip2` there is tested there. Another target (the host's, a
/// list of several) is no choice of ours, so `None`.
pub fn configured_target(cwd: &Path) -> Result<Option<String>> {
    let config =
        cargo_config2::Config::load_with_cwd(cwd).context("cannot read cargo's configuration")?;
    Ok(match config.build.target.as_deref() {
        Some([one]) if TARGETS.contains(&one.triple()) => Some(one.triple().to_owned()),
        _ => None,
    })
}

/// The flags for one target's build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildFlags {
    /// What cargo would have used without us (for messages).
    pub user_rustflags: Vec<String>,
    /// For `CARGO_ENCODED_RUSTFLAGS`.
    pub rustflags: String,
    /// For `CARGO_ENCODED_RUSTDOCFLAGS`.
    pub rustdocflags: String,
}

/// Resolves what cargo started in `cwd` would use for `target` (its
/// config files are found from the current directory, as cargo finds
/// them, whatever `--manifest-path` says) and adds the coverage flags.
pub fn resolve(cwd: &Path, target: &str) -> Result<BuildFlags> {
    if !TARGETS.contains(&target) {
        bail!("unsupported --target {target} (use {WASIP1}, {WASIP2} or {UNKNOWN})");
    }
    let config =
        cargo_config2::Config::load_with_cwd(cwd).context("cannot read cargo's configuration")?;
    let user_rustflags = config
        .rustflags(target)
        .with_context(|| format!("cannot resolve the rustflags for {target}"))?
        .map(|f| f.flags)
        .unwrap_or_default();
    let user_rustdocflags = config
        .rustdocflags(target)
        .with_context(|| format!("cannot resolve the rustdocflags for {target}"))?
        .map(|f| f.flags)
        .unwrap_or_default();
    let ours = coverage_flags(target);
    Ok(BuildFlags {
        rustflags: encode(&user_rustflags, &ours),
        rustdocflags: encode(&user_rustdocflags, &ours),
        user_rustflags,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wasip1_keeps_dead_code_through_the_linker_and_bindgen_does_not() {
        let w = coverage_flags(WASIP1);
        assert!(w.iter().any(|f| f == "link-arg=--no-gc-sections"));
        let u = coverage_flags(UNKNOWN);
        assert!(!u.iter().any(|f| f.contains("gc-sections")));
        assert!(u.ends_with(&["--check-cfg".into(), "cfg(wasm_cov)".into()]));
    }

    #[test]
    fn user_flags_come_first_and_stay_whole() {
        let user = vec![
            "--cfg".to_owned(),
            "getrandom_backend=\"wasm_js\"".to_owned(),
        ];
        let e = encode(&user, &["-C".into(), "opt-level=0".into()]);
        assert_eq!(
            e.split('\x1f').collect::<Vec<_>>(),
            [
                "--cfg",
                "getrandom_backend=\"wasm_js\"",
                "-C",
                "opt-level=0"
            ]
        );
    }

    #[test]
    fn config_files_are_read_as_cargo_reads_them() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join(".cargo")).unwrap();
        std::fs::write(
            dir.path().join(".cargo/config.toml"),
            "[build]\nrustflags = [\"--cfg\", \"from_build\"]\n\
             [target.wasm32-unknown-unknown]\nrustflags = [\"--cfg\", \"from_target\"]\n",
        )
        .unwrap();
        // The test process may itself have RUSTFLAGS; those would win, as in cargo.
        if std::env::var_os("RUSTFLAGS").is_some()
            || std::env::var_os("CARGO_ENCODED_RUSTFLAGS").is_some()
        {
            return;
        }
        let w = resolve(dir.path(), WASIP1).unwrap();
        assert_eq!(w.user_rustflags, ["--cfg", "from_build"]);
        let u = resolve(dir.path(), UNKNOWN).unwrap();
        assert_eq!(u.user_rustflags, ["--cfg", "from_target"]);
        assert!(u.rustflags.starts_with("--cfg\x1ffrom_target\x1f-C"));
    }
}
