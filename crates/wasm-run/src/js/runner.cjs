// wasm-run's Node side for modules it instantiates itself: libtest binaries
// for wasm32-wasip1, plain wasip1 programs (a doctest, run once as one test)
// and "compat" modules exporting __run_tests. Its Rust half, which writes
// CONFIG.json and reads what this writes, is crates/wasm-run/src/direct.rs.
//
// Started by wasm-run as
//   node [V8_FLAGS, the coverage flags of node.rs] <RUNNER_NODE_ARGS> runner.cjs CONFIG.json
// with V8's flags only when config.counters is 'v8'. config.counters:
//   'v8'     V8's own counters, read with %DebugCollectWasmCoverage();
//   'inject' config.wasm is instrumented (wasm-cov-instrument): every
//            instance counts into a shared memory of its own (see "Injected
//            counters" below), summed here as 64-bit integers;
//   'off'    nothing is counted and config.rawOut is not written.
//
// The module is compiled once here. libtest tests are listed by libtest
// itself and each runs in a fresh instance of that one compiled module
// inside a pool of worker threads: a panic (which aborts and traps on wasm)
// fails only its own test, a hung test is ended by terminating its worker,
// and the counts survive a terminated worker: V8 keeps one counter set per
// compiled module across all threads, and injected counters are memories
// the main thread holds.
//
// The main thread only schedules, prints libtest-style results, and writes
// two files for wasm-run (which converts and publishes them atomically):
//   config.rawOut     v8: {"modules": [[[start, end, count], ...], ...]}, V8's
//                     raw blocks; inject: {"counts": [c0, c1, ...], "tests":
//                     [{"name", "hits": [k, c, ...]}]}, one decimal u64 per
//                     block of the block table, and each test's non-zero
//                     counters (block index, count); rewritten
//                     every config.flushMs so a run killed with SIGKILL still
//                     leaves the counts up to then;
//   config.resultsOut per-test outcomes.
'use strict';
// Exit statuses; direct.rs's RunnerExit is the same table (a test checks).
const EXIT = { OK: 0, FAILED: 1, HARNESS_ERROR: 3, INTERRUPTED: 4 };
const fs = require('node:fs');
const path = require('node:path');
const { Worker, isMainThread, parentPort, workerData, threadId } = require('node:worker_threads');
const { WASI } = require('node:wasi');

// ---------------------------------------------------------------- injected counters

// Counter k of an instrumented instance is the little-endian u64 at byte 8k
// of its own counter memory, a shared memory exported as
// config.countersExport. A worker posts that memory's SharedArrayBuffer to
// the main thread right after instantiating, so the main thread can read the
// counts at any time: after a trap, after terminating a hung worker, at
// every flush.

// Called with each new instance's counter buffer (workers: post it).
let onCounters = null;

function instantiate(module, config, imports) {
  const inject = config.counters === 'inject';
  const given = inject ? wrapImports(imports) : imports;
  const instance = new WebAssembly.Instance(module, withTrapStubs(module, given));
  const counters = inject ? instance.exports[config.countersExport].buffer : null;
  if (counters && onCounters) onCounters(counters);
  return { instance, counters };
}

