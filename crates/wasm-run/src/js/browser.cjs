// wasm-run's browser driver for wasm-bindgen-test suites configured for a
// browser (`run_in_browser`, `run_in_dedicated_worker`, shared and service
// workers). Run by wasm-run under the pinned Node (>= 22: global WebSocket).
//
//   node browser.cjs RUNNER WASM [runner args...]
//
// How it works, and why (docs/formats.md, "Browser runs"):
// - wasm-bindgen-test-runner starts in its interactive mode (NO_HEADLESS=1,
//   on a free port): it builds the test page and serves it, and nothing
//   else. We drive the browser ourselves, so we can reach into the page and
//   its workers before they go away: headless Chromium over the DevTools
//   protocol, headless Firefox over WebDriver BiDi (no geckodriver). The
//   runner's own headless mode talks classic WebDriver, which cannot.
// - $WASM_RUN_COUNTERS=inject (the default): the browser loads the page
//   through a small proxy in this process, in front of the runner. The
//   proxy saves every wasm module the page fetches, has wasm-run instrument
//   it (`$WASM_RUN_INSTRUMENTER __instrument --unshared`, `docs/formats.md`
//   §3b), and serves the instrumented module with a custom section
//   `wasm-run.counters` naming the original. A hook in the page and in
//   every worker finds the instances of such modules and posts their
//   counters back to the proxy (`POST /__wasm_run/counters`): on demand, on
//   a timer, and in a worker before the suite's `test result:` line leaves
//   it, so the last counts are in before the page says the suite is over.
//   Every instance has its own counters, so the counts of a module's
//   instances are summed as 64-bit integers.
// - $WASM_RUN_COUNTERS=v8 (Chromium only): Chromium starts with V8's wasm
//   block counters on (the same flags as Node); the hook hands the bytes of
//   every module the page and its workers compile to us (a DevTools
//   binding) and gives us V8's counters when asked. Chromium shares one
//   compiled module (and its counters) between the page and its workers
//   when they compile the same bytes, so the same module's counters seen in
//   several places are merged by taking the largest count of each block,
//   never summed.
// - The hook goes into the page before its first script: a DevTools
//   "script on new document" (Chromium) or a BiDi preload script
//   (Firefox). Into workers: Chromium pauses each new worker until we have
//   evaluated the hook in it; for Firefox the proxy puts the hook in front
//   of every worker script it serves (`Sec-Fetch-Dest: worker`).
// - The test output is read from the page's `#output` element, as the
//   runner's headless mode reads it, and printed as it grows. The run ends
//   at the `test result:` line (or at the timeout), after a last
//   collection.
// - Counters are written like hook.cjs writes them for Node processes:
//   $WASM_RUN_HOOK_DIR/modules/<sha256>.wasm (the modules as the runner
//   served them, before instrumenting) and raw-<pid>.json, which wasm-run
//   matches to modules by layout. In Chromium the page's JavaScript
//   coverage (the wasm-bindgen glue) goes to $WASM_RUN_JS_COVERAGE_DIR in
//   the shape Node writes for NODE_V8_COVERAGE.
//
// Exit status: 0 when the suite printed `test result: ok`, 1 when it
// printed a failure, 2 when the browser or the runner could not run it
// (the message says which piece is missing); a timeout counts as a failure.
'use strict';

const { spawn, execFile } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');

const EXIT = { OK: 0, FAILED: 1, ERROR: 2, TIMEOUT: 1 };
const V8_FLAGS = process.env.WASM_RUN_V8_FLAGS;
// `inject`, `v8`, or `off` (no counters at all: the baseline the benchmark
// compares against).
const counters = process.env.WASM_RUN_COUNTERS || 'inject';
const counting = counters !== 'off';
const kind = process.env.WASM_RUN_BROWSER || 'chrome';
const instrumenter = process.env.WASM_RUN_INSTRUMENTER;
const hookDir = process.env.WASM_RUN_HOOK_DIR;
const jsDir = process.env.WASM_RUN_JS_COVERAGE_DIR;
const flushMs = Number(process.env.WASM_RUN_FLUSH_MS) || 2000;
const timeoutMs = Number(process.env.WASM_RUN_BROWSER_TIMEOUT_MS) || 300000;
const browserBin = process.env.WASM_RUN_BROWSER_BIN || (kind === 'firefox' ? 'firefox' : 'chromium');
const BINDING = '__wasmRunReport';
const PUSH_PATH = '/__wasm_run/counters';
const SECTION = 'wasm-run.counters';
const WORKER_DESTS = new Set(['worker', 'sharedworker', 'serviceworker']);

