// wasm-run's browser driver for wasm-bindgen-test suites configured for a
// browser (`run_in_browser`, `run_in_dedicated_worker`, shared and service
// workers). Run by wasm-run under the pinned Node (>= 22: global WebSocket).
//
//   node browser.cjs RUNNER WASM [runner args...]
//
// How it works, and why (docs/formats.md, "Browser runs"):
// - wasm-bindgen-test-runner starts in its interactive mode (NO_HEADLESS=1,
//   on a free port): it builds the test page and serves it, and nothing
//   else. We drive the browser ourselves over the DevTools protocol, so we
//   can reach into the page and every worker before they go away. The
//   runner's own headless mode talks WebDriver, which cannot.
// - Chromium starts headless with V8's wasm block counters on (the same
//   three flags as Node), on a throw-away profile in a temporary folder.
// - A hook is put into the page and into every worker before their first
//   script runs: it hands the bytes of every wasm module they compile to us
//   (a DevTools binding), and gives us V8's counters when asked.
// - The test output is read from the page's `#output` element, as the
//   runner's headless mode reads it, and printed as it grows. The run ends
//   at the `test result:` line (or at the timeout), after a last
//   collection in the page and in every worker.
// - Counters are written like hook.cjs writes them for Node processes:
//   $WASM_RUN_HOOK_DIR/modules/<sha256>.wasm and raw-<pid>.json, which
//   wasm-run matches to modules by layout. Chromium shares one compiled
//   module (and its counters) between the page and its workers when they
//   compile the same bytes, so the same module's counters seen in several
//   places are merged by taking the largest count of each block, never
//   summed. The page's JavaScript coverage (the wasm-bindgen glue) goes to
//   $WASM_RUN_JS_COVERAGE_DIR in the shape Node writes for NODE_V8_COVERAGE.
//
// Exit status: 0 when the suite printed `test result: ok`, 1 when it
// printed a failure, 2 when the browser or the runner could not run it
// (the message says which piece is missing); a timeout counts as a failure.
'use strict';

const { spawn } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const EXIT = { OK: 0, FAILED: 1, ERROR: 2, TIMEOUT: 1 };
const V8_FLAGS = process.env.WASM_RUN_V8_FLAGS;
// `off` (`--counters off`): the same run with no counters at all, the
// baseline the benchmark compares against.
const counting = process.env.WASM_RUN_COUNTERS !== 'off';
const hookDir = process.env.WASM_RUN_HOOK_DIR;
const jsDir = process.env.WASM_RUN_JS_COVERAGE_DIR;
const flushMs = Number(process.env.WASM_RUN_FLUSH_MS) || 2000;
const timeoutMs = Number(process.env.WASM_RUN_BROWSER_TIMEOUT_MS) || 300000;
const browserBin = process.env.WASM_RUN_BROWSER_BIN || 'chromium';
const BINDING = '__wasmRunReport';

// Runs in the page and in every worker, before their own scripts.
const HOOK = `(() => {
  if (globalThis.__wasmRun) return;
  const report = globalThis.${BINDING};
  const collect = new Function('return %DebugCollectWasmCoverage()');
  const seen = new WeakSet();
  function bytesOf(b) {
    if (b instanceof ArrayBuffer) return new Uint8Array(b);
    if (ArrayBuffer.isView(b)) return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    if (typeof SharedArrayBuffer !== 'undefined' && b instanceof SharedArrayBuffer) return new Uint8Array(b);
    return null;
  }
  function capture(src) {
    try {
      const u8 = bytesOf(src);
      if (!u8 || seen.has(u8.buffer)) return;
      seen.add(u8.buffer);
      let s = '';
      for (let i = 0; i < u8.length; i += 0x8000) s += String.fromCharCode.apply(null, u8.subarray(i, i + 0x8000));
      report(btoa(s));
    } catch (e) {
      console.error('wasm-run hook: cannot capture a wasm module: ' + e);
    }
  }
  const W = WebAssembly;
  const OrigModule = W.Module;
  W.Module = new Proxy(OrigModule, {
    construct(target, args, newTarget) { capture(args[0]); return Reflect.construct(target, args, newTarget); },
  });
  const origCompile = W.compile;
  W.compile = function compile(bytes, ...rest) { capture(bytes); return origCompile.call(this, bytes, ...rest); };
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
      try { capture(await response.clone().arrayBuffer()); } catch (_) { /* the original call reports it */ }
      return orig.call(this, response, ...rest);
    };
  }
  globalThis.__wasmRun = {
    collect: () => JSON.stringify(collect().map((bs) => bs.map((b) => [b.start, b.end, b.count]))),
  };
})();`;

