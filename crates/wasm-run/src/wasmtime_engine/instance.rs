//! One run of a module on wasmtime: a fresh instance of the compiled module
//! in a store of its own, under WASI preview 1, its output captured, its
//! counters read when it ends, however it ends.
//!
//! Interruption is by epochs: a ticker thread advances the engine's epoch
//! every [`TICK`], and each store's deadline callback decides, between two
//! stretches of guest code, whether the test is over its `--timeout`, the
//! run was stopped (Ctrl-C), or the counters are due to be flushed: the
//! callback can read the instance's counter memory while the guest is
//! paused, so a long test's counts reach the flush without any memory
//! shared between threads.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use wasmtime::{
    Engine, InstancePre, Linker, Memory, Module, Store, StoreContextMut, Trap, UpdateDeadline,
};
use wasmtime_wasi::p1::WasiP1Ctx;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{FsPerms, HostMonotonicClock, HostWallClock, I32Exit, WasiCtxBuilder};

use crate::harness::Harness;
use crate::session::WasiWorld;

/// How often the epoch advances: the finest `--timeout` and flush step.
pub(crate) const TICK: Duration = Duration::from_millis(10);

/// The most output one run keeps (each of stdout and stderr).
const MAX_OUTPUT: usize = 64 << 20;

/// What every run of one module shares, across the worker threads.
pub(crate) struct Shared {
    pub engine: Engine,
    pub pre: InstancePre<Ctx>,
    pub harness: Harness,
    pub world: WasiWorld,
    pub program_name: String,
    /// The counter memory's export and its number of counters.
    pub counters: Option<(&'static str, usize)>,
    pub timeout: Option<Duration>,
    pub flush: Duration,
    /// Set by Ctrl-C/SIGTERM: every running test stops at its next tick.
    pub stop: Arc<AtomicBool>,
    /// Clock and random source fixed (`WASM_RUN_DETERMINISTIC_WASI`), as the
    /// equality tests' Node preload fixes them.
    pub deterministic: bool,
}

/// A store's own data.
pub(crate) struct Ctx {
    wasi: WasiP1Ctx,
    counters: Option<Memory>,
    /// The module's `memory`, for a compat module's `env.__log`.
    memory: Option<Memory>,
    log: String,
    started: Instant,
    last_flush: Instant,
    timed_out: bool,
    stopped: bool,
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

/// The engine for every run: epoch interruption on, nothing else off.
pub(crate) fn engine() -> anyhow::Result<Engine> {
    let mut config = wasmtime::Config::new();
    config.epoch_interruption(true);
    Engine::new(&config).map_err(|e| anyhow::anyhow!("cannot start wasmtime: {e}"))
}

/// The linker of a module: WASI preview 1, `env.__log` for compat modules,
/// and a trap for any other import (wit-bindgen's `$root` intrinsics, which
/// `-C link-dead-code` keeps and no host provides), as wasmtime's
/// `define_unknown_imports_as_traps` makes them: defined after WASI, so
/// they never hide a WASI function.
pub(crate) fn instance_pre(engine: &Engine, module: &Module) -> anyhow::Result<InstancePre<Ctx>> {
    let mut linker: Linker<Ctx> = Linker::new(engine);
    let err = |e: wasmtime::Error| anyhow::anyhow!("{e:#}");
    wasmtime_wasi::p1::add_to_linker_sync(&mut linker, |c: &mut Ctx| &mut c.wasi).map_err(err)?;
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
    linker.instantiate_pre(module).map_err(err)
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
            if let Some(mem) = cx.data().counters {
                on_flush(read_counts(mem.data(&cx), n));
            }
        }
        Ok(UpdateDeadline::Continue(1))
    });
    let result = call(shared, &mut store);
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
    ran.counts = store
        .data()
        .counters
        .map(|mem| read_counts(mem.data(&store), n));
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
    let instance = shared.pre.instantiate(&mut *store)?;
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
) -> anyhow::Result<WasiP1Ctx> {
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
    Ok(b.build_p1())
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
        None => format!("{e:#}"),
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
