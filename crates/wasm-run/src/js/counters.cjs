// 64-bit block counts, shared by every JS file of wasm-run that reads our
// injected counters: runner.cjs (modules wasm-run instantiates: Totals),
// hook.cjs (Node processes it does not start: Sums) and the browser driver
// (Sums). Here: a block table in V8's raw shape, the counts of many
// instances summed, sparse per-test lists, and their exact decimal text.
//
// Counts are kept as two 32-bit halves in plain numbers, never as BigInts:
// a test touches thousands of blocks, and a BigInt per count (and per
// addition) cost more than the test itself on small suites.
'use strict';

const TWO32 = 4294967296;
const MAX32 = 0xffffffff;
// The pseudo-test of counts that belong to no test (docs/formats.md).
const NO_TEST = '<no test>';

// Adds (lo, hi) to the halves at `at` of `into` (a Uint32Array),
// saturating at 2^64 - 1.
function addHalves(into, at, lo, hi) {
  let l = into[at] + lo;
  let h = into[at + 1] + hi;
  if (l >= TWO32) {
    l -= TWO32;
    h += 1;
  }
  if (h > MAX32) {
    l = MAX32;
    h = MAX32;
  }
  into[at] = l;
  into[at + 1] = h;
}

// A count's decimal digits, exact.
function digits(lo, hi) {
  if (hi === 0) return String(lo);
  if (hi < 0x200000) return String(hi * TWO32 + lo); // below 2^53
  return String((BigInt(hi) << 32n) | BigInt(lo));
}

// The module offsets of the wasm frames in an error's stack, innermost
// first: V8 writes each frame's position as `wasm-function[INDEX]:0xOFFSET`,
// the offset of the instruction the frame is at (the trap, or the call that
// has not returned). Frames past Error.stackTraceLimit are not there, so
// wherever such errors are made it must be Infinity.
function framesOf(e) {
  const stack = e !== null && typeof e === 'object' && typeof e.stack === 'string' ? e.stack : '';
  const out = [];
  for (const m of stack.matchAll(/:wasm-function\[\d+\]:0x([0-9a-f]+)/g)) out.push(parseInt(m[1], 16));
  return out;
}

