#!/usr/bin/env bash
# `maskkv tokenize` / `maskkv detokenize`: JSON lines round trip, flags, exit codes.
#   cli_test.sh MASKKV_BINARY FIXTURE_DIR
set -uo pipefail
bin="$1"; fx="$2"
model="$fx/spm/bpe.model"
fails=0; passes=0
ok() { passes=$((passes+1)); }
bad() { echo "FAIL: $*"; fails=$((fails+1)); }

out="$(printf '%s\n' '"the model"' '"a cache\nwith lines"' | "$bin" tokenize --tokenizer "$model" --json-lines)" && ok || bad "tokenize exit $?"
[ "$(echo "$out" | wc -l)" -eq 2 ] && ok || bad "tokenize printed: $out"
back="$(echo "$out" | "$bin" detokenize --tokenizer "$model")" && ok || bad "detokenize exit"
[ "$back" = $'"the model"\n"a cache\\nwith lines"' ] && ok || bad "round trip gave: $back"
with="$(echo 'the model' | "$bin" tokenize --tokenizer "$model" --add-special)"
[[ "$with" == "[1,"* ]] && ok || bad "--add-special gave: $with"
[ "$(echo "$with" | "$bin" detokenize --tokenizer "$model" --skip-special)" = '"the model"' ] && ok || bad "--skip-special"
[ "$(echo "$with" | "$bin" detokenize --tokenizer "$model")" = '"<s>the model"' ] && ok || bad "special kept"

"$bin" tokenize >/dev/null 2>&1; [ $? -eq 2 ] && ok || bad "missing --tokenizer should exit 2"
"$bin" tokenize --tokenizer "$model" --bogus >/dev/null 2>&1; [ $? -eq 2 ] && ok || bad "unknown flag should exit 2"
err="$(echo '"x"' | "$bin" tokenize --tokenizer /nonexistent.json 2>&1)"; rc=$?
[ $rc -eq 1 ] && [[ "$err" == *"/nonexistent.json"* ]] && ok || bad "missing file: rc=$rc $err"
err="$(echo 'not json' | "$bin" tokenize --tokenizer "$model" --json-lines 2>&1)"; rc=$?
[ $rc -eq 1 ] && [[ "$err" == *"line 1"* ]] && ok || bad "bad json line: rc=$rc $err"
err="$(echo '[1, 99999999]' | "$bin" detokenize --tokenizer "$model" 2>&1)"; rc=$?
[ $rc -eq 1 ] && [[ "$err" == *"OUT_OF_RANGE"* ]] && ok || bad "out of range id: rc=$rc $err"
err="$(printf '"\\udc00"\n' | "$bin" tokenize --tokenizer "$model" --json-lines 2>&1)"; rc=$?
[ $rc -eq 1 ] && ok || bad "lone surrogate: rc=$rc $err"
echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
