//! One wasm-run command line per test binary: what `cargo test` would do
//! with it, said in wasm-run's flags.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use crate::compile::TestBinary;
use crate::flags::is_wasi;

/// What every run shares.
#[derive(Debug, Clone)]
pub struct RunPlan {
    pub node: PathBuf,
    pub wasm_bindgen_runner: Option<PathBuf>,
    pub timeout: Option<f64>,
    pub browser: Option<String>,
    pub test_threads: Option<usize>,
    /// `--engine` for WASI suites (wasm-run's default when `None`).
    pub engine: Option<String>,
    /// After `--`: libtest filters and flags.
    pub test_args: Vec<OsString>,
    pub workspace_root: PathBuf,
}

impl RunPlan {
    /// `wasm-run --out RUN_DIR ... BINARY [-- TEST ARGS]`.
    pub fn wasm_run_args(&self, bin: &TestBinary, run_dir: &Path) -> Vec<OsString> {
        let mut a: Vec<OsString> = args!["--out", run_dir, "--node", &self.node];
        if let Some(r) = &self.wasm_bindgen_runner {
            a.extend(args!["--wasm-bindgen-runner", r]);
        }
        if let Some(t) = self.timeout {
            a.extend(args!["--timeout", t.to_string()]);
        }
        // cargo test runs a test in its package's folder; wasm-run makes
        // the folder above target/ (the workspace root) the WASI `.`.
        // Mapping `.` to the package folder gives the test cargo's view.
        // (A `:` in the path would be read as HOST:GUEST; such a package
        // keeps the workspace root.)
        if is_wasi(&bin.target)
            && bin.package_dir != self.workspace_root
            && !bin.package_dir.to_string_lossy().contains(':')
        {
            let mut dir = bin.package_dir.clone().into_os_string();
            dir.push(":.");
            a.extend(args!["--dir", dir]);
        }
        if let Some(b) = &self.browser {
            a.extend(args!["--browser", b]);
        }
        if let (Some(e), true) = (&self.engine, is_wasi(&bin.target)) {
            a.extend(args!["--engine", e]);
        }
        if let Some(n) = self.test_threads {
            a.extend(args!["--test-threads", n.to_string()]);
        }
        a.push(bin.wasm.clone().into());
        if !self.test_args.is_empty() {
            a.push("--".into());
            a.extend(self.test_args.iter().cloned());
        }
        a
    }
}

/// `dir/name`, or `dir/name.2`, `.3`, ... if taken (runs kept for a
/// later `report` are never overwritten).
pub fn unique_dir(dir: &Path, name: &str) -> PathBuf {
    let first = dir.join(name);
    if !first.exists() {
        return first;
    }
    (2..)
        .map(|i| dir.join(format!("{name}.{i}")))
        .find(|p| !p.exists())
        .unwrap_or(first)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flags::WASIP1;

    fn bin(pkg_dir: &str, target: &str) -> TestBinary {
        TestBinary {
            wasm: PathBuf::from("/ws/target/wasm-cov-target/x/debug/deps/shapes-0123.wasm"),
            package: "shapes".into(),
            package_dir: PathBuf::from(pkg_dir),
            target: target.into(),
            source: "shapes/src/lib.rs".into(),
            features: Vec::new(),
            binary_id: "shapes".into(),
        }
    }

    fn plan() -> RunPlan {
        RunPlan {
            node: "/n/node".into(),
            wasm_bindgen_runner: None,
            timeout: Some(30.0),
            browser: None,
            test_threads: None,
            engine: None,
            test_args: vec!["--skip".into(), "slow".into()],
            workspace_root: "/ws".into(),
        }
    }

    #[test]
    fn a_member_runs_in_its_own_folder_as_under_cargo_test() {
        let a = plan().wasm_run_args(&bin("/ws/shapes", WASIP1), Path::new("/o/r"));
        let line = crate::stages::command_line("wasm-run", &a);
        assert_eq!(
            line,
            "wasm-run --out /o/r --node /n/node --timeout 30 --dir /ws/shapes:. \
             /ws/target/wasm-cov-target/x/debug/deps/shapes-0123.wasm -- --skip slow"
        );
        // The root package, and wasm-bindgen suites, need no mapping.
        let root = plan().wasm_run_args(&bin("/ws", WASIP1), Path::new("/o/r"));
        assert!(!root.iter().any(|a| a == "--dir"));
        let web =
            plan().wasm_run_args(&bin("/ws/shapes", crate::flags::UNKNOWN), Path::new("/o/r"));
        assert!(!web.iter().any(|a| a == "--dir"));
    }

    #[test]
    fn the_engine_goes_to_wasi_suites_only() {
        let plan = RunPlan {
            engine: Some("wasmtime".into()),
            ..plan()
        };
        let p2 = plan.wasm_run_args(&bin("/ws/shapes", crate::flags::WASIP2), Path::new("/o/r"));
        let line = crate::stages::command_line("wasm-run", &p2);
        assert!(
            line.contains("--dir /ws/shapes:. --engine wasmtime /ws/"),
            "{line}"
        );
        let web = plan.wasm_run_args(&bin("/ws/shapes", crate::flags::UNKNOWN), Path::new("/o/r"));
        assert!(!web.iter().any(|a| a == "--engine"));
    }

    #[test]
    fn kept_runs_are_never_overwritten() {
        let d = tempfile::tempdir().unwrap();
        let first = unique_dir(d.path(), "t");
        std::fs::create_dir(&first).unwrap();
        assert!(unique_dir(d.path(), "t").ends_with("t.2"));
    }
}
