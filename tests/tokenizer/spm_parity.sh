#!/usr/bin/env bash
# SentencePiece parity: maskkv's ids for every line of inputs.txt must equal Debian's
# spm_encode --output_format=id, for each fixture model; and decode(encode(s)) must equal
# spm_decode's output.   spm_parity.sh HELPER FIXTURE_DIR
set -euo pipefail
helper="$1"; dir="$2"
for tool in spm_encode spm_decode python3; do
  command -v "$tool" >/dev/null || { echo "spm_parity: $tool not found (apt-get install sentencepiece python3)" >&2; exit 1; }
done
fails=0
for model in "$dir"/unigram.model "$dir"/bpe.model; do
  [ -f "$model" ] || { echo "spm_parity: missing $model (tools/fixtures/make_sentencepiece_fixture.sh)" >&2; exit 1; }
  python3 - "$helper" "$model" "$dir/inputs.txt" <<'PY' || fails=$((fails+1))
import json, subprocess, sys
helper, model, inputs = sys.argv[1:4]
lines = open(inputs, encoding="utf-8").read().split("\n")
if lines and lines[-1] == "":
    lines.pop()
ref = subprocess.run(["spm_encode", "--model", model, "--output_format=id"], input="\n".join(lines) + "\n",
                     capture_output=True, text=True, check=True).stdout.split("\n")[:len(lines)]
ref_ids = [[int(x) for x in l.split()] for l in ref]
ref_dec = subprocess.run(["spm_decode", "--model", model, "--input_format=id"],
                         input="\n".join(" ".join(map(str, r)) for r in ref_ids) + "\n",
                         capture_output=True, text=True, check=True).stdout.split("\n")[:len(lines)]
ours = subprocess.run([helper, "encode-decode", model], input="\n".join(json.dumps(l) for l in lines) + "\n",
                      capture_output=True, text=True, check=True).stdout.split("\n")[:len(lines)]
bad = 0
for i, (line, r, rd, o) in enumerate(zip(lines, ref_ids, ref_dec, ours)):
    o = json.loads(o)
    if not isinstance(o, list):
        print(f"  {model} line {i}: maskkv error {o}"); bad += 1; continue
    ids, dec = o
    if ids != r:
        print(f"  {model} line {i} {line[:60]!r}: ids maskkv {ids[:12]} spm {r[:12]}"); bad += 1
    elif dec != rd:
        print(f"  {model} line {i}: decode maskkv {dec[:60]!r} spm {rd[:60]!r}"); bad += 1
print(f"{model}: {len(lines)} lines, {bad} mismatches")
sys.exit(1 if bad else 0)
PY
done
if [ "$fails" -eq 0 ]; then echo "1 passed, 0 failed"; else echo "0 passed, 1 failed"; exit 1; fi
