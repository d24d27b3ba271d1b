// The processes the browser driver (browser.cjs) starts and ends: the
// wasm-bindgen test runner, serving the test page, and the browser.
'use strict';

const { spawn } = require('node:child_process');

const EXIT = { OK: 0, FAILED: 1, ERROR: 2, TIMEOUT: 1 };

function fail(code, msg) {
  process.stderr.write(`wasm-run: error: ${msg}\n`);
  process.exit(code);
}


// Starts the runner in its serve-only mode and resolves with the page URL.
// It runs until killed, so it never removes the folder it builds the page
// in: that goes in `tmp`, which is ours to remove.
function startRunner(runner, args, tmp) {
  const env = { ...process.env, NO_HEADLESS: '1', WASM_BINDGEN_TEST_ADDRESS: '127.0.0.1:0', TMPDIR: tmp };
  let child;
  try {
    child = spawn(runner, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    fail(EXIT.ERROR, `cannot start ${runner}: ${e.message}`);
  }
  const url = new Promise((resolve, reject) => {
    let out = '';
    const onData = (d) => {
      out += d.toString();
      const m = /available at (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]);
      else if (/no tests to run!/.test(out)) resolve(null);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (d) => {
      out += d.toString();
    });
    child.on('error', (e) => reject(new Error(`cannot start ${runner}: ${e.message}`)));
    child.on('exit', (code) => {
      if (/no tests to run!/.test(out)) resolve(null);
      else reject(new Error(`${runner} ended (status ${code}) before serving the test page:\n${out.trim()}`));
    });
  });
  return { child, url };
}

// The browser processes started, to end on the way out.
const browsers = [];

// Resolves when `child` has ended, or after `ms`.
function exited(child, ms) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', resolve);
    setTimeout(resolve, ms).unref();
  });
}

// Ends `child` and whatever is left of its process group.
function killGroup(child) {
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch (_) {
    try { child.kill('SIGKILL'); } catch (_) { /* gone */ }
  }
}

// Starts the browser `b` ({bin, name, protocol, install}) with `args`;
// `ws` resolves with the WebSocket URL it prints (`pattern`).
function startBinary(b, args, pattern, env) {
  const browserBin = b.bin;
  let child;
  try {
    // A process group of its own, so its helpers (renderers, content
    // processes) can be ended with it.
    child = spawn(browserBin, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env }, detached: true });
  } catch (e) {
    fail(EXIT.ERROR, `cannot start the browser ${browserBin}: ${e.message}`);
  }
  browsers.push(child);
  const ws = new Promise((resolve, reject) => {
    let err = '';
    const onData = (d) => {
      err += d.toString();
      const m = pattern.exec(err);
      if (m) resolve(m[1]);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', (e) => reject(new Error(`cannot start the browser ${browserBin}: ${e.message} (${b.install}, or set WASM_RUN_BROWSER_BIN)`)));
    child.on('exit', (code) => {
      const tail = err.trim().split('\n').slice(-5).join('\n');
      reject(new Error(`the browser ${browserBin} ended (status ${code}) before it listened${tail ? `:\n${tail}` : ''}`));
    });
    // A binary that is not the browser asked for (WASM_RUN_BROWSER_BIN)
    // never prints the line we wait for.
    setTimeout(
      () => reject(new Error(`the browser ${browserBin} printed no ${b.protocol} address within 30 s; is it ${b.name}? (--browser, WASM_RUN_BROWSER_BIN)`)),
      30000,
    ).unref();
  });
  return { child, ws };
}

module.exports = { EXIT, fail, startRunner, browsers, exited, killGroup, startBinary };
