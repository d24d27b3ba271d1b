// The instances of runner.cjs: each runs in a worker thread one module
// instance per test (libtest), per program run, or a compat module's
// __run_tests, under node:wasi, and hands its counter memory to the main
// thread (runner.cjs) before the test runs.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { parentPort, workerData, threadId } = require('node:worker_threads');
const { WASI } = require('node:wasi');
const { framesOf } = require('./counters.cjs');

// Derived counters need every live frame of an instance that trapped or
// exited (framesOf); V8 keeps only 10 by default.
Error.stackTraceLimit = Infinity;

// ---------------------------------------------------------------- injected counters

// Counter k of an instrumented instance is the little-endian u64 at byte 8k
// of its own counter memory, a shared memory exported as
// config.countersExport. A worker posts that memory's SharedArrayBuffer to
// the main thread right after instantiating, so the main thread can read the
// counts at any time: after a trap, after terminating a hung worker, at
// every flush.

// Called with each new instance's counter buffer (workers: post it).
let onCounters = null;

// `exits.frames`: the live frames when an import threw through the
// instance (node:wasi's proc_exit does, to unwind it), for derived counts.
function instantiate(module, config, imports, exits) {
  const inject = config.counters === 'inject';
  const given = inject ? wrapImports(imports, exits) : imports;
  const instance = new WebAssembly.Instance(module, withTrapStubs(module, given));
  const counters = inject ? instance.exports[config.countersExport].buffer : null;
  if (counters && onCounters) onCounters(counters);
  return { instance, counters };
}

// Node 22's V8 aborts the process when a module with two memories imports a
// host function that has a Fast API fast path, as node:wasi's do
// (crbug.com/v8/14260): give it each import through a JS closure. The
// closure also notes the wasm frames below it when the import throws: the
// error, proc_exit's above all, may never reach us with them.
function wrapImports(imports, exits) {
  const out = {};
  const wrap = (v) => (...a) => {
    try {
      return v(...a);
    } catch (e) {
      if (exits.frames === null) exits.frames = framesOf(new Error());
      throw e;
    }
  };
  for (const [ns, fields] of Object.entries(imports)) {
    out[ns] = {};
    for (const [name, v] of Object.entries(fields)) out[ns][name] = typeof v === 'function' ? wrap(v) : v;
  }
  return out;
}

// ---------------------------------------------------------------- imports no host provides

// The test binary of a wit-bindgen crate, built with the coverage flags
// (-C link-dead-code, --no-gc-sections), keeps wit-bindgen's async runtime,
// which imports component intrinsics (`$root`::`[context-get-0]`,
// `[waitable-set-new]`, ...) that no host provides to a core module. As
// wasmtime's Linker::define_unknown_imports_as_traps does (and so
// --engine wasmtime), each function import that `imports` lacks becomes a
// function that traps when called, naming the import; a test that never
// calls one runs as if it were not there. Only what is missing is added: a
// function WASI or our own hooks provide is never replaced, and the objects
// given are not changed. A missing memory, table, global or tag stays
// missing, so instantiating fails as before, naming it.
function withTrapStubs(module, imports) {
  let out = null;
  for (const imp of WebAssembly.Module.imports(module)) {
    if (imp.kind !== 'function') continue;
    const fields = (out || imports)[imp.module];
    const isObject = fields !== null && (typeof fields === 'object' || typeof fields === 'function');
    // Something there that is not an object: V8 says what is wrong with it.
    if (fields !== undefined && !isObject) continue;
    if (isObject && fields[imp.name] !== undefined) continue;
    out = out || { ...imports };
    if (out[imp.module] === imports[imp.module]) out[imp.module] = { ...fields };
    out[imp.module][imp.name] = trapStub(imp.module, imp.name);
  }
  return out || imports;
}

// Worded as wasmtime's UnknownImportError, so both engines say the same.
function trapStub(moduleName, name) {
  const message = `unknown import: \`${moduleName}::${name}\` has not been defined`;
  return () => {
    throw new WebAssembly.RuntimeError(message);
  };
}