function fail(code, msg) {
  process.stderr.write(`wasm-run: error: ${msg}\n`);
  process.exit(code);
}

// A DevTools protocol connection: one WebSocket, sessions by id (flatten).
class Cdp {
  constructor(url) {
    this.nextId = 0;
    this.pending = new Map();
    this.listeners = [];
    this.ws = new WebSocket(url);
    this.closed = false;
    this.opened = new Promise((resolve, reject) => {
      this.ws.onopen = resolve;
      this.ws.onerror = (e) => reject(new Error(`cannot connect to the browser's DevTools at ${url}: ${e.message || e.type}`));
    });
    this.ws.onmessage = (ev) => {
      const msg = JSON.parse(ev.data);
      if (msg.id !== undefined) {
        const p = this.pending.get(msg.id);
        if (!p) return;
        this.pending.delete(msg.id);
        if (msg.error) p.reject(new Error(`${p.method}: ${msg.error.message}`));
        else p.resolve(msg.result);
      } else {
        for (const l of this.listeners) l(msg);
      }
    };
    this.ws.onclose = () => {
      this.closed = true;
      for (const p of this.pending.values()) p.reject(new Error('the browser closed the DevTools connection'));
      this.pending.clear();
    };
  }
  send(method, params = {}, sessionId = undefined) {
    if (this.closed) return Promise.reject(new Error('the browser closed the DevTools connection'));
    const id = ++this.nextId;
    const msg = { id, method, params };
    if (sessionId) msg.sessionId = sessionId;
    this.ws.send(JSON.stringify(msg));
    return new Promise((resolve, reject) => this.pending.set(id, { resolve, reject, method }));
  }
  on(fn) {
    this.listeners.push(fn);
  }
}