// Runs in the page and in every worker, before their own scripts; as
// source text (`(${hook})(cfg)`), so it may use nothing from this file.
function hook(cfg) {
  if (globalThis.__wasmRun) return;
  const W = WebAssembly;
  const OrigModule = W.Module;
  const OrigInstance = W.Instance;
  const bytesOf = (b) => {
    if (b instanceof ArrayBuffer) return new Uint8Array(b);
    if (ArrayBuffer.isView(b)) return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    if (typeof SharedArrayBuffer !== 'undefined' && b instanceof SharedArrayBuffer) return new Uint8Array(b);
    return null;
  };

  if (cfg.mode === 'v8') {
    // V8's counters: hand every module's bytes over, collect when asked.
    const report = globalThis[cfg.binding];
    const collect = new Function('return %DebugCollectWasmCoverage()');
    const seen = new WeakSet();
    const capture = (src) => {
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
    };
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
          /* the original call reports it */
        }
        return orig.call(this, response, ...rest);
      };
    }
    globalThis.__wasmRun = {
      collect: () => JSON.stringify(collect().map((bs) => bs.map((b) => [b.start, b.end, b.count]))),
    };
    return;
  }

  // Injected counters: the proxy instrumented the module as it was fetched
  // and named it in a custom section; find its instances.
  const realm = typeof crypto !== 'undefined' && crypto.randomUUID ? crypto.randomUUID() : String(Math.random()).slice(2);
  const instances = []; // {module, blocks, export, memory}
  const infos = new WeakMap(); // WebAssembly.Module -> its section, or null
  const info = (module) => {
    if (!infos.has(module)) {
      let v = null;
      try {
        const s = OrigModule.customSections(module, cfg.section);
        if (s.length) v = JSON.parse(new TextDecoder().decode(s[0]));
      } catch (_) {
        /* not ours */
      }
      infos.set(module, v);
    }
    return infos.get(module);
  };
  const track = (module, instance) => {
    const i = module instanceof OrigModule && instance ? info(module) : null;
    if (!i) return;
    const memory = instance.exports[i.export];
    if (memory instanceof W.Memory) instances.push({ module: i.module, blocks: i.blocks, memory });
  };
  W.Instance = new Proxy(OrigInstance, {
    construct(target, args, newTarget) {
      const instance = Reflect.construct(target, args, newTarget);
      track(args[0], instance);
      return instance;
    },
  });
  const origInstantiate = W.instantiate;
  W.instantiate = function instantiate(source, ...rest) {
    return origInstantiate.call(this, source, ...rest).then((r) => {
      if (source instanceof OrigModule) track(source, r);
      else track(r.module, r.instance);
      return r;
    });
  };
  const origStreaming = W.instantiateStreaming;
  if (typeof origStreaming === 'function') {
    W.instantiateStreaming = function instantiateStreaming(source, ...rest) {
      return origStreaming.call(this, source, ...rest).then((r) => {
        track(r.module, r.instance);
        return r;
      });
    };
  }
  // One POST: a JSON line naming the instances, then their counters.
  const push = () => {
    if (!instances.length) return Promise.resolve();
    const head = { realm, instances: instances.map((i) => ({ module: i.module, blocks: i.blocks })) };
    const parts = [JSON.stringify(head) + '\n'];
    for (const i of instances) parts.push(new Uint8Array(i.memory.buffer, 0, i.blocks * 8).slice());
    // Absolute: a worker started from a blob: URL has no base to resolve
    // a path against, but has the page's origin.
    return fetch(location.origin + cfg.push, { method: 'POST', body: new Blob(parts) }).then(
      () => undefined,
      () => undefined,
    );
  };
  globalThis.__wasmRun = { push };
  if (typeof WorkerGlobalScope !== 'undefined' && globalThis instanceof WorkerGlobalScope) {
    // A worker's counters must reach us before the suite's last line
    // reaches the page: that line is held until they have, and whatever
    // follows it waits its turn.
    let gate = null;
    const last = (m) => Array.isArray(m) && typeof m[1] === 'string' && m[1].includes('test result: ');
    const wrap = (owner) => {
      const orig = owner.postMessage;
      if (typeof orig !== 'function') return;
      owner.postMessage = function postMessage(m, ...rest) {
        if (!gate && last(m)) gate = push();
        if (gate) {
          gate.then(() => orig.call(this, m, ...rest));
          return undefined;
        }
        return orig.call(this, m, ...rest);
      };
    };
    if (typeof DedicatedWorkerGlobalScope !== 'undefined' && globalThis instanceof DedicatedWorkerGlobalScope) wrap(globalThis);
    if (typeof MessagePort !== 'undefined') wrap(MessagePort.prototype);
    setInterval(push, cfg.flushMs);
  }
}

