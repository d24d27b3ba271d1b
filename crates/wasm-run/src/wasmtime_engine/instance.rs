//! One run of a module on wasmtime: a fresh instance of the compiled module
//! (or component) in a store of its own, under WASI preview 1 (preview 2
//! for a component), its output captured, its counters read when it ends,
//! however it ends.
//!
//! A component's core instances are out of reach of wasmtime's component
//! API (wasmtime#10932), so its code module's counter memory is found by a
//! probe: a one-instruction core module in the same store traps, and the
//! core dump that wasmtime attaches to the trap (`Config::coredump_on_trap`)
//! lists every instance in the store, the component's too. From then on the
//! counter memory is an ordinary `Memory`. But any trap in a store marks
//! its components as trapped (they cannot be entered again), so the probe
//! runs only once the component has nothing left to enter: when its run
//! has ended, however it ended, or from the epoch callback of a test that
//! is still running when its first flush is due (a call into wasm from the
//! callback; the running test is not entered again).
//!
//! Interruption is by epochs: a ticker thread advances the engine's epoch
//! every [`TICK`], and each store's deadline callback decides, between two
//! stretches of guest code, whether the test is over its `--timeout`, the
//! run was stopped (Ctrl-C), or the counters are due to be flushed: the
//! callback can read the instance's counter memory while the guest is
//! paused, so a long test's counts reach the flush without any memory
//! shared between threads.

use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use wasm_cov_instrument::Derivation;
use wasmtime::component::{Component, ResourceTable};
use wasmtime::{
    AsContextMut, Engine, InstancePre, Linker, Memory, Module, Store, StoreContextMut, Trap,
    UpdateDeadline, WasmBacktrace, WasmCoreDump,
};
use wasmtime_wasi::p1::WasiP1Ctx;
use wasmtime_wasi::p2::bindings::sync::CommandPre;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{
    FsPerms, HostMonotonicClock, HostWallClock, I32Exit, WasiCtx, WasiCtxBuilder, WasiCtxView,
    WasiView,
};

use crate::harness::Harness;
use crate::session::WasiWorld;

/// How often the epoch advances: the finest `--timeout` and flush step.
pub(crate) const TICK: Duration = Duration::from_millis(10);

/// The most output one run keeps (each of stdout and stderr).
const MAX_OUTPUT: usize = 64 << 20;

/// The most frames of a backtrace kept: more than a 512 KiB wasm stack
/// holds, since a frame takes at least 16 bytes of it.
const MAX_FRAMES: usize = 1 << 16;

/// What every run of one module shares, across the worker threads.
pub(crate) struct Shared {
    pub engine: Engine,
    pub pre: Pre,
    pub harness: Harness,
    pub world: WasiWorld,
    pub program_name: String,
    /// The counter memory's export and its number of counters.
    pub counters: Option<(&'static str, usize)>,
    /// The blocks whose counts are derived (`wasm_cov_instrument::derive`),
    /// filled in at every read of an instance's counters.
    pub derived: Arc<Derivation>,
    /// Each body's start and first instruction in the instrumented module
    /// (`wasm_cov_instrument::body_entries`), when blocks are derived.
    pub entries: Vec<(u32, u32)>,
    pub timeout: Option<Duration>,
    pub flush: Duration,
    /// Set by Ctrl-C/SIGTERM: every running test stops at its next tick.
    pub stop: Arc<AtomicBool>,
    /// Clock and random source fixed (`WASM_RUN_DETERMINISTIC_WASI`), as the
    /// equality tests' Node preload fixes them.
    pub deterministic: bool,
}

impl Shared {
    /// The first instruction of the body that starts at `body_start`.
    fn first_instruction(&self, body_start: u64) -> Option<u64> {
        let i = self
            .entries
            .binary_search_by_key(&body_start, |&(start, _)| u64::from(start))
            .ok()?;
        Some(u64::from(self.entries[i].1))
    }
}

/// What each run instantiates.
pub(crate) enum Pre {
    /// A core module, under WASI preview 1.
    Module(InstancePre<Ctx>),
    /// A component exporting `wasi:cli/run`, under WASI preview 2, and the
    /// probe that finds its counters.
    Component { pre: CommandPre<Ctx>, probe: Module },
}

/// A store's own data.
pub(crate) struct Ctx {
    wasi: Wasi,
    counters: Option<Memory>,
    /// The module's `memory`, for a compat module's `env.__log`.
    memory: Option<Memory>,
    log: String,
    started: Instant,
    last_flush: Instant,
    timed_out: bool,
    stopped: bool,
}

/// The WASI state of a store: preview 1 for a module, preview 2 for a
/// component (`Pre` and `Wasi` are chosen together, in [`run`]).
enum Wasi {
    P1(WasiP1Ctx),
    P2(WasiCtx, ResourceTable),
}

impl Ctx {
    fn p1(&mut self) -> &mut WasiP1Ctx {
        match &mut self.wasi {
            Wasi::P1(w) => w,
            Wasi::P2(..) => unreachable!("a preview 1 import in a component's store"),
        }
    }
}

impl WasiView for Ctx {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        match &mut self.wasi {
            Wasi::P2(ctx, table) => WasiCtxView { ctx, table },
            Wasi::P1(_) => unreachable!("a preview 2 import in a module's store"),
        }
    }
}