// Derived counters (wasm-cov-instrument's `derive`, docs/formats.md §3b):
// some blocks get no increment, and their counts follow from other blocks'
// and the instance's live frames in given blocks when it ended. `table` is
// direct.rs's DerivedConfig: blocks sorted, each with its rule in `rules`
// from `at[i]`: [nPlus, nMinus, nLive, plus..., minus..., live...]; the
// frame ranges (`starts`, `ends`, `framed`) are offsets in the
// instrumented module, sorted.
class Derivation {
  constructor(table, n) {
    this.n = n;
    this.blocks = Uint32Array.from(table.blocks);
    this.at = Uint32Array.from(table.at);
    this.rules = Uint32Array.from(table.rules);
    this.starts = Uint32Array.from(table.starts);
    this.ends = Uint32Array.from(table.ends);
    this.framed = Uint32Array.from(table.framed);
    // Block -> its rule's index in `blocks`, +1 (0: counted).
    this.rule = new Uint32Array(n);
    for (let i = 0; i < this.blocks.length; i++) if (this.blocks[i] < n) this.rule[this.blocks[i]] = i + 1;
    // The counts of one instance as plain numbers, filled from the back
    // (one array, reused), and the derived ones of 2^53 or more exactly.
    this.vals = new Float64Array(n);
    this.bigs = new Map();
    // Which derived blocks add block j's count: deps[depAt[j] .. depAt[j +
    // 1]]. A derived count with every added term 0 is 0 (without live
    // frames), so an instance only needs the derived blocks these reach
    // from its non-zero counters.
    this.depAt = new Uint32Array(n + 1);
    for (let i = 0; i < this.blocks.length; i++) {
      const p = this.at[i];
      for (let t = 0; t < this.rules[p]; t++) if (this.rules[p + 3 + t] < n) this.depAt[this.rules[p + 3 + t] + 1]++;
    }
    for (let j = 0; j < n; j++) this.depAt[j + 1] += this.depAt[j];
    this.deps = new Uint32Array(this.depAt[n]);
    const fill = this.depAt.slice(0, n);
    for (let i = 0; i < this.blocks.length; i++) {
      const p = this.at[i];
      for (let t = 0; t < this.rules[p]; t++) {
        const j = this.rules[p + 3 + t];
        if (j < n) this.deps[fill[j]++] = this.blocks[i];
      }
    }
    this.marked = new Uint8Array(n);
  }
  // The block whose range holds module offset `at`, or -1.
  blockAt(at) {
    let lo = 0;
    let hi = this.starts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.starts[mid] <= at) lo = mid + 1;
      else hi = mid;
    }
    return lo > 0 && at < this.ends[lo - 1] ? this.framed[lo - 1] : -1;
  }
  // One instance's non-zero counts, as `sparse` gives them, with the
  // derived ones filled in from the last block back (each depends only on
  // blocks after it, or on counted ones). `frames`: the live frames'
  // offsets when the instance ended, if known; unknown frames count none,
  // which can only lower a derived count. Runs once per instance on the
  // main thread, so it is kept to typed arrays and plain numbers (exact
  // below 2^53; a formula with a term at or above that is redone exactly).
  sparse(h, frames) {
    if (!frames || frames.length === 0) return this.reached(h);
    const { n, rule, at, rules, vals } = this;
    let live = null;
    if (frames && frames.length) {
      live = new Map();
      for (const off of frames) {
        const k = this.blockAt(off);
        if (k >= 0) live.set(k, (live.get(k) || 0) + 1);
      }
    }
    this.bigs.clear();
    const idx = [];
    const half = [];
    for (let k = n - 1; k >= 0; k--) {
      const r = rule[k];
      let lo;
      let hi;
      if (r === 0) {
        lo = h[2 * k];
        hi = h[2 * k + 1];
        vals[k] = hi * TWO32 + lo;
      } else {
        let p = at[r - 1];
        const np = rules[p];
        const nm = rules[p + 1];
        const nl = rules[p + 2];
        p += 3;
        let c = 0;
        let most = 0;
        for (let i = p; i < p + np + nm; i++) {
          const j = rules[i];
          // After k: done (derived or counted); before k: counted, so read.
          const v = j > k ? (j < n ? vals[j] : 0) : h[2 * j + 1] * TWO32 + h[2 * j];
          if (v > most) most = v;
          if (i < p + np) c += v;
          else c -= v;
        }
        if (live !== null) for (let i = 0; i < nl; i++) c += live.get(rules[p + np + nm + i]) || 0;
        if (most >= 2 ** 53 || c >= 2 ** 53) {
          const b = this.exact(k, p, np, nm, nl, h, live);
          lo = Number(b & 0xffffffffn);
          hi = Number(b >> 32n);
          vals[k] = Number(b);
        } else {
          if (c < 0) c = 0;
          vals[k] = c;
          // No `%`: on doubles it is a call to fmod.
          hi = c < TWO32 ? 0 : Math.floor(c / TWO32);
          lo = c - hi * TWO32;
        }
      }
      if ((lo | hi) === 0) continue;
      idx.push(k);
      half.push(hi, lo);
    }
    return { idx: idx.reverse(), half: half.reverse() };
  }
  // `sparse` for an instance without live frames: the counted blocks'
  // non-zero counts, then only the derived blocks those reach (through
  // `deps`), evaluated from the back, merged in.
  reached(h) {
    const { n, rule, at, rules, vals, deps, depAt, marked } = this;
    // A derived block's slot is never incremented: only counted ones count.
    const all = sparse(h, n);
    const counted = { idx: [], half: [] };
    for (let i = 0; i < all.idx.length; i++) {
      if (rule[all.idx[i]] !== 0) continue;
      counted.idx.push(all.idx[i]);
      counted.half.push(all.half[2 * i], all.half[2 * i + 1]);
    }
    const todo = [];
    const reach = (j) => {
      for (let d = depAt[j]; d < depAt[j + 1]; d++) {
        const k = deps[d];
        if (marked[k] === 0) {
          marked[k] = 1;
          todo.push(k);
        }
      }
    };
    for (const j of counted.idx) if (rule[j] === 0) reach(j);
    // A derived block reached can reach others; `todo` grows as it goes.
    for (let i = 0; i < todo.length; i++) reach(todo[i]);
    if (todo.length === 0) return counted;
    const order = Uint32Array.from(todo).sort().reverse();
    this.bigs.clear();
    const found = { idx: [], half: [] };
    for (const k of order) {
      let p = at[rule[k] - 1];
      const np = rules[p];
      const nm = rules[p + 1];
      p += 3;
      let c = 0;
      let most = 0;
      for (let i = p; i < p + np + nm; i++) {
        const j = rules[i];
        // A derived term is done when it was reached, else 0.
        const v = j >= n ? 0 : rule[j] !== 0 ? (marked[j] === 1 && j > k ? vals[j] : 0) : h[2 * j + 1] * TWO32 + h[2 * j];
        if (v > most) most = v;
        if (i < p + np) c += v;
        else c -= v;
      }
      let lo;
      let hi;
      if (most >= 2 ** 53 || c >= 2 ** 53) {
        const b = this.exact(k, p, np, nm, rules[p - 1], h, null);
        lo = Number(b & 0xffffffffn);
        hi = Number(b >> 32n);
        vals[k] = Number(b);
      } else {
        if (c < 0) c = 0;
        vals[k] = c;
        hi = c < TWO32 ? 0 : Math.floor(c / TWO32);
        lo = c - hi * TWO32;
      }
      if ((lo | hi) === 0) continue;
      found.idx.push(k);
      found.half.push(hi, lo);
    }
    for (const k of todo) marked[k] = 0;
    found.idx.reverse();
    found.half.reverse();
    return mergeSparse(counted, found);
  }
  // Block k's formula (its terms from `p`) with BigInts, saturating at
  // 2^64 - 1; noted in `bigs` for the formulas before it.
  exact(k, p, np, nm, nl, h, live) {
    const { n, rule, rules, vals, bigs } = this;
    const of = (j) => {
      if (j >= n) return 0n;
      if (j > k && rule[j] !== 0) return bigs.has(j) ? bigs.get(j) : BigInt(vals[j]);
      return (BigInt(h[2 * j + 1]) << 32n) | BigInt(h[2 * j]);
    };
    let b = 0n;
    for (let i = 0; i < np + nm; i++) b += i < np ? of(rules[p + i]) : -of(rules[p + i]);
    if (live !== null) for (let i = 0; i < nl; i++) b += BigInt(live.get(rules[p + np + nm + i]) || 0);
    if (b < 0n) b = 0n;
    if (b > 0xffffffffffffffffn) b = 0xffffffffffffffffn;
    bigs.set(k, b);
    return b;
  }
}