const HOOK = `(${hook})(${JSON.stringify({ mode: counters, binding: BINDING, push: PUSH_PATH, section: SECTION, flushMs })});`;

function fail(code, msg) {
  process.stderr.write(`wasm-run: error: ${msg}\n`);
  process.exit(code);
}

// One JSON WebSocket connection to a browser: the DevTools protocol
// (responses `{id, result | error}`, events `{method, params, sessionId}`)
// or WebDriver BiDi (responses `{type, id, result | error, message}`,
// events `{type: "event", method, params}`).
class Rpc {
  constructor(url, what) {
    this.nextId = 0;
    this.pending = new Map();
    this.listeners = [];
    this.closed = false;
    this.what = what;
    this.ws = new WebSocket(url);
    this.opened = new Promise((resolve, reject) => {
      this.ws.onopen = resolve;
      this.ws.onerror = (e) => reject(new Error(`cannot connect to the browser's ${what} at ${url}: ${e.message || e.type}`));
    });
    this.ws.onmessage = (ev) => {
      const msg = JSON.parse(ev.data);
      if (msg.id !== undefined) {
        const p = this.pending.get(msg.id);
        if (!p) return;
        this.pending.delete(msg.id);
        if (msg.error) p.reject(new Error(`${p.method}: ${msg.message || msg.error.message || msg.error}`));
        else p.resolve(msg.result);
      } else {
        for (const l of this.listeners) l(msg);
      }
    };
    this.ws.onclose = () => {
      this.closed = true;
      for (const p of this.pending.values()) p.reject(new Error(`the browser closed the ${what} connection`));
      this.pending.clear();
    };
  }
  send(method, params = {}, sessionId = undefined) {
    if (this.closed) return Promise.reject(new Error(`the browser closed the ${this.what} connection`));
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

// Starts the browser binary; resolves with the WebSocket URL it prints.
function startBinary(args, pattern, env, install) {
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
    child.on('error', (e) => reject(new Error(`cannot start the browser ${browserBin}: ${e.message} (${install}, or set WASM_RUN_BROWSER_BIN)`)));
    child.on('exit', (code) => {
      const tail = err.trim().split('\n').slice(-5).join('\n');
      reject(new Error(`the browser ${browserBin} ended (status ${code}) before it listened${tail ? `:\n${tail}` : ''}`));
    });
    // A binary that is not the browser asked for (WASM_RUN_BROWSER_BIN)
    // never prints the line we wait for.
    setTimeout(
      () => reject(new Error(`the browser ${browserBin} printed no ${kind === 'firefox' ? 'WebDriver BiDi' : 'DevTools'} address within 30 s; is it ${kind === 'firefox' ? 'Firefox' : 'Chromium'}? (--browser, WASM_RUN_BROWSER_BIN)`)),
      30000,
    ).unref();
  });
  return { child, ws };
}

