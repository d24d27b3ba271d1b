// Runs a wasm32-wasip1 libtest binary under node:wasi and prints the
// counters of the instrumented module as JSON: ["count", ...] (decimal
// strings, since counts are u64), one per block of the block table.
//
//   node run-instrumented.cjs CONFIG.json
//
// CONFIG.json: {
//   "wasm": "path of the module to run",
//   "mode": "like-runner" | "one-instance",
//   "programName": "...", "env": {...}, "preopens": {...},
//   "wrapImports": false
// }
// "wrapImports": true passes each WASI function wrapped in a JS closure.
// Node 22 needs that for any module with two memories: its V8 aborts the
// process when a multi-memory module imports a function with a Fast API
// fast path, as node:wasi's are ("Fast API does not support multiple
// memories yet", crbug.com/v8/14260). Node 26 does not.
// "like-runner" makes the same instances, with the same arguments, in the
// same order as wasm-run's runner.cjs with --test-threads 1 and no filter:
// `--list --format terse`, `--list --format terse --ignored`, then one
// fresh instance per test that is not ignored (`--exact NAME --nocapture
// --test-threads 1`), so the counts can be held against V8's for that run.
// "one-instance" runs every test in one instance (`--test-threads=1`), as
// `cargo test` with a Node runner would; it is the plain run for timing.
// A module without the counter export is run the same way and prints [].
// Program output is dropped; failing tests are listed on stderr.
'use strict';
const fs = require('node:fs');
const { WASI } = require('node:wasi');

const config = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const wasmModule = new WebAssembly.Module(fs.readFileSync(config.wasm));
const hasCounters = WebAssembly.Module.exports(wasmModule).some((e) => e.name === '__wasm_cov_counters');
let totals = null;
const failures = [];

// stdout and stderr are files, as in runner.cjs: what libtest does depends
// on whether they are terminals (a character device such as /dev/null
// could pass for one).
function runWasi(args) {
  const outPath = `${process.argv[2]}.out`;
  const errPath = `${process.argv[2]}.err`;
  const out = fs.openSync(outPath, 'w+');
  const err = fs.openSync(errPath, 'w+');
  try {
    const wasi = new WASI({
      version: 'preview1',
      args: [config.programName, ...args],
      env: config.env,
      preopens: config.preopens,
      returnOnExit: true,
      stdout: out,
      stderr: err,
    });
    let imports = wasi.getImportObject();
    if (config.wrapImports) {
      const wrapped = {};
      for (const [name, f] of Object.entries(imports.wasi_snapshot_preview1)) {
        wrapped[name] = (...args) => f(...args);
      }
      imports = { wasi_snapshot_preview1: wrapped };
    }
    const instance = new WebAssembly.Instance(wasmModule, imports);
    try {
      const code = wasi.start(instance);
      if (code !== 0) failures.push(`${args.join(' ')}: exit status ${code}`);
    } catch (e) {
      // A trap (a panic aborts on wasm) ends this instance; its counts up
      // to the trap are kept, as V8's are.
      failures.push(`${args.join(' ')}: ${e.message}`);
    } finally {
      if (hasCounters) {
        // The counter memory is this instance's own: add it to the totals.
        const counts = new BigUint64Array(instance.exports.__wasm_cov_counters.buffer);
        if (totals === null) totals = new BigUint64Array(counts.length);
        for (let i = 0; i < counts.length; i++) totals[i] += counts[i];
      }
    }
  } finally {
    fs.closeSync(out);
    fs.closeSync(err);
  }
  const text = fs.readFileSync(outPath, 'utf8');
  fs.rmSync(outPath, { force: true });
  fs.rmSync(errPath, { force: true });
  return text;
}

function list(extra) {
  const text = runWasi(['--list', '--format', 'terse', ...extra]);
  const names = [];
  for (const line of text.split('\n')) {
    const m = /^(.*): (test|bench)$/.exec(line);
    if (m && m[2] === 'test') names.push(m[1]);
  }
  return names;
}

if (config.mode === 'one-instance') {
  runWasi(['--test-threads=1']);
} else {
  const listed = list([]);
  const ignored = new Set(list(['--ignored']));
  for (const name of listed) {
    if (!ignored.has(name)) runWasi(['--exact', name, '--nocapture', '--test-threads', '1']);
  }
}
for (const f of failures) process.stderr.write(`run-instrumented: ${f}\n`);
console.log(JSON.stringify(totals === null ? [] : Array.from(totals, (c) => c.toString())));
