// Prints the sizes of one wasm module as JSON: the file, the code section
// and the DWARF (every custom section named .debug_*), in bytes.
//
//   node bench/lib/wasm-sizes.cjs FILE.wasm
'use strict';
const bytes = require('node:fs').readFileSync(process.argv[2]);
function leb(pos) {
  let result = 0;
  let shift = 0;
  for (;;) {
    const b = bytes[pos++];
    result += (b & 0x7f) * 2 ** shift;
    shift += 7;
    if (b < 0x80) return [result, pos];
  }
}
const out = { file: bytes.length, code: 0, dwarf: 0, debugLine: 0, debugInfo: 0 };
let pos = 8;
while (pos < bytes.length) {
  const id = bytes[pos];
  const [size, body] = leb(pos + 1);
  if (id === 10) out.code = size;
  if (id === 0) {
    const [len, name0] = leb(body);
    const name = bytes.toString('utf8', name0, name0 + len);
    if (name.startsWith('.debug_')) out.dwarf += size - (name0 + len - body);
    if (name === '.debug_line') out.debugLine = size - (name0 + len - body);
    if (name === '.debug_info') out.debugInfo = size - (name0 + len - body);
  }
  pos = body + size;
}
console.log(JSON.stringify(out));
