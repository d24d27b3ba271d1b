// Which tier a hot wasm loop ends in, and how fast it runs there: prints
// one line, e.g. "tier liftoff, 620 ms per 1e8 iterations".
//
//   node --allow-natives-syntax [V8 flags] bench/lib/tier.js
//
// The module is one function f(n) summing n..1 in a loop (two basic blocks
// per iteration), built here byte by byte so no tool is needed.
'use strict';
const body = [
  0x01, 0x01, 0x7f, // one i32 local: the sum
  0x02, 0x40, 0x03, 0x40, // block, loop
  0x20, 0x00, 0x45, 0x0d, 0x01, // br_if 1 (n == 0)
  0x20, 0x01, 0x20, 0x00, 0x6a, 0x21, 0x01, // sum += n
  0x20, 0x00, 0x41, 0x01, 0x6b, 0x21, 0x00, // n -= 1
  0x0c, 0x00, 0x0b, 0x0b, // br 0, end, end
  0x20, 0x01, 0x0b, // return sum
];
const code = [0x01, body.length, ...body];
const bytes = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  0x01, 0x06, 0x01, 0x60, 0x01, 0x7f, 0x01, 0x7f, // type (i32) -> i32
  0x03, 0x02, 0x01, 0x00, // one function
  0x07, 0x05, 0x01, 0x01, 0x66, 0x00, 0x00, // export "f"
  0x0a, code.length, ...code,
]);
const f = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports.f;
for (let k = 0; k < 50; k++) f(2000000); // warm up: let V8 tier up if it will
const t = performance.now();
for (let k = 0; k < 50; k++) f(2000000);
const ms = performance.now() - t;
const tier = %IsTurboFanFunction(f) ? 'turbofan' : %IsLiftoffFunction(f) ? 'liftoff' : 'other';
console.log(`tier ${tier}, ${ms.toFixed(0)} ms per 1e8 iterations`);