/// How one run ended.
pub(crate) struct Ran {
    /// The exit status (`_start` returning is 0; `__run_tests`' result).
    pub code: Option<i32>,
    /// Why it stopped without one: a trap, a timeout, a stop.
    pub trap: Option<String>,
    pub timed_out: bool,
    pub stopped: bool,
    pub stdout: String,
    pub stderr: String,
    /// The instance's counters, when the module has them.
    pub counts: Option<Vec<u64>>,
    pub duration: Duration,
}

/// The engine for every run: epoch interruption on, nothing else off, the
/// compiled code cached (`cache.rs`); and for a component, core dumps on
/// traps, which the counters' probe needs
/// (they cost nothing until something traps).
pub(crate) fn engine(component: bool) -> anyhow::Result<Engine> {
    let mut config = wasmtime::Config::new();
    config.epoch_interruption(true);
    config.coredump_on_trap(component);
    // Every live frame of a trapped instance, for its derived counts (the
    // default keeps 20).
    config.wasm_backtrace_max_frames(NonZeroUsize::new(MAX_FRAMES));
    config.cache(super::cache::cache());
    Engine::new(&config).map_err(|e| anyhow::anyhow!("cannot start wasmtime: {e}"))
}

/// The pre-instantiated component, under WASI preview 2, and the probe.
///
/// No import is stubbed: wasmtime's `define_unknown_imports_as_traps`
/// matches names exactly, so it would shadow the WASI functions a
/// component imports at another 0.2 version (`wasi:cli/environment@0.2.6`
/// against wasmtime-wasi's 0.2.x, which the linker matches by semver).
pub(crate) fn component_pre(engine: &Engine, component: &Component) -> anyhow::Result<Pre> {
    let err = |e: wasmtime::Error| anyhow::anyhow!("{e:#}");
    let mut linker = wasmtime::component::Linker::<Ctx>::new(engine);
    wasmtime_wasi::p2::add_to_linker_sync(&mut linker).map_err(err)?;
    let pre = linker.instantiate_pre(component).map_err(err)?;
    let pre = CommandPre::new(pre).map_err(|e| {
        anyhow::anyhow!(
            "the component exports no wasi:cli/run, so it is no test binary or program: {e:#}"
        )
    })?;
    let probe = Module::new(engine, wasm_cov_format::PROBE).map_err(err)?;
    Ok(Pre::Component { pre, probe })
}

/// The memory `export` of whichever core instance in the store has one:
/// the probe traps, and the trap's core dump lists every instance. Marks
/// the store's components as trapped (see the module's comment).
fn find_memory(mut store: impl AsContextMut, probe: &Module, export: &str) -> Option<Memory> {
    let mut store = store.as_context_mut();
    let instance = wasmtime::Instance::new(&mut store, probe, &[]).ok()?;
    let f = instance
        .get_typed_func::<(), ()>(&mut store, "probe")
        .ok()?;
    let trapped = f.call(&mut store, ()).err()?;
    let dump = trapped.downcast_ref::<WasmCoreDump>()?;
    let instances = dump.instances().to_vec();
    instances
        .into_iter()
        .find_map(|i| i.get_memory(&mut store, export))
}