// A block table (`__instrument`'s TABLE, docs/formats.md §3b) in V8's raw
// shape: [start, end] per block, relative to the first function body,
// `end` inclusive.
function rawBlocks(table) {
  const first = table.firstBodyOffset;
  return table.blocks.map(([, start, end]) => [start - first, end - 1 - first]);
}

// The non-zero counters of `n` halves pairs (a Uint32Array of 2n):
// {idx, half}, indices ascending, counts as (lo, hi) pairs.
function sparse(h, n) {
  const idx = [];
  const half = [];
  for (let k = 0; k < n; k++) {
    const lo = h[2 * k];
    const hi = h[2 * k + 1];
    if ((lo | hi) === 0) continue;
    idx.push(k);
    half.push(lo, hi);
  }
  return { idx, half };
}

// Two sparse lists added, saturating.
function mergeSparse(a, b) {
  const idx = [];
  const half = [];
  const sum = new Uint32Array(2);
  let i = 0;
  let j = 0;
  while (i < a.idx.length || j < b.idx.length) {
    if (j >= b.idx.length || (i < a.idx.length && a.idx[i] < b.idx[j])) {
      idx.push(a.idx[i]);
      half.push(a.half[2 * i], a.half[2 * i + 1]);
      i++;
    } else if (i >= a.idx.length || b.idx[j] < a.idx[i]) {
      idx.push(b.idx[j]);
      half.push(b.half[2 * j], b.half[2 * j + 1]);
      j++;
    } else {
      sum[0] = a.half[2 * i];
      sum[1] = a.half[2 * i + 1];
      addHalves(sum, 0, b.half[2 * j], b.half[2 * j + 1]);
      idx.push(a.idx[i]);
      half.push(sum[0], sum[1]);
      i++;
      j++;
    }
  }
  return { idx, half };
}

