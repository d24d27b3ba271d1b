// Preloaded with NODE_OPTIONS="--require .../deterministic-wasi.cjs" into
// every Node (and, by inheritance, every worker thread) of the equality
// test: makes node:wasi's clock and random source deterministic, so the same
// test binary takes the same paths in two runs. Without it, counts differ
// where the program looks at the time: libtest prints "finished in 0.00s",
// and how core's float formatting (grisu, possibly_round) runs depends on
// the digits.
//
// clock_time_get answers 1e18 ns plus 1 ms per call, counted per WASI
// instance; random_get fills with 0x5a bytes. wasm-run's wasmtime engine
// answers the same with WASM_RUN_DETERMINISTIC_WASI=1
// (crates/wasm-run/src/wasmtime_engine/instance.rs), for the engine
// equality test.
'use strict';
const wasi = require('node:wasi');

const getImportObject = wasi.WASI.prototype.getImportObject;
const start = wasi.WASI.prototype.start;
const memories = new WeakMap();

wasi.WASI.prototype.start = function (instance) {
  memories.set(this, instance.exports.memory);
  return start.call(this, instance);
};

wasi.WASI.prototype.getImportObject = function () {
  const imports = getImportObject.call(this);
  const ns = imports.wasi_snapshot_preview1;
  const self = this;
  let ticks = 0n;
  const view = () => new DataView(memories.get(self).buffer);
  ns.clock_time_get = (_id, _precision, ptr) => {
    ticks += 1n;
    view().setBigUint64(ptr >>> 0, 1_000_000_000_000_000_000n + ticks * 1_000_000n, true);
    return 0;
  };
  ns.random_get = (ptr, len) => {
    const v = view();
    for (let i = 0; i < len >>> 0; i++) v.setUint8((ptr >>> 0) + i, 0x5a);
    return 0;
  };
  return imports;
};
