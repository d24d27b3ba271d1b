//! Coverage of the wasm plugins that a native Rust host's tests run
//! through wasmtime.
//!
//! A host adds this crate to its `[dev-dependencies]` and makes three calls
//! where it already makes wasmtime's:
//!
//! ```no_run
//! # fn main() -> wasmtime::Result<()> {
//! let mut config = wasmtime::Config::new();
//! wasm_cov_wasmtime::config(&mut config);
//! let engine = wasmtime::Engine::new(&config)?;
//! let component = wasm_cov_wasmtime::component_from_file(&engine, "plugin.wasm")?;
//! let mut store = wasmtime::Store::new(&engine, ());
//! // ... instantiate `component` in `store` and call it ...
//! wasm_cov_wasmtime::collect(&mut store)?;
//! # Ok(()) }
//! ```
//!
//! All three do nothing more than wasmtime does unless the process runs
//! under `cargo wasm-cov`, which sets [`DIR_ENV`] to the folder the
//! counters go to. Then:
//!
//! - [`config`] turns on core dumps on traps (`Config::coredump_on_trap`),
//!   which cost nothing until something traps;
//! - [`component_from_file`] and [`module_from_file`] save the code module
//!   (a component's one core module with DWARF) to `DIR/modules/`, insert
//!   wasm-cov's block counters into a copy, and compile that. The host sees
//!   the same component: the same imports, exports and behaviour;
//! - [`collect`] reads the counters of every instance in the store and
//!   appends them to `DIR/collected-<pid>.jsonl`, under the name of the
//!   running test (libtest runs each test on a thread named after it), and
//!   zeroes them, so a second call does not count twice.
//!
//! A component's core instances are out of reach of wasmtime's component
//! API (wasmtime#10932). [`collect`] finds them as wasm-run does: a probe
//! module instantiated in the same store traps, and the trap's core dump
//! lists every instance. wasmtime then marks the store's component
//! instances as trapped: they cannot be entered again. So [`collect`] is
//! the last thing done with a store; [`CoveredStore`] does it when the
//! store is dropped, after a test's panic too.

mod rename;

use std::io::Write;
use std::ops::{Deref, DerefMut};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use wasm_cov_format::{sha256_hex, CollectedHeader, Collection, ComponentLayout};
use wasm_cov_instrument::{instrument, Options};
use wasmtime::component::Component;
use wasmtime::{AsContext, AsContextMut, Config, Engine, Module, Store, StoreContext};
use wasmtime::{StoreContextMut, WasmCoreDump};

/// The environment variable `cargo wasm-cov` sets to the folder that
/// collections go to; unset, this crate does nothing.
pub const DIR_ENV: &str = wasm_cov_format::COLLECT_DIR_ENV;

/// The test name of counts collected outside any libtest test (on the
/// main thread), as elsewhere in the pipeline.
pub const NO_TEST: &str = wasm_cov_format::NO_TEST;

/// What one process has loaded and where it writes.
struct State {
    dir: PathBuf,
    /// Every instrumented module: its counter export, SHA-256 and blocks.
    modules: Mutex<Vec<Loaded>>,
    /// The probe, compiled once per engine.
    probes: Mutex<Vec<(Engine, Module)>>,
    out: Mutex<Option<std::fs::File>>,
}

#[derive(Clone)]
struct Loaded {
    export: String,
    sha256: String,
    blocks: usize,
}

fn state() -> Option<&'static State> {
    static STATE: OnceLock<Option<State>> = OnceLock::new();
    STATE
        .get_or_init(|| {
            let dir = std::env::var_os(DIR_ENV).filter(|d| !d.is_empty())?;
            Some(State {
                dir: PathBuf::from(dir),
                modules: Mutex::new(Vec::new()),
                probes: Mutex::new(Vec::new()),
                out: Mutex::new(None),
            })
        })
        .as_ref()
}

/// True when this process runs under `cargo wasm-cov` (its [`DIR_ENV`]
/// is set).
pub fn enabled() -> bool {
    state().is_some()
}

/// Turns on what collection needs; nothing outside `cargo wasm-cov`.
pub fn config(config: &mut Config) {
    if enabled() {
        config.coredump_on_trap(true);
    }
}

