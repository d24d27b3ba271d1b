// Instantiates an instrumented module in a worker, which posts its counter
// memory's buffer to the main thread and then calls `once()` and `spin()`
// (an endless loop). The main thread terminates the worker after a while
// and prints the counters, read after the worker is gone, as JSON:
// {"shared": true|false, "counts": ["count", ...]}.
//
//   node worker-counters.cjs INSTRUMENTED.wasm
'use strict';
const fs = require('node:fs');
const { Worker, isMainThread, parentPort, workerData } = require('node:worker_threads');

if (isMainThread) {
  const wasmModule = new WebAssembly.Module(fs.readFileSync(process.argv[2]));
  const worker = new Worker(__filename, { workerData: { wasmModule } });
  worker.on('error', (e) => {
    process.stderr.write(`worker failed: ${e.message}\n`);
    process.exit(1);
  });
  worker.once('message', (buffer) => {
    setTimeout(async () => {
      await worker.terminate();
      const counts = Array.from(new BigUint64Array(buffer), (c) => c.toString());
      console.log(JSON.stringify({ shared: buffer instanceof SharedArrayBuffer, counts }));
    }, 300);
  });
} else {
  const instance = new WebAssembly.Instance(workerData.wasmModule, {});
  parentPort.postMessage(instance.exports.__wasm_cov_counters.buffer);
  instance.exports.once();
  instance.exports.spin();
}