/// The linker of a module: WASI preview 1, `env.__log` for compat modules,
/// and a trap for any other import (wit-bindgen's `$root` intrinsics, which
/// `-C link-dead-code` keeps and no host provides), as wasmtime's
/// `define_unknown_imports_as_traps` makes them: defined after WASI, so
/// they never hide a WASI function.
pub(crate) fn module_pre(engine: &Engine, module: &Module) -> anyhow::Result<Pre> {
    let mut linker: Linker<Ctx> = Linker::new(engine);
    let err = |e: wasmtime::Error| anyhow::anyhow!("{e:#}");
    wasmtime_wasi::p1::add_to_linker_sync(&mut linker, Ctx::p1).map_err(err)?;
    let wants_log = module
        .imports()
        .any(|i| i.module() == "env" && i.name() == "__log");
    if wants_log {
        linker
            .func_wrap(
                "env",
                "__log",
                |mut caller: wasmtime::Caller<'_, Ctx>, ptr: i32, len: i32| {
                    let Some(mem) = caller.data().memory else {
                        return;
                    };
                    let (ptr, len) = (ptr as u32 as usize, len as u32 as usize);
                    let text = mem
                        .data(&caller)
                        .get(ptr..ptr.saturating_add(len))
                        .map(|b| String::from_utf8_lossy(b).into_owned())
                        .unwrap_or_default();
                    let log = &mut caller.data_mut().log;
                    log.push_str(&text);
                    log.push('\n');
                },
            )
            .map_err(err)?;
    }
    linker
        .define_unknown_imports_as_traps(module)
        .map_err(err)?;
    linker.instantiate_pre(module).map_err(err).map(Pre::Module)
}

