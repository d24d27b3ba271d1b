// Headless Chromium over the DevTools protocol, for the browser driver
// (browser.cjs): the hook goes into the page before its first script and
// into every worker while it is paused at its start.
'use strict';

const crypto = require('node:crypto');
const { Rpc } = require('./rpc.cjs');
const { startBinary } = require('./browser-procs.cjs');

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

// Headless Chromium, started with `profile` as its profile folder. `opts`:
// {bin, mode (inject|v8|off), v8Flags, hook (its source), binding, jsDir};
// the modules whose bytes the v8-mode hook hands over go to `modules`, the
// console's lines to `consoleLines`.
async function chromium(profile, modules, consoleLines, opts) {
  const { mode: counters, hook: HOOK, binding: BINDING, jsDir } = opts;
  const counting = counters !== 'off';
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
  if (counters === 'v8') args.push(`--js-flags=${opts.v8Flags}`);
  args.push('about:blank');
  // Its temporary files (the singleton socket) in the profile, which goes.
  const browser = { bin: opts.bin, name: 'Chromium', protocol: 'DevTools', install: 'install Chromium: apt-get install chromium' };
  const proc = startBinary(browser, args, /DevTools listening on (ws:\/\/\S+)/, { TMPDIR: profile });
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

module.exports = { chromium };