// The modules the page fetched, saved and instrumented once each.
class Modules {
  constructor() {
    this.dir = path.join(hookDir, 'modules');
    this.instDir = path.join(hookDir, 'inst');
    fs.mkdirSync(this.dir, { recursive: true });
    this.shas = new Set();
    this.tables = new Map(); // sha -> Promise<{raw, served}>
  }
  // Saves `buf` under its SHA-256; returns the hash.
  save(buf) {
    const sha = crypto.createHash('sha256').update(buf).digest('hex');
    if (!this.shas.has(sha)) {
      this.shas.add(sha);
      const file = path.join(this.dir, `${sha}.wasm`);
      if (!fs.existsSync(file)) {
        fs.writeFileSync(`${file}.part`, buf);
        fs.renameSync(`${file}.part`, file);
      }
    }
    return sha;
  }
  // The instrumented module to serve for `buf`, named in its section.
  instrumented(buf) {
    const sha = this.save(buf);
    if (!this.tables.has(sha)) this.tables.set(sha, this.instrument(sha));
    return this.tables.get(sha);
  }
  async instrument(sha) {
    fs.mkdirSync(this.instDir, { recursive: true });
    const out = path.join(this.instDir, `${sha}.wasm`);
    const table = path.join(this.instDir, `${sha}.json`);
    await new Promise((resolve, reject) => {
      execFile(instrumenter, ['__instrument', '--unshared', path.join(this.dir, `${sha}.wasm`), out, table], (e, _stdout, stderr) => {
        if (e) reject(new Error(stderr.trim() || e.message));
        else resolve();
      });
    });
    const doc = JSON.parse(fs.readFileSync(table, 'utf8'));
    const first = doc.firstBodyOffset;
    const raw = doc.blocks.map(([, start, end]) => [start - first, end - 1 - first]);
    const name = JSON.stringify({ module: sha, blocks: raw.length, export: doc.counters.export });
    return { raw, served: Buffer.concat([fs.readFileSync(out), customSection(SECTION, name)]) };
  }
}

