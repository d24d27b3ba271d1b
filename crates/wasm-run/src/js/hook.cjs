// wasm-run's coverage hook for Node processes it does not start itself
// (`wasm-run --exec`, wasm-bindgen-test-runner). Loaded into every Node
// process through NODE_OPTIONS="--require <this file>".
//
// $WASM_RUN_COUNTERS says where counts come from (`--counters`): `v8` turns
// on V8's wasm block counters ($WASM_RUN_V8_FLAGS, wasm-run's one list of
// them, split on spaces) before any wasm is compiled; `inject` compiles each
// module instrumented by wasm-run instead (below); `off` does nothing. It saves
// the bytes of every module the process compiles (by SHA-256, into
// $WASM_RUN_HOOK_DIR/modules/), and writes the raw counters with the list
// of this process's modules to $WASM_RUN_HOOK_DIR/raw-<pid>.json at exit,
// and every $WASM_RUN_FLUSH_MS while running so a killed process still
// leaves what it counted. wasm-run matches counters to modules by layout.
// With injected counters, a wasm-bindgen-test suite's counts are also
// split by test (contexts.cjs) and written beside them as `tests`.
// Its Rust half, which sets these variables and reads what this writes, is
// crates/wasm-run/src/exec.rs.
'use strict';
const dir = process.env.WASM_RUN_HOOK_DIR;
const { isMainThread } = require('node:worker_threads');
if (dir && isMainThread) install();