// Starts the runner in its serve-only mode and resolves with the page URL.
function startRunner(runner, args) {
  const env = { ...process.env, NO_HEADLESS: '1', WASM_BINDGEN_TEST_ADDRESS: '127.0.0.1:0' };
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

// Starts headless Chromium with the counters on; resolves with its
// DevTools WebSocket URL.
function startBrowser(profile) {
  const args = [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--no-first-run',
    '--no-default-browser-check',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--disable-extensions',
    '--remote-debugging-port=0',
    `--user-data-dir=${profile}`,
    'about:blank',
  ];
  if (counting) args.splice(args.length - 1, 0, `--js-flags=${V8_FLAGS}`);
  let child;
  try {
    child = spawn(browserBin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    fail(EXIT.ERROR, `cannot start the browser ${browserBin}: ${e.message}`);
  }
  const ws = new Promise((resolve, reject) => {
    let err = '';
    child.stderr.on('data', (d) => {
      err += d.toString();
      const m = /DevTools listening on (ws:\/\/\S+)/.exec(err);
      if (m) resolve(m[1]);
    });
    child.on('error', (e) => reject(new Error(`cannot start the browser ${browserBin}: ${e.message} (install Chromium: apt-get install chromium, or set WASM_RUN_BROWSER_BIN)`)));
    child.on('exit', (code) => reject(new Error(`the browser ${browserBin} ended (status ${code}) before it listened:\n${err.trim().split('\n').slice(-5).join('\n')}`)));
  });
  return { child, ws };
}

function shapeKey(blocks) {
  const h = crypto.createHash('sha1');
  for (const b of blocks) h.update(`${b[0]}-${b[1]},`);
  return h.digest('hex');
}

async function main() {
  const [runner, wasm, ...runnerArgs] = process.argv.slice(2);
  if (!runner || !wasm || !hookDir || (counting && !V8_FLAGS)) fail(EXIT.ERROR, 'usage: WASM_RUN_HOOK_DIR=DIR WASM_RUN_V8_FLAGS=... node browser.cjs RUNNER WASM [args...]');
  const modulesDir = path.join(hookDir, 'modules');
  fs.mkdirSync(modulesDir, { recursive: true });

  const srv = startRunner(runner, [wasm, ...runnerArgs]);
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'wasm-run-browser-'));
  let browser = null;
  let status = EXIT.ERROR;
  const cleanup = () => {
    try { srv.child.kill('SIGKILL'); } catch (_) { /* gone */ }
    try { if (browser) browser.child.kill('SIGKILL'); } catch (_) { /* gone */ }
    try { fs.rmSync(profile, { recursive: true, force: true }); } catch (_) { /* best effort */ }
  };
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(sig, () => {
      flushNow();
      cleanup();
      process.exit(130);
    });
  }

  // The last counters of every page and worker, by session.
  const lastBySession = new Map();
  const modules = new Set();
  const writeRaw = () => {
    const merged = new Map();
    for (const arrays of lastBySession.values()) {
      for (const blocks of arrays) {
        if (!blocks.length) continue;
        const key = shapeKey(blocks);
        const prev = merged.get(key);
        if (!prev) merged.set(key, blocks.map((b) => b.slice()));
        else for (let i = 0; i < blocks.length; i++) prev[i][2] = Math.max(prev[i][2], blocks[i][2]);
      }
    }
    const file = path.join(hookDir, `raw-${process.pid}.json`);
    fs.writeFileSync(`${file}.part`, JSON.stringify({ pid: process.pid, modules: [...modules], coverage: [...merged.values()] }));
    fs.renameSync(`${file}.part`, file);
  };
  let flushNow = () => {};

  let url;
  try {
    url = await srv.url;
  } catch (e) {
    cleanup();
    fail(EXIT.ERROR, e.message);
  }
  if (url === null) {
    // The runner found no tests: say so as it does, pass.
    process.stdout.write('no tests to run!\n');
    cleanup();
    process.exit(EXIT.OK);
  }

  browser = startBrowser(profile);
  let cdp;
  try {
    cdp = new Cdp(await browser.ws);
    await cdp.opened;
  } catch (e) {
    cleanup();
    fail(EXIT.ERROR, e.message);
  }

  const sessions = new Map(); // sessionId -> {type, url}
  let pageSession = null;
  const consoleLines = [];

  cdp.on((msg) => {
    if (msg.method === 'Target.attachedToTarget') {
      onAttached(msg.params).catch((e) => process.stderr.write(`wasm-run: warning: ${e.message}\n`));
    } else if (msg.method === 'Target.detachedFromTarget') {
      sessions.delete(msg.params.sessionId);
    } else if (msg.method === 'Runtime.bindingCalled' && msg.params.name === BINDING) {
      const buf = Buffer.from(msg.params.payload, 'base64');
      const sha = crypto.createHash('sha256').update(buf).digest('hex');
      if (!modules.has(sha)) {
        modules.add(sha);
        const file = path.join(modulesDir, `${sha}.wasm`);
        if (!fs.existsSync(file)) {
          fs.writeFileSync(`${file}.part`, buf);
          fs.renameSync(`${file}.part`, file);
        }
      }
    } else if (msg.method === 'Runtime.consoleAPICalled') {
      const text = msg.params.args.map((a) => (a.value !== undefined ? String(a.value) : a.description || '')).join(' ');
      consoleLines.push(text);
    } else if (msg.method === 'Runtime.exceptionThrown') {
      const d = msg.params.exceptionDetails;
      consoleLines.push(`uncaught: ${(d.exception && d.exception.description) || d.text}`);
    }
  });

  async function onAttached({ sessionId, targetInfo, waitingForDebugger }) {
    const type = targetInfo.type;
    sessions.set(sessionId, { type });
    const s = (m, p) => cdp.send(m, p, sessionId);
    if (counting) await s('Runtime.addBinding', { name: BINDING });
    await s('Runtime.enable');
    if (type === 'page') {
      await s('Page.enable');
      if (counting) await s('Page.addScriptToEvaluateOnNewDocument', { source: HOOK });
      if (jsDir && counting) {
        await s('Profiler.enable');
        await s('Profiler.startPreciseCoverage', { callCount: true, detailed: true });
      }
    } else if (counting) {
      await s('Runtime.evaluate', { expression: HOOK });
    }
    // Workers the page or a worker starts: paused until hooked.
    await s('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: true, flatten: true }).catch(() => {});
    if (waitingForDebugger) await s('Runtime.runIfWaitingForDebugger');
    if (type === 'page' && !pageSession) {
      pageSession = sessionId;
      await s('Page.navigate', { url });
    }
  }

  const collectAll = async () => {
    if (!counting) return;
    await Promise.all(
      [...sessions.keys()].map(async (id) => {
        try {
          const r = await cdp.send(
            'Runtime.evaluate',
            { expression: 'globalThis.__wasmRun ? globalThis.__wasmRun.collect() : "[]"', returnByValue: true },
            id,
          );
          if (r && r.result && typeof r.result.value === 'string') lastBySession.set(id, JSON.parse(r.result.value));
        } catch (_) {
          /* a worker that just ended keeps its last collection */
        }
      }),
    );
    writeRaw();
  };
  flushNow = () => {
    if (!counting) return;
    try { writeRaw(); } catch (_) { /* best effort on the way out */ }
  };

  try {
    // Browser-level auto-attach reaches the page we open and the shared
    // and service workers it registers.
    await cdp.send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: true, flatten: true });
    await cdp.send('Target.createTarget', { url: 'about:blank' });

    const started = Date.now();
    let printed = 0;
    let shown = '';
    let lastFlush = Date.now();
    let text = '';
    for (;;) {
      await new Promise((r) => setTimeout(r, 100));
      if (!pageSession) {
        if (Date.now() - started > 30000) throw new Error('the browser opened no page within 30 s');
        continue;
      }
      const r = await cdp.send(
        'Runtime.evaluate',
        { expression: "(document.getElementById('output') || {}).textContent || ''", returnByValue: true },
        pageSession,
      );
      text = (r.result && r.result.value) || '';
      // The page's status line ("Loading scripts...", "Loading Wasm
      // module...") is replaced by the output, or left in front of it:
      // never print it, so what is printed only ever grows.
      text = text.replace(/^Loading [^\n]*?\.\.\.\n?/, '');
      if (!text.startsWith(shown)) {
        // Rewritten in place (not appended): print it whole, once.
        process.stdout.write(printed ? '\n' : '');
        printed = 0;
      }
      shown = text;
      if (text.length > printed) {
        process.stdout.write(text.slice(printed));
        printed = text.length;
      }
      if (text.includes('test result: ')) break;
      if (Date.now() - lastFlush > flushMs) {
        await collectAll();
        lastFlush = Date.now();
      }
      if (Date.now() - started > timeoutMs) {
        await collectAll();
        process.stdout.write('\n');
        process.stderr.write(`wasm-run: error: the browser suite printed no result within ${timeoutMs / 1000} s (--timeout)\n`);
        status = EXIT.TIMEOUT;
        break;
      }
    }
    if (status !== EXIT.TIMEOUT) {
      await collectAll();
      status = text.includes('test result: ok') ? EXIT.OK : EXIT.FAILED;
      if (!text.endsWith('\n')) process.stdout.write('\n');
      if (status !== EXIT.OK && consoleLines.length) {
        process.stdout.write(`console output:\n${consoleLines.join('\n')}\n`);
      }
    }
    if (jsDir && pageSession && counting) {
      const cov = await cdp.send('Profiler.takePreciseCoverage', {}, pageSession);
      const result = cov.result.filter((s) => s.url.startsWith('http'));
      fs.mkdirSync(jsDir, { recursive: true });
      fs.writeFileSync(path.join(jsDir, `coverage-browser-${process.pid}.json`), JSON.stringify({ result }));
    }
    await cdp.send('Browser.close').catch(() => {});
  } catch (e) {
    flushNow();
    cleanup();
    fail(EXIT.ERROR, e.message);
  }
  cleanup();
  process.exit(status);
}

main();
