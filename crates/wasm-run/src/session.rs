//! What every run sets up before Node starts, shared by the direct path
//! (`direct.rs`) and the hooked one (`exec.rs`): the settings from the
//! command line, a Node proved to count wasm blocks, the output folder with
//! its `modules/`, a temporary folder for our JS files, and the WASI world
//! the tests see.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use wasm_cov_format::AtomicOutput;

use crate::counters::{check_inject, Counters};
use crate::locate::{find_node, Found};
use crate::node::check_node;

/// What a run takes from the command line; `cli.rs` builds it after
/// checking the numbers.
#[derive(Debug, Clone)]
pub(crate) struct Options {
    /// The output folder.
    pub out: PathBuf,
    /// `--node`.
    pub node: Option<PathBuf>,
    /// Seconds between counter flushes; positive and finite.
    pub flush_interval: f64,
    /// Seconds a test may run; positive and finite.
    pub timeout: Option<f64>,
    pub test_threads: Option<usize>,
    /// `--dir HOST[:GUEST]`, as given.
    pub dirs: Vec<String>,
    /// `--env KEY=VALUE`, as given.
    pub envs: Vec<String>,
    pub inherit_env: bool,
    /// The arguments after `--`.
    pub args: Vec<OsString>,
    /// `--counters`: where the counts come from.
    pub counters: Counters,
    /// `--partition` and the binary id it deals by: the share of a
    /// libtest binary's tests this run runs.
    pub partition: Option<(wasm_cov_format::Partition, String)>,
}

impl Options {
    pub fn flush_ms(&self) -> u64 {
        secs_to_ms(self.flush_interval)
    }

    /// 0 when there is no timeout, as `js/runner.cjs` reads it.
    pub fn timeout_ms(&self) -> u64 {
        self.timeout.map_or(0, secs_to_ms)
    }
}

fn secs_to_ms(s: f64) -> u64 {
    (s * 1000.0).round().max(1.0) as u64
}

/// One run's set-up. The temporary folder goes when the session does.
pub(crate) struct Session {
    pub node: Found,
    pub outputs: Outputs,
    tmp: tempfile::TempDir,
}

impl Session {
    /// Finds Node and proves it can count wasm blocks the way
    /// `opts.counters` asks (before anything is
    /// created, so a bad Node leaves no output folder), then creates the
    /// output folder with `modules/` and a temporary folder.
    pub fn start(opts: &Options) -> Result<Session> {
        let node = find_node(opts.node.as_deref())?;
        match opts.counters {
            Counters::V8 => {
                check_node(&node)?;
            }
            Counters::Inject => {
                check_inject(&node)?;
            }
            Counters::Off => {}
        }
        let outputs = Outputs::new(&opts.out)?;
        let tmp = tempfile::Builder::new()
            .prefix("wasm-run-")
            .tempdir()
            .context("cannot create a temporary folder")?;
        Ok(Session { node, outputs, tmp })
    }

    /// `name` in the temporary folder.
    pub fn temp(&self, name: &str) -> PathBuf {
        self.tmp.path().join(name)
    }

    /// A new empty folder `name` in the temporary folder.
    pub fn temp_dir(&self, name: &str) -> Result<PathBuf> {
        let dir = self.temp(name);
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        Ok(dir)
    }

    /// Writes one of our JS programs (`js::RUNNER`, `js::HOOK`,
    /// `js::BROWSER`: its main file first, then the files it `require`s)
    /// where Node can load it; returns the main file's path.
    pub fn write_js(&self, files: &[(&str, &str)]) -> Result<PathBuf> {
        for (name, source) in files {
            let path = self.temp(name);
            std::fs::write(&path, source)
                .with_context(|| format!("cannot write the Node {name}"))?;
        }
        Ok(self.temp(files[0].0))
    }
}

/// wasm-run's JavaScript, by program: each one's main file, then the files
/// it `require`s (docs/architecture.md names each).
pub(crate) mod js {
    type Files = [(&'static str, &'static str)];

    const COUNTERS: (&str, &str) = ("counters.cjs", include_str!("js/counters.cjs"));
    const CONTEXTS: (&str, &str) = ("contexts.cjs", include_str!("js/contexts.cjs"));

