// wasm-run's coverage hook for Node processes it does not start itself
// (`wasm-run --exec`, wasm-bindgen-test-runner). Loaded into every Node
// process through NODE_OPTIONS="--require <this file>".
//
// It turns on V8's wasm block counters ($WASM_RUN_V8_FLAGS, wasm-run's one
// list of them, split on spaces) before any wasm is compiled, saves
// the bytes of every module the process compiles (by SHA-256, into
// $WASM_RUN_HOOK_DIR/modules/), and writes the raw counters with the list
// of this process's modules to $WASM_RUN_HOOK_DIR/raw-<pid>.json at exit,
// and every $WASM_RUN_FLUSH_MS while running so a killed process still
// leaves what it counted. wasm-run matches counters to modules by layout.
// Its Rust half, which sets these variables and reads what this writes, is
// crates/wasm-run/src/exec.rs.
'use strict';
const dir = process.env.WASM_RUN_HOOK_DIR;
const { isMainThread } = require('node:worker_threads');
if (dir && isMainThread) install();

function install() {
  const fs = require('node:fs');
  const path = require('node:path');
  const crypto = require('node:crypto');
  const v8 = require('node:v8');
  for (const flag of (process.env.WASM_RUN_V8_FLAGS || '').split(' ').filter(Boolean)) {
    v8.setFlagsFromString(flag);
  }
  const collect = new Function('return %DebugCollectWasmCoverage()');
  const modulesDir = path.join(dir, 'modules');
  fs.mkdirSync(modulesDir, { recursive: true });
  const seen = new Set();

  function toBuffer(b) {
    if (b instanceof ArrayBuffer) return Buffer.from(b);
    if (ArrayBuffer.isView(b)) return Buffer.from(b.buffer, b.byteOffset, b.byteLength);
    if (typeof SharedArrayBuffer !== 'undefined' && b instanceof SharedArrayBuffer) return Buffer.from(b);
    return null;
  }
  function capture(bytes) {
    try {
      const buf = toBuffer(bytes);
      if (!buf) return;
      const sha = crypto.createHash('sha256').update(buf).digest('hex');
      if (seen.has(sha)) return;
      seen.add(sha);
      const file = path.join(modulesDir, `${sha}.wasm`);
      if (!fs.existsSync(file)) {
        const tmp = `${file}.${process.pid}.part`;
        fs.writeFileSync(tmp, buf);
        fs.renameSync(tmp, file);
      }
    } catch (e) {
      process.stderr.write(`wasm-run hook: cannot save a wasm module: ${e.message}\n`);
    }
  }

  const W = WebAssembly;
  const OrigModule = W.Module;
  W.Module = new Proxy(OrigModule, {
    construct(target, args, newTarget) {
      capture(args[0]);
      return Reflect.construct(target, args, newTarget);
    },
  });
  const origCompile = W.compile;
  W.compile = function compile(bytes, ...rest) {
    capture(bytes);
    return origCompile.call(this, bytes, ...rest);
  };
  const origInstantiate = W.instantiate;
  W.instantiate = function instantiate(source, ...rest) {
    if (!(source instanceof OrigModule)) capture(source);
    return origInstantiate.call(this, source, ...rest);
  };
  for (const name of ['compileStreaming', 'instantiateStreaming']) {
    const orig = W[name];
    if (typeof orig !== 'function') continue;
    W[name] = async function streaming(source, ...rest) {
      const response = await source;
      try {
        capture(await response.clone().arrayBuffer());
      } catch (_) {
        /* the original call reports what is wrong with the response */
      }
      return orig.call(this, response, ...rest);
    };
  }

  function dump() {
    const coverage = collect().map((blocks) => blocks.map((b) => [b.start, b.end, b.count]));
    const file = path.join(dir, `raw-${process.pid}.json`);
    const tmp = `${file}.part`;
    fs.writeFileSync(tmp, JSON.stringify({ pid: process.pid, modules: [...seen], coverage }));
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
