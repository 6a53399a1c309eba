#!/bin/bash
# cli_generate.sh MASKKV MODELS GGUF_DIR: `maskkv generate` gives the same output for the demo
# models from safetensors and from their BF16 GGUF files, with MaskKV eviction on (a text
# prompt for LLaDA, three task prompts for each family), and so does `maskkv tokenize`; `info`
# reads a GGUF file; a truncated GGUF file is refused by name.
set -euo pipefail
bin=$1 models=$2 gguf=$3
prompt=$(head -c 2000 "$models/demo/README.md")
args=(--prompt "$prompt" --gen-length 16 --steps 16 --policy maskkv --online --budget 64 --threads 1)
a=$("$bin" generate --model "$models/demo" "${args[@]}" 2>/dev/null)
b=$("$bin" generate --model "$gguf/llada_bf16.gguf" "${args[@]}" 2>/dev/null)
if [ "$a" != "$b" ]; then
  echo "generate differs: safetensors '$a' vs GGUF '$b'"; exit 1
fi
# The demo tasks' own prompts (calibration.jsonl), for both families.
for family in llada dream; do
  dir=$models/demo
  [ "$family" = dream ] && dir=$models/demo-dream
  for line in 1 2 3; do
    ids=$(sed -n "${line}s/^{\"prompt_ids\": \[\([0-9, ]*\)\].*/\1/p" "$dir/calibration.jsonl" | tr -d ' ')
    [ -n "$ids" ] || { echo "no prompt ids on line $line of $dir/calibration.jsonl"; exit 1; }
    run=(--prompt-ids "$ids" --gen-length 16 --steps 16 --policy maskkv --online --budget 64 --threads 1)
    x=$("$bin" generate --model "$dir" "${run[@]}" 2>/dev/null)
    y=$("$bin" generate --model "$gguf/${family}_bf16.gguf" "${run[@]}" 2>/dev/null)
    [ -n "$x" ] || { echo "$family prompt $line: empty output"; exit 1; }
    [ "$x" = "$y" ] || { echo "$family prompt $line: safetensors '$x' vs GGUF '$y'"; exit 1; }
    a+=$x
  done
done
ta=$(printf '%s' "$prompt" | "$bin" tokenize --model "$models/demo" --add-special)
tb=$(printf '%s' "$prompt" | "$bin" tokenize --model "$gguf/llada_bf16.gguf" --add-special)
[ "$ta" = "$tb" ] || { echo "tokenize differs"; exit 1; }
"$bin" info --model "$gguf/dream_q8_0.gguf" | grep -q "family       dream" || { echo "info failed"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
head -c 100 "$gguf/llada_bf16.gguf" > "$tmp/cut.gguf"
if "$bin" generate --model "$tmp/cut.gguf" --prompt hi > "$tmp/out" 2>&1; then
  echo "a truncated GGUF file was accepted"; exit 1
fi
grep -q "cut.gguf" "$tmp/out" || { echo "error does not name the file:"; cat "$tmp/out"; exit 1; }
echo "ok: generate/tokenize identical from safetensors and GGUF ($(printf '%s' "$a" | wc -c) bytes of output)"
