#!/usr/bin/env node
// Tokenizer encode throughput, single thread: the Hugging Face `tokenizers` library's side of
// bench/tokenizer/run.sh (same documents, same protocol as bench_tokenizer.cpp).
//   node bench_hf.js TOKENIZER.json DOCS.jsonl [--passes N]
// Measured two ways, both on one thread: encodeBatch with TOKENIZERS_PARALLELISM=false (run.sh
// sets it; no per-call overhead) and sequential awaited encode() calls; the faster is reported.
'use strict';
const fs = require('fs');
const path = require('path');
const nm = path.join(__dirname, '../../tools/tokenizer_parity/node_modules');
const { Tokenizer } = require(path.join(nm, '@anush008/tokenizers'));

const [file, docsFile] = process.argv.slice(2);
let passes = 3;
const pi = process.argv.indexOf('--passes');
if (pi > 0) passes = parseInt(process.argv[pi + 1], 10);
if (process.env.TOKENIZERS_PARALLELISM !== 'false') {
  console.error('bench_hf.js: set TOKENIZERS_PARALLELISM=false (and RAYON_NUM_THREADS=1) for a single-thread run');
  process.exit(2);
}
const docs = fs.readFileSync(docsFile, 'utf8').split('\n').filter((l) => l.length).map((l) => JSON.parse(l));
const bytes = docs.reduce((a, d) => a + Buffer.byteLength(d), 0);

(async () => {
  let t0 = process.hrtime.bigint();
  const tok = Tokenizer.fromFile(file);
  const loadS = Number(process.hrtime.bigint() - t0) / 1e9;
  const opts = { addSpecialTokens: false };
  const count = (encs) => encs.reduce((a, e) => a + e.getLength(), 0);
  t0 = process.hrtime.bigint();
  const tokens = count(await tok.encodeBatch(docs, opts));  // warm-up
  const cold = Number(process.hrtime.bigint() - t0) / 1e9;
  let best = Infinity;
  for (let p = 0; p < passes; ++p) {
    const a = process.hrtime.bigint();
    const n = count(await tok.encodeBatch(docs, opts));
    const s = Number(process.hrtime.bigint() - a) / 1e9;
    if (n !== tokens) throw new Error('token count changed');
    best = Math.min(best, s);
  }
  let bestSeq = Infinity;
  for (let p = 0; p < passes; ++p) {
    const a = process.hrtime.bigint();
    let n = 0;
    for (const d of docs) n += (await tok.encode(d, null, opts)).getLength();
    const s = Number(process.hrtime.bigint() - a) / 1e9;
    if (n !== tokens) throw new Error('token count changed');
    bestSeq = Math.min(bestSeq, s);
  }
  const s = Math.min(best, bestSeq);
  console.log(JSON.stringify({ impl: 'hf-tokenizers', docs: docs.length, bytes, tokens, seconds: s,
    tokens_per_s: tokens / s, mb_per_s: bytes / s / 1e6, cold_tokens_per_s: tokens / cold,
    batch_tokens_per_s: tokens / best, sequential_tokens_per_s: tokens / bestSeq, load_s: loadS }));
})().catch((e) => { console.error(e); process.exit(1); });
