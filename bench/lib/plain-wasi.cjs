// The plain run a user has without wasm-cov: a libtest test binary started
// directly under node:wasi, every test in one instance (what `cargo test`
// does with a Node runner), no coverage. The anchor for wasm-run's run
// overhead in `make bench`.
//
//   node bench/lib/plain-wasi.cjs TEST.wasm CRATE_DIR
'use strict';
const fs = require('node:fs');
const { WASI } = require('node:wasi');

const [wasm, crate] = process.argv.slice(2);
const wasi = new WASI({
  version: 'preview1',
  args: [wasm],
  env: {},
  preopens: { '.': crate, [crate]: crate },
  returnOnExit: true,
});
const compiled = new WebAssembly.Module(fs.readFileSync(wasm));
const instance = new WebAssembly.Instance(compiled, wasi.getImportObject());
process.exitCode = wasi.start(instance);