// Node 22's V8 aborts the process when a module with two memories imports a
// host function that has a Fast API fast path, as node:wasi's do
// (crbug.com/v8/14260): give it each import through a JS closure.
function wrapImports(imports) {
  const out = {};
  for (const [ns, fields] of Object.entries(imports)) {
    out[ns] = {};
    for (const [name, v] of Object.entries(fields)) out[ns][name] = typeof v === 'function' ? (...a) => v(...a) : v;
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
// per addition) cost more than the test itself on small suites.
const TWO32 = 4294967296;
const MAX32 = 0xffffffff;

// Adds (lo, hi) to the halves at `at` of `into` (a Uint32Array),
// saturating at 2^64 - 1.
function addHalves(into, at, lo, hi) {
  let l = into[at] + lo;
  let h = into[at + 1] + hi;
  if (l >= TWO32) {
    l -= TWO32;
    h += 1;
  }
  if (h > MAX32) {
    l = MAX32;
    h = MAX32;
  }
  into[at] = l;
  into[at + 1] = h;
}

// A count's decimal digits, exact.
function digits(lo, hi) {
  if (hi === 0) return String(lo);
  if (hi < 0x200000) return String(hi * TWO32 + lo); // below 2^53
  return String((BigInt(hi) << 32n) | BigInt(lo));
}

// The sum over instances: `done` holds the instances that finished (each
// folded in once), `live` the ones still running (buffer -> test name),
// added at each read. Each instance also belongs to one test (the name its
// job ran, or NO_TEST for the --list runs and anything else outside a
// test): `perTest` keeps each test's counts sparse, so the per-test counts
// sum exactly to the totals (docs/formats.md, "Per-test block counts").
// A sparse list is {idx, half}: the indices of the non-zero counters,
// ascending, and their counts as (lo, hi) pairs.
const NO_TEST = '<no test>';
class Totals {
  constructor(n) {
    this.n = n;
    this.done = new Uint32Array(2 * n);
    this.live = new Map();
    this.perTest = new Map(); // name -> {idx, half, text}
  }
  // Adds a sparse list to `into` (halves), saturating.
  addSparse(into, s) {
    for (let i = 0; i < s.idx.length; i++) addHalves(into, 2 * s.idx[i], s.half[2 * i], s.half[2 * i + 1]);
  }
  // One instance's non-zero counters.
  sparse(buf) {
    const h = new Uint32Array(buf, 0, 2 * this.n);
    const idx = [];
    const half = [];
    for (let k = 0; k < this.n; k++) {
      const lo = h[2 * k];
      const hi = h[2 * k + 1];
      if ((lo | hi) === 0) continue;
      idx.push(k);
      half.push(lo, hi);
    }
    return { idx, half };
  }
  // Another instance of test `name` (the --list runs share NO_TEST).
  addTest(name, s) {
    const had = this.perTest.get(name);
    if (had) s = mergeSparse(had, s);
    s.text = hitsJson(name, s);
    this.perTest.set(name, s);
  }
  start(buf, name) {
    this.live.set(buf, name);
  }
  // One read of a counter memory: a hung test's worker may still be
  // counting until terminate() takes effect, so the totals and the
  // per-test counts must come from the same copy to add up.
  snapshot(buf) {
    return buf.slice(0, 8 * this.n);
  }
  // An instance that will count no more. `settled`: its test returned,
  // so nothing can still be counting into it, and it is read in place
  // (a copy would fault in a whole new buffer for every test).
  finish(buf, name, settled) {
    if (!buf) return;
    const owner = this.live.has(buf) ? this.live.get(buf) : name;
    this.live.delete(buf);
    const s = this.sparse(settled ? buf : this.snapshot(buf));
    this.addSparse(this.done, s);
    this.addTest(owner || NO_TEST, s);
  }
  // {"counts": [...], "tests": [{"name", "hits": [k, c, ...]}]}, exact
  // decimal digits, never a float.
  json() {
    const all = this.done.slice();
    const tests = new Map();
    for (const [name, s] of this.perTest) tests.set(name, s);
    for (const [buf, name] of this.live) {
      const s = this.sparse(this.snapshot(buf));
      this.addSparse(all, s);
      const had = tests.get(name);
      tests.set(name, had ? mergeSparse(had, s) : s);
    }
    const parts = [];
    for (const [name, s] of tests) parts.push(s.text !== undefined ? s.text : hitsJson(name, s));
    const counts = new Array(this.n);
    for (let k = 0; k < this.n; k++) counts[k] = digits(all[2 * k], all[2 * k + 1]);
    return `{"counts":[${counts.join(',')}],"tests":[${parts.join(',')}]}`;
  }
}

// Two sparse lists added, saturating.
function mergeSparse(a, b) {
  const idx = [];
  const half = [];
  const sum = new Uint32Array(2);
  let i = 0;
  let j = 0;
  while (i < a.idx.length || j < b.idx.length) {
    if (j >= b.idx.length || (i < a.idx.length && a.idx[i] < b.idx[j])) {
      idx.push(a.idx[i]); half.push(a.half[2 * i], a.half[2 * i + 1]); i++;
    } else if (i >= a.idx.length || b.idx[j] < a.idx[i]) {
      idx.push(b.idx[j]); half.push(b.half[2 * j], b.half[2 * j + 1]); j++;
    } else {
      sum[0] = a.half[2 * i];
      sum[1] = a.half[2 * i + 1];
      addHalves(sum, 0, b.half[2 * j], b.half[2 * j + 1]);
      idx.push(a.idx[i]); half.push(sum[0], sum[1]); i++; j++;
    }
  }
  return { idx, half };
}

function hitsJson(name, s) {
  const parts = new Array(2 * s.idx.length);
  for (let i = 0; i < s.idx.length; i++) {
    parts[2 * i] = s.idx[i];
    parts[2 * i + 1] = digits(s.half[2 * i], s.half[2 * i + 1]);
  }
  return `{"name":${JSON.stringify(name)},"hits":[${parts.join(',')}]}`;
}

// ---------------------------------------------------------------- workers

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
    const made = instantiate(module, config, wasi.getImportObject());
    counters = made.counters;
    code = wasi.start(made.instance);
  } catch (e) {
    trap = describeError(e);
  } finally {
    fs.closeSync(stdout);
    fs.closeSync(stderr);
  }
  const result = {
    code,
    trap,
    counters,
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
    ({ instance, counters } = instantiate(module, config, imports));
    if (wasi && instance.exports._initialize) wasi.initialize(instance);
    const code = instance.exports.__run_tests();
    return { code, counters, trap: null, stdout: out, stderr: '' };
  } catch (e) {
    return { code: null, counters, trap: describeError(e), stdout: out, stderr: '' };
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

// ---------------------------------------------------------------- main

function listTests(module, config, filterArgs, extra, totals) {
  const r = runWasi(module, config, ['--list', '--format', 'terse', ...extra, ...filterArgs], 'list');
  if (totals) totals.finish(r.counters, undefined, true);
  if (r.code !== 0) {
    throw new Error(`listing the tests failed (${r.trap || 'exit status ' + r.code}):\n${r.stdout}${r.stderr}`);
  }
  const names = [];
  for (const line of r.stdout.split('\n')) {
    const m = /^(.*): (test|bench)$/.exec(line);
    if (m && m[2] === 'test') names.push(m[1]);
  }
  return names;
}

// libtest's own lines in a --nocapture run; the rest is the test's output.
const OWN = [/^running \d+ tests?$/, /^test .* \.\.\. (ok|FAILED|ignored)/, /^test result: /];
// The failure message of test `name`; `name` null: not libtest, all its
// output is its own.
function testOutput(r, name) {
  // With --nocapture libtest prints "test NAME ... " before the test's own
  // output and the verdict after it, so the prefix can start an output line.
  const prefix = `test ${name} ... `;
  const kept = name === null ? [r.stdout] : r.stdout
    .split('\n')
    .map((l) => (l.startsWith(prefix) ? l.slice(prefix.length) : l))
    .filter((l) => !OWN.some((re) => re.test(l)));
  let text = kept.join('\n').trim();
  const add = (s) => { text += (text ? '\n' : '') + s; };
  if (r.stderr.trim()) add(r.stderr.trim());
  if (r.trap) add(`(${r.trap})`);
  else if (r.code !== 0 && r.code !== null) add(`(exit status ${r.code})`);
  return text;
}

// Splits the user's libtest arguments into those that select tests (given
// to --list) and those wasm-run honours itself.
function parseArgs(args) {
  const o = { select: [], ignored: 'normal', nocapture: false, threads: null };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--ignored') o.ignored = 'only';
    else if (a === '--include-ignored') o.ignored = 'include';
    else if (a === '--nocapture' || a === '--no-capture') o.nocapture = true;
    else if (a === '--quiet' || a === '-q' || a === '--show-output') continue;
    else if (a === '--test-threads') o.threads = Number(args[++i]);
    else if (a.startsWith('--test-threads=')) o.threads = Number(a.slice(15));
    else if (a === '--format' || a === '--color' || a === '-Z') i++;
    else if (/^--(format|color)=/.test(a)) continue;
    else if (a === '--skip') o.select.push(a, args[++i]);
    else o.select.push(a);
  }
  return o;
}

function main() {
  const config = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
  // Only with V8's flags is this syntax allowed at all.
  const collect = config.counters === 'v8' ? new Function('return %DebugCollectWasmCoverage()') : null;
  const totals = config.counters === 'inject' ? new Totals(config.blocks) : null;
  const started = performance.now();
  const module = new WebAssembly.Module(fs.readFileSync(config.wasm));
  const results = new Map(); // name -> {name, outcome, durationMs, message}
  let plan = []; // names in the order they were listed
  let filteredOut = 0;
  let finished = false;

  function dumpCoverage() {
    let text;
    if (collect) {
      const modules = collect().map((blocks) => blocks.map((b) => [b.start, b.end, b.count]));
      text = JSON.stringify({ modules });
    } else if (totals) {
      text = totals.json();
    } else {
      return;
    }
    const tmp = config.rawOut + '.part';
    fs.writeFileSync(tmp, text);
    fs.renameSync(tmp, config.rawOut);
  }
  function writeResults(interrupted) {
    const tests = plan.map((name) => results.get(name) || { name, outcome: 'not-run', durationMs: 0, message: null });
    const doc = { harness: config.harness, tests, filteredOut, durationMs: performance.now() - started, interrupted };
    const tmp = config.resultsOut + '.part';
    fs.writeFileSync(tmp, JSON.stringify(doc));
    fs.renameSync(tmp, config.resultsOut);
  }
  const flusher = setInterval(() => { try { dumpCoverage(); } catch (_) { /* next time */ } }, config.flushMs);
  flusher.unref();

  const workers = new Set();
  function stopAll(status, interrupted) {
    if (finished) return;
    finished = true;
    clearInterval(flusher);
    for (const w of workers) w.terminate();
    try { dumpCoverage(); } catch (e) { process.stderr.write(`wasm-run runner: collecting coverage failed: ${e.message}\n`); status = EXIT.HARNESS_ERROR; }
    try { writeResults(interrupted); } catch (e) { process.stderr.write(`wasm-run runner: writing results failed: ${e.message}\n`); status = EXIT.HARNESS_ERROR; }
    process.exit(status);
  }
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(sig, () => {
      process.stderr.write(`\nwasm-run: ${sig}: stopping; coverage of what ran is kept\n`);
      stopAll(EXIT.INTERRUPTED, true);
    });
  }

  // libtest requests that libtest answers by itself, unchanged.
  if (config.harness === 'libtest' && config.args.some((a) => ['--list', '--help', '-h', '--bench'].includes(a))) {
    const r = runWasi(module, config, config.args, 'pass');
    if (totals) totals.finish(r.counters, undefined, true);
    passThrough(r);
    return stopAll(r.trap === null && r.code === 0 ? EXIT.OK : EXIT.FAILED, false);
  }

  // A program is one test: `_start` once, with the user's arguments as its
  // argv, in a worker like any test (so --timeout holds), its output passed
  // through as it is rather than in libtest's words.
  const program = config.harness === 'program';
  const opts = program ? parseArgs([]) : parseArgs(config.args);
  const threads = Math.max(1, opts.threads || config.threads);
  let ignoredSet = new Set();
  if (config.harness === 'compat') {
    plan = ['__run_tests'];
  } else if (program) {
    plan = [config.testName];
  } else {
    const listed = listTests(module, config, opts.select, [], totals);
    ignoredSet = new Set(listTests(module, config, opts.select, ['--ignored'], totals));
    const total = opts.select.length ? listTests(module, config, [], [], totals).length : listed.length;
    plan = opts.ignored === 'only' ? listed.filter((t) => ignoredSet.has(t)) : listed;
    filteredOut = total - plan.length;
  }

  if (!program) console.log(`\nrunning ${plan.length} test${plan.length === 1 ? '' : 's'}`);
  const queue = [];
  for (const name of plan) {
    if (ignoredSet.has(name) && opts.ignored === 'normal') {
      console.log(`test ${name} ... ignored`);
      results.set(name, { name, outcome: 'ignored', durationMs: 0, message: null });
    } else {
      queue.push(name);
    }
  }

  const failures = [];
  function record(name, outcome, durationMs, r, note) {
    let message = r ? testOutput(r, program ? null : name) : '';
    if (note) message += (message ? '\n' : '') + note;
    results.set(name, { name, outcome, durationMs, message: outcome === 'passed' ? null : message || null });
    if (program) {
      if (r) passThrough(r);
      if (note) process.stderr.write(`${note}\n`);
      if (outcome !== 'passed') failures.push({ name, message });
      return;
    }
    const word = outcome === 'passed' ? 'ok' : 'FAILED';
    console.log(`test ${name} ... ${word}${outcome === 'timed-out' ? ' (timed out)' : ''}`);
    if (outcome !== 'passed') failures.push({ name, message });
    else if (opts.nocapture && message) console.log(message);
  }

  let nextId = 0;
  const jobs = new Map(); // worker -> {name, id, start, timer, slow, counters}
  // A job's instance counts no more: fold its counters into the totals.
  // `settled`: the test returned (not timed out, not a dead worker).
  const finishCounters = (job, settled) => { if (totals) totals.finish(job.counters, job.name, settled); };
  const jobNames = []; // id -> test name, for counters that arrive after their job ended
  function spawn() {
    const w = new Worker(__filename, { workerData: { module, config } });
    workers.add(w);
    w.on('message', (r) => {
      const job = jobs.get(w);
      if (r.counters) {
        if (!totals) return;
        if (job && job.id === r.id) {
          job.counters = r.counters;
          totals.start(r.counters, job.name);
        } else {
          totals.finish(r.counters, jobNames[r.id]);
        }
        return;
      }
      if (!job || job.id !== r.id) return;
      clearTimeout(job.timer);
      clearTimeout(job.slow);
      jobs.delete(w);
      // The worker's next test first, then this one's bookkeeping (its
      // counters are in a memory the next test's instance does not use):
      // the worker never waits for the main thread's scan of a test.
      if (queue.length > 0) dispatch(w);
      finishCounters(job, true);
      const ok = r.trap === null && r.code === 0;
      record(job.name, ok ? 'passed' : 'failed', r.durationMs, r);
      if (!jobs.has(w)) dispatch(w);
    });
    const died = (why) => {
      const job = jobs.get(w);
      workers.delete(w);
      if (!job) return;
      clearTimeout(job.timer);
      clearTimeout(job.slow);
      jobs.delete(w);
      finishCounters(job);
      record(job.name, 'failed', performance.now() - job.start, null, `(the worker running it died: ${why})`);
      if (!finished) dispatch(spawn());
    };
    w.on('error', (e) => died(describeError(e)));
    w.on('exit', (code) => died(`exit code ${code}`));
    return w;
  }
  function dispatch(w) {
    if (finished) return;
    const name = queue.shift();
    if (name === undefined) {
      workers.delete(w);
      w.terminate();
      if (jobs.size === 0) done();
      return;
    }
    const id = nextId++;
    const job = { name, id, start: performance.now(), timer: null, slow: null, counters: null };
    jobNames[id] = name;
    if (config.timeoutMs > 0) {
      job.timer = setTimeout(() => {
        jobs.delete(w);
        finishCounters(job);
        workers.delete(w);
        w.terminate();
        record(name, 'timed-out', performance.now() - job.start, null, `(timed out after ${config.timeoutMs / 1000} s; its coverage up to then is kept)`);
        dispatch(spawn());
      }, config.timeoutMs);
    }
    // A program's stdout is its own: say it on stderr.
    const slow = `test ${name} has been running for over 60 seconds`;
    job.slow = setTimeout(() => (program ? console.error(slow) : console.log(slow)), 60000);
    jobs.set(w, job);
    const args = program ? [...config.args] : ['--exact', name, '--nocapture', '--test-threads', '1'];
    if (ignoredSet.has(name)) args.push('--ignored');
    w.postMessage({ id, args });
  }
  function done() {
    if (finished) return;
    if (program) return stopAll(failures.length ? EXIT.FAILED : EXIT.OK, false);
    const secs = (performance.now() - started) / 1000;
    if (failures.length) {
      console.log('\nfailures:\n');
      for (const f of failures) console.log(`---- ${f.name} stdout ----\n${f.message}\n`);
      console.log('\nfailures:');
      for (const f of failures) console.log(`    ${f.name}`);
    }
    const passed = [...results.values()].filter((r) => r.outcome === 'passed').length;
    const ignored = [...results.values()].filter((r) => r.outcome === 'ignored').length;
    console.log(
      `\ntest result: ${failures.length ? 'FAILED' : 'ok'}. ${passed} passed; ${failures.length} failed; ` +
        `${ignored} ignored; 0 measured; ${filteredOut} filtered out; finished in ${secs.toFixed(2)}s\n`
    );
    stopAll(failures.length ? EXIT.FAILED : EXIT.OK, false);
  }

  if (queue.length === 0) return done();
  for (let i = 0; i < Math.min(threads, queue.length); i++) dispatch(spawn());
}

// The arithmetic and the trap stubs, for wasm-run's unit tests (`require`
// runs nothing).
module.exports = { Totals, digits, withTrapStubs };

if (isMainThread && require.main === module) {
  try {
    main();
  } catch (e) {
    process.stderr.write(`wasm-run runner: ${e && e.message ? e.message : e}\n`);
    process.exit(EXIT.HARNESS_ERROR);
  }
} else if (!isMainThread) {
  workerMain();
}
