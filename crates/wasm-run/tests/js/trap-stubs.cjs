// The runner's stubs for imports no host provides (runner.cjs,
// withTrapStubs), on small modules assembled below, with a real node:wasi.
// Run by tests/runner_js.rs as `node trap-stubs.cjs RUNNER.cjs`; prints
// "ok NAME" per check and exits non-zero on the first failure.
'use strict';
const assert = require('node:assert/strict');
const { WASI } = require('node:wasi');
const { withTrapStubs } = require(process.argv[2]);

// ---------------------------------------------------------------- assembling

function leb(n) {
  const out = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
}
const str = (s) => [...leb(Buffer.byteLength(s)), ...Buffer.from(s)];
const vec = (items) => [...leb(items.length), ...items.flat()];
const section = (id, body) => [id, ...leb(body.length), ...body];
const I32 = 0x7f;

// A module with `imports` ([module, name, desc bytes]) and, for each entry
// of `calls` ([export name, function index]), an exported () -> i32
// function that calls that (() -> i32) import and returns what it returns.
// Type 0 is () -> i32, type 1 is fd_write's (i32 i32 i32 i32) -> i32.
function assemble(imports, calls) {
  const bytes = [0, 0x61, 0x73, 0x6d, 1, 0, 0, 0];
  bytes.push(...section(1, vec([[0x60, 0, 1, I32], [0x60, 4, I32, I32, I32, I32, 1, I32]])));
  bytes.push(...section(2, vec(imports.map(([m, n, desc]) => [...str(m), ...str(n), ...desc]))));
  const funcImports = imports.filter(([, , d]) => d[0] === 0).length;
  bytes.push(...section(3, vec(calls.map(() => [0]))));
  bytes.push(...section(7, vec(calls.map(([name], i) => [...str(name), 0, ...leb(funcImports + i)]))));
  const body = (f) => { const code = [0, 0x10, ...leb(f), 0x0b]; return [...leb(code.length), ...code]; };
  bytes.push(...section(10, vec(calls.map(([, f]) => body(f)))));
  return new WebAssembly.Module(new Uint8Array(bytes));
}
const func = (type) => [0, type];
const memory = [2, 0, 1]; // min 1 page, no max

function check(name, f) {
  f();
  console.log(`ok ${name}`);
}

// ---------------------------------------------------------------- checks

const wasi = new WASI({ version: 'preview1', args: [], env: {}, returnOnExit: true });
const given = wasi.getImportObject();
const fdWrite = given.wasi_snapshot_preview1.fd_write;
const answer = () => 42;
const imports = { ...given, env: { answer } };
const plugin = assemble(
  [
    ['wasi_snapshot_preview1', 'fd_write', func(1)],
    ['$root', '[context-get-0]', func(0)],
    ['env', 'answer', func(0)],
    ['env', 'missing', func(0)],
    ['wasi_snapshot_preview1', 'not_in_preview1', func(0)],
  ],
  [['context_get', 1], ['answer', 2], ['missing', 3], ['not_in_preview1', 4]],
);

check('a module whose imports are all given gets the same object back', () => {
  const m = assemble([['wasi_snapshot_preview1', 'fd_write', func(1)], ['env', 'answer', func(0)]], [['answer', 1]]);
  assert.equal(withTrapStubs(m, imports), imports);
});

const stubbed = withTrapStubs(plugin, imports);

check('what WASI and the caller provide is never replaced', () => {
  for (const [name, f] of Object.entries(given.wasi_snapshot_preview1)) {
    assert.equal(stubbed.wasi_snapshot_preview1[name], f, name);
  }
  assert.equal(stubbed.wasi_snapshot_preview1.fd_write, fdWrite);
  assert.equal(stubbed.env.answer, answer);
});

check('the objects given are not changed', () => {
  assert.equal(imports.$root, undefined);
  assert.equal(imports.env.missing, undefined);
  assert.deepEqual(Object.keys(imports.env), ['answer']);
  assert.equal(given.wasi_snapshot_preview1.not_in_preview1, undefined);
});

check('only the missing functions are stubbed, in a new or an existing namespace', () => {
  assert.deepEqual(Object.keys(stubbed.$root), ['[context-get-0]']);
  assert.deepEqual(Object.keys(stubbed.env).sort(), ['answer', 'missing']);
  assert.equal(typeof stubbed.wasi_snapshot_preview1.not_in_preview1, 'function');
});

const instance = new WebAssembly.Instance(plugin, stubbed);

check('a provided function still works', () => {
  assert.equal(instance.exports.answer(), 42);
});

check('a stub traps when called, naming the import as wasmtime does', () => {
  for (const [exp, ns, name] of [
    ['context_get', '$root', '[context-get-0]'],
    ['missing', 'env', 'missing'],
    ['not_in_preview1', 'wasi_snapshot_preview1', 'not_in_preview1'],
  ]) {
    assert.throws(() => instance.exports[exp](), (e) => {
      assert.ok(e instanceof WebAssembly.RuntimeError, `${exp}: ${e}`);
      assert.equal(e.message, `unknown import: \`${ns}::${name}\` has not been defined`);
      return true;
    });
  }
});

check('a missing memory is not stubbed: instantiating fails as before, naming it', () => {
  const m = assemble([['env', 'memory', memory], ['$root', '[thread-yield]', func(0)]], [['yield', 0]]);
  const withStubs = withTrapStubs(m, {});
  assert.equal(withStubs.env, undefined);
  assert.throws(() => new WebAssembly.Instance(m, withStubs), /Import #0 "env"/);
});

check('something given that is not a function is left for V8 to refuse', () => {
  const m = assemble([['env', 'answer', func(0)]], [['answer', 0]]);
  const bad = { env: { answer: 7 } };
  assert.equal(withTrapStubs(m, bad), bad);
  assert.throws(() => new WebAssembly.Instance(m, bad), WebAssembly.LinkError);
});
