#!/usr/bin/env bash
# Generates the SentencePiece test fixtures with Debian's spm_train (package `sentencepiece`):
#   tests/fixtures/tokenizers/spm/unigram.model   unigram, vocab 500
#   tests/fixtures/tokenizers/spm/bpe.model       BPE with byte fallback, vocab 600
#   tests/fixtures/tokenizers/spm/inputs.txt      test lines (UTF-8, one per line)
# The training text is generated here (deterministic), so the fixtures can be rebuilt at will:
#   tools/make_sentencepiece_fixture.sh [OUT_DIR]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$root/tests/fixtures/tokenizers/spm}"
command -v spm_train >/dev/null || { echo "spm_train not found: apt-get install sentencepiece" >&2; exit 1; }
mkdir -p "$out"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

python3 - "$tmp/train.txt" "$out/inputs.txt" <<'PY'
import random, sys
rnd = random.Random(1234)
words = ("the of and to in is was he for it with as his on be at by had are but from or have an "
         "they which one you were her all she there would their we him been has when who will more "
         "no if out so said what up its about into than them can only other new some could time "
         "diffusion language model token cache attention layer head budget prompt response step "
         "naïve café résumé Zürich São Kraków").split()
cjk = "的一是不了人我在有他这为之大来以个中上们到说国和地也子时道出而要于就下得可你年生自会那后能对着事"
def sentence():
    n = rnd.randint(3, 18)
    s = " ".join(rnd.choice(words) for _ in range(n))
    if rnd.random() < 0.2: s += " " + str(rnd.randint(0, 10**rnd.randint(1, 6)))
    if rnd.random() < 0.15: s += " " + "".join(rnd.choice(cjk) for _ in range(rnd.randint(2, 8)))
    if rnd.random() < 0.1: s = s.capitalize()
    return s + rnd.choice([".", "!", "?", "", ","])
with open(sys.argv[1], "w", encoding="utf-8") as f:
    for _ in range(4000):
        f.write(sentence() + "\n")
tests = [sentence() for _ in range(200)]
tests += ["", " ", "  leading and trailing  ", "tabs\tand\nnewlines", "emoji 😀👍🏽 and ❤️",
          "unseen script: Привет мир مرحبا", "e\u0301 combining", "ＦＵＬＬ width",
          "digits 1234567890 0.5", "<s> and </s> are control tokens", "<unk>", "x" * 300]
with open(sys.argv[2], "w", encoding="utf-8") as f:
    for t in tests:
        f.write(t.replace("\n", " ") + "\n")
PY

# Relative paths inside the temporary directory keep the models byte-for-byte reproducible
# (the trainer records its arguments in the model).
cd "$tmp"
common=(--input=train.txt --character_coverage=0.9995 --num_threads=1
        --shuffle_input_sentence=false --minloglevel=2)
# Unigram with the default nmt_nfkc normalizer; BPE Llama-2 style (identity normalization,
# byte fallback).
spm_train "${common[@]}" --model_prefix=unigram --model_type=unigram --vocab_size=500 >/dev/null 2>&1
spm_train "${common[@]}" --model_prefix=bpe --model_type=bpe --vocab_size=600 --byte_fallback=true \
  --normalization_rule_name=identity >/dev/null 2>&1
cp "$tmp/unigram.model" "$out/unigram.model"
cp "$tmp/bpe.model" "$out/bpe.model"
echo "wrote $out/unigram.model $out/bpe.model $out/inputs.txt"