/// Runs one instance with `args` after the program name. `on_flush` gets
/// the counters of a test still running, every `shared.flush`.
pub(crate) fn run(
    shared: &Shared,
    args: &[String],
    on_flush: impl Fn(Vec<u64>) + Send + Sync + 'static,
) -> Ran {
    let started = Instant::now();
    let stdout = MemoryOutputPipe::new(MAX_OUTPUT);
    let stderr = MemoryOutputPipe::new(MAX_OUTPUT);
    let mut ran = Ran {
        code: None,
        trap: None,
        timed_out: false,
        stopped: false,
        stdout: String::new(),
        stderr: String::new(),
        counts: None,
        duration: Duration::ZERO,
    };
    let wasi = match wasi(shared, args, &stdout, &stderr) {
        Ok(w) => w,
        Err(e) => {
            ran.trap = Some(format!("cannot set up WASI: {e:#}"));
            return ran;
        }
    };
    let mut store = Store::new(
        &shared.engine,
        Ctx {
            wasi,
            counters: None,
            memory: None,
            log: String::new(),
            started,
            last_flush: started,
            timed_out: false,
            stopped: false,
        },
    );
    let timeout = shared.timeout;
    let flush = shared.flush;
    let stop = shared.stop.clone();
    let n = shared.counters.map_or(0, |(_, n)| n);
    let probe = match &shared.pre {
        Pre::Component { probe, .. } => shared.counters.map(|(e, _)| (probe.clone(), e)),
        Pre::Module(_) => None,
    };
    let flush_probe = probe.clone();
    let derived = shared.derived.clone();
    store.set_epoch_deadline(1);
    store.epoch_deadline_callback(move |mut cx: StoreContextMut<'_, Ctx>| {
        let now = Instant::now();
        if stop.load(Ordering::Relaxed) {
            cx.data_mut().stopped = true;
            return Ok(UpdateDeadline::Interrupt);
        }
        if timeout.is_some_and(|t| now.duration_since(cx.data().started) >= t) {
            cx.data_mut().timed_out = true;
            return Ok(UpdateDeadline::Interrupt);
        }
        if now.duration_since(cx.data().last_flush) >= flush {
            cx.data_mut().last_flush = now;
            if let (None, Some((probe, export))) = (cx.data().counters, &flush_probe) {
                cx.data_mut().counters = find_memory(&mut cx, probe, export);
            }
            if let Some(mem) = cx.data().counters {
                // Still running: its live frames are not known, so its
                // derived counts can come out too low, never too high.
                let mut counts = read_counts(mem.data(&cx), n);
                derived.fill(&mut counts, &[]);
                on_flush(counts);
            }
        }
        Ok(UpdateDeadline::Continue(1))
    });
    let result = call(shared, &mut store);
    // The frames still live when it ended (a trap, an exit, a timeout all
    // leave a backtrace), for its derived counts.
    let frames: Vec<u64> = match &result {
        Err(e) if !shared.derived.is_empty() => {
            let trap = e.downcast_ref::<Trap>().copied();
            // A stack overflow traps in the entry check of the innermost
            // function, which ran nothing.
            let skip = usize::from(trap == Some(Trap::StackOverflow));
            // Any other trap (an interrupt aside, also at an entry check)
            // ran its instruction; wasmtime puts one that is a function's
            // first instruction at the body's start (`func_offset` 0).
            let ran = trap.is_some_and(|t| t != Trap::StackOverflow && t != Trap::Interrupt);
            e.downcast_ref::<WasmBacktrace>()
                .map(|bt| {
                    bt.frames()
                        .iter()
                        .skip(skip)
                        .enumerate()
                        .filter_map(|(i, f)| {
                            let at = f.module_offset()? as u64;
                            if i == 0 && ran && f.func_offset() == Some(0) {
                                return shared.first_instruction(at);
                            }
                            Some(at)
                        })
                        .collect()
                })
                .unwrap_or_default()
        }
        _ => Vec::new(),
    };
    let ctx = store.data();
    ran.timed_out = ctx.timed_out;
    ran.stopped = ctx.stopped;
    match result {
        Ok(code) => ran.code = Some(code),
        Err(e) => {
            if let Some(exit) = e.downcast_ref::<I32Exit>() {
                ran.code = Some(exit.0);
            } else if ran.timed_out {
                ran.trap = Some("timed out".to_owned());
            } else if ran.stopped {
                ran.trap = Some("stopped".to_owned());
            } else {
                ran.trap = Some(describe(&e));
            }
        }
    }
    if let (None, Some((probe, export))) = (store.data().counters, &probe) {
        store.data_mut().counters = find_memory(&mut store, probe, export);
        if store.data().counters.is_none() && ran.trap.is_none() {
            ran.trap = Some(format!("wasm-run cannot reach the counters of the component's code module (no core instance in the store exports {export})"));
        }
    }
    ran.counts = store.data().counters.map(|mem| {
        let mut counts = read_counts(mem.data(&store), n);
        shared.derived.fill(&mut counts, &frames);
        counts
    });
    let log = std::mem::take(&mut store.data_mut().log);
    drop(store);
    ran.stdout = log + &String::from_utf8_lossy(&stdout.contents());
    ran.stderr = String::from_utf8_lossy(&stderr.contents()).into_owned();
    ran.duration = started.elapsed();
    ran
}

/// Instantiates and calls the entry point: `_start` (its exit status is an
/// `I32Exit` error, or 0 when it returns), or a compat module's
/// `__run_tests`.
fn call(shared: &Shared, store: &mut Store<Ctx>) -> wasmtime::Result<i32> {
    let pre = match &shared.pre {
        Pre::Module(pre) => pre,
        Pre::Component { pre, .. } => {
            let command = pre.instantiate(&mut *store)?;
            // `run` returning `err` is a failing exit status, as libtest's
            // `exit(101)` is one on preview 2.
            return Ok(match command.wasi_cli_run().call_run(&mut *store)? {
                Ok(()) => 0,
                Err(()) => 1,
            });
        }
    };
    let instance = pre.instantiate(&mut *store)?;
    if let Some((export, _)) = shared.counters {
        let mem = instance.get_memory(&mut *store, export);
        store.data_mut().counters = mem;
    }
    let memory = instance.get_memory(&mut *store, "memory");
    store.data_mut().memory = memory;
    if shared.harness == Harness::Compat {
        if let Ok(init) = instance.get_typed_func::<(), ()>(&mut *store, "_initialize") {
            init.call(&mut *store, ())?;
        }
        let f = instance.get_typed_func::<(), i32>(&mut *store, "__run_tests")?;
        return f.call(&mut *store, ());
    }
    let start = instance.get_typed_func::<(), ()>(&mut *store, "_start")?;
    start.call(&mut *store, ())?;
    Ok(0)
}

