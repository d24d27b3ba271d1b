// `--partition` for one libtest binary: which of its listed tests this
// shard runs, dealt exactly as wasm_cov_format::Partition::deal deals them
// (tests/tests/wasm_run_partition.rs checks the two agree, test for test):
//   slice, count  round-robin by place in libtest's list (one binary, so
//                 the two are the same here);
//   hash          the first 8 bytes of SHA-256 over the binary id, a NUL
//                 and the name, big-endian, modulo the shard count.
// `owner` is the lowest shard dealt any test (shard 1 when none is): only
// it keeps the counts of the binary's --list runs, so merged shards count
// them once, as one whole run does.
'use strict';
const { createHash } = require('node:crypto');

function hashShard(binary, name, total) {
  const d = createHash('sha256').update(binary).update(Buffer.from([0])).update(name).digest();
  return Number(d.readBigUInt64BE(0) % BigInt(total)) + 1;
}

// p: config.partition ({kind, shard, total, binary}); names in list order.
function deal(p, names) {
  const mine = [];
  let owner = null;
  names.forEach((name, i) => {
    const shard = p.kind === 'hash' ? hashShard(p.binary, name, p.total) : (i % p.total) + 1;
    owner = owner === null ? shard : Math.min(owner, shard);
    if (shard === p.shard) mine.push(name);
  });
  return { mine, owner: owner === null ? 1 : owner };
}

module.exports = { deal };