// 64-bit counts are kept as two 32-bit halves in plain numbers, never as
// BigInts: a test touches thousands of blocks, and a BigInt per count (and
// Runs one instance of `module` under WASI with `args`, capturing its output
// into files (WASI writes to file descriptors, not JS streams).
function runWasi(module, config, args, tag) {
  const outPath = path.join(config.scratch, `out-${threadId}-${tag}`);
  const errPath = path.join(config.scratch, `err-${threadId}-${tag}`);
  const stdout = fs.openSync(outPath, 'w+');
  const stderr = fs.openSync(errPath, 'w+');
  let code = null;
  let trap = null;
  let counters = null;
  const exits = { frames: null };
  try {
    const wasi = new WASI({
      version: 'preview1',
      args: [config.programName, ...args],
      env: config.env,
      preopens: config.preopens,
      returnOnExit: true,
      stdout,
      stderr,
    });
    const made = instantiate(module, config, wasi.getImportObject(), exits);
    counters = made.counters;
    code = wasi.start(made.instance);
  } catch (e) {
    trap = describeError(e);
    if (exits.frames === null) exits.frames = framesOf(e);
  } finally {
    fs.closeSync(stdout);
    fs.closeSync(stderr);
  }
  const result = {
    code,
    trap,
    counters,
    frames: exits.frames,
    stdout: fs.readFileSync(outPath, 'utf8'),
    stderr: fs.readFileSync(errPath, 'utf8'),
  };
  fs.rmSync(outPath, { force: true });
  fs.rmSync(errPath, { force: true });
  return result;
}

// Shows a run's output as the module wrote it.
function passThrough(r) {
  process.stdout.write(r.stdout);
  process.stderr.write(r.stderr);
  if (r.trap) process.stderr.write(`${r.trap}\n`);
}

function describeError(e) {
  if (e instanceof WebAssembly.RuntimeError) {
    // Rust's stack on wasm32 lives in linear memory below the data; running
    // off its end shows up as an out-of-bounds access, not a stack error.
    const hint = /out of bounds/.test(e.message) ? ' (on wasm32 this is also how a stack overflow shows)' : '';
    return `wasm trap: ${e.message}${hint}`;
  }
  if (e instanceof RangeError && /call stack/.test(e.message)) return `stack overflow: ${e.message}`;
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

// A compat module: exports __run_tests() -> i32 (0 = pass); may import
// env.__log(ptr, len) to print UTF-8 text from its exported memory, may
// import WASI, and any other function import traps if called.
function runCompat(module, config) {
  let out = '';
  let instance = null;
  let counters = null;
  const exits = { frames: null };
  const imports = {};
  let wasi = null;
  for (const imp of WebAssembly.Module.imports(module)) {
    if (imp.module === 'env' && imp.name === '__log' && imp.kind === 'function') {
      imports.env = imports.env || {};
      imports.env.__log = (ptr, len) => {
        const mem = instance.exports.memory;
        out += Buffer.from(mem.buffer, ptr >>> 0, len >>> 0).toString('utf8') + '\n';
      };
    } else if (imp.module === 'wasi_snapshot_preview1') {
      wasi = wasi || new WASI({ version: 'preview1', args: [config.programName], env: config.env, preopens: config.preopens, returnOnExit: true });
      Object.assign(imports, wasi.getImportObject());
    } else if (imp.kind !== 'function') {
      // Any other function is a trap (withTrapStubs), as on wasmtime.
      return { code: null, counters, trap: `unsupported import ${imp.module}.${imp.name} (${imp.kind}); compat modules may import only env.__log, WASI and functions (which trap if called)`, stdout: out, stderr: '' };
    }

  }
  try {
    ({ instance, counters } = instantiate(module, config, imports, exits));
    if (wasi && instance.exports._initialize) wasi.initialize(instance);
    const code = instance.exports.__run_tests();
    return { code, counters, frames: exits.frames, trap: null, stdout: out, stderr: '' };
  } catch (e) {
    if (exits.frames === null) exits.frames = framesOf(e);
    return { code: null, counters, frames: exits.frames, trap: describeError(e), stdout: out, stderr: '' };
  }
}

function workerMain() {
  const { module, config } = workerData;
  let current = null;
  // The counter memory goes to the main thread before the test runs.
  onCounters = (counters) => parentPort.postMessage({ id: current, counters });
  parentPort.on('message', (job) => {
    current = job.id;
    const start = performance.now();
    const r = config.harness === 'compat' ? runCompat(module, config) : runWasi(module, config, job.args, job.id);
    r.id = job.id;
    delete r.counters; // posted already
    r.durationMs = performance.now() - start;
    parentPort.postMessage(r);
  });
}

// For runner.cjs, and the trap stubs for wasm-run's unit tests (`require`
// runs nothing).
module.exports = { runWasi, passThrough, describeError, runCompat, workerMain, withTrapStubs };