function leb(n) {
  const out = [];
  do {
    let b = n & 0x7f;
    n = Math.floor(n / 128);
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return Buffer.from(out);
}

function customSection(name, text) {
  const n = Buffer.from(name);
  const body = Buffer.concat([leb(n.length), n, Buffer.from(text)]);
  return Buffer.concat([Buffer.from([0]), leb(body.length), body]);
}

// The proxy in front of the runner (injected counters): serves the page,
// instruments wasm, puts the hook into worker scripts (`workerHook`) and
// takes the counters the hooks post. `onError` ends the run.
function startProxy(target, modules, workerHook, onError) {
  const latest = new Map(); // `${realm} ${i}` -> {module, counts: BigUint64Array}
  const server = http.createServer((req, res) => {
    if (req.method === 'POST' && req.url === PUSH_PATH) {
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        try {
          take(latest, Buffer.concat(chunks));
        } catch (e) {
          process.stderr.write(`wasm-run: warning: unreadable counters from the page: ${e.message}\n`);
        }
        res.writeHead(204).end();
      });
      return;
    }
    const headers = { ...req.headers, host: target.host, 'accept-encoding': 'identity' };
    // Always a whole body to instrument, never "not modified".
    delete headers['if-none-match'];
    delete headers['if-modified-since'];
    const up = http.request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers }, (ur) => {
      const type = ur.headers['content-type'] || '';
      const pathname = new URL(req.url, target).pathname;
      const wasm = ur.statusCode === 200 && (type.includes('application/wasm') || pathname.endsWith('.wasm'));
      const script = workerHook && ur.statusCode === 200 && WORKER_DESTS.has(req.headers['sec-fetch-dest']) && /javascript/.test(type);
      if (!wasm && !script) {
        res.writeHead(ur.statusCode, ur.headers);
        ur.pipe(res);
        return;
      }
      const chunks = [];
      ur.on('data', (c) => chunks.push(c));
      ur.on('end', async () => {
        const outHeaders = { ...ur.headers };
        delete outHeaders['content-length'];
        delete outHeaders.etag;
        delete outHeaders['last-modified'];
        let body = Buffer.concat(chunks);
        try {
          body = wasm ? (await modules.instrumented(body)).served : Buffer.concat([Buffer.from(`${HOOK}\n`), body]);
        } catch (e) {
          res.writeHead(500, { 'content-type': 'text/plain' }).end(e.message);
          onError(`cannot insert block counters into ${pathname}: ${e.message}`);
          return;
        }
        outHeaders['content-length'] = body.length;
        res.writeHead(200, outHeaders).end(body);
      });
    });
    up.on('error', (e) => {
      res.writeHead(502, { 'content-type': 'text/plain' }).end(e.message);
    });
    req.pipe(up);
  });
  const listening = new Promise((resolve, reject) => {
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${server.address().port}`));
  });
  return { server, latest, listening };
}

// Keeps the newest counters of each instance in one POST body.
function take(latest, buf) {
  const nl = buf.indexOf(10);
  if (nl < 0) throw new Error('no header line');
  const head = JSON.parse(buf.subarray(0, nl).toString('utf8'));
  let off = nl + 1;
  head.instances.forEach((inst, i) => {
    const len = inst.blocks * 8;
    if (off + len > buf.length) throw new Error('counters cut short');
    const copy = new Uint8Array(len);
    copy.set(buf.subarray(off, off + len));
    latest.set(`${head.realm} ${i}`, { module: inst.module, counts: new BigUint64Array(copy.buffer) });
    off += len;
  });
}

// Injected counters, one raw entry per module: every instance's counts
// summed (as 64-bit integers), at the blocks of the module's table.
async function injectedRaw(latest, modules) {
  const sums = new Map();
  for (const { module, counts } of latest.values()) {
    if (!modules.tables.has(module)) continue;
    let into = sums.get(module);
    if (!into) sums.set(module, (into = new Array(counts.length).fill(0n)));
    if (into.length !== counts.length) continue;
    for (let i = 0; i < counts.length; i++) into[i] += counts[i];
  }
  const max = (1n << 64n) - 1n;
  const entries = [];
  for (const [module, counts] of sums) {
    const { raw } = await modules.tables.get(module);
    entries.push('[' + raw.map(([s, e], i) => `[${s},${e},${counts[i] > max ? max : counts[i]}]`).join(',') + ']');
  }
  return '[' + entries.join(',') + ']';
}

function shapeKey(blocks) {
  const h = crypto.createHash('sha1');
  for (const b of blocks) h.update(`${b[0]}-${b[1]},`);
  return h.digest('hex');
}

// V8's counters of every page and worker, one raw entry per module shape,
// merged by the largest count.
function v8Raw(lastBySession) {
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
  return JSON.stringify([...merged.values()]);
}

// Headless Chromium over the DevTools protocol.
async function chromium(profile, modules, consoleLines) {
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
  ];
  if (counters === 'v8') args.push(`--js-flags=${V8_FLAGS}`);
  args.push('about:blank');
  // Its temporary files (the singleton socket) in the profile, which goes.
  const proc = startBinary(args, /DevTools listening on (ws:\/\/\S+)/, { TMPDIR: profile }, 'install Chromium: apt-get install chromium');
  const driver = {};
  const cdp = new Rpc(await proc.ws, 'DevTools protocol');
  await cdp.opened;

  const sessions = new Set();
  let pageSession = null;
  const lastBySession = new Map();
  cdp.on((msg) => {
    if (msg.method === 'Target.attachedToTarget') {
      onAttached(msg.params).catch((e) => process.stderr.write(`wasm-run: warning: ${e.message}\n`));
    } else if (msg.method === 'Target.detachedFromTarget') {
      sessions.delete(msg.params.sessionId);
    } else if (msg.method === 'Runtime.bindingCalled' && msg.params.name === BINDING) {
      modules.save(Buffer.from(msg.params.payload, 'base64'));
    } else if (msg.method === 'Runtime.consoleAPICalled') {
      consoleLines.push(msg.params.args.map((a) => (a.value !== undefined ? String(a.value) : a.description || '')).join(' '));
    } else if (msg.method === 'Runtime.exceptionThrown') {
      const d = msg.params.exceptionDetails;
      consoleLines.push(`uncaught: ${(d.exception && d.exception.description) || d.text}`);
    }
  });
  const targets = new Set();
  async function onAttached({ sessionId, targetInfo, waitingForDebugger }) {
    const s = (m, p) => cdp.send(m, p, sessionId);
    // A service worker is attached twice (from the browser and from the
    // page) and waits for both: hook it once, let the other one go.
    // Chromium's own pages (`browser_ui`, chrome://) are none of ours.
    const ours = ['page', 'iframe', 'worker', 'shared_worker', 'service_worker'].includes(targetInfo.type);
    if (targets.has(targetInfo.targetId) || !ours) {
      if (waitingForDebugger) await s('Runtime.runIfWaitingForDebugger');
      return;
    }
    targets.add(targetInfo.targetId);
    sessions.add(sessionId);
    if (counters === 'v8') await s('Runtime.addBinding', { name: BINDING });
    await s('Runtime.enable');
    if (targetInfo.type === 'page') {
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
    if (targetInfo.type === 'page' && !pageSession) {
      pageSession = sessionId;
      pageReady();
    }
  }
  let pageReady;
  const page = new Promise((resolve) => {
    pageReady = resolve;
  });
  const evaluate = (expression, sessionId) =>
    cdp.send('Runtime.evaluate', { expression, returnByValue: true, awaitPromise: true }, sessionId).then((r) => r && r.result && r.result.value);

  driver.navigate = async (url) => {
    await Promise.race([
      page,
      new Promise((_, reject) => setTimeout(() => reject(new Error('the browser opened no page within 30 s')), 30000)),
    ]);
    await cdp.send('Page.navigate', { url }, pageSession);
  };
  driver.pageText = () => evaluate("(document.getElementById('output') || {}).textContent || ''", pageSession);
  // Every page and worker: V8's counters collected, or ours pushed.
  driver.collect = () =>
    Promise.all(
      [...sessions].map(async (id) => {
        try {
          if (counters === 'v8') {
            const v = await evaluate('globalThis.__wasmRun ? globalThis.__wasmRun.collect() : "[]"', id);
            if (typeof v === 'string') lastBySession.set(id, JSON.parse(v));
          } else {
            await evaluate('globalThis.__wasmRun ? globalThis.__wasmRun.push().then(() => 1) : 0', id);
          }
        } catch (_) {
          /* a worker that just ended keeps its last collection */
        }
      }),
    );
  driver.v8Raw = () => v8Raw(lastBySession);
  driver.jsCoverage = async () => {
    if (!jsDir || !pageSession || !counting) return null;
    const cov = await cdp.send('Profiler.takePreciseCoverage', {}, pageSession);
    return cov.result.filter((s) => s.url.startsWith('http'));
  };
  driver.close = () => cdp.send('Browser.close').catch(() => {});

  // Browser-level auto-attach reaches the page we open and the shared and
  // service workers it registers.
  await cdp.send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: true, flatten: true });
  await cdp.send('Target.createTarget', { url: 'about:blank' });
  return driver;
}

// Preferences for a throw-away Firefox profile: no first-run pages, no
// updates, no telemetry, nothing fetched from the network.
const FIREFOX_PREFS = {
  'app.update.disabledForTesting': true,
  'browser.shell.checkDefaultBrowser': false,
  'browser.startup.homepage_override.mstone': 'ignore',
  'browser.aboutwelcome.enabled': false,
  'datareporting.policy.dataSubmissionEnabled': false,
  'toolkit.telemetry.reportingpolicy.firstRun': false,
  'network.captive-portal-service.enabled': false,
  'network.connectivity-service.enabled': false,
  'extensions.update.enabled': false,
  'browser.safebrowsing.update.enabled': false,
};

// Headless Firefox over WebDriver BiDi, without geckodriver.
async function firefox(profile, _modules, consoleLines) {
  fs.writeFileSync(
    path.join(profile, 'user.js'),
    Object.entries(FIREFOX_PREFS)
      .map(([k, v]) => `user_pref(${JSON.stringify(k)}, ${JSON.stringify(v)});\n`)
      .join(''),
  );
  const args = ['--headless', '--no-remote', '--profile', profile, '--remote-debugging-port=0', 'about:blank'];
  const proc = startBinary(
    args,
    /WebDriver BiDi listening on (ws:\/\/\S+)/,
    { MOZ_CRASHREPORTER_DISABLE: '1' },
    'install Firefox: apt-get install firefox-esr',
  );
  const driver = {};
  const bidi = new Rpc(`${await proc.ws}/session`, 'WebDriver BiDi');
  await bidi.opened;
  await bidi.send('session.new', { capabilities: {} });
  bidi.on((msg) => {
    if (msg.method === 'log.entryAdded') {
      const e = msg.params;
      consoleLines.push(e.type === 'javascript' ? `uncaught: ${e.text}` : e.text);
    }
  });
  await bidi.send('session.subscribe', { events: ['log.entryAdded'] });
  const tree = await bidi.send('browsingContext.getTree', { maxDepth: 0 });
  const context = tree.contexts[0].context;
  if (counting) await bidi.send('script.addPreloadScript', { functionDeclaration: `() => { ${HOOK} }` });
  const evaluate = async (expression) => {
    const r = await bidi.send('script.evaluate', { expression, target: { context }, awaitPromise: true });
    if (r.type === 'exception') throw new Error(`the page threw: ${r.exceptionDetails.text}`);
    return r.result && r.result.value;
  };
  driver.navigate = (url) => bidi.send('browsingContext.navigate', { context, url, wait: 'none' });
  driver.pageText = () => evaluate("(document.getElementById('output') || {}).textContent || ''");
  // The page's counters; workers post theirs themselves.
  driver.collect = () => evaluate('globalThis.__wasmRun ? globalThis.__wasmRun.push().then(() => 1) : 0').catch(() => {});
  driver.v8Raw = () => '[]';
  driver.jsCoverage = async () => null;
  driver.close = () => bidi.send('browser.close').catch(() => {});
  return driver;
}

async function main() {
  const [runner, wasm, ...runnerArgs] = process.argv.slice(2);
  const usage = 'usage: WASM_RUN_HOOK_DIR=DIR WASM_RUN_COUNTERS=inject|v8|off node browser.cjs RUNNER WASM [args...]';
  if (!runner || !wasm || !hookDir) fail(EXIT.ERROR, usage);
  if (!['inject', 'v8', 'off'].includes(counters)) fail(EXIT.ERROR, `WASM_RUN_COUNTERS=${counters}: ${usage}`);
  if (counters === 'v8' && (kind !== 'chrome' || !V8_FLAGS)) fail(EXIT.ERROR, 'V8 counters need Chromium and WASM_RUN_V8_FLAGS');
  if (counters === 'inject' && !instrumenter) fail(EXIT.ERROR, 'injected counters need WASM_RUN_INSTRUMENTER');
  if (typeof WebSocket !== 'function') fail(EXIT.ERROR, `browser suites need Node >= 22.4 (a global WebSocket) to drive the browser; this is Node ${process.version}`);
  const modules = new Modules();

  const runnerTmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wasm-run-runner-'));
  const srv = startRunner(runner, [wasm, ...runnerArgs], runnerTmp);
  // Chromium puts its singleton socket in $TMPDIR, given here as the
  // profile folder (`<tmp>/wasm-run-browser-XXXXXX/org.chromium.Chromium.
  // XXXXXX/SingletonSocket`, 69 bytes more), and a Unix socket's path may
  // not pass 107 bytes: for a longer temporary folder the profile goes in
  // /tmp.
  const profileBase = Buffer.byteLength(os.tmpdir()) + 69 <= 107 ? os.tmpdir() : '/tmp';
  const profile = fs.mkdtempSync(path.join(profileBase, 'wasm-run-browser-'));
  let driver = null;
  let proxy = null;
  let status = EXIT.ERROR;
  // Ends the runner and the browser (`graceful`: it was asked to close,
  // give it a moment), then removes the profile once nothing writes to it.
  const cleanup = async (graceful = false) => {
    try { srv.child.kill('SIGKILL'); } catch (_) { /* gone */ }
    try { if (proxy) proxy.server.close(); } catch (_) { /* gone */ }
    for (const b of browsers) {
      if (graceful) await exited(b, 2000);
      killGroup(b);
      await exited(b, 2000);
    }
    await exited(srv.child, 2000);
    for (const dir of [profile, runnerTmp]) {
      try {
        fs.rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
      } catch (_) {
        /* best effort */
      }
    }
  };
  const end = (code, msg) => cleanup().then(() => (msg ? fail(code, msg) : process.exit(code)));
  const writeRaw = async () => {
    if (!counting) return;
    const coverage = counters === 'inject' ? await injectedRaw(proxy.latest, modules) : driver ? driver.v8Raw() : '[]';
    const file = path.join(hookDir, `raw-${process.pid}.json`);
    fs.writeFileSync(`${file}.part`, `{"pid":${process.pid},"modules":${JSON.stringify([...modules.shas])},"coverage":${coverage}}`);
    fs.renameSync(`${file}.part`, file);
  };
  const die = (code, msg) => {
    const then = () => end(code, msg);
    writeRaw().then(then, then);
  };
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(sig, () => {
      const then = () => end(130);
      writeRaw().then(then, then);
    });
  }

  // The browser starts while the runner builds the page: both take a
  // second or more.
  const consoleLines = [];
  const starting = (kind === 'firefox' ? firefox : chromium)(profile, modules, consoleLines);
  starting.then(
    (d) => {
      driver = d;
    },
    () => {},
  );

  let url;
  try {
    url = await srv.url;
  } catch (e) {
    return end(EXIT.ERROR, e.message);
  }
  if (url === null) {
    // The runner found no tests: say so as it does, pass.
    process.stdout.write('no tests to run!\n');
    return end(EXIT.OK);
  }
  if (counters === 'inject') {
    const target = new URL(url);
    proxy = startProxy(target, modules, kind === 'firefox', (msg) => die(EXIT.ERROR, msg));
    url = new URL(target.pathname + target.search, await proxy.listening).href;
  }
  try {
    driver = await starting;
    await driver.navigate(url);
  } catch (e) {
    return end(EXIT.ERROR, e.message);
  }

  try {
    const started = Date.now();
    let printed = 0;
    let shown = '';
    let lastFlush = Date.now();
    let text = '';
    for (;;) {
      await new Promise((r) => setTimeout(r, 100));
      text = (await driver.pageText()) || '';
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
      if (counting && Date.now() - lastFlush > flushMs) {
        await driver.collect();
        await writeRaw();
        lastFlush = Date.now();
      }
      if (Date.now() - started > timeoutMs) {
        status = EXIT.TIMEOUT;
        break;
      }
    }
    if (counting) {
      await driver.collect();
      await writeRaw();
    }
    if (status === EXIT.TIMEOUT) {
      process.stdout.write('\n');
      process.stderr.write(`wasm-run: error: the browser suite printed no result within ${timeoutMs / 1000} s (--timeout)\n`);
    } else {
      status = text.includes('test result: ok') ? EXIT.OK : EXIT.FAILED;
      if (!text.endsWith('\n')) process.stdout.write('\n');
      if (status !== EXIT.OK && consoleLines.length) {
        process.stdout.write(`console output:\n${consoleLines.join('\n')}\n`);
      }
    }
    const js = await driver.jsCoverage();
    if (js) {
      fs.mkdirSync(jsDir, { recursive: true });
      fs.writeFileSync(path.join(jsDir, `coverage-browser-${process.pid}.json`), JSON.stringify({ result: js }));
    }
    await driver.close();
  } catch (e) {
    die(EXIT.ERROR, e.message);
    return;
  }
  await cleanup(true);
  process.exit(status);
}

main();
