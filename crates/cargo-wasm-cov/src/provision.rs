//! Finding, or installing into a cache, the two programs the runs need:
//! a Node that can count wasm blocks (>= 25), and, only for
//! wasm-bindgen-test suites, the wasm-bindgen-test-runner of the version
//! the project locks.
//!
//! The cache is `$XDG_CACHE_HOME/wasm-cov` or `~/.cache/wasm-cov`
//! (`$WASM_COV_CACHE` overrides both); each install says so in one line.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

/// The Node version installed when none is found; the repository's
/// package.json pins the same.
pub const NODE_VERSION: &str = "26.10.0";
/// The oldest Node whose V8 has `--wasm-code-coverage`.
pub const NODE_MIN_MAJOR: u32 = 25;

/// The cache folder (shared with wasm-run's compiled code).
pub fn cache_dir() -> Result<PathBuf> {
    wasm_cov_cli::cache_dir().context("no cache folder: set XDG_CACHE_HOME or WASM_COV_CACHE")
}

/// `node --version` as a major number, or why not.
fn node_major(node: &Path) -> Result<u32> {
    let out = Command::new(node)
        .arg("--version")
        .output()
        .with_context(|| format!("cannot run {} --version", node.display()))?;
    let v = String::from_utf8_lossy(&out.stdout);
    v.trim()
        .trim_start_matches('v')
        .split('.')
        .next()
        .and_then(|m| m.parse().ok())
        .with_context(|| format!("{} --version printed {:?}", node.display(), v.trim()))
}

/// The first program `name` on PATH.
pub fn on_path(name: &str) -> Option<PathBuf> {
    let paths = std::env::var_os("PATH")?;
    std::env::split_paths(&paths)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// `rel` in a folder above this executable (a checkout's
/// `node_modules/.bin/node` or `.tools/bin/...` when run from its target/).
fn above_exe(rel: &str) -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    exe.ancestors()
        .skip(1)
        .map(|d| d.join(rel))
        .find(|p| p.is_file())
}

/// A Node that can count wasm blocks: `--node` and `$WASM_RUN_NODE` as
/// given (wasm-run checks them and says what is wrong), then a checkout's
/// pinned Node above this program, then `node` on PATH if it is >= 25,
/// then the cached install, else an install with npm.
pub fn node(flag: Option<&Path>, offline: bool) -> Result<PathBuf> {
    if let Some(p) = flag {
        return Ok(p.to_path_buf());
    }
    if let Some(p) = std::env::var_os("WASM_RUN_NODE").filter(|v| !v.is_empty()) {
        return Ok(PathBuf::from(p));
    }
    if let Some(p) = above_exe("node_modules/.bin/node") {
        return Ok(p);
    }
    let path_node = on_path("node");
    if let Some(p) = &path_node {
        if node_major(p).is_ok_and(|m| m >= NODE_MIN_MAJOR) {
            return Ok(p.clone());
        }
    }
    let prefix = cache_dir()?.join(format!("node-{NODE_VERSION}"));
    let cached = prefix.join("node_modules/.bin/node");
    if cached.is_file() {
        return Ok(cached);
    }
    let found = match &path_node {
        Some(p) => format!(
            "the node on PATH ({}) is older than {NODE_MIN_MAJOR}",
            p.display()
        ),
        None => "no node on PATH".to_owned(),
    };
    if offline {
        bail!(
            "{found}, and --offline forbids installing Node {NODE_VERSION}; \
             give --node PATH to a Node >= {NODE_MIN_MAJOR} or set WASM_RUN_NODE"
        );
    }
    let Some(npm) = on_path("npm") else {
        bail!(
            "{found}, and npm is not on PATH to install Node {NODE_VERSION}; \
             install Node >= {NODE_MIN_MAJOR} and give --node PATH"
        );
    };
    eprintln!(
        "cargo-wasm-cov: {found}; installing Node {NODE_VERSION} with npm into {}",
        prefix.display()
    );
    std::fs::create_dir_all(&prefix)
        .with_context(|| format!("cannot create {}", prefix.display()))?;
    let mut cmd = Command::new(npm);
    cmd.args(["install", "--no-audit", "--no-fund", "--prefix"])
        .arg(&prefix)
        .arg(format!("node@{NODE_VERSION}"));
    run_quietly(&mut cmd)?;
    if !cached.is_file() {
        bail!("npm installed Node, but {} is not there", cached.display());
    }
    Ok(cached)
}

/// The version a wasm-bindgen-test-runner reports (`... 0.2.130`).
fn runner_version(runner: &Path) -> Option<String> {
    let out = Command::new(runner).arg("--version").output().ok()?;
    let v = String::from_utf8_lossy(&out.stdout);
    v.split_whitespace().last().map(str::to_owned)
}

