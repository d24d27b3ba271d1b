// wasm-run's Node side for modules it instantiates itself: libtest binaries
// for wasm32-wasip1, plain wasip1 programs (a doctest, run once as one test)
// and "compat" modules exporting __run_tests. Its Rust half, which writes
// CONFIG.json and reads what this writes, is crates/wasm-run/src/direct.rs.
//
// Started by wasm-run as
//   node [V8_FLAGS, the coverage flags of node.rs] <RUNNER_NODE_ARGS> runner.cjs CONFIG.json
// with V8's flags only when config.counters is 'v8'. config.counters:
//   'v8'     V8's own counters, read with %DebugCollectWasmCoverage();
//   'inject' config.wasm is instrumented (wasm-cov-instrument): every
//            instance counts into a shared memory of its own (see "Injected
//            counters" below), summed here as 64-bit integers;
//   'off'    nothing is counted and config.rawOut is not written.
//
// The module is compiled once here. libtest tests are listed by libtest
// itself and each runs in a fresh instance of that one compiled module
// inside a pool of worker threads: a panic (which aborts and traps on wasm)
// fails only its own test, a hung test is ended by terminating its worker,
// and the counts survive a terminated worker: V8 keeps one counter set per
// compiled module across all threads, and injected counters are memories
// the main thread holds.
//
// The main thread only schedules, prints libtest-style results, and writes
// two files for wasm-run (which converts and publishes them atomically):
//   config.rawOut     v8: {"modules": [[[start, end, count], ...], ...]}, V8's
//                     raw blocks; inject: {"counts": [c0, c1, ...], "tests":
//                     [{"name", "hits": [k, c, ...]}]}, one decimal u64 per
//                     block of the block table, and each test's non-zero
//                     counters (block index, count); rewritten
//                     every config.flushMs so a run killed with SIGKILL still
//                     leaves the counts up to then;
//   config.resultsOut per-test outcomes.
'use strict';
// Exit statuses; direct.rs's RunnerExit is the same table (a test checks).
const EXIT = { OK: 0, FAILED: 1, HARNESS_ERROR: 3, INTERRUPTED: 4 };
const fs = require('node:fs');
const { Worker, isMainThread } = require('node:worker_threads');
const { Totals, digits } = require('./counters.cjs');
const { runWasi, passThrough, describeError, workerMain, withTrapStubs } = require('./runner-instance.cjs');
const { deal } = require('./partition.cjs');

// libtest's list; the run's counters wait in `listings` until it is known
// whether they count (under --partition, in one shard only).
function listTests(module, config, filterArgs, extra, listings, totals) {
  const r = runWasi(module, config, ['--list', '--format', 'terse', ...extra, ...filterArgs], 'list');
  listings.push(r.counters);
  if (r.code !== 0) {
    if (totals) for (const c of listings) totals.finish(c, undefined, true);
    throw new Error(`listing the tests failed (${r.trap || 'exit status ' + r.code}):\n${r.stdout}${r.stderr}`);
  }
  const names = [];
  for (const line of r.stdout.split('\n')) {
    const m = /^(.*): (test|bench)$/.exec(line);
    if (m && m[2] === 'test') names.push(m[1]);
  }
  return names;
}

// libtest's own lines in a --nocapture run; the rest is the test's output.
const OWN = [/^running \d+ tests?$/, /^test .* \.\.\. (ok|FAILED|ignored)/, /^test result: /];
// The failure message of test `name`; `name` null: not libtest, all its
// output is its own.
function testOutput(r, name) {
  // With --nocapture libtest prints "test NAME ... " before the test's own
  // output and the verdict after it, so the prefix can start an output line.
  const prefix = `test ${name} ... `;
  const kept = name === null ? [r.stdout] : r.stdout
    .split('\n')
    .map((l) => (l.startsWith(prefix) ? l.slice(prefix.length) : l))
    .filter((l) => !OWN.some((re) => re.test(l)));
  let text = kept.join('\n').trim();
  const add = (s) => { text += (text ? '\n' : '') + s; };
  if (r.stderr.trim()) add(r.stderr.trim());
  if (r.trap) add(`(${r.trap})`);
  else if (r.code !== 0 && r.code !== null) add(`(exit status ${r.code})`);
  return text;
}

// Splits the user's libtest arguments into those that select tests (given
// to --list) and those wasm-run honours itself.
function parseArgs(args) {
  const o = { select: [], ignored: 'normal', nocapture: false, threads: null };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--ignored') o.ignored = 'only';
    else if (a === '--include-ignored') o.ignored = 'include';
    else if (a === '--nocapture' || a === '--no-capture') o.nocapture = true;
    else if (a === '--quiet' || a === '-q' || a === '--show-output') continue;
    else if (a === '--test-threads') o.threads = Number(args[++i]);
    else if (a.startsWith('--test-threads=')) o.threads = Number(a.slice(15));
    else if (a === '--format' || a === '--color' || a === '-Z') i++;
    else if (/^--(format|color)=/.test(a)) continue;
    else if (a === '--skip') o.select.push(a, args[++i]);
    else o.select.push(a);
  }
  return o;
}

