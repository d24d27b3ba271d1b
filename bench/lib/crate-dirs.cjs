// Reads `cargo metadata` JSON on stdin; prints `name version dir` for each
// package named on the command line (the source folder cargo fetched).
'use strict';
const path = require('node:path');
const meta = JSON.parse(require('node:fs').readFileSync(0, 'utf8'));
const wanted = new Set(process.argv.slice(2));
for (const p of meta.packages) {
  if (wanted.has(p.name) && p.source) console.log(p.name, p.version, path.dirname(p.manifest_path));
}
