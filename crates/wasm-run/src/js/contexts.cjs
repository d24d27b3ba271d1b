// Per-test contexts of wasm-bindgen-test suites (docs/formats.md, "Per-test
// contexts of wasm-bindgen suites"): which test counted what, although all
// the tests of a suite run in one instance.
//
// wasm-bindgen-test runs one test at a time (its CONCURRENCY is 1). It
// polls the running test's future through the global `__wbg_test_invoke`,
// which every harness page, worker and Node script defines, and writes the
// test's result line (`test NAME ... ok|FAIL`) right after the poll that
// finished it: through `__wbgtest_og_console_log` on Node,
// `__wbg_test_output_writeln` in a worker, and the `#output` element's
// text in a page. So a test's window opens at the first poll after the
// previous result line and closes at its own result line; what the
// realm's instances counted in between is the test's. That includes the
// work its await points wait for (a timer's callback, a promise's
// continuation), and what a future spawned by an earlier test runs while
// it is open. Everything outside a window (loading, registering the tests,
// the harness between two tests, a test still open when the counters are
// read) stays with `<no test>`.
//
// Runs in Node (hook.cjs requires it) and as source text in pages and
// workers (the browser driver injects it), so it uses nothing from
// outside itself.
'use strict';

// Installs the boundaries in the realm `g` (Node's global, a page's
// window, a worker's self). `instances()` lists the realm's instrumented
// instances as {module, blocks, memory}, counter k being the little-endian
// u64 at byte 8k of `memory`. Returns `entries`: one {test, module, idx,
// half} per closed window and module, idx the blocks the test counted
// (ascending) and half their counts as (lo, hi) pairs; entries are only
// ever appended.
function testContexts(g, instances) {
  const TWO32 = 4294967296;
  const RESULT = /^test (.+) \.\.\. (?:ok|FAIL)$/;
  const entries = [];
  let open = null; // instance -> its counters (halves) when the window opened

  const start = () => {
    open = new Map();
    for (const i of instances()) open.set(i, new Uint32Array(i.memory.buffer, 0, 2 * i.blocks).slice());
  };
  const end = (test) => {
    const before = open;
    open = null;
    const byModule = new Map();
    for (const i of instances()) {
      const now = new Uint32Array(i.memory.buffer, 0, 2 * i.blocks);
      const was = before.get(i);
      let d = byModule.get(i.module);
      if (!d) byModule.set(i.module, (d = new Map()));
      for (let k = 0; k < i.blocks; k++) {
        let lo = now[2 * k];
        let hi = now[2 * k + 1];
        if (was) {
          if (lo === was[2 * k] && hi === was[2 * k + 1]) continue;
          lo -= was[2 * k];
          hi -= was[2 * k + 1];
          if (lo < 0) {
            lo += TWO32;
            hi -= 1;
          }
        } else if ((lo | hi) === 0) {
          continue;
        }
        const had = d.get(k);
        if (had) {
          lo += had[0];
          hi += had[1];
          if (lo >= TWO32) {
            lo -= TWO32;
            hi += 1;
          }
        }
        d.set(k, [lo, hi]);
      }
    }
    for (const [module, d] of byModule) {
      if (!d.size) continue;
      const idx = [...d.keys()].sort((a, b) => a - b);
      const half = [];
      for (const k of idx) half.push(d.get(k)[0], d.get(k)[1]);
      entries.push({ test, module, idx, half });
    }
  };
  const onLine = (line) => {
    if (!open) return;
    const m = RESULT.exec(line);
    if (m) end(m[1]);
  };

  // A global the harness assigns, wrapped whenever it is assigned.
  const watch = (name, wrap) => {
    const had = Object.getOwnPropertyDescriptor(g, name);
    if (had && !had.configurable) return;
    let outer = had && 'value' in had && typeof had.value === 'function' ? wrap(had.value) : had && had.value;
    Object.defineProperty(g, name, {
      configurable: true,
      enumerable: true,
      get: () => outer,
      set: (v) => {
        outer = typeof v === 'function' ? wrap(v) : v;
      },
    });
  };
  watch('__wbg_test_invoke', (inner) =>
    function __wbg_test_invoke(f) {
      if (!open) start();
      return inner.call(this, f);
    },
  );
  const lines = (inner) =>
    function writeln(...args) {
      if (open) for (const l of args.map(String).join(' ').split('\n')) onLine(l);
      return inner.apply(this, args);
    };
  watch('__wbgtest_og_console_log', lines);
  watch('__wbg_test_output_writeln', lines);
  // A page's harness appends each line to #output's text.
  const NodeProto = typeof g.Node === 'function' && g.document ? g.Node.prototype : null;
  const text = NodeProto && Object.getOwnPropertyDescriptor(NodeProto, 'textContent');
  if (text && text.configurable && text.set) {
    Object.defineProperty(NodeProto, 'textContent', {
      ...text,
      set(v) {
        if (open && this.id === 'output') {
          const was = text.get.call(this) || '';
          const now = String(v);
          if (now.startsWith(was)) for (const l of now.slice(was.length).split('\n')) onLine(l);
        }
        text.set.call(this, v);
      },
    });
  }
  return entries;
}

// Has every `new WebAssembly.Instance(module, imports)` of the realm whose
// WebAssembly is `W` call `track(module, instance)`. Shared by the Node
// hook and the page hook, so self-contained too.
function trackInstances(W, track) {
  W.Instance = new Proxy(W.Instance, {
    construct(target, args, newTarget) {
      const instance = Reflect.construct(target, args, newTarget);
      track(args[0], instance);
      return instance;
    },
  });
}

if (typeof module === 'object' && module.exports) module.exports = { testContexts, trackInstances };