function install() {
  const fs = require('node:fs');
  const path = require('node:path');
  const { rawBlocks, Sums } = require('./counters.cjs');
  const { testContexts, trackInstances } = require('./contexts.cjs');
  const crypto = require('node:crypto');
  const v8 = require('node:v8');
  const mode = process.env.WASM_RUN_COUNTERS || 'v8';
  if (mode === 'off') return;
  const inject = mode === 'inject';
  if (!inject) {
    for (const flag of (process.env.WASM_RUN_V8_FLAGS || '').split(' ').filter(Boolean)) {
      v8.setFlagsFromString(flag);
    }
  }
  const collect = inject ? null : new Function('return %DebugCollectWasmCoverage()');
  const modulesDir = path.join(dir, 'modules');
  fs.mkdirSync(modulesDir, { recursive: true });
  const seen = new Set();

  function toBuffer(b) {
    if (b instanceof ArrayBuffer) return Buffer.from(b);
    if (ArrayBuffer.isView(b)) return Buffer.from(b.buffer, b.byteOffset, b.byteLength);
    if (typeof SharedArrayBuffer !== 'undefined' && b instanceof SharedArrayBuffer) return Buffer.from(b);
    return null;
  }
  // Saves the module's bytes under their SHA-256; returns the hash.
  function capture(bytes) {
    try {
      const buf = toBuffer(bytes);
      if (!buf) return null;
      const sha = crypto.createHash('sha256').update(buf).digest('hex');
      if (seen.has(sha)) return sha;
      seen.add(sha);
      const file = path.join(modulesDir, `${sha}.wasm`);
      if (!fs.existsSync(file)) {
        const tmp = `${file}.${process.pid}.part`;
        fs.writeFileSync(tmp, buf);
        fs.renameSync(tmp, file);
      }
      return sha;
    } catch (e) {
      process.stderr.write(`wasm-run hook: cannot save a wasm module: ${e.message}\n`);
      return null;
    }
  }

  // --counters inject: each module is instrumented by wasm-run
  // (`$WASM_RUN_INSTRUMENTER __instrument IN OUT TABLE`, once per module
  // and run, shared by the processes through $WASM_RUN_HOOK_DIR/inst/)
  // before it is compiled; every instance counts into its own memory, and
  // the counts of a module's instances are summed here as 64-bit integers.
  const tables = new Map(); // sha -> {bytes, export, raw: [[start, end], ...]}
  const byModule = new WeakMap(); // WebAssembly.Module -> sha
  const instances = []; // {module: sha, blocks, memory}
  const contexts = inject ? testContexts(globalThis, () => instances) : [];
  function instrumented(bytes) {
    const sha = capture(bytes);
    if (!sha) return null;
    let t = tables.get(sha);
    if (t) return t;
    const instDir = path.join(dir, 'inst');
    fs.mkdirSync(instDir, { recursive: true });
    const orig = path.join(modulesDir, `${sha}.wasm`);
    const out = path.join(instDir, `${sha}.wasm`);
    const table = path.join(instDir, `${sha}.json`);
    if (!fs.existsSync(table)) {
      const tmp = `${process.pid}.part`;
      require('node:child_process').execFileSync(
        process.env.WASM_RUN_INSTRUMENTER,
        ['__instrument', orig, `${out}.${tmp}`, `${table}.${tmp}`],
        { stdio: ['ignore', 'ignore', 'inherit'] },
      );
      fs.renameSync(`${out}.${tmp}`, out);
      fs.renameSync(`${table}.${tmp}`, table);
    }
    const doc = JSON.parse(fs.readFileSync(table, 'utf8'));
    t = {
      sha,
      bytes: fs.readFileSync(out),
      export: doc.counters.export,
      raw: rawBlocks(doc),
    };
    tables.set(sha, t);
    return t;
  }
  function track(module, instance) {
    const sha = byModule.get(module);
    if (!sha || !instance) return;
    const t = tables.get(sha);
    instances.push({ module: sha, blocks: t.raw.length, memory: instance.exports[t.export] });
  }

  const W = WebAssembly;
  const OrigModule = W.Module;
  // The bytes V8 compiles: ours instrumented, or the original.
  const compiled = (bytes) => {
    if (!inject) {
      capture(bytes);
      return { bytes, sha: null };
    }
    const t = instrumented(bytes);
    return t ? { bytes: t.bytes, sha: t.sha } : { bytes, sha: null };
  };
  const remember = (module, sha) => {
    if (sha) byModule.set(module, sha);
    return module;
  };
  W.Module = new Proxy(OrigModule, {
    construct(target, args, newTarget) {
      const c = compiled(args[0]);
      return remember(Reflect.construct(target, [c.bytes, ...args.slice(1)], newTarget), c.sha);
    },
  });
  if (inject) trackInstances(W, track);
  const origCompile = W.compile;
  W.compile = function compile(bytes, ...rest) {
    const c = compiled(bytes);
    return origCompile.call(this, c.bytes, ...rest).then((m) => remember(m, c.sha));
  };
  const origInstantiate = W.instantiate;
  W.instantiate = function instantiate(source, ...rest) {
    if (source instanceof OrigModule) {
      const p = origInstantiate.call(this, source, ...rest);
      return inject ? p.then((instance) => (track(source, instance), instance)) : p;
    }
    const c = compiled(source);
    return origInstantiate.call(this, c.bytes, ...rest).then((r) => {
      remember(r.module, c.sha);
      if (inject) track(r.module, r.instance);
      return r;
    });
  };
  for (const name of ['compileStreaming', 'instantiateStreaming']) {
    const orig = W[name];
    if (typeof orig !== 'function') continue;
    W[name] = async function streaming(source, ...rest) {
      const response = await source;
      if (inject) {
        // Instrumenting needs the bytes: compile from them.
        const bytes = await response.arrayBuffer();
        return name === 'compileStreaming' ? W.compile(bytes) : W.instantiate(bytes, ...rest);
      }
      try {
        capture(await response.clone().arrayBuffer());
      } catch (_) {
        /* the original call reports what is wrong with the response */
      }
      return orig.call(this, response, ...rest);
    };
  }

  // One raw entry per module ([start, end, count], V8's raw form, counts
  // as decimal integers: they may pass 2^53), and the per-test split.
  function injected() {
    const sums = new Sums();
    for (const { module, blocks, memory } of instances) sums.add(module, new Uint32Array(memory.buffer, 0, 2 * blocks), blocks);
    for (const e of contexts) sums.addTest(e.module, e.test, e);
    const tests = contexts.length ? `,"tests":${sums.tests()}` : '';
    return `"coverage":${sums.raw((sha) => tables.get(sha).raw)}${tests}`;
  }

  function dump() {
    const counts = inject
      ? injected()
      : `"coverage":${JSON.stringify(collect().map((blocks) => blocks.map((b) => [b.start, b.end, b.count])))}`;
    const file = path.join(dir, `raw-${process.pid}.json`);
    const tmp = `${file}.part`;
    fs.writeFileSync(tmp, `{"pid":${process.pid},"modules":${JSON.stringify([...seen])},${counts}}`);
    fs.renameSync(tmp, file);
  }
  const safeDump = () => {
    try {
      dump();
    } catch (e) {
      process.stderr.write(`wasm-run hook: cannot write coverage: ${e.message}\n`);
    }
  };
  const flushMs = Number(process.env.WASM_RUN_FLUSH_MS) || 2000;
  setInterval(safeDump, flushMs).unref();
  process.on('exit', safeDump);
  // A signal with no listener ends the process without 'exit'. Save first,
  // then, if nobody else listens, die of the same signal as before.
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(sig, function onSignal() {
      safeDump();
      if (process.listenerCount(sig) === 1) {
        process.removeListener(sig, onSignal);
        process.kill(process.pid, sig);
      }
    });
  }
}