    /// The Node side of modules wasm-run instantiates itself (direct.rs).
    pub const RUNNER: &Files = &[
        ("runner.cjs", include_str!("js/runner.cjs")),
        (
            "runner-instance.cjs",
            include_str!("js/runner-instance.cjs"),
        ),
        ("partition.cjs", include_str!("js/partition.cjs")),
        COUNTERS,
    ];

    /// The hook in Node processes wasm-run does not start (exec.rs).
    pub const HOOK: &Files = &[
        ("hook.cjs", include_str!("js/hook.cjs")),
        COUNTERS,
        CONTEXTS,
    ];

    /// The browser driver (exec.rs).
    pub const BROWSER: &Files = &[
        ("browser.cjs", include_str!("js/browser.cjs")),
        ("browser-page.cjs", include_str!("js/browser-page.cjs")),
        ("browser-proxy.cjs", include_str!("js/browser-proxy.cjs")),
        ("browser-cdp.cjs", include_str!("js/browser-cdp.cjs")),
        ("browser-bidi.cjs", include_str!("js/browser-bidi.cjs")),
        ("browser-procs.cjs", include_str!("js/browser-procs.cjs")),
        ("rpc.cjs", include_str!("js/rpc.cjs")),
        COUNTERS,
        CONTEXTS,
    ];

    /// All of a program's files as one text, for tests that read it whole.
    #[cfg(test)]
    pub fn source(files: &Files) -> String {
        files.iter().map(|(_, s)| *s).collect::<Vec<_>>().join("\n")
    }
}

/// Where the outputs go; every file is written atomically.
pub(crate) struct Outputs {
    pub dir: PathBuf,
}

impl Outputs {
    pub fn new(dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(dir.join("modules"))
            .with_context(|| format!("cannot create {}", dir.join("modules").display()))?;
        Ok(Outputs {
            dir: dir.to_path_buf(),
        })
    }

    pub fn write(&self, name: &str, bytes: &[u8]) -> Result<PathBuf> {
        let path = self.dir.join(name);
        let cannot = || format!("cannot write {}", path.display());
        let mut out = AtomicOutput::create(Some(&path)).with_context(cannot)?;
        std::io::Write::write_all(&mut out, bytes).with_context(cannot)?;
        out.commit().with_context(cannot)?;
        Ok(path)
    }

    /// Saves a module under its hash, unless the same bytes are there.
    pub fn save_module(&self, bytes: &[u8], sha256: &str) -> Result<PathBuf> {
        let name = format!("modules/{sha256}.wasm");
        let path = self.dir.join(&name);
        if std::fs::read(&path).ok().as_deref() == Some(bytes) {
            return Ok(path);
        }
        self.write(&name, bytes)
    }

    /// Removes `name` left in the folder by an earlier run, when this run
    /// writes none (a `per-test.jsonl` that would no longer match the
    /// `v8-coverage.json` beside it).
    pub fn remove_stale(&self, name: &str) -> Result<()> {
        let stale = self.dir.join(name);
        if stale.is_file() {
            std::fs::remove_file(&stale)
                .with_context(|| format!("cannot remove the stale {}", stale.display()))?;
        }
        Ok(())
    }

    pub fn write_json(&self, name: &str, value: &impl serde::Serialize) -> Result<PathBuf> {
        self.write(name, &serde_json::to_vec(value)?)
    }
}

/// What a module run under `node:wasi` sees: its current folder, its
/// environment and its preopened folders (guest path -> host path).
#[derive(Debug, Clone)]
pub(crate) struct WasiWorld {
    /// The crate folder of a cargo-built binary, else our own.
    pub cwd: PathBuf,
    pub env: BTreeMap<String, String>,
    pub preopens: BTreeMap<String, String>,
}

impl WasiWorld {
    pub fn new(opts: &Options, wasm: &Path) -> Result<WasiWorld> {
        let cwd = crate_dir(wasm).map_or_else(std::env::current_dir, Ok)?;
        Ok(WasiWorld {
            env: test_env(opts)?,
            preopens: preopens(opts, &cwd)?,
            cwd,
        })
    }
}

fn test_env(opts: &Options) -> Result<BTreeMap<String, String>> {
    let mut env = BTreeMap::new();
    if opts.inherit_env {
        for (k, v) in std::env::vars_os() {
            if let (Ok(k), Ok(v)) = (k.into_string(), v.into_string()) {
                env.insert(k, v);
            }
        }
    }
    for kv in &opts.envs {
        let Some((k, v)) = kv.split_once('=') else {
            bail!("--env {kv:?}: expected KEY=VALUE");
        };
        env.insert(k.to_owned(), v.to_owned());
    }
    Ok(env)
}