// A sparse list's `[k, count, k, count, ...]` as JSON text.
function hitsText(s) {
  const parts = new Array(2 * s.idx.length);
  for (let i = 0; i < s.idx.length; i++) {
    parts[2 * i] = s.idx[i];
    parts[2 * i + 1] = digits(s.half[2 * i], s.half[2 * i + 1]);
  }
  return `[${parts.join(',')}]`;
}

// The counters of many instances summed per module, and each test's share
// of them: `add` an instance's counters (halves), `addTest` a test's
// sparse counts (never more than the instances counted). `raw` gives one
// V8 raw entry per module; `tests` the per-test split, in which `<no
// test>` holds whatever no test claimed, so the tests of a module always
// add up to its totals.
class Sums {
  constructor() {
    this.totals = new Map(); // module -> Uint32Array of 2n halves
    this.perTest = new Map(); // module -> Map(test -> sparse)
  }
  add(module, halves, n) {
    let into = this.totals.get(module);
    if (!into) this.totals.set(module, (into = new Uint32Array(2 * n)));
    if (into.length !== 2 * n) return;
    for (let k = 0; k < n; k++) {
      const lo = halves[2 * k];
      const hi = halves[2 * k + 1];
      if ((lo | hi) !== 0) addHalves(into, 2 * k, lo, hi);
    }
  }
  addTest(module, test, s) {
    let tests = this.perTest.get(module);
    if (!tests) this.perTest.set(module, (tests = new Map()));
    const had = tests.get(test);
    tests.set(test, had ? mergeSparse(had, s) : s);
  }
  // `[[[start, end, count], ...], ...]` as JSON text, one entry per module
  // `rawOf` knows.
  raw(rawOf) {
    const entries = [];
    for (const [module, into] of this.totals) {
      const raw = rawOf(module);
      if (!raw || 2 * raw.length !== into.length) continue;
      entries.push('[' + raw.map(([s, e], i) => `[${s},${e},${digits(into[2 * i], into[2 * i + 1])}]`).join(',') + ']');
    }
    return '[' + entries.join(',') + ']';
  }
  // `[{"module", "test", "hits": [k, count, ...]}, ...]` as JSON text; the
  // modules no test ran have no entry at all.
  tests() {
    const out = [];
    for (const [module, tests] of this.perTest) {
      const left = (this.totals.get(module) || new Uint32Array(0)).slice();
      for (const [test, s] of tests) {
        out.push(`{"module":${JSON.stringify(module)},"test":${JSON.stringify(test)},"hits":${hitsText(s)}}`);
        for (let i = 0; i < s.idx.length; i++) subHalves(left, 2 * s.idx[i], s.half[2 * i], s.half[2 * i + 1]);
      }
      const rest = sparse(left, left.length / 2);
      if (rest.idx.length) out.push(`{"module":${JSON.stringify(module)},"test":${JSON.stringify(NO_TEST)},"hits":${hitsText(rest)}}`);
    }
    return '[' + out.join(',') + ']';
  }
}

// Takes (lo, hi) from the halves at `at`, stopping at 0. A saturated total
// stays saturated: what the tests took from 2^64 - 1 is not known.
function subHalves(from, at, lo, hi) {
  if (from[at] === MAX32 && from[at + 1] === MAX32) return;
  let l = from[at] - lo;
  let h = from[at + 1] - hi;
  if (l < 0) {
    l += TWO32;
    h -= 1;
  }
  if (h < 0) {
    l = 0;
    h = 0;
  }
  from[at] = l;
  from[at + 1] = h;
}