function main() {
  const config = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
  // Only with V8's flags is this syntax allowed at all.
  const collect = config.counters === 'v8' ? new Function('return %DebugCollectWasmCoverage()') : null;
  const totals = config.counters === 'inject' ? new Totals(config.blocks, config.derived) : null;
  const workerConfig = { ...config, derived: null };
  const started = performance.now();
  const module = new WebAssembly.Module(fs.readFileSync(config.wasm));
  const results = new Map(); // name -> {name, outcome, durationMs, message}
  let plan = []; // names in the order they were listed
  let filteredOut = 0;
  let finished = false;

  function dumpCoverage() {
    let text;
    if (collect) {
      const modules = collect().map((blocks) => blocks.map((b) => [b.start, b.end, b.count]));
      text = JSON.stringify({ modules });
    } else if (totals) {
      text = totals.json();
    } else {
      return;
    }
    const tmp = config.rawOut + '.part';
    fs.writeFileSync(tmp, text);
    fs.renameSync(tmp, config.rawOut);
  }
  function writeResults(interrupted) {
    const tests = plan.map((name) => results.get(name) || { name, outcome: 'not-run', durationMs: 0, message: null });
    const doc = { harness: config.harness, tests, filteredOut, durationMs: performance.now() - started, interrupted };
    const tmp = config.resultsOut + '.part';
    fs.writeFileSync(tmp, JSON.stringify(doc));
    fs.renameSync(tmp, config.resultsOut);
  }
  const flusher = setInterval(() => { try { dumpCoverage(); } catch (_) { /* next time */ } }, config.flushMs);
  flusher.unref();

  const workers = new Set();
  function stopAll(status, interrupted) {
    if (finished) return;
    finished = true;
    clearInterval(flusher);
    for (const w of workers) w.terminate();
    try { dumpCoverage(); } catch (e) { process.stderr.write(`wasm-run runner: collecting coverage failed: ${e.message}\n`); status = EXIT.HARNESS_ERROR; }
    try { writeResults(interrupted); } catch (e) { process.stderr.write(`wasm-run runner: writing results failed: ${e.message}\n`); status = EXIT.HARNESS_ERROR; }
    if (totals && config.statsOut) fs.writeFileSync(config.statsOut, JSON.stringify(totals.stats()));
    process.exit(status);
  }
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(sig, () => {
      process.stderr.write(`\nwasm-run: ${sig}: stopping; coverage of what ran is kept\n`);
      stopAll(EXIT.INTERRUPTED, true);
    });
  }

  // libtest requests that libtest answers by itself, unchanged.
  if (config.harness === 'libtest' && config.args.some((a) => ['--list', '--help', '-h', '--bench'].includes(a))) {
    const r = runWasi(module, config, config.args, 'pass');
    if (totals) totals.finish(r.counters, undefined, true, r.frames);
    passThrough(r);
    return stopAll(r.trap === null && r.code === 0 ? EXIT.OK : EXIT.FAILED, false);
  }

  // A program is one test: `_start` once, with the user's arguments as its
  // argv, in a worker like any test (so --timeout holds), its output passed
  // through as it is rather than in libtest's words.
  const program = config.harness === 'program';
  const opts = program ? parseArgs([]) : parseArgs(config.args);
  const threads = Math.max(1, opts.threads || config.threads);
  let ignoredSet = new Set();
  if (config.harness === 'compat') {
    plan = ['__run_tests'];
  } else if (program) {
    plan = [config.testName];
  } else {
    const listings = [];
    const listed = listTests(module, config, opts.select, [], listings, totals);
    ignoredSet = new Set(listTests(module, config, opts.select, ['--ignored'], listings, totals));
    const total = opts.select.length ? listTests(module, config, [], [], listings, totals).length : listed.length;
    plan = opts.ignored === 'only' ? listed.filter((t) => ignoredSet.has(t)) : listed;
    let keepListings = true;
    if (config.partition) {
      const dealt = deal(config.partition, plan);
      plan = dealt.mine;
      keepListings = dealt.owner === config.partition.shard;
    }
    if (totals && keepListings) for (const c of listings) totals.finish(c, undefined, true);
    filteredOut = total - plan.length;
  }

  if (!program) console.log(`\nrunning ${plan.length} test${plan.length === 1 ? '' : 's'}`);
  const queue = [];
  for (const name of plan) {
    if (ignoredSet.has(name) && opts.ignored === 'normal') {
      console.log(`test ${name} ... ignored`);
      results.set(name, { name, outcome: 'ignored', durationMs: 0, message: null });
    } else {
      queue.push(name);
    }
  }

  const failures = [];
  function record(name, outcome, durationMs, r, note) {
    let message = r ? testOutput(r, program ? null : name) : '';
    if (note) message += (message ? '\n' : '') + note;
    results.set(name, { name, outcome, durationMs, message: outcome === 'passed' ? null : message || null });
    if (program) {
      if (r) passThrough(r);
      if (note) process.stderr.write(`${note}\n`);
      if (outcome !== 'passed') failures.push({ name, message });
      return;
    }
    const word = outcome === 'passed' ? 'ok' : 'FAILED';
    console.log(`test ${name} ... ${word}${outcome === 'timed-out' ? ' (timed out)' : ''}`);
    if (outcome !== 'passed') failures.push({ name, message });
    else if (opts.nocapture && message) console.log(message);
  }

  let nextId = 0;
  const jobs = new Map(); // worker -> {name, id, start, timer, slow, counters}
  // A job's instance counts no more: fold its counters into the totals.
  // `settled`: the test returned (not timed out, not a dead worker).
  // `frames`: the live frames when it ended, for derived counts (none known
  // for a timed-out test or a dead worker).
  const finishCounters = (job, settled, frames) => { if (totals) totals.finish(job.counters, job.name, settled, frames); };
  const jobNames = []; // id -> test name, for counters that arrive after their job ended
  function spawn() {
    // The derivation is the main thread's: its tables stay here.
    const w = new Worker(__filename, { workerData: { module, config: workerConfig } });
    workers.add(w);
    w.on('message', (r) => {
      const job = jobs.get(w);
      if (r.counters) {
        if (!totals) return;
        if (job && job.id === r.id) {
          job.counters = r.counters;
          totals.start(r.counters, job.name);
        } else {
          totals.finish(r.counters, jobNames[r.id]);
        }
        return;
      }
      if (!job || job.id !== r.id) return;
      clearTimeout(job.timer);
      clearTimeout(job.slow);
      jobs.delete(w);
      // The worker's next test first, then this one's bookkeeping (its
      // counters are in a memory the next test's instance does not use):
      // the worker never waits for the main thread's scan of a test.
      if (queue.length > 0) dispatch(w);
      finishCounters(job, true, r.frames);
      const ok = r.trap === null && r.code === 0;
      record(job.name, ok ? 'passed' : 'failed', r.durationMs, r);
      if (!jobs.has(w)) dispatch(w);
    });
    const died = (why) => {
      const job = jobs.get(w);
      workers.delete(w);
      if (!job) return;
      clearTimeout(job.timer);
      clearTimeout(job.slow);
      jobs.delete(w);
      finishCounters(job);
      record(job.name, 'failed', performance.now() - job.start, null, `(the worker running it died: ${why})`);
      if (!finished) dispatch(spawn());
    };
    w.on('error', (e) => died(describeError(e)));
    w.on('exit', (code) => died(`exit code ${code}`));
    return w;
  }
  function dispatch(w) {
    if (finished) return;
    const name = queue.shift();
    if (name === undefined) {
      workers.delete(w);
      w.terminate();
      if (jobs.size === 0) done();
      return;
    }
    const id = nextId++;
    const job = { name, id, start: performance.now(), timer: null, slow: null, counters: null };
    jobNames[id] = name;
    if (config.timeoutMs > 0) {
      job.timer = setTimeout(() => {
        jobs.delete(w);
        finishCounters(job);
        workers.delete(w);
        w.terminate();
        record(name, 'timed-out', performance.now() - job.start, null, `(timed out after ${config.timeoutMs / 1000} s; its coverage up to then is kept)`);
        dispatch(spawn());
      }, config.timeoutMs);
    }
    // A program's stdout is its own: say it on stderr.
    const slow = `test ${name} has been running for over 60 seconds`;
    job.slow = setTimeout(() => (program ? console.error(slow) : console.log(slow)), 60000);
    jobs.set(w, job);
    const args = program ? [...config.args] : ['--exact', name, '--nocapture', '--test-threads', '1'];
    if (ignoredSet.has(name)) args.push('--ignored');
    w.postMessage({ id, args });
  }
  function done() {
    if (finished) return;
    if (program) return stopAll(failures.length ? EXIT.FAILED : EXIT.OK, false);
    const secs = (performance.now() - started) / 1000;
    if (failures.length) {
      console.log('\nfailures:\n');
      for (const f of failures) console.log(`---- ${f.name} stdout ----\n${f.message}\n`);
      console.log('\nfailures:');
      for (const f of failures) console.log(`    ${f.name}`);
    }
    const passed = [...results.values()].filter((r) => r.outcome === 'passed').length;
    const ignored = [...results.values()].filter((r) => r.outcome === 'ignored').length;
    console.log(
      `\ntest result: ${failures.length ? 'FAILED' : 'ok'}. ${passed} passed; ${failures.length} failed; ` +
        `${ignored} ignored; 0 measured; ${filteredOut} filtered out; finished in ${secs.toFixed(2)}s\n`
    );
    stopAll(failures.length ? EXIT.FAILED : EXIT.OK, false);
  }

  if (queue.length === 0) return done();
  for (let i = 0; i < Math.min(threads, queue.length); i++) dispatch(spawn());
}

// The arithmetic and the trap stubs, for wasm-run's unit tests (`require`
// runs nothing).
module.exports = { Totals, digits, withTrapStubs };

if (isMainThread && require.main === module) {
  try {
    main();
  } catch (e) {
    process.stderr.write(`wasm-run runner: ${e && e.message ? e.message : e}\n`);
    process.exit(EXIT.HARNESS_ERROR);
  }
} else if (!isMainThread) {
  workerMain();
}
