#!/usr/bin/env node
// Writes about N MB of mixed text (prose, code, numbers, CJK, other scripts, emoji, combining
// marks, whitespace) as JSON lines of ~4 KB documents: node make_docs.js OUT.jsonl [MB] [SEED]
'use strict';
const fs = require('fs');
const path = require('path');
const { benchDocuments } = require(path.join(__dirname, '../../tools/tokenizer_parity/corpus.js'));
const [out, mb = '4', seed = '7'] = process.argv.slice(2);
const docs = benchDocuments(parseInt(seed, 10), Math.round(parseFloat(mb) * 1e6));
fs.writeFileSync(out, docs.map((d) => JSON.stringify(d)).join('\n') + '\n');
