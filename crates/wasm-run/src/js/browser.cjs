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


const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { hookSource } = require('./browser-page.cjs');
const { Modules, startProxy, injectedRaw } = require('./browser-proxy.cjs');
const { chromium } = require('./browser-cdp.cjs');
const { firefox } = require('./browser-bidi.cjs');
const { EXIT, fail, startRunner, browsers, exited, killGroup } = require('./browser-procs.cjs');

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
const SECTION = 'wasm-run.counters';
// This run's secret: the counters endpoint's path holds it, and only the
// hooks we put into the page and its workers know it.
const SECRET = crypto.randomBytes(16).toString('hex');
const PUSH_PATH = `/__wasm_run/counters/${SECRET}`;
const COOKIE = `__wasm_run=${SECRET}`;
const HOOK = hookSource({ mode: counters, binding: BINDING, push: PUSH_PATH, section: SECTION, flushMs, cookie: kind === 'firefox' ? COOKIE : null });
const WORKER_DESTS = new Set(['worker', 'sharedworker', 'serviceworker']);

async function main() {
  const [runner, wasm, ...runnerArgs] = process.argv.slice(2);
  const usage = 'usage: WASM_RUN_HOOK_DIR=DIR WASM_RUN_COUNTERS=inject|v8|off node browser.cjs RUNNER WASM [args...]';
  if (!runner || !wasm || !hookDir) fail(EXIT.ERROR, usage);
  if (!['inject', 'v8', 'off'].includes(counters)) fail(EXIT.ERROR, `WASM_RUN_COUNTERS=${counters}: ${usage}`);
  if (counters === 'v8' && (kind !== 'chrome' || !V8_FLAGS)) fail(EXIT.ERROR, 'V8 counters need Chromium and WASM_RUN_V8_FLAGS');
  if (counters === 'inject' && !instrumenter) fail(EXIT.ERROR, 'injected counters need WASM_RUN_INSTRUMENTER');
  if (typeof WebSocket !== 'function') fail(EXIT.ERROR, `browser suites need Node >= 22.4 (a global WebSocket) to drive the browser; this is Node ${process.version}`);
  const modules = new Modules(hookDir, instrumenter, SECTION);

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
    const refused = proxy ? proxy.refused() : 0;
    if (refused) {
      process.stderr.write(`wasm-run: warning: refused ${refused} request(s) to the counters endpoint without this run's secret (not from the page wasm-run started); none of their counts were taken\n`);
    }
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
    const counts = counters === 'inject' ? await injectedRaw(proxy.latest, modules) : `"coverage":${driver ? driver.v8Raw() : '[]'}`;
    const file = path.join(hookDir, `raw-${process.pid}.json`);
    fs.writeFileSync(`${file}.part`, `{"pid":${process.pid},"modules":${JSON.stringify([...modules.shas])},${counts}}`);
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
  const opts = { bin: browserBin, mode: counters, v8Flags: V8_FLAGS, hook: HOOK, binding: BINDING, jsDir };
  const starting = (kind === 'firefox' ? firefox : chromium)(profile, modules, consoleLines, opts);
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
    proxy = startProxy(target, modules, {
      push: PUSH_PATH,
      workerHook: kind === 'firefox' ? HOOK : null,
      cookie: COOKIE,
      onError: (msg) => die(EXIT.ERROR, msg),
    });
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
