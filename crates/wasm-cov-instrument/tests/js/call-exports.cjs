// Instantiates one small test module and calls its exports, then prints the
// counts as JSON on stdout. Used by tests/v8_rules.rs to hold the
// instrumenter's blocks and counts against V8's own.
//
//   node --wasm-code-coverage --allow-natives-syntax --no-wasm-lazy-compilation \
//        call-exports.cjs v8 MODULE.wasm CALLS.json
//        prints [[start, end, count], ...]: V8's raw blocks of the module
//   node call-exports.cjs inject MODULE.wasm CALLS.json
//        prints [count, ...]: the counter memory of the instrumented module
//   node call-exports.cjs derive MODULE.wasm CALLS.json N TABLE.json
//        prints {"counts": [...], "frames": [...], "js": [...], "jsNoFrames":
//        [...]}: the same, the module offsets of the wasm frames of every
//        call that trapped or threw (wasm-run's framesOf), and the counts
//        wasm-run's Derivation fills in from TABLE.json (direct.rs's
//        DerivedConfig) with those frames and with none
//
// CALLS.json is [[export, [args...]], ...]; a call that traps or throws is
// recorded and the next one runs. The module may import env.nop (does
// nothing) and env.throws (throws a JS error).
'use strict';
const fs = require('node:fs');

const { framesOf, Derivation } = require('../../../wasm-run/src/js/counters.cjs');

Error.stackTraceLimit = Infinity;
const [mode, wasmPath, callsPath] = process.argv.slice(2);
const frames = [];
const wasmModule = new WebAssembly.Module(fs.readFileSync(wasmPath));
const imports = {
  env: {
    nop: () => {},
    throws: () => {
      throw new Error('thrown by env.throws');
    },
  },
};
const instance = new WebAssembly.Instance(wasmModule, imports);
for (const [name, args] of JSON.parse(fs.readFileSync(callsPath, 'utf8'))) {
  try {
    instance.exports[name](...args);
  } catch (e) {
    // A trap ends the call; its counts up to the trap stay.
    frames.push(...framesOf(e));
  }
}
if (mode === 'v8') {
  const all = new Function('return %DebugCollectWasmCoverage()')();
  if (all.length !== 1) throw new Error(`expected one module, V8 reported ${all.length}`);
  console.log(JSON.stringify(all[0].map((b) => [b.start, b.end, b.count])));
} else {
  const mem = instance.exports.__wasm_cov_counters;
  const counts = new BigUint64Array(mem.buffer);
  const n = Number(process.argv[5] || counts.length);
  const list = Array.from(counts.subarray(0, n), (c) => Number(c));
  if (mode !== 'derive') {
    console.log(JSON.stringify(list));
  } else {
    const d = new Derivation(JSON.parse(fs.readFileSync(process.argv[6], 'utf8')), n);
    const h = new Uint32Array(mem.buffer, 0, 2 * n);
    const dense = (s) => {
      const out = new Array(n).fill(0);
      s.idx.forEach((k, i) => (out[k] = s.half[2 * i + 1] * 2 ** 32 + s.half[2 * i]));
      return out;
    };
    console.log(JSON.stringify({ counts: list, frames, js: dense(d.sparse(h, frames)), jsNoFrames: dense(d.sparse(h, null)) }));
  }
}
