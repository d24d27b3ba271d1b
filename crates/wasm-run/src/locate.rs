//! Finding the programs wasm-run starts (Node, wasm-bindgen-test-runner)
//! along one search order: the command-line flag, an environment variable,
//! the copy this project pins in a folder above the wasm-run executable
//! (`make setup` puts them there), then `PATH`.

use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::{bail, Result};

/// A program wasm-run looks for, and where.
#[derive(Debug, Clone, Copy)]
pub struct Tool {
    /// Its file name, as on `PATH`.
    pub name: &'static str,
    /// The command-line flag that names it.
    pub flag: &'static str,
    /// The environment variable that names it.
    pub env: &'static str,
    /// Where the project pins it, relative to a folder above the wasm-run
    /// executable.
    pub pinned: &'static str,
    /// How messages name the pinned copy.
    pub pinned_origin: &'static str,
    /// What to do when it is nowhere, said at the end of the error.
    pub hint: &'static str,
}

/// How to get a good Node, said in every error about a bad one.
pub const HOW_TO_GET_NODE: &str = "wasm coverage needs Node >= 22 for --counters inject, \
Node >= 25 for --counters v8 (V8's --wasm-code-coverage); \
run `make setup` in the wasm-cov checkout (npm installs the pinned Node 26), \
`npm install node@26` and pass --node node_modules/.bin/node, or set WASM_RUN_NODE";

/// Node (>= 22; >= 25 for `--counters v8`), the one every run needs.
pub const NODE: Tool = Tool {
    name: "node",
    flag: "--node",
    env: "WASM_RUN_NODE",
    pinned: "node_modules/.bin/node",
    pinned_origin: "the project's pinned Node",
    hint: HOW_TO_GET_NODE,
};

/// wasm-bindgen-test-runner, for `#[wasm_bindgen_test]` suites.
pub const WASM_BINDGEN_TEST_RUNNER: Tool = Tool {
    name: "wasm-bindgen-test-runner",
    flag: "--wasm-bindgen-runner",
    env: "WASM_BINDGEN_TEST_RUNNER",
    pinned: ".tools/bin/wasm-bindgen-test-runner",
    pinned_origin: "the project's .tools/bin",
    hint: "this is a wasm-bindgen-test module; install the wasm-bindgen-cli whose version \
           equals the wasm-bindgen crate in your Cargo.lock: \
           cargo install wasm-bindgen-cli --version X.Y.Z",
};

/// Which step of the search found a program, for messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// The flag (`--node`).
    Flag(&'static str),
    /// The environment variable (`WASM_RUN_NODE`).
    Env(&'static str),
    /// The project's pinned copy, as [`Tool::pinned_origin`] names it.
    Pinned(&'static str),
    /// `PATH`.
    Path,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Flag(flag) => f.write_str(flag),
            Origin::Env(var) => write!(f, "${var}"),
            Origin::Pinned(what) => f.write_str(what),
            Origin::Path => f.write_str("PATH"),
        }
    }
}

/// A program found, and how.
#[derive(Debug, Clone)]
pub struct Found {
    pub path: PathBuf,
    pub origin: Origin,
}

/// Finds `tool`: `flag` if given, then its environment variable (when not
/// empty), then its pinned copy in a folder above this executable, then
/// `PATH`. Only the last two steps check that the file exists; a named
/// path that is wrong fails when it is started, with that path in the
/// message.
pub fn locate(tool: &Tool, flag: Option<&Path>) -> Result<Found> {
    let exe = std::env::current_exe().ok();
    let path = std::env::var_os("PATH");
    search(
        tool,
        flag,
        std::env::var_os(tool.env).map(PathBuf::from),
        exe.as_deref(),
        path.as_deref(),
    )
}

/// `--node`, `$WASM_RUN_NODE`, the pinned `node_modules/.bin/node`, `PATH`.
pub fn find_node(flag: Option<&Path>) -> Result<Found> {
    locate(&NODE, flag)
}

/// [`locate`] with the process's state passed in, so a test can set it.
fn search(
    tool: &Tool,
    flag: Option<&Path>,
    env: Option<PathBuf>,
    exe: Option<&Path>,
    path_var: Option<&std::ffi::OsStr>,
) -> Result<Found> {
    if let Some(p) = flag {
        return Ok(Found {
            path: p.to_path_buf(),
            origin: Origin::Flag(tool.flag),
        });
    }
    if let Some(p) = env.filter(|p| !p.as_os_str().is_empty()) {
        return Ok(Found {
            path: p,
            origin: Origin::Env(tool.env),
        });
    }
    let pinned = exe
        .into_iter()
        .flat_map(|exe| exe.ancestors().skip(1))
        .map(|dir| dir.join(tool.pinned))
        .find(|p| p.is_file());
    if let Some(p) = pinned {
        return Ok(Found {
            path: p,
            origin: Origin::Pinned(tool.pinned_origin),
        });
    }
    let on_path = path_var.and_then(|paths| {
        std::env::split_paths(paths)
            .map(|d| d.join(tool.name))
            .find(|p| p.is_file())
    });
    if let Some(p) = on_path {
        return Ok(Found {
            path: p,
            origin: Origin::Path,
        });
    }
    let pinned_dir = Path::new(tool.pinned)
        .parent()
        .unwrap_or(Path::new(tool.pinned));
    bail!(
        "no `{}` found (looked at {}, ${}, {} above wasm-run, and PATH); {}",
        tool.name,
        tool.flag,
        tool.env,
        pinned_dir.display(),
        tool.hint
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(p: &Path) {
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, "").unwrap();
    }

    #[test]
    fn flag_then_env_then_pinned_then_path() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        let exe = root.join("target/release/wasm-run");
        let bin = root.join("bin");
        touch(&bin.join("node"));
        let path_var = std::env::join_paths([&bin]).unwrap();
        let find = |flag: Option<&Path>, env: Option<&str>| {
            search(
                &NODE,
                flag,
                env.map(PathBuf::from),
                Some(&exe),
                Some(&path_var),
            )
            .unwrap()
        };
        assert_eq!(find(None, None).origin, Origin::Path);
        assert_eq!(find(None, None).path, bin.join("node"));
        touch(&root.join("node_modules/.bin/node"));
        let pinned = find(None, Some(""));
        assert_eq!(pinned.path, root.join("node_modules/.bin/node"));
        assert_eq!(pinned.origin.to_string(), "the project's pinned Node");
        let env = find(None, Some("/opt/node"));
        assert_eq!(env.path, Path::new("/opt/node"));
        assert_eq!(env.origin.to_string(), "$WASM_RUN_NODE");
        let flag = find(Some(Path::new("n")), Some("/opt/node"));
        assert_eq!(flag.origin.to_string(), "--node");
    }

    #[test]
    fn nothing_found_names_every_place_and_the_fix() {
        let tmp = tempfile::tempdir().unwrap();
        let exe = tmp.path().join("wasm-run");
        let err = search(&WASM_BINDGEN_TEST_RUNNER, None, None, Some(&exe), None)
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with(
                "no `wasm-bindgen-test-runner` found (looked at --wasm-bindgen-runner, \
                 $WASM_BINDGEN_TEST_RUNNER, .tools/bin above wasm-run, and PATH); "
            ),
            "{err}"
        );
        assert!(err.contains("cargo install wasm-bindgen-cli"), "{err}");
        let err = search(&NODE, None, None, Some(&exe), None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("node_modules/.bin above wasm-run"), "{err}");
        assert!(err.ends_with(HOW_TO_GET_NODE), "{err}");
    }
}