/// A wasm-bindgen-test-runner of `version`: `--wasm-bindgen-runner` and
/// `$WASM_BINDGEN_TEST_RUNNER` as given, else one of that version in a
/// checkout's `.tools/bin`, on PATH or in the cache, else `cargo install
/// wasm-bindgen-cli --version X` into the cache (not `--locked`: its lock
/// file pins crates a registry may no longer serve).
pub fn wasm_bindgen_runner(
    flag: Option<&Path>,
    version: Option<&str>,
    offline: bool,
) -> Result<PathBuf> {
    if let Some(p) = flag {
        return Ok(p.to_path_buf());
    }
    if let Some(p) = std::env::var_os("WASM_BINDGEN_TEST_RUNNER").filter(|v| !v.is_empty()) {
        return Ok(PathBuf::from(p));
    }
    const NAME: &str = "wasm-bindgen-test-runner";
    let Some(version) = version else {
        bail!(
            "the tests use wasm-bindgen-test, but the lock file names no wasm-bindgen \
             version; give --wasm-bindgen-runner PATH"
        );
    };
    let root = cache_dir()?.join(format!("wasm-bindgen-{version}"));
    let cached = root.join("bin").join(NAME);
    let candidates = [
        above_exe(&format!(".tools/bin/{NAME}")),
        on_path(NAME),
        Some(cached.clone()),
    ];
    for c in candidates.into_iter().flatten() {
        if c.is_file() && runner_version(&c).as_deref() == Some(version) {
            return Ok(c);
        }
    }
    if offline {
        bail!(
            "no {NAME} {version} found, and --offline forbids installing it; \
             give --wasm-bindgen-runner PATH"
        );
    }
    let cargo = crate::workspace::cargo();
    eprintln!(
        "cargo-wasm-cov: installing {NAME} {version} (wasm-bindgen-cli, the version the \
         lock file names) into {}; this takes a few minutes, once (cargo's progress follows)",
        root.display()
    );
    let mut cmd = Command::new(&cargo);
    cmd.args([
        "install",
        "wasm-bindgen-cli",
        "--version",
        version,
        "--root",
    ])
    .arg(&root);
    run_shown(&mut cmd)?;
    Ok(cached)
}

/// Runs `cmd` with its output shown as it comes (on stderr, so a report
/// on stdout stays clean): a build of minutes shows cargo's own progress
/// instead of silence. On failure, the command line; its own error is just
/// above.
fn run_shown(cmd: &mut Command) -> Result<()> {
    let line = crate::stages::command_line(
        &cmd.get_program().to_string_lossy(),
        &cmd.get_args().map(OsString::from).collect::<Vec<_>>(),
    );
    let status = cmd
        .stdout(std::io::stderr())
        .stderr(std::process::Stdio::inherit())
        .status()
        .with_context(|| format!("cannot start `{line}`"))?;
    if !status.success() {
        bail!("`{line}` failed ({status}; its output is above)");
    }
    Ok(())
}

/// Runs `cmd`; on failure, the command line and the tail of its output.
fn run_quietly(cmd: &mut Command) -> Result<()> {
    let line = crate::stages::command_line(
        &cmd.get_program().to_string_lossy(),
        &cmd.get_args().map(OsString::from).collect::<Vec<_>>(),
    );
    let out = cmd
        .output()
        .with_context(|| format!("cannot start `{line}`"))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let tail: Vec<&str> = err.lines().rev().take(15).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        bail!("`{line}` failed ({}):\n{}", out.status, tail.join("\n"));
    }
    Ok(())
}

/// Makes sure a browser suite can find its browser: wasm-run's own search
/// (`$WASM_RUN_BROWSER_BIN`, then Chromium or Firefox on PATH), else, as
/// root on a Debian-like system and not `--offline`, Debian's `chromium` or
/// `firefox-esr`, installed with one line saying so. Called only when a
/// selected test binary is a browser suite, so crates without one never
/// install a browser.
pub fn browser(choice: Option<&str>, offline: bool) -> Result<()> {
    use clap::ValueEnum;
    let wanted = match choice.or(std::env::var("WASM_RUN_BROWSER").ok().as_deref()) {
        Some(b) if !b.is_empty() => wasm_run::Browser::from_str(b, true)
            .map_err(|_| anyhow::anyhow!("browser {b:?} is not chrome or firefox"))?,
        _ => wasm_run::Browser::Chrome,
    };
    let env_bin = std::env::var_os("WASM_RUN_BROWSER_BIN")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from);
    let missing = match wasm_run::find_browser(wanted, env_bin.clone()) {
        Ok(_) => return Ok(()),
        Err(e) => e,
    };
    let can_install = env_bin.is_none() && !offline && on_path("apt-get").is_some() && is_root();
    if !can_install {
        return Err(missing);
    }
    let (what, package) = match wanted {
        wasm_run::Browser::Chrome => ("Chromium", "chromium"),
        wasm_run::Browser::Firefox => ("Firefox", "firefox-esr"),
    };
    eprintln!(
        "cargo-wasm-cov: installing {what} for the browser suites (apt-get install {package})"
    );
    let status = Command::new("sh")
        .args([
            "-c",
            &format!(
                "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq {package} >/dev/null"
            ),
        ])
        .status()
        .context("cannot run apt-get")?;
    if !status.success() {
        bail!("apt-get install {package} failed ({status}); {missing:#}");
    }
    wasm_run::find_browser(wanted, None).map(|_| ())
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}