/// The crate folder (also as `.`, since cargo runs tests there), the temp
/// folder, and every --dir.
fn preopens(opts: &Options, cwd: &Path) -> Result<BTreeMap<String, String>> {
    let mut map = BTreeMap::new();
    let cwd = abs(cwd)?.to_string_lossy().into_owned();
    map.insert(".".to_owned(), cwd.clone());
    map.insert(cwd.clone(), cwd);
    let tmp = std::env::temp_dir().to_string_lossy().into_owned();
    map.insert(tmp.clone(), tmp);
    for d in &opts.dirs {
        let (host, guest) = match d.split_once(':') {
            Some((h, g)) => (h, g.to_owned()),
            None => (
                d.as_str(),
                abs(Path::new(d))?.to_string_lossy().into_owned(),
            ),
        };
        let host = abs(Path::new(host))?;
        if !host.is_dir() {
            bail!("--dir {d:?}: {} is not a folder", host.display());
        }
        map.insert(guest, host.to_string_lossy().into_owned());
    }
    Ok(map)
}

/// The crate folder of a cargo-built test binary: the parent of the nearest
/// `target` folder above it, if that holds a Cargo.toml.
pub fn crate_dir(wasm: &Path) -> Option<PathBuf> {
    let wasm = std::path::absolute(wasm).ok()?;
    let target = wasm
        .ancestors()
        .find(|a| a.file_name().is_some_and(|n| n == "target"))?;
    let dir = target.parent()?;
    dir.join("Cargo.toml").is_file().then(|| dir.to_path_buf())
}

pub(crate) fn abs(p: &Path) -> Result<PathBuf> {
    std::path::absolute(p).with_context(|| format!("cannot resolve {}", p.display()))
}

/// One line on stderr that must not fail the run: when stderr is a closed
/// pipe (`wasm-run ... 2>&1 | head`), it is dropped, where `eprintln!`
/// would panic.
pub(crate) fn note(args: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "wasm-run: {args}");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts() -> Options {
        Options {
            out: PathBuf::from("cov"),
            node: None,
            flush_interval: 2.0,
            timeout: None,
            test_threads: None,
            dirs: Vec::new(),
            envs: Vec::new(),
            inherit_env: false,
            args: Vec::new(),
            counters: Counters::V8,
            partition: None,
        }
    }

    #[test]
    fn seconds_become_at_least_one_millisecond() {
        let mut o = opts();
        assert_eq!(o.flush_ms(), 2000);
        assert_eq!(o.timeout_ms(), 0);
        o.timeout = Some(0.0001);
        assert_eq!(o.timeout_ms(), 1);
        o.timeout = Some(1.5);
        assert_eq!(o.timeout_ms(), 1500);
    }

    #[test]
    fn the_wasi_world_has_the_crate_folder_the_temp_folder_and_each_dir() {
        let tmp = tempfile::tempdir().unwrap();
        let krate = tmp.path().join("krate");
        let deps = krate.join("target/wasm-cov/wasm32-wasip1/debug/deps");
        std::fs::create_dir_all(&deps).unwrap();
        std::fs::write(krate.join("Cargo.toml"), "").unwrap();
        let data = tmp.path().join("data");
        std::fs::create_dir_all(&data).unwrap();
        let mut o = opts();
        o.dirs = vec![format!("{}:/data", data.display())];
        o.envs = vec!["A=1=2".into()];
        let w = WasiWorld::new(&o, &deps.join("t-0123456789abcdef.wasm")).unwrap();
        let k = krate.to_string_lossy().into_owned();
        assert_eq!(w.cwd, krate);
        assert_eq!(w.preopens["."], k);
        assert_eq!(w.preopens[&k], k);
        assert_eq!(w.preopens["/data"], data.to_string_lossy());
        assert!(w
            .preopens
            .contains_key(&*std::env::temp_dir().to_string_lossy()));
        assert_eq!(w.env["A"], "1=2");
        o.envs = vec!["NOVALUE".into()];
        let err = WasiWorld::new(&o, Path::new("x.wasm")).unwrap_err();
        assert_eq!(err.to_string(), "--env \"NOVALUE\": expected KEY=VALUE");
    }
}