// The sum over the instances of runner.cjs (one per test, each in a
// worker): `done` holds the instances that finished (each folded in once),
// `live` the ones still running (buffer -> test name), added at each read.
// Each instance also belongs to one test (the name its job ran, or NO_TEST
// for the --list runs and anything else outside a test): `perTest` keeps
// each test's counts sparse, so the per-test counts sum exactly to the
// totals (docs/formats.md, "Per-test block counts").
class Totals {
  // `derived`: the instrumenter's derived blocks, or null.
  constructor(n, derived) {
    this.n = n;
    this.derivation = derived && derived.blocks.length ? new Derivation(derived, n) : null;
    this.done = new Uint32Array(2 * n);
    this.live = new Map();
    this.perTest = new Map(); // name -> {idx, half, text}
  }
  // Adds a sparse list to `into` (halves), saturating.
  addSparse(into, s) {
    for (let i = 0; i < s.idx.length; i++) addHalves(into, 2 * s.idx[i], s.half[2 * i], s.half[2 * i + 1]);
  }
  // One instance's non-zero counters, the derived ones filled in with the
  // offsets of its live `frames` when it ended (none: it returned, or they
  // are not known, and then a derived count can only come out too low).
  sparse(buf, frames) {
    const h = new Uint32Array(buf, 0, 2 * this.n);
    return this.derivation ? this.derivation.sparse(h, frames) : sparse(h, this.n);
  }
  // Another instance of test `name` (the --list runs share NO_TEST).
  addTest(name, s) {
    const had = this.perTest.get(name);
    if (had) s = mergeSparse(had, s);
    s.text = namedHits(name, s);
    this.perTest.set(name, s);
  }
  start(buf, name) {
    this.live.set(buf, name);
  }
  // One read of a counter memory: a hung test's worker may still be
  // counting until terminate() takes effect, so the totals and the
  // per-test counts must come from the same copy to add up.
  snapshot(buf) {
    return buf.slice(0, 8 * this.n);
  }
  // An instance that will count no more. `settled`: its test returned,
  // so nothing can still be counting into it, and it is read in place
  // (a copy would fault in a whole new buffer for every test). `frames`:
  // its live frames when it ended (framesOf).
  finish(buf, name, settled, frames) {
    if (!buf) return;
    const owner = this.live.has(buf) ? this.live.get(buf) : name;
    this.live.delete(buf);
    const s = this.sparse(settled ? buf : this.snapshot(buf), frames);
    this.addSparse(this.done, s);
    this.addTest(owner || NO_TEST, s);
  }
  // How many blocks have an increment, and how many of the block entries
  // of the finished instances were counted by one (the rest derived): for
  // benchmarks (WASM_RUN_COUNTER_STATS). Entries are sums as floats.
  stats() {
    const flag = this.derivation ? this.derivation.rule : new Uint8Array(this.n);
    let counted = 0;
    let entries = 0;
    let increments = 0;
    for (let k = 0; k < this.n; k++) {
      const c = this.done[2 * k + 1] * TWO32 + this.done[2 * k];
      entries += c;
      if (flag[k] === 0) {
        counted++;
        increments += c;
      }
    }
    return { blocks: this.n, counted, entries, increments };
  }
  // {"counts": [...], "tests": [{"name", "hits": [k, c, ...]}]}, exact
  // decimal digits, never a float.
  json() {
    const all = this.done.slice();
    const tests = new Map();
    for (const [name, s] of this.perTest) tests.set(name, s);
    for (const [buf, name] of this.live) {
      const s = this.sparse(this.snapshot(buf));
      this.addSparse(all, s);
      const had = tests.get(name);
      tests.set(name, had ? mergeSparse(had, s) : s);
    }
    const parts = [];
    for (const [name, s] of tests) parts.push(s.text !== undefined ? s.text : namedHits(name, s));
    const counts = new Array(this.n);
    for (let k = 0; k < this.n; k++) counts[k] = digits(all[2 * k], all[2 * k + 1]);
    return `{"counts":[${counts.join(',')}],"tests":[${parts.join(',')}]}`;
  }
}

// `{"name": ..., "hits": [...]}` of one test.
function namedHits(name, s) {
  return `{"name":${JSON.stringify(name)},"hits":${hitsText(s)}}`;
}

module.exports = { TWO32, MAX32, NO_TEST, addHalves, digits, rawBlocks, sparse, mergeSparse, hitsText, framesOf, Derivation, Sums, Totals };