/// The WASI world of one run: the same arguments, environment and
/// preopened folders as under Node (`session::WasiWorld`).
fn wasi(
    shared: &Shared,
    args: &[String],
    stdout: &MemoryOutputPipe,
    stderr: &MemoryOutputPipe,
) -> anyhow::Result<Wasi> {
    let mut b = WasiCtxBuilder::new();
    let argv: Vec<&str> = std::iter::once(shared.program_name.as_str())
        .chain(args.iter().map(String::as_str))
        .collect();
    b.args(&argv);
    for (k, v) in &shared.world.env {
        b.env(k, v);
    }
    for (guest, host) in &shared.world.preopens {
        b.preopened_dir(host, guest, FsPerms::ReadWrite)
            .map_err(|e| anyhow::anyhow!("preopening {host}: {e}"))?;
    }
    b.stdout(stdout.clone()).stderr(stderr.clone());
    if shared.deterministic {
        let ticks = Arc::new(AtomicU64::new(0));
        b.wall_clock(Ticks(ticks.clone()))
            .monotonic_clock(Ticks(ticks))
            .secure_random(Fixed)
            .insecure_random(Fixed)
            .insecure_random_seed(0);
    }
    Ok(match shared.pre {
        Pre::Module(_) => Wasi::P1(b.build_p1()),
        Pre::Component { .. } => Wasi::P2(b.build(), ResourceTable::new()),
    })
}

/// The counters, little-endian u64s at the start of the counter memory.
fn read_counts(bytes: &[u8], n: usize) -> Vec<u64> {
    bytes
        .chunks_exact(8)
        .take(n)
        .map(|c| u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
        .collect()
}

/// A trap in the words the Node runner uses, so messages (and the panic
/// hint that reads them) are the same on both engines.
fn describe(e: &wasmtime::Error) -> String {
    match e.downcast_ref::<Trap>() {
        Some(Trap::UnreachableCodeReached) => "wasm trap: unreachable".to_owned(),
        Some(Trap::StackOverflow) => "stack overflow: call stack exhausted".to_owned(),
        Some(Trap::MemoryOutOfBounds) => {
            "wasm trap: memory access out of bounds (on wasm32 this is also how a stack overflow shows)"
                .to_owned()
        }
        Some(t) => format!("wasm trap: {t}"),
        // A host function's error ends the guest as a trap does (a stub
        // of an import no host provides): what went wrong, without the
        // backtrace and the core dump that wasmtime wraps it in.
        None => format!("wasm trap: {}", e.root_cause()),
    }
}

/// The equality tests' clock: 10^18 ns plus 1 ms per reading, readings of
/// both clocks counted together, per instance (as
/// `deterministic-wasi.cjs` answers `clock_time_get` under Node).
struct Ticks(Arc<AtomicU64>);

impl Ticks {
    fn next(&self) -> u64 {
        let t = self.0.fetch_add(1, Ordering::Relaxed) + 1;
        1_000_000_000_000_000_000 + t * 1_000_000
    }
}

impl HostWallClock for Ticks {
    fn resolution(&self) -> Duration {
        Duration::from_nanos(1)
    }
    fn now(&self) -> Duration {
        Duration::from_nanos(self.next())
    }
}

impl HostMonotonicClock for Ticks {
    fn resolution(&self) -> u64 {
        1
    }
    fn now(&self) -> u64 {
        self.next()
    }
}

/// The equality tests' random source: every byte 0x5a (as
/// `deterministic-wasi.cjs` fills `random_get` under Node).
struct Fixed;

impl rand_core::TryRng for Fixed {
    type Error = std::convert::Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        Ok(0x5a5a_5a5a)
    }
    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        Ok(0x5a5a_5a5a_5a5a_5a5a)
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        dst.fill(0x5a);
        Ok(())
    }
}