/// `Component::from_file`, with the code module's counters inserted under
/// `cargo wasm-cov`.
pub fn component_from_file(engine: &Engine, path: impl AsRef<Path>) -> wasmtime::Result<Component> {
    let path = path.as_ref();
    let Some(s) = state() else {
        return Component::from_file(engine, path);
    };
    let bytes = read(path)?;
    let parts = ComponentLayout::parse(&bytes).map_err(|e| at(path, e))?;
    let Some(code) = parts.code_module().map_err(|e| at(path, e))? else {
        warn_once(path, "no core module of the component has DWARF");
        return Component::new(engine, &bytes);
    };
    let counted = s
        .instrument(&bytes[code.range.clone()])
        .map_err(|e| at(path, e))?;
    Component::new(engine, wasm_cov_format::splice(&bytes, code, &counted))
}

/// `Module::from_file`, with counters inserted under `cargo wasm-cov`.
pub fn module_from_file(engine: &Engine, path: impl AsRef<Path>) -> wasmtime::Result<Module> {
    let path = path.as_ref();
    let Some(s) = state() else {
        return Module::from_file(engine, path);
    };
    let bytes = read(path)?;
    let counted = s.instrument(&bytes).map_err(|e| at(path, e))?;
    Module::new(engine, counted)
}

/// Writes the counters of every instance in `store` to the run folder,
/// under the current test's name, and zeroes them. The store's component
/// instances cannot be entered afterwards (see the crate's comment): call
/// it when the test is done with the store. Nothing outside `cargo
/// wasm-cov`.
pub fn collect(mut store: impl AsContextMut) -> wasmtime::Result<()> {
    let Some(s) = state() else {
        return Ok(());
    };
    let loaded = lock(&s.modules).clone();
    if loaded.is_empty() {
        return Ok(());
    }
    let mut cx = store.as_context_mut();
    let probe = s.probe(cx.engine())?;
    let instance = wasmtime::Instance::new(&mut cx, &probe, &[])?;
    let f = instance.get_typed_func::<(), ()>(&mut cx, "probe")?;
    let Some(trapped) = f.call(&mut cx, ()).err() else {
        wasmtime::bail!("wasm-cov-wasmtime: the probe did not trap");
    };
    let Some(dump) = trapped.downcast_ref::<WasmCoreDump>() else {
        wasmtime::bail!("wasm-cov-wasmtime: no core dump on a trap: call wasm_cov_wasmtime::config on the engine's Config");
    };
    let instances = dump.instances().to_vec();
    let thread = std::thread::current();
    let test = match thread.name() {
        Some("main") | None => NO_TEST,
        Some(name) => name,
    };
    let mut lines = String::new();
    for i in instances {
        for m in &loaded {
            let Some(mem) = i.get_memory(&mut cx, &m.export) else {
                continue;
            };
            let counts = take_counts(mem.data_mut(&mut cx), m.blocks);
            if !counts.is_empty() {
                let line = Collection {
                    test: test.to_owned(),
                    module: m.sha256.clone(),
                    counts,
                };
                lines.push_str(&serde_json::to_string(&line)?);
                lines.push('\n');
            }
        }
    }
    s.append(&lines)
}

/// The nonzero counters as `[index, count]`, each reset to 0.
fn take_counts(memory: &mut [u8], blocks: usize) -> Vec<[u64; 2]> {
    let mut out = Vec::new();
    for (k, c) in memory.chunks_exact_mut(8).take(blocks).enumerate() {
        let mut le = [0u8; 8];
        le.copy_from_slice(c);
        let n = u64::from_le_bytes(le);
        if n != 0 {
            out.push([k as u64, n]);
            c.fill(0);
        }
    }
    out
}

impl State {
    /// Saves `module` (and its block table) to `modules/`, and returns it
    /// with counters, its counter memory exported under a name of its own
    /// so [`collect`] tells the modules of a store apart.
    fn instrument(&self, module: &[u8]) -> Result<Vec<u8>, String> {
        let sha = sha256_hex(module);
        let mut opts = Options::default();
        opts.shared = false;
        let i = instrument(module, &opts).map_err(|e| e.to_string())?;
        let export = format!("{}_{}", i.counters_export, &sha[..16]);
        let wasm = rename::export(&i.wasm, i.counters_export, &export)?;
        let modules = self.dir.join("modules");
        std::fs::create_dir_all(&modules).map_err(|e| format!("{}: {e}", modules.display()))?;
        let saved = modules.join(format!("{sha}.wasm"));
        if !saved.is_file() {
            write_atomic(&saved, module)?;
        }
        let mut table = Vec::new();
        i.table(&sha)
            .write_json(&mut table)
            .map_err(|e| e.to_string())?;
        write_atomic(&modules.join(format!("{sha}.blocks.json")), &table)?;
        let mut loaded = lock(&self.modules);
        if !loaded.iter().any(|m| m.export == export) {
            loaded.push(Loaded {
                export,
                sha256: sha,
                blocks: i.blocks.len(),
            });
        }
        Ok(wasm)
    }

