// The hook wasm-run puts into the browser's page and into every worker
// (browser.cjs says how and why): it finds the instances of the modules
// the proxy instrumented and posts their counters, split by test
// (contexts.cjs), to the proxy (browser-proxy.cjs); with V8's counters it
// hands over every module's bytes and collects V8's counts when asked.
'use strict';

const { testContexts, trackInstances } = require('./contexts.cjs');

// Runs in the page and in every worker, before their own scripts; as
// source text (`(${hook})(cfg, testContexts, trackInstances)`), so it may
// use nothing from this file. With injected counters, `testContexts` (contexts.cjs)
// splits the counts of a wasm-bindgen-test suite by test, and every push
// carries the tests' windows closed since the last one the driver took.
function hook(cfg, testContexts, trackInstances) {
  if (globalThis.__wasmRun) return;
  const W = WebAssembly;
  const OrigModule = W.Module;
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
  // and named it in a custom section; find its instances. The page's
  // cookie tells the proxy which worker scripts to put this hook into
  // (Firefox).
  if (cfg.cookie && typeof document !== 'undefined') {
    try {
      document.cookie = `${cfg.cookie}; path=/; SameSite=Strict`;
    } catch (_) {
      /* about:blank has no cookies */
    }
  }
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
  trackInstances(W, track);
  const origInstantiate = W.instantiate;
  W.instantiate = function instantiate(source, ...rest) {
    return origInstantiate.call(this, source, ...rest).then((r) => {
      if (source instanceof OrigModule) track(source, r);
      else track(r.module, r.instance);
      return r;
    });
  };
  const contexts = testContexts(globalThis, () => instances);
  let seq = 0;
  let acked = 0; // windows the driver has taken
  const origStreaming = W.instantiateStreaming;
  if (typeof origStreaming === 'function') {
    W.instantiateStreaming = function instantiateStreaming(source, ...rest) {
      return origStreaming.call(this, source, ...rest).then((r) => {
        track(r.module, r.instance);
        return r;
      });
    };
  }
  // One POST: a JSON line naming the instances and the test windows
  // closed since `from`, then the instances' counters.
  const push = () => {
    if (!instances.length) return Promise.resolve();
    const upTo = contexts.length;
    const head = {
      realm,
      seq: ++seq,
      instances: instances.map((i) => ({ module: i.module, blocks: i.blocks })),
      from: acked,
      tests: contexts.slice(acked, upTo),
    };
    const parts = [JSON.stringify(head) + '\n'];
    for (const i of instances) parts.push(new Uint8Array(i.memory.buffer, 0, i.blocks * 8).slice());
    // Absolute: a worker started from a blob: URL has no base to resolve
    // a path against, but has the page's origin.
    return fetch(location.origin + cfg.push, { method: 'POST', body: new Blob(parts) }).then(
      (r) => {
        if (r.ok) acked = Math.max(acked, upTo);
      },
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

// The hook as the source text the page and the workers evaluate. `cfg`:
// {mode, binding, push, section, flushMs, cookie}; `push` is the counters
// endpoint with this run's secret in it, so only what we hooked can post.
function hookSource(cfg) {
  return `(${hook})(${JSON.stringify(cfg)}, ${testContexts}, ${trackInstances});`;
}

module.exports = { hookSource };
