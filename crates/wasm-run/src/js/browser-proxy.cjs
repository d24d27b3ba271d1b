// The proxy in front of wasm-bindgen's test server (browser.cjs, injected
// counters): it instruments every wasm module the page fetches, puts the
// hook in front of worker scripts (Firefox), and takes the counters the
// hooks post, but only with this run's secret.
'use strict';

const { execFile } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const { rawBlocks, Sums } = require('./counters.cjs');

const WORKER_DESTS = new Set(['worker', 'sharedworker', 'serviceworker']);

// The modules the page fetched, saved (under `hookDir`) and instrumented
// (by `instrumenter`) once each, named in the custom section `section`.
class Modules {
  constructor(hookDir, instrumenter, section) {
    this.instrumenter = instrumenter;
    this.section = section;
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
      execFile(this.instrumenter, ['__instrument', '--unshared', path.join(this.dir, `${sha}.wasm`), out, table], (e, _stdout, stderr) => {
        if (e) reject(new Error(stderr.trim() || e.message));
        else resolve();
      });
    });
    const doc = JSON.parse(fs.readFileSync(table, 'utf8'));
    const raw = rawBlocks(doc);
    const name = JSON.stringify({ module: sha, blocks: raw.length, export: doc.counters.export });
    return { raw, served: Buffer.concat([fs.readFileSync(out), customSection(this.section, name)]) };
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
// instruments wasm, puts `opts.workerHook` (the hook's source, or null)
// into worker scripts and takes the counters the hooks post. Only a POST
// to `opts.push`, whose path holds this run's secret, is taken; any other
// request under /__wasm_run/ gets 403 and is counted (`refused()`), and
// only a worker script fetched with the page's cookie `opts.cookie` (set
// by the page's hook) gets the hook, so only the page we started and its
// workers know the secret. `opts.onError` ends the run.
function startProxy(target, modules, opts) {
  const { push, workerHook, cookie, onError } = opts;
  // What the hooks posted: each realm's newest counters, and its test
  // windows by position (a window posted twice is taken once).
  const latest = { counts: new Map(), seq: new Map(), tests: new Map() };
  let refused = 0;
  const server = http.createServer((req, res) => {
    if (req.method === 'POST' && req.url === push) {
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
    if (req.url.startsWith('/__wasm_run/')) {
      refused++;
      req.resume();
      res.writeHead(403, { 'content-type': 'text/plain' }).end('not this run\'s page\n');
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
      const script =
        workerHook && ur.statusCode === 200 && WORKER_DESTS.has(req.headers['sec-fetch-dest']) && /javascript/.test(type) && hasCookie(req, cookie);
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
          body = wasm ? (await modules.instrumented(body)).served : Buffer.concat([Buffer.from(`${workerHook}\n`), body]);
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
  return { server, latest, listening, refused: () => refused };
}

// Whether `req` carries the cookie `nameValue` ("name=value").
function hasCookie(req, nameValue) {
  return String(req.headers.cookie || '')
    .split(';')
    .some((c) => c.trim() === nameValue);
}

// Keeps the newest counters of each instance of a realm (a POST older than
// the last one taken is too late for them) and every test window, from one
// POST body.
function take(latest, buf) {
  const nl = buf.indexOf(10);
  if (nl < 0) throw new Error('no header line');
  const head = JSON.parse(buf.subarray(0, nl).toString('utf8'));
  let off = nl + 1;
  const counts = [];
  for (const inst of head.instances) {
    const len = inst.blocks * 8;
    if (off + len > buf.length) throw new Error('counters cut short');
    const copy = new Uint8Array(len);
    copy.set(buf.subarray(off, off + len));
    counts.push({ module: inst.module, blocks: inst.blocks, halves: new Uint32Array(copy.buffer) });
    off += len;
  }
  if (!(head.seq <= latest.seq.get(head.realm))) {
    latest.seq.set(head.realm, head.seq);
    counts.forEach((c, i) => latest.counts.set(`${head.realm} ${i}`, c));
  }
  let windows = latest.tests.get(head.realm);
  if (!windows) latest.tests.set(head.realm, (windows = []));
  (head.tests || []).forEach((w, j) => {
    windows[head.from + j] = w;
  });
}

// Injected counters: every instance's counts summed per module, and each
// test's share (`"coverage":...,"tests":...` of the raw dump).
async function injectedRaw(latest, modules) {
  const sums = new Sums();
  for (const { module, blocks, halves } of latest.counts.values()) {
    if (modules.tables.has(module)) sums.add(module, halves, blocks);
  }
  let windows = 0;
  for (const ws of latest.tests.values()) {
    for (const w of ws) {
      if (!w || !modules.tables.has(w.module)) continue;
      sums.addTest(w.module, w.test, w);
      windows++;
    }
  }
  const raws = new Map();
  for (const [module, table] of modules.tables) raws.set(module, (await table).raw);
  const tests = windows ? `,"tests":${sums.tests()}` : '';
  return `"coverage":${sums.raw((m) => raws.get(m))}${tests}`;
}

module.exports = { Modules, startProxy, injectedRaw };