    fn probe(&self, engine: &Engine) -> wasmtime::Result<Module> {
        let mut probes = lock(&self.probes);
        if let Some((_, m)) = probes.iter().find(|(e, _)| Engine::same(e, engine)) {
            return Ok(m.clone());
        }
        let m = Module::new(engine, wasm_cov_format::PROBE)?;
        probes.push((engine.clone(), m.clone()));
        Ok(m)
    }

    /// Appends whole lines to this process's file, creating it with its
    /// header line first.
    fn append(&self, lines: &str) -> wasmtime::Result<()> {
        if lines.is_empty() {
            return Ok(());
        }
        let mut out = lock(&self.out);
        if out.is_none() {
            std::fs::create_dir_all(&self.dir)?;
            let path = self
                .dir
                .join(format!("collected-{}.jsonl", std::process::id()));
            let mut f = std::fs::File::options()
                .create(true)
                .append(true)
                .open(&path)?;
            if f.metadata()?.len() == 0 {
                let header = serde_json::to_string(&CollectedHeader::default())?;
                writeln!(f, "{header}")?;
            }
            *out = Some(f);
        }
        if let Some(f) = out.as_mut() {
            f.write_all(lines.as_bytes())?;
            f.flush()?;
        }
        Ok(())
    }
}

/// A store that collects its counters when it is dropped: at the end of a
/// test, or while a panicking test unwinds. It is a [`Store`] otherwise.
pub struct CoveredStore<T: 'static>(Store<T>);

impl<T: 'static> CoveredStore<T> {
    pub fn new(engine: &Engine, data: T) -> Self {
        CoveredStore(Store::new(engine, data))
    }
}

impl<T: 'static> Deref for CoveredStore<T> {
    type Target = Store<T>;
    fn deref(&self) -> &Store<T> {
        &self.0
    }
}

impl<T: 'static> DerefMut for CoveredStore<T> {
    fn deref_mut(&mut self) -> &mut Store<T> {
        &mut self.0
    }
}

impl<T: 'static> AsContext for CoveredStore<T> {
    type Data = T;
    fn as_context(&self) -> StoreContext<'_, T> {
        self.0.as_context()
    }
}

impl<T: 'static> AsContextMut for CoveredStore<T> {
    fn as_context_mut(&mut self) -> StoreContextMut<'_, T> {
        self.0.as_context_mut()
    }
}

impl<T: 'static> Drop for CoveredStore<T> {
    fn drop(&mut self) {
        if let Err(e) = collect(&mut self.0) {
            eprintln!("wasm-cov-wasmtime: cannot collect the counters: {e:#}");
        }
    }
}

fn read(path: &Path) -> wasmtime::Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| wasmtime::format_err!("cannot read {}: {e}", path.display()))
}

fn at(path: &Path, e: impl std::fmt::Display) -> wasmtime::Error {
    wasmtime::format_err!("{}: {e}", path.display())
}

fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), String> {
    // Unique per call: two tests of one process may load one plugin at
    // once, and must not share (and rename away) one temporary file.
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = path.with_extension(format!("tmp{}-{n}", std::process::id()));
    std::fs::write(&tmp, bytes)
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|e| format!("{}: {e}", path.display()))
}

fn warn_once(path: &Path, why: &str) {
    static WARNED: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
    let mut w = lock(&WARNED);
    if !w.iter().any(|p| p == path) {
        eprintln!(
            "wasm-cov-wasmtime: {}: {why}; its lines are not counted (build it with -C debuginfo=2)",
            path.display()
        );
        w.push(path.to_owned());
    }
}

/// A lock that a panic elsewhere does not poison for us.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn taking_counts_keeps_the_nonzero_and_zeroes_them() {
        let mut mem = vec![0u8; 32];
        mem[8..16].copy_from_slice(&5u64.to_le_bytes());
        mem[24..32].copy_from_slice(&7u64.to_le_bytes());
        assert_eq!(take_counts(&mut mem, 3), [[1, 5]]);
        assert_eq!(take_counts(&mut mem, 4), [[3, 7]], "block 1 was zeroed");
        assert!(take_counts(&mut mem, 4).is_empty());
    }
}
