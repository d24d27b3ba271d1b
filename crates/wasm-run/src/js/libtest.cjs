// wasm-run's Node side for wasm32-wasip1 libtest binaries.
//
// Started by wasm-run as
//   node --wasm-code-coverage --allow-natives-syntax --no-wasm-lazy-compilation \
//        libtest.cjs CONFIG.json
// It compiles the module once, lists the tests with libtest itself, runs
// each test in a fresh instance of that one compiled module (a panic aborts
// and traps, so isolation is what keeps one failure from hiding the rest),
// prints libtest-style results, and finally dumps V8's raw wasm block
// counters to config.rawOut. Offsets are converted by wasm-run, not here.
//
// Exit status: 0 all passed, 1 some failed, 3 harness error (message on
// stderr). V8's counters are per compiled module, so all instances add up.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { WASI } = require('node:wasi');

const config = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const collect = new Function('return %DebugCollectWasmCoverage()');
const scratch = fs.mkdtempSync(path.join(config.tmpDir, 'run-'));

function dumpCoverage() {
  const raw = collect();
  const modules = raw.map((blocks) => blocks.map((b) => [b.start, b.end, b.count]));
  const tmp = config.rawOut + '.part';
  fs.writeFileSync(tmp, JSON.stringify({ modules }));
  fs.renameSync(tmp, config.rawOut);
}

// Runs one instance of the module with `args`; returns {code, trap, stdout, stderr}.
let runs = 0;
function runInstance(module, args) {
  const n = runs++;
  const outPath = path.join(scratch, `out-${n}`);
  const errPath = path.join(scratch, `err-${n}`);
  const stdout = fs.openSync(outPath, 'w+');
  const stderr = fs.openSync(errPath, 'w+');
  let code = null;
  let trap = null;
  try {
    const wasi = new WASI({
      version: 'preview1',
      args: [config.programName, ...args],
      env: process.env,
      preopens: { '.': process.cwd() },
      returnOnExit: true,
      stdout,
      stderr,
    });
    const instance = new WebAssembly.Instance(module, wasi.getImportObject());
    code = wasi.start(instance);
  } catch (e) {
    trap = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  } finally {
    fs.closeSync(stdout);
    fs.closeSync(stderr);
  }
  const result = {
    code,
    trap,
    stdout: fs.readFileSync(outPath, 'utf8'),
    stderr: fs.readFileSync(errPath, 'utf8'),
  };
  fs.rmSync(outPath, { force: true });
  fs.rmSync(errPath, { force: true });
  return result;
}

function listTests(module, filterArgs, extra) {
  const r = runInstance(module, ['--list', '--format', 'terse', ...extra, ...filterArgs]);
  if (r.code !== 0) {
    throw new Error(
      `listing the tests failed (${r.trap || 'exit ' + r.code}):\n${r.stdout}${r.stderr}`
    );
  }
  const names = [];
  for (const line of r.stdout.split('\n')) {
    const m = /^(.*): (test|bench)$/.exec(line);
    if (m && m[2] === 'test') names.push(m[1]);
  }
  return names;
}

// libtest's own lines in a --nocapture run; the rest is the test's output.
const OWN = [/^running \d+ tests?$/, /^test .* \.\.\. (ok|FAILED|ignored)/, /^test result: /,
  /^successes:$/, /^failures:$/, /^    \S+$/];
function testOutput(r) {
  const kept = r.stdout.split('\n').filter((l) => !OWN.some((re) => re.test(l)));
  let text = kept.join('\n').trim();
  if (r.stderr.trim()) text += (text ? '\n' : '') + r.stderr.trim();
  if (r.trap) text += (text ? '\n' : '') + `(wasm trapped: ${r.trap})`;
  else if (r.code !== 0) text += (text ? '\n' : '') + `(exit status ${r.code})`;
  return text;
}

function main() {
  const bytes = fs.readFileSync(config.wasm);
  const module = new WebAssembly.Module(bytes);
  const args = config.args;

  // Requests libtest answers by itself, unchanged.
  const passthrough = ['--list', '--help', '-h', '--bench'];
  if (args.some((a) => passthrough.includes(a))) {
    const r = runInstance(module, args);
    process.stdout.write(r.stdout);
    process.stderr.write(r.stderr);
    return r.trap ? 1 : r.code;
  }

  // Split the user's arguments: those that select tests go to --list; the
  // ones that only shape output or threading are ours to honour.
  const select = [];
  let ignoredMode = 'normal';
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--ignored') ignoredMode = 'only';
    else if (a === '--include-ignored') ignoredMode = 'include';
    else if (a === '--nocapture' || a === '--no-capture' || a === '--quiet' || a === '-q') continue;
    else if (a === '--test-threads' || a === '--format' || a === '--color') i++;
    else if (/^--(test-threads|format|color)=/.test(a)) continue;
    else if (a === '--skip') { select.push(a, args[++i]); }
    else select.push(a);
  }

  const all = listTests(module, select, []);
  const total = select.length ? listTests(module, [], []).length : all.length;
  const ignored = new Set(listTests(module, select, ['--ignored']));
  const start = process.hrtime.bigint();
  const failures = [];
  let passed = 0, ignoredCount = 0;
  const toRun = ignoredMode === 'only' ? all.filter((t) => ignored.has(t)) : all;
  console.log(`\nrunning ${toRun.length} test${toRun.length === 1 ? '' : 's'}`);
  for (const name of toRun) {
    if (ignored.has(name) && ignoredMode === 'normal') {
      console.log(`test ${name} ... ignored`);
      ignoredCount++;
      continue;
    }
    const runArgs = ['--exact', name, '--nocapture', '--test-threads', '1'];
    if (ignored.has(name)) runArgs.push('--ignored');
    const r = runInstance(module, runArgs);
    if (r.trap === null && r.code === 0) {
      console.log(`test ${name} ... ok`);
      passed++;
    } else {
      console.log(`test ${name} ... FAILED`);
      failures.push({ name, output: testOutput(r) });
    }
  }
  const secs = Number(process.hrtime.bigint() - start) / 1e9;
  if (failures.length) {
    console.log('\nfailures:\n');
    for (const f of failures) console.log(`---- ${f.name} stdout ----\n${f.output}\n`);
    console.log('\nfailures:');
    for (const f of failures) console.log(`    ${f.name}`);
  }
  const filtered = total - toRun.length;
  console.log(
    `\ntest result: ${failures.length ? 'FAILED' : 'ok'}. ${passed} passed; ${failures.length} failed; ` +
      `${ignoredCount} ignored; 0 measured; ${filtered} filtered out; finished in ${secs.toFixed(2)}s\n`
  );
  return failures.length ? 1 : 0;
}

let status;
try {
  status = main();
} catch (e) {
  process.stderr.write(`wasm-run harness: ${e && e.message ? e.message : e}\n`);
  status = 3;
}
try {
  dumpCoverage();
} catch (e) {
  process.stderr.write(`wasm-run harness: collecting coverage failed: ${e && e.message ? e.message : e}\n`);
  status = 3;
}
fs.rmSync(scratch, { recursive: true, force: true });
process.exitCode = status;
